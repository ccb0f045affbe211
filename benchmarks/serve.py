"""Live-preview benchmark: from a saved file to the new value on screen, in Chromium.

For each portal (the example, and synthetic portals made by tests/synthetic.py: SYNTHETIC
DATA) it starts `site-builder serve` as a clerk would (a subprocess, search off), opens one
final-accounts page, then 20 times changes one amount in 公开05表 (alternating within the
rounding of its parents, so the checker stays quiet) and measures the time from the write to
the moment the page, reloaded by itself, shows the new value. It prints median and max, the
server's startup time and the peak memory of the server and its build workers together.

Each save's time is split into its steps, from the server's trace (SITE_BUILDER_SERVE_TRACE:
when the watcher reported the save, when the rebuild was done, when the reload message went)
and the browser's performance entries (when the page got the message, when the new page's
response ended, when its DOM was parsed, the first animation frame showing the new value). All
are wall-clock times of one machine (Python's ``time.time()``, the page's
``performance.timeOrigin + performance.now()``).

``--baseline TREE`` measures another checkout of the code side by side (``git worktree add
/tmp/old 91ede0d``): two servers on two copies of the portal, their edits alternating (A, B,
B, A…), so both see the same machine; the machine is shared, and its speed changes within
minutes.

    python benchmarks/serve.py [--sizes 0 1000 10000] [--baseline TREE]     (0 = the example portal)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import ARGS, CHROMIUM  # noqa: E402
from build import tree_pss_kb  # noqa: E402
from synthetic import generate  # noqa: E402
from test_serve import CELL, ROW, Server  # noqa: E402

EDITS = 20
VALUES = ["69.63", "69.61"]
# the steps of one save, each from the previous moment: (name, moment's key, what it is)
STEPS = [("watch", "noticed", "write → watcher reports it (inotify, watchfiles step/debounce)"),
         ("rebuild", "built", "Preview.rebuild: load, check, render, write"),
         ("message", "sent", "rebuilt → reload message sent (IOLoop)"),
         ("to page", "received", "message sent → page starts reloading"),
         ("response", "response", "the new page's HTML received"),
         ("page", "seen", "parsed (and swapped in), laid out, the first frame with the new value painted")]

# The first animation frame that shows the expected value (sessionStorage: it outlives a reload),
# recorded by the page itself once that frame is laid out and painted (at the next frame's
# callback: up to one frame, 17 ms, late): run before the save, and by each new document (an
# init script). Playwright's own polling would wait for it to attach to a reloaded page.
WATCH_VALUE = f"""(() => {{
  window.__seen = undefined;
  const tick = () => {{
    let shown;
    try {{ shown = {CELL}; }} catch (error) {{}}
    if (shown === undefined || shown !== sessionStorage.getItem('expected')) requestAnimationFrame(tick);
    else requestAnimationFrame(() => {{ window.__seen = performance.timeOrigin + performance.now(); }});
  }};
  if (sessionStorage.getItem('expected')) requestAnimationFrame(tick);
}})()"""

# the page's moments after a reload: a full navigation's, or those the in-place swap marks
MOMENTS = """(() => {
  const origin = performance.timeOrigin, marks = {};
  for (const m of performance.getEntriesByType('mark')) marks[m.name] = origin + m.startTime;
  const nav = performance.getEntriesByType('navigation')[0];
  if (marks['site-builder:message'] !== undefined)
    return {received: marks['site-builder:message'], response: marks['site-builder:response'],
            parsed: marks['site-builder:swapped'], seen: window.__seen, swapped: true};
  return {received: origin, response: origin + nav.responseEnd, parsed: origin + nav.domContentLoadedEventEnd,
          seen: window.__seen, swapped: false};
})()"""


def pressure() -> str:
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return "n/a"


class PeakMemory:
    """The peak of the server's memory together with its build workers' (PSS of the process
    tree, sampled every 50 ms), in bytes."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.done = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_pss_kb(self.pid) * 1024)
            self.done.wait(0.05)

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


@dataclass
class Arm:
    """One server of the code in ``tree`` on its own copy of the portal, and its page in Chromium."""

    label: str
    tree: Path
    content: Path
    page_path: str
    startup: float = 0.0
    memory: int = 0
    latencies: list[float] = field(default_factory=list)
    steps: list[dict[str, float]] = field(default_factory=list)
    swapped: int = 0
    current: str = "69.62"

    def start(self, browser) -> None:
        started = time.perf_counter()
        memory: list[PeakMemory] = []
        self.server = Server(self.content, "--no-search", "--base-path", "/portal/", startup_timeout=3600,
                             started=lambda process: memory.append(PeakMemory(process.pid)),
                             env={"SITE_BUILDER_SERVE_TRACE": "1", "PYTHONPATH": str(self.tree)}, cwd=self.tree)
        self.memory_sampler = memory[0]
        self.startup = time.perf_counter() - started
        self.page = browser.new_page()
        self.page.add_init_script(WATCH_VALUE)
        self.page.goto(self.server.url + self.page_path.split("/", 1)[1])
        self.page.wait_for_function("window.LiveReload !== undefined")
        self.offset = self.clock_offset()

    def clock_offset(self) -> float:
        """The page's clock minus Python's, in seconds (the tightest of ten round trips): Chromium's
        time origin is its monotonic clock set against wall-clock time once."""
        samples = []
        for _ in range(10):
            before = time.time()
            page = self.page.evaluate("performance.timeOrigin + performance.now()") / 1000
            after = time.time()
            samples.append((after - before, page - (before + after) / 2))
        return min(samples)[1]

    def edit(self, number: int) -> None:
        csv = self.content / self.page_path.removesuffix("/index.html") / "tables/05.csv"
        new = VALUES[number % 2]
        text = csv.read_text(encoding="utf-8")
        self.page.evaluate(f"sessionStorage.setItem('expected', '{new}'); {WATCH_VALUE}")
        traced = len(self.server.lines)
        written = time.time()
        csv.write_text(text.replace(ROW.format(self.current), ROW.format(new), 1), encoding="utf-8")
        self.page.wait_for_function("window.__seen !== undefined", timeout=120000)
        self.current = new
        moments = self.page.evaluate(MOMENTS)
        for key in ("received", "response", "parsed", "seen"):
            if moments.get(key) is not None:
                moments[key] -= self.offset * 1000
        self.latencies.append(moments["seen"] / 1000 - written)
        self.swapped += moments.pop("swapped")
        deadline = time.monotonic() + 2      # (a baseline without the trace prints none)
        while time.monotonic() < deadline and not any(line.startswith('trace {"sent"')
                                                      for line in self.server.lines[traced:]):
            time.sleep(0.01)
        for line in self.server.lines[traced:]:
            if line.startswith("trace "):
                moments.update(json.loads(line[6:]))
        moments["written"] = written
        self.steps.append({key: moments[key] * (1 if key in ("noticed", "built", "sent", "written", "cpu") else 0.001)
                           for key in ("written", "cpu", "parsed", *(step[1] for step in STEPS))
                           if moments.get(key) is not None})

    def stop(self) -> None:
        if hasattr(self, "server"):
            self.memory = self.memory_sampler.stop()
            self.server.stop(timeout=300)        # (it removes its folder: a large portal's takes a while)

    def report(self) -> None:
        print(f"-- {self.label}: server start (first build) {self.startup:.1f} s, peak memory {self.memory / 2**20:.0f} MB"
              f" (page clock − ours: {self.offset * 1000:+.1f} ms)")
        print(f"   save → new value on screen  median {statistics.median(self.latencies) * 1000:.0f} ms, "
              f"max {max(self.latencies) * 1000:.0f} ms over {len(self.latencies)} edits"
              + (f" ({self.swapped} swapped in place)" if self.swapped else ""))
        previous = "written"
        for name, key, what in STEPS:
            spans = [(s[key] - s[previous]) * 1000 for s in self.steps if key in s and previous in s]
            if spans:
                print(f"   {name:<9} median {statistics.median(spans):5.0f} ms, max {max(spans):5.0f}   {what}")
            previous = key
        cpu = [s["cpu"] * 1000 for s in self.steps if "cpu" in s]
        if cpu:
            print(f"   (the rebuild's CPU time: median {statistics.median(cpu):.0f} ms, max {max(cpu):.0f})")
        parsed = [(s["parsed"] - s["response"]) * 1000 for s in self.steps if "parsed" in s]
        if parsed:
            print(f"   (of which: DOMContentLoaded, or the swap done, {statistics.median(parsed):.0f} ms after the response)")


def portal(size: int, work: Path, name: str) -> tuple[Path, str, str]:
    """A fresh copy of the portal of ``size`` documents (0: the example), its page and label."""
    content = work / f"content-{size}-{name}"
    if content.exists():
        shutil.rmtree(content)
    if size == 0:
        shutil.copytree(REPO / "content", content)
        return content, "departments/fenyang-ybj/2024/final-accounts/index.html", "example portal (3 documents)"
    generate(content, size, seed=size)   # (regenerated each run: the edits below change it)
    return content, "departments/synthetic-00001/2024/final-accounts/index.html", f"synthetic portal, {size} documents"


def measure(size: int, work: Path, baseline: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    arms = []
    for name, tree in [("this tree", REPO), *([("baseline " + str(baseline), baseline)] if baseline else [])]:
        content, page, label = portal(size, work, str(len(arms)))
        arms.append(Arm(name, tree, content, page))
    print(f"\n== {label}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for arm in arms:
                arm.start(browser)
            for number in range(EDITS):
                for arm in (arms if number % 2 == 0 else arms[::-1]):    # A, B, B, A…: neither always first
                    arm.edit(number)
                    time.sleep(0.2)
        finally:
            for arm in arms:
                try:
                    arm.stop()
                except Exception as exc:  # noqa: BLE001 - the error that stopped the run is the one to see
                    print(f"({arm.label}: {exc!r} when stopping)")
            browser.close()
    for arm in arms:
        arm.report()
    print(f"cpu pressure now: {pressure()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 1000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-serve-bench"))
    parser.add_argument("--baseline", type=Path, help="another checkout of the code, measured alternately")
    args = parser.parse_args()
    print(f"cpu pressure at start: {pressure()}")
    for size in args.sizes:
        measure(size, args.work, args.baseline.resolve() if args.baseline else None)


if __name__ == "__main__":
    main()
