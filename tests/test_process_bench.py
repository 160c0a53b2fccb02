"""``bench --discord`` runs end to end: a short load through the stand-in, every interaction answered once,
the question log matching what was asked (the figures themselves are the bench's to print, not to assert)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fakediscord.botproc import ROOT

pytestmark = pytest.mark.slow


def test_bench_discord_answers_everything_and_the_rows_match():
    run = subprocess.run([sys.executable, "-m", "bot", "bench", "--discord", "--count", "30", "--duration", "2",
                          "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["answered"] == 30 and result["answered_twice"] == 0
    assert result["rows"] == 30 and result["rows_match"] is True
    assert result["integrity"] == "ok" and result["exit_code"] == 0
    lat = result["latency_ms"]
    assert 0 < lat["p50"] <= lat["p99"] <= lat["max"]
    assert result["worst_loop_stall_ms"] >= 0
