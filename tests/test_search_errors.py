"""Pagefind's failures reach the clerk as a Chinese error (issue 25): what failed, that the site
is as it was, what to do; Pagefind's own last words only after “Pagefind 的原始输出”, for a bug
report, never a Rust panic as the message. Each failure is played by a fake Pagefind (a small
script in PAGEFIND_BINARY_PATH) that answers ``--version`` like 1.6.0 and then fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE, REPO
from site_builder.search import SearchError, index_site
from site_builder.write import WriteError

PANIC = """echo "Running Pagefind v1.6.0 (Extended)"
echo "thread 'main' panicked at pagefind/src/fossick/mod.rs:211:14:" >&2
echo 'called `Result::unwrap()` on an `Err` value: Utf8Error { valid_up_to: 3, error_len: Some(1) }' >&2
echo "note: run with \\`RUST_BACKTRACE=1\\` environment variable to display a backtrace" >&2
exit 101"""
DISK_FULL = """echo "thread 'main' panicked at pagefind/src/output/mod.rs:380:22:" >&2
echo 'called `Result::unwrap()` on an `Err` value: Os { code: 28, kind: StorageFull, message: "No space left on device" }' >&2
echo "note: run with \\`RUST_BACKTRACE=1\\` environment variable to display a backtrace" >&2
exit 101"""
FAILURES = {
    "panic": PANIC,
    "SIGKILL": "kill -KILL $$",                     # the kernel's out-of-memory killer, or kill -9
    "SIGTERM": "kill -TERM $$",
    "exit 1": 'echo "Error: Provided glob \\"{x\\" did not parse as a valid glob." >&2\nexit 1',
    "disk full": DISK_FULL,
}


def fake_pagefind(folder: Path, failure: str) -> Path:
    script = folder / "pagefind_extended"
    script.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pagefind 1.6.0"; exit 0; fi\n{failure}\n',
                      encoding="utf-8")
    script.chmod(0o755)
    return script


@pytest.fixture
def site(tmp_path) -> Path:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html><body data-pagefind-body>公务用车</body></html>",
                                                  encoding="utf-8")
    return tmp_path / "site"


def failure_of(site: Path, failure: str, bundle: Path | None) -> SearchError | WriteError:
    binary = fake_pagefind(site.parent, FAILURES[failure])
    with pytest.raises((SearchError, WriteError)) as raised:
        index_site(site, binary=binary, bundle=bundle)
    return raised.value


def assert_clear(error, kept: bool = True) -> None:
    """Chinese, no English or panic in the message, the old site said unchanged (when the index
    was built beside it), and something to do."""
    assert error.problem.startswith(("生成搜索索引失败：", "磁盘空间不足")), error.problem
    for english in ("panicked", "RUST_BACKTRACE", "thread", "unwrap", "Error", "code:"):
        assert english not in error.problem, error.problem
    assert "RUST_BACKTRACE" not in error.hint
    assert ("原来的网站没有改动" in error.hint) is kept, error.hint


@pytest.mark.parametrize("failure", ["panic", "SIGKILL", "SIGTERM", "exit 1"])
def test_a_failed_pagefind_is_a_chinese_search_error(site, tmp_path, failure):
    error = failure_of(site, failure, tmp_path / "bundle")
    assert type(error) is SearchError
    assert_clear(error)
    assert "--no-search" in error.hint


def test_a_panic_says_pagefind_crashed_and_keeps_its_words_for_a_report(site, tmp_path):
    error = failure_of(site, "panic", tmp_path / "bundle")
    assert error.problem == "生成搜索索引失败：Pagefind 搜索索引工具内部出错（程序崩溃）"
    report = error.hint.split("Pagefind 的原始输出（报告问题时请附上）：")[1]
    assert report == ("thread 'main' panicked at pagefind/src/fossick/mod.rs:211:14: "
                      "called `Result::unwrap()` on an `Err` value: Utf8Error { valid_up_to: 3, error_len: Some(1) }")


def test_a_killed_pagefind_names_the_signal_and_the_likely_cause(site, tmp_path):
    error = failure_of(site, "SIGKILL", tmp_path / "bundle")
    assert error.problem.startswith("生成搜索索引失败：Pagefind 搜索索引工具被系统强行终止（SIGKILL")
    assert "内存不足" in error.hint and "--search-shard-size" in error.hint
    error = failure_of(site, "SIGTERM", tmp_path / "bundle")
    assert error.problem.startswith("生成搜索索引失败：Pagefind 搜索索引工具被终止（SIGTERM")


def test_another_exit_gives_the_code_and_pagefinds_last_line(site, tmp_path):
    error = failure_of(site, "exit 1", tmp_path / "bundle")
    assert error.problem == "生成搜索索引失败：Pagefind 搜索索引工具出错退出（退出码 1）"
    assert error.hint.endswith('Pagefind 的原始输出（报告问题时请附上）：Error: Provided glob "{x" did not parse as a valid glob.')


def test_a_full_disk_is_a_write_error_naming_the_folder(site, tmp_path):
    """(The build adds what became of the output, as for every refused write.)"""
    error = failure_of(site, "disk full", tmp_path / "bundle")
    assert type(error) is WriteError
    assert error.problem.startswith("磁盘空间不足：写入") and "bundle" in error.problem
    assert_clear(error, kept=False)


def test_an_index_written_into_the_site_does_not_claim_the_site_unchanged(site):
    """The preview indexes in place (no bundle beside the site): a failure may have left part of
    an index, so the error does not say the site is as it was."""
    assert_clear(failure_of(site, "panic", None), kept=False)


def test_a_build_whose_pagefind_panics_prints_the_chinese_error(tmp_path):
    """Through the command line: exit 1, the Chinese message, no traceback, no panic as the message."""
    binary = fake_pagefind(tmp_path, PANIC)
    result = subprocess.run([sys.executable, "-m", "site_builder.cli", "build", str(EXAMPLE),
                             "--out", str(tmp_path / "output")], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PAGEFIND_BINARY_PATH": str(binary), "PYTHONPATH": str(REPO)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    first = result.stderr.strip().splitlines()[0]
    assert "生成搜索索引失败：Pagefind 搜索索引工具内部出错（程序崩溃）" in first and "panicked" not in first
    assert "原来的网站没有改动" in result.stderr
