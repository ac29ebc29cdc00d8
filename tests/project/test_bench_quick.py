"""The load benchmark still runs end to end (the full run is not a test: see README)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a process running the load benchmark

ROOT = Path(__file__).resolve().parents[2]


def test_quick_load_benchmark_prints_its_summary_line() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"bench: \d+ msg/s, p99 [\d.]+ ms, rss \d+ MB", last), last


def test_quick_drop_benchmark_never_oversells() -> None:
    """One drop over several groups with its 限量 racing from all of them: the shared stock holds."""
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "drop_cost.py"), "--quick"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"drop: \d+ msg/s, p99 [\d.]+ ms, 汇总 \d+ ms, oversold 0", last), last


def test_quick_web_benchmark_prints_its_summary_line() -> None:
    """The pickup page's cost: its render, and the message latency with and without ticks (bench/web_cost.py)."""
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "web_cost.py"), "--quick"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"web: page \d+ ms, p99 [\d.]+ ms without, [\d.]+ ms with 20 ticks/s \(ratio [\d.]+\)", last), last
