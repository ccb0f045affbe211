"""Province scale: a full build of N synthetic disclosures (SYNTHETIC DATA, tests/synthetic.py),
then its search index, with the cost per document against the smallest size measured.

For each size, in its own folder under ``--work``:

1. ``site-builder build --clean --no-search`` as a command: wall time, CPU time of every
   process, peak memory of all processes together (PSS, sampled every 50 ms, as
   benchmarks/build.py does), and CPU per document ÷ that of the first size in the run.
2. ``site-builder build`` again on the same output with search on: nothing to render, so this
   is the search stage alone (Pagefind in shards of ``--search-shard-size`` pages, one run after
   another, and the fragments rewritten); the same figures (Pagefind is one of the processes).
3. In Chromium, the bytes the search page fetches for the first query (page, script,
   WebAssembly, every shard's metadata, the index chunks, the first results' excerpts) and
   for a second query on the same page, with gzip on text files as nginx would send them.

    python benchmarks/scale.py [--sizes 1000 50000] [--work DIR] [--skip-search]

Needs `npm ci` (Pagefind) and, for step 3, Chromium (/usr/bin/chromium) with pip playwright.
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from build import pressure, run, tree  # noqa: E402
from synthetic import ensure  # noqa: E402


def first_query(site: Path, first: str = "公务用车", later: str = "医疗救助资金") -> dict[str, int]:
    """Bytes fetched (raw, and as sent with gzip on text files) for a first and a later query."""
    from playwright.sync_api import sync_playwright

    from conftest import ARGS, CHROMIUM, serve

    figures: dict[str, int] = {}
    with serve(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        fetched: list[tuple[int, int]] = []

        def on_response(response) -> None:
            try:
                body = response.body()
            except Exception:  # redirects and aborted requests carry no body
                return
            text = re.search(r"\.(html|js|css|json|pf_meta)$", response.url.split("?")[0])
            fetched.append((len(body), len(gzip.compress(body, 9)) if text else len(body)))

        page.on("response", on_response)
        started = time.perf_counter()
        page.goto(f"{base}search/index.html?q={quote(first)}")
        page.wait_for_selector("#search-results[data-ready]", timeout=600000)
        figures["first_ms"] = round((time.perf_counter() - started) * 1000)
        figures["first_raw"] = sum(raw for raw, _ in fetched)
        figures["first_wire"] = sum(wire for _, wire in fetched)
        figures["first_results"] = page.locator("#search-results li").count()
        fetched.clear()
        page.locator("#q").fill(later)
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.querySelector('#search-results').dataset.query === {later!r}"
                               " && document.querySelector('#search-results').dataset.ready", timeout=600000)
        figures["later_raw"] = sum(raw for raw, _ in fetched)
        figures["later_wire"] = sum(wire for _, wire in fetched)
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 50000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-scale"))
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--search-shard-size", type=int, default=None)
    parser.add_argument("--skip-search", action="store_true", help="only the full builds")
    args = parser.parse_args()
    compileall.compile_dir(REPO / "site_builder", quiet=1)
    ours = [sys.executable, "-m", "site_builder.cli", "build", "-q"] + \
        (["--jobs", str(args.jobs)] if args.jobs else []) + \
        (["--search-shard-size", str(args.search_shard_size)] if args.search_shard_size else [])
    print(f"cpus {os.cpu_count()}; cpu pressure {pressure()}", flush=True)
    base_cpu = None
    for size in args.sizes:
        work = args.work / f"n{size}"
        work.mkdir(parents=True, exist_ok=True)
        content, out = work / "content", work / "out"
        started = time.perf_counter()
        ensure(content, size, seed=size)
        print(f"\n== {size} documents (content ready in {time.perf_counter() - started:.0f} s); "
              f"cpu pressure {pressure()}", flush=True)
        full = run(ours + [str(content), "--out", str(out), "--clean", "--no-search"])
        per_doc = full["cpu"] / size * 1000
        base_cpu = base_cpu or per_doc
        files, size_bytes = tree(out)
        print(f"full build (no search)  wall {full['wall']:.1f} s, cpu {full['cpu']:.1f} s, "
              f"peak {full['pss_mb']:.0f} MB (all processes); cpu {per_doc:.1f} ms a document, "
              f"{per_doc / base_cpu:.2f} × the first size's; {files} files, {size_bytes / 2**30:.2f} GB", flush=True)
        print(f"cpu pressure {pressure()}", flush=True)
        if args.skip_search:
            continue
        index = run(ours + [str(content), "--out", str(out)])
        print(f"search stage            wall {index['wall']:.1f} s, cpu {index['cpu']:.1f} s, "
              f"peak {index['pss_mb']:.0f} MB (all processes, Pagefind included); "
              f"cpu {index['cpu'] / size * 1000:.1f} ms a document", flush=True)
        figures = first_query(out)
        print(f"first query (公务用车)  {figures['first_wire'] / 1024:.0f} KB with gzip on text, "
              f"{figures['first_raw'] / 1024:.0f} KB raw, {figures['first_ms']} ms to results, "
              f"{figures['first_results']} results shown", flush=True)
        print(f"later query             {figures['later_wire'] / 1024:.0f} KB with gzip, "
              f"{figures['later_raw'] / 1024:.0f} KB raw", flush=True)
        print(f"cpu pressure {pressure()}", flush=True)
        subprocess.run(["du", "-sh", str(out / "pagefind")], check=False)


if __name__ == "__main__":
    main()
