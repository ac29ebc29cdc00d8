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


def test_the_acknowledgement_benchmark_repeats_itself_and_keeps_the_budget() -> None:
    """bench/ack_volume.py on simulated time: the same seed prints the same figures, run after run."""
    runs = [subprocess.run([sys.executable, str(ROOT / "bench" / "ack_volume.py")], cwd=ROOT, capture_output=True,
                           text=True, timeout=300) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    last = runs[0].stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"acks: one a second (\d+), all within 30 s (\d+), spread over 3 h (\d+) bot messages for 300 "
                     r"orders, longest wait (\d+) s, exceptions within (\d+) s", last)
    assert m, last
    slow, fast, spread, longest, exceptions = map(int, m.groups())
    assert slow <= 15 and fast <= 15 and spread <= 30 and longest <= 300 and exceptions <= 60, last
    # The same trickle with copies forking (copiers typing): the merged list keeps within the budget too.
    forks = re.search(r"^spread over 3 h, copiers typing 5-30 s: .*\n  the group got (\d+) bot messages", runs[0].stdout,
                      re.MULTILINE)
    assert forks and int(forks.group(1)) <= 30, runs[0].stdout


def test_quick_web_benchmark_prints_its_summary_line() -> None:
    """The pickup page's cost: its render, and the message latency with and without ticks (bench/web_cost.py)."""
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "web_cost.py"), "--quick"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"web: page \d+ ms, p99 [\d.]+ ms without, [\d.]+ ms with 20 ticks/s \(ratio [\d.]+\)", last), last
