"""Fault injection: named points where a test makes a command die, or the disk refuse a write.

The guarantees of ``build``, ``publish`` and ``rollback`` (a stopped build leaves the complete old
output or the complete new one; a reader gets one release or the other) are proved by breaking
them on purpose at each step, not by timing. A command reaches :func:`point` at each step that
matters; the environment variable ``SITE_BUILDER_FAULT`` arms one of them::

    SITE_BUILDER_FAULT=commit.move          the first time "commit.move" is reached: SIGKILL
    SITE_BUILDER_FAULT=commit.move:3        the third time
    SITE_BUILDER_FAULT=commit.move:3=ENOSPC the third time: raise OSError(ENOSPC) (a full disk)
    SITE_BUILDER_FAULT=commit.move=TERM     the first time: SIGTERM (what ``kill`` sends)
    SITE_BUILDER_FAULT=publish.place:5=STOP the fifth time: SIGSTOP, until the test sends SIGCONT
                                            (two commands made to overlap, with no sleep)

SIGKILL is sent to the process itself (a build's worker processes are left to the test, which
kills the process group), so nothing of Python's clean-up runs: exactly what ``kill -9``, the
OOM killer or a power cut does. Unset, a point costs one comparison.
"""

from __future__ import annotations

import errno
import os
import signal

ENVIRONMENT = "SITE_BUILDER_FAULT"

_armed: tuple[str, int, str] | None = None     # (point, on which arrival, what happens)
_seen = 0


def arm(spec: str | None) -> None:
    """Arm the point ``spec`` names (the variable's syntax), or none; counting starts again."""
    global _armed, _seen
    _seen = 0
    _armed = None
    if not spec:
        return
    name, _, action = spec.partition("=")
    name, _, count = name.partition(":")
    _armed = (name.strip(), int(count) if count.strip() else 1, action.strip() or "KILL")


def point(name: str) -> None:
    """Die here (or refuse a write) when the test armed this point and this is the arrival it named."""
    global _seen
    if _armed is None or _armed[0] != name:
        return
    _seen += 1
    if _seen != _armed[1]:
        return
    if _armed[2] in ("KILL", "TERM", "STOP"):
        os.kill(os.getpid(), {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM, "STOP": signal.SIGSTOP}[_armed[2]])
        return                  # (SIGTERM: delivered here, or when the command lets it through; SIGSTOP: until SIGCONT)
    code = getattr(errno, _armed[2], None)
    if not isinstance(code, int):
        raise ValueError(f"{ENVIRONMENT}: unknown action {_armed[2]!r} (KILL, TERM, STOP or an errno name such as ENOSPC)")
    raise OSError(code, os.strerror(code))


arm(os.environ.get(ENVIRONMENT))
