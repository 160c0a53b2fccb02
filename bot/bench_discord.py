"""``python -m bot bench --discord``: the real bot process under a steady load of slash commands.

The local Discord stand-in (tests/fakediscord, so this needs a checkout of the repository) runs in this process;
``python -m bot run`` runs as a subprocess pointed at it, exactly as in the process tests. Interactions are sent
at an even pace; each one's time runs from the moment the stand-in sends the INTERACTION_CREATE to the moment the
bot's callback arrives (both on the stand-in's clock, so queueing in the bot is included). The bot reports its
worst event-loop stall when it stops; the question log is then read back and compared with what was asked.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

from .core.store import DB_NAME

ROOT = Path(__file__).resolve().parent.parent
STAND_IN = ROOT / "tests" / "fakediscord"


class BenchError(RuntimeError):
    pass


def _stand_in():
    if not STAND_IN.is_dir():
        raise BenchError(f"bench --discord needs the local Discord stand-in ({STAND_IN}): run it from a checkout "
                         "of the repository.")
    if str(STAND_IN.parent) not in sys.path:
        sys.path.insert(0, str(STAND_IN.parent))
    import fakediscord
    from fakediscord.botproc import BotProcess

    return fakediscord.FakeDiscord, BotProcess


def _percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(q * len(sorted_ms)) - 1))]


def run_discord_bench(questions: Sequence[str], *, count: int = 1000, duration: float = 60.0,
                      semantic: bool = True, progress: Callable[[str], None] | None = None) -> dict:
    FakeDiscord, BotProcess = _stand_in()
    say = progress or (lambda _: None)
    asked: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="briefbot-bench-") as tmp, FakeDiscord() as fake:
        with BotProcess(fake, Path(tmp), semantic=semantic) as bot:
            bot.wait_ready(timeout=60)
            say(f"bot ready; sending {count} interactions over {duration:.0f} s")
            start = time.monotonic()
            for i in range(count):
                wait = start + i * duration / count - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                question = questions[i % len(questions)]
                asked[fake.slash(question, user_id=1_000_000 + i)] = question  # one user each: no cooldown
                if progress and i and i % max(1, count // 10) == 0:
                    say(f"{i} sent")
            sent_in = time.monotonic() - start
            fake.wait_for(lambda: len({r.path for r in fake.callbacks() if r.status == 200}) >= count,
                          timeout=60, what="every callback")
            callbacks = [r for r in fake.callbacks() if r.status == 200]
            bot.send_signal(signal.SIGTERM)
            code = bot.wait(30)
            stall = bot.wait_log(r"event loop: worst stall (\d+) ms since ready", timeout=5)
        conn = sqlite3.connect(Path(tmp) / "data" / DB_NAME)
        try:
            rows = [q for (q,) in conn.execute("SELECT question FROM questions")]
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
    per_interaction = Counter(r.path.split("/")[2] for r in callbacks)
    latencies = sorted((r.at - fake.dispatched[r.path.split("/")[2]]) * 1000 for r in callbacks)
    return {
        "interactions": count, "duration_s": round(sent_in, 1), "semantic": semantic,
        "answered": len(per_interaction), "answered_twice": sum(1 for n in per_interaction.values() if n > 1),
        "latency_ms": {"p50": round(statistics.median(latencies), 1), "p99": round(_percentile(latencies, 0.99), 1),
                       "max": round(latencies[-1], 1)},
        "worst_loop_stall_ms": int(stall.group(1)),
        "rows": len(rows), "rows_match": Counter(rows) == Counter(asked.values()), "integrity": integrity,
        "exit_code": code,
    }


def format_discord_bench(r: dict) -> str:
    lat = r["latency_ms"]
    return "\n".join([
        f"bench --discord: {r['interactions']} /ask interactions over {r['duration_s']:.0f} s, real `python -m bot "
        f"run` against the local Discord stand-in (matching: {'semantic on' if r['semantic'] else 'lexical'})",
        f"  answered:               {r['answered']}/{r['interactions']} ({r['answered_twice']} twice)",
        f"  dispatch -> callback:   p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms",
        f"  worst event-loop stall: {r['worst_loop_stall_ms']} ms",
        f"  question log:           {r['rows']} rows, {'matching' if r['rows_match'] else 'NOT matching'} the "
        f"questions asked; integrity_check {r['integrity']}; exit code {r['exit_code']}",
    ])


def to_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False)
