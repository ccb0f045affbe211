"""Live-preview benchmark: from a saved file to the new value on screen, in Chromium.

For each portal (the example, and synthetic portals made by tests/synthetic.py: SYNTHETIC
DATA) it starts `site-builder serve` as a clerk would (a subprocess, search off), opens one
final-accounts page, then 20 times changes one amount in 公开05表 (alternating within the
rounding of its parents, so the checker stays quiet) and measures the time from the write to
the moment the page, reloaded by itself, shows the new value. It prints median and max, the
server's startup time and the peak memory of the server and its build workers together.

    python benchmarks/serve.py [--sizes 0 1000 10000]      (0 = the example portal)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import ARGS, CHROMIUM  # noqa: E402
from build import tree_pss_kb  # noqa: E402
from synthetic import generate  # noqa: E402
from test_serve import CELL, ROW, Server  # noqa: E402

EDITS = 20
VALUES = ["69.63", "69.61"]


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


def measure(content: Path, page_path: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    csv = content / page_path.removesuffix("/index.html") / "tables/05.csv"
    started = time.perf_counter()
    server = Server(content, "--no-search", "--base-path", "/portal/", startup_timeout=3600,
                    started=lambda process: setattr(measure, "memory", PeakMemory(process.pid)))
    startup = time.perf_counter() - started
    latencies = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto(server.url + page_path.split("/", 1)[1])
            page.wait_for_function("window.LiveReload !== undefined")
            current = "69.62"
            for number in range(EDITS):
                new = VALUES[number % 2]
                text = csv.read_text(encoding="utf-8")
                page.evaluate("window.__beforeSave = true")
                began = time.perf_counter()
                csv.write_text(text.replace(ROW.format(current), ROW.format(new), 1), encoding="utf-8")
                page.wait_for_function(f"!window.__beforeSave && {CELL} === '{new}'", polling="raf", timeout=120000)
                latencies.append(time.perf_counter() - began)
                current = new
                time.sleep(0.2)
            browser.close()
        memory = measure.memory.stop()
    finally:
        server.stop()
    return {"startup": startup, "median": statistics.median(latencies), "max": max(latencies), "memory": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 1000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-serve-bench"))
    args = parser.parse_args()
    print(f"cpu pressure at start: {pressure()}")
    for size in args.sizes:
        content = args.work / f"content-{size}"
        if content.exists():
            shutil.rmtree(content)
        if size == 0:
            shutil.copytree(REPO / "content", content)
            page = "departments/fenyang-ybj/2024/final-accounts/index.html"
            label = "example portal (3 documents)"
        else:
            generate(content, size, seed=size)   # (regenerated each run: the edits below change it)
            page = "departments/synthetic-00001/2024/final-accounts/index.html"
            label = f"synthetic portal, {size} documents"
        figures = measure(content, page)
        print(f"\n== {label}")
        print(f"server start (first build)  {figures['startup']:.1f} s")
        print(f"save → new value on screen  median {figures['median'] * 1000:.0f} ms, max {figures['max'] * 1000:.0f} ms "
              f"over {EDITS} edits")
        print(f"server peak memory          {figures['memory'] / 2**20:.0f} MB")
        print(f"cpu pressure now: {pressure()}")


if __name__ == "__main__":
    main()
