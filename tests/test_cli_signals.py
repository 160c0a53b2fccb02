"""`ask --log` stopped by a signal (issue 13, item 16): Ctrl-C prints no traceback, SIGTERM loses no row. Real
subprocesses, real signals; bounded by timeouts, no timing assertions."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ask_log_stopped_by_a_signal_writes_every_answered_row(tmp_path, sig, code):
    data = tmp_path / "data"
    env = {**os.environ, "BRIEFBOT_DATA": str(data), "BRIEFBOT_HASH_KEY": "", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "ask", "--log", "--json", "-"], cwd=tmp_path, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        n = 40
        for i in range(n):
            proc.stdin.write(f"how long is pos2 {i}\n")
        proc.stdin.flush()
        answered = [proc.stdout.readline() for _ in range(n)]  # every one answered (and queued for the log)
        assert all(line.startswith("{") for line in answered)
        proc.send_signal(sig)  # while it waits for the next line, stdin still open
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, err
    assert "Traceback" not in err, err
    conn = sqlite3.connect(data / "briefbot.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == n
    conn.close()
