"""The tools built on the stand-in: ``bench --discord`` runs end to end (a short load, every interaction answered
once, the question log matching what was asked; the figures are the bench's to print, not to assert), and the
``python -m tests.fakediscord --demo`` terminal."""

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


def test_the_demo_terminal_shows_the_bots_reply_and_clicks_a_button():
    typed = "how long is the power of siberia 2 pipeline?\n1\nquit\n"
    run = subprocess.run([sys.executable, "-m", "tests.fakediscord", "--demo"], cwd=ROOT, input=typed,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    first, passage = run.stdout.split("you> briefbot>")[1:3]
    assert "2,600 km" in first and "[1] \U0001f4c4 Show passage" in first
    assert "(only you can see this)" in passage and "50 billion cubic meters" in passage
