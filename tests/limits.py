"""Run the command line under a time and memory limit, as a hostile input's test needs.

``run_limited(["build", content, "--out", out])`` starts ``site-builder`` in a process of its
own with an address-space limit (``resource.RLIMIT_AS``, inherited by the build's worker
processes) and a wall-clock timeout, and reports its exit code, its output, the time it took
and the peak resident memory of the process and its children. A test of a hostile input
asserts on all of them: a clear message, exit 1, and the bounds it promises.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The bounds promised for one hostile file (docs/templates.md, "Bounded work"): a build of the
# small fixture portals used here takes ≈ 1 s and ≈ 100 MB.
SECONDS = 10
MEGABYTES = 500

# A parent that forks the command and reports, when it ends, the peak resident memory of it and
# of every process it waited for (its workers): getrusage(RUSAGE_CHILDREN).ru_maxrss.
_PRELUDE = """
import os, resource, sys
megabytes, report = int(sys.argv[1]), sys.argv[2]
pid = os.fork()
if pid == 0:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.argv = ["site-builder", *sys.argv[3:]]
    from site_builder.cli import main
    main()
    sys.exit(0)
_, status, _ = os.wait4(pid, 0)
with open(report, "w") as handle:
    handle.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


@dataclass
class Limited:
    returncode: int | None      # None: killed at the timeout
    output: str                 # stdout and stderr together
    seconds: float
    peak_mb: float | None       # the largest resident set of the command or one of its workers
                                # (None: killed at the timeout)

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def run_limited(args: list[str | Path], seconds: float = SECONDS, megabytes: int = MEGABYTES,
                env: dict[str, str] | None = None) -> Limited:
    """``site-builder *args`` in a process of its own, killed after ``seconds``, its address space
    (and each worker's) capped at ``megabytes``."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    report = tempfile.NamedTemporaryFile(prefix="limits-", suffix=".txt", delete=False)
    report.close()
    start = time.monotonic()
    with subprocess.Popen([sys.executable, "-c", _PRELUDE, str(megabytes), report.name, *map(str, args)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment,
                          start_new_session=True) as process:
        try:
            output, _ = process.communicate(timeout=seconds)
            returncode: int | None = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            output, _ = process.communicate()
            returncode = None
    elapsed = time.monotonic() - start
    peak = Path(report.name).read_text().strip()
    os.unlink(report.name)
    return Limited(returncode, output.decode("utf-8", "replace"), elapsed, int(peak) / 1024 if peak else None)
