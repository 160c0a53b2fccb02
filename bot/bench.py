"""``python -m bot bench``: answer quality against the obvious alternatives, speed, scale and memory, in one run.

Quality is measured on the held-out half of the labeled set for the engine and for two baselines that answer
with the best-matching sentence of the brief: BM25 (bm25s, Snowball stemming) and rapidfuzz token_set_ratio.
Each baseline gets the abstention threshold that is best for it on that same set (generous to them).
"""

from __future__ import annotations

import gc
import json
import logging
import math
import random
import re
import statistics
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from rapidfuzz import fuzz, utils

from .core.engine import Engine
from .core.evaluation import Item, _norm, evaluate, load_items
from .core.loader import load_report
from .core.models import Knowledge, QAEntry
from .core.semantic import Encoder
from .core.store import QuestionRow

_SENTENCE = re.compile(r"(?<=[.!?\u201d])\s+(?=[A-Z\u201c\"])")


@dataclass(frozen=True, slots=True)
class Sentence:
    paragraph_id: str
    text: str


def sentences(knowledge: Knowledge) -> list[Sentence]:
    out = []
    for p in knowledge.brief.paragraphs():
        if p.section_id in ("front", "keywords"):
            out.append(Sentence(p.id, p.text))
            continue
        out += [Sentence(p.id, s) for s in _SENTENCE.split(p.text) if s.strip()]
    return out


def _baseline_correct(item: Item, s: Sentence) -> bool:
    if item.paragraphs and s.paragraph_id not in item.paragraphs:
        return False
    body = _norm(s.text)
    return all(any(_norm(alt) in body for alt in str(g).split("|") if alt.strip()) for g in item.must_contain)


def _best_threshold(scored: list[tuple[Item, float, bool]]) -> dict[str, float]:
    """Pick the abstention threshold that maximises overall accuracy for a baseline on this set."""
    cuts = sorted({s for _, s, _ in scored}) + [math.inf]
    best = None
    for cut in cuts:
        ins = [ok and s >= cut for i, s, ok in scored if i.in_scope]
        oos = [s < cut for i, s, _ in scored if not i.in_scope]
        overall = (sum(ins) + sum(oos)) / len(scored)
        if best is None or overall > best["overall"]:
            best = {"in_scope_correct": sum(ins) / max(1, len(ins)), "oos_abstained": sum(oos) / max(1, len(oos)),
                    "overall": overall, "threshold": cut}
    return {k: round(v, 4) if v != math.inf else None for k, v in best.items()}


def bm25_baseline(knowledge: Knowledge, items: Sequence[Item]) -> dict[str, float]:
    import bm25s
    import Stemmer

    logging.getLogger("bm25s").setLevel(logging.NOTSET)  # bm25s sets DEBUG on import; follow the CLI's -v instead

    sents = sentences(knowledge)
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([s.text for s in sents], stopwords="en", stemmer=stemmer, show_progress=False),
                    show_progress=False)
    scored = []
    for item in items:
        toks = bm25s.tokenize([item.q or " "], stopwords="en", stemmer=stemmer, show_progress=False)
        try:
            docs, scores = retriever.retrieve(toks, k=1, show_progress=False)
            idx, score = int(docs[0][0]), float(scores[0][0])
        except (ValueError, IndexError):
            idx, score = 0, 0.0
        scored.append((item, score, _baseline_correct(item, sents[idx])))
    return _best_threshold(scored)


def token_set_baseline(knowledge: Knowledge, items: Sequence[Item]) -> dict[str, float]:
    sents = sentences(knowledge)
    texts = [utils.default_process(s.text) for s in sents]
    scored = []
    for item in items:
        q = utils.default_process(item.q)
        best, best_i = 0.0, 0
        for i, t in enumerate(texts):
            sc = fuzz.token_set_ratio(q, t, processor=None, score_cutoff=best)
            if sc > best:
                best, best_i = sc, i
        scored.append((item, best, _baseline_correct(item, sents[best_i])))
    return _best_threshold(scored)


def _percentiles(samples_s: list[float]) -> tuple[float, float]:
    xs = sorted(samples_s)
    p50 = statistics.median(xs)
    p99 = xs[min(len(xs) - 1, math.ceil(0.99 * len(xs)) - 1)]
    return round(p50 * 1e6, 1), round(p99 * 1e6, 1)


def time_questions(engine: Engine, questions: Sequence[str], repeat: int = 3) -> tuple[float, float]:
    for q in questions:  # warm-up (stemmer and typo caches)
        engine.ask(q)
    samples = []
    clock = time.perf_counter
    for _ in range(repeat):
        for q in questions:
            t = clock()
            engine.ask(q)
            samples.append(clock() - t)
    return _percentiles(samples)


def synthetic_knowledge(knowledge: Knowledge, phrasings: int) -> Knowledge:
    """A knowledge base of about ``phrasings`` phrasings: the real entries plus copies of them about made-up
    subjects. In each copy about half of every phrasing's words are swapped for made-up words of that copy, so
    the copies share vocabulary with the real questions (posting lists grow as they would) without matching
    them as well as the real entries do: the real questions stay answerable."""
    real = list(knowledge.entries)
    per = sum(len(e.questions) for e in real)
    copies = max(0, math.ceil((phrasings - per) / per))
    entries: list[QAEntry] = list(real)
    for n in range(copies):
        tag = _nonce(n)
        for e in real:
            entries.append(replace(e, id=f"{e.id}-s{n}", related=(),
                                   questions=tuple(_swap(q, tag, f"{e.id}{j}{n}") for j, q in enumerate(e.questions))))
    return replace(knowledge, entries=tuple(entries))


def _swap(text: str, tag: str, salt: str) -> str:
    """About half of the words of ``text`` (chosen by a hash, so runs repeat) made into made-up words."""
    return " ".join(w + tag if zlib.crc32(f"{salt}{k}".encode()) & 1 else w for k, w in enumerate(text.split()))


def _nonce(n: int) -> str:
    letters = "bcdfghjklmnpqrstvwxz"
    out = ""
    n += 1
    while n:
        n, r = divmod(n, len(letters))
        out += letters[r] + "o"
    return "zq" + out


def _vm(field: str) -> int:
    """A memory figure of this process from /proc, in kB (0 where /proc is not there)."""
    try:
        m = re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text())
    except OSError:
        return 0
    return int(m.group(1)) if m else 0


def _rss_mb(code: str) -> float:
    """Peak resident memory of a fresh Python process running ``code``, in MB."""
    # VmHWM (the peak resident set) is reset by exec; ru_maxrss is not, and would report the parent's peak.
    probe = code + ("\nimport re\nprint(re.search(r'VmHWM:\\s+(\\d+)', "
                    "open('/proc/self/status').read()).group(1))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                         cwd=str(Path(__file__).resolve().parent.parent))
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "probe failed")
    return round(int(out.stdout.strip().splitlines()[-1]) / 1024, 1)


def _engine_probe(knowledge_dir: Path, semantic: bool) -> str:
    enc = "load_static_encoder()" if semantic else "None"
    return (f"from bot.core.loader import load_knowledge\nfrom bot.core.engine import Engine\n"
            f"from bot.core.semantic import load_static_encoder\n"
            f"e = Engine(load_knowledge({str(knowledge_dir)!r}), encoder={enc})\ne.ask('how long is pos2')\n"
            f"e.ask('who is the analyst behind this piece')\n")


def _bot_probe(knowledge_dir: Path, semantic: bool) -> str:
    return (_engine_probe(knowledge_dir, semantic) + "import discord\nfrom bot.discord_app.client import BriefBot\n"
            "b = BriefBot(e, sync_on_start=False)\n")


def synthetic_log(knowledge: Knowledge, n: int, seed: int = 7) -> list[QuestionRow]:
    """``n`` logged questions over 30 days: half answered (phrasings), half not, nearly all of those distinct
    (random words of the brief), the worst case for grouping."""
    rng = random.Random(seed)
    vocab = sorted({w for p in knowledge.brief.paragraphs() for w in p.text.lower().split() if w.isalpha()})
    phrasings = [(e.id, q) for e in knowledge.entries for q in e.questions]
    now = time.time()
    rows = []
    for i in range(n):
        ts = now - rng.random() * 30 * 86400
        if i % 2:
            entry, text = rng.choice(phrasings)
            rows.append(QuestionRow(i + 1, ts, "slash", 1, 2, "h", text, "answered", "qa", entry, 0.9, "v", 1.0))
        else:
            text = f"what about {' '.join(rng.choice(vocab) for _ in range(rng.randint(2, 5)))}?"
            status = "abstained" if i % 10 else "clarify"
            rows.append(QuestionRow(i + 1, ts, "slash", 1, 2, "h", text, status, None, None, 0.2, "v", 1.0))
    rows.sort(key=lambda r: r.ts)
    return rows


def time_report(engine: Engine, sizes: Sequence[int]) -> list[dict]:
    """The curator's report over ``sizes`` logged questions: the whole report, and the grouping alone (which
    grows with the log; the advice on the top groups does not)."""
    from .core.report import _group, build_report

    out = []
    for n in sizes:
        rows = synthetic_log(engine.knowledge, n)
        t, cpu = time.perf_counter(), time.process_time()
        groups = _group([r for r in rows if r.status != "answered"])
        grouping, grouping_cpu = time.perf_counter() - t, time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        build_report(rows, [], engine, limit=20)
        out.append({"questions": n, "groups": len(groups), "grouping_s": round(grouping, 2),
                    "grouping_cpu_s": round(grouping_cpu, 2), "report_s": round(time.perf_counter() - t, 2),
                    "report_cpu_s": round(time.process_time() - cpu, 2)})
    return out


def run_bench(knowledge_dir: Path, labeled: Sequence[Path], scales: Sequence[int] = (10_000, 100_000),
              progress: Callable[[str], None] = lambda s: None, encoder: Encoder | None = None,
              report_sizes: Sequence[int] = (10_000, 100_000)) -> dict:
    """``encoder``: reading by meaning, as the bot runs it (None: words alone)."""
    started = time.perf_counter()
    t = time.perf_counter()
    report = load_report(knowledge_dir)
    load_ms = (time.perf_counter() - t) * 1000
    knowledge = report.knowledge
    t = time.perf_counter()
    engine = Engine(knowledge, encoder=encoder)
    index_ms = (time.perf_counter() - t) * 1000
    # the untouched sets by default: questions that fed nothing (no training, no threshold, no curation)
    items = [i for path in labeled for i in load_items(path)]
    progress("quality: engine")
    r = evaluate(engine, items)
    quality = {"engine": {"in_scope_correct": round(r.in_scope_correct, 4),
                          "oos_abstained": round(r.oos_abstained, 4), "overall": round(r.overall, 4)}}
    if encoder is not None:  # what the semantic reading adds
        r = evaluate(Engine(knowledge), items)
        quality["engine_lexical"] = {"in_scope_correct": round(r.in_scope_correct, 4),
                                     "oos_abstained": round(r.oos_abstained, 4), "overall": round(r.overall, 4)}
    progress("quality: bm25 baseline")
    try:
        quality["bm25"] = bm25_baseline(knowledge, items)
    except ImportError:
        quality["bm25"] = {"error": "bm25s is not installed: pip install -e '.[bench]'"}
    progress("quality: token_set baseline")
    quality["token_set"] = token_set_baseline(knowledge, items)
    questions = [i.q for i in items]
    progress("latency on the shipped knowledge")
    p50, p99 = time_questions(engine, questions, repeat=5)
    scale = []
    in_scope = [i for i in items if i.in_scope]
    for n in scales:
        progress(f"scale: {n} phrasings")
        big = synthetic_knowledge(knowledge, n)
        gc.collect()
        before = _vm("VmRSS")
        t = time.perf_counter()
        big_engine = Engine(big, encoder=encoder)
        build_ms = (time.perf_counter() - t) * 1000
        grown = max(0, _vm("VmRSS") - before)
        bp50, bp99 = time_questions(big_engine, questions, repeat=1)
        still = evaluate(big_engine, in_scope).in_scope_correct
        scale.append({"phrasings": sum(len(e.questions) for e in big.entries), "p50_us": bp50, "p99_us": bp99,
                      "index_ms": round(build_ms, 1), "rss_mb": round(grown / 1024, 1),
                      "in_scope_correct": round(still, 4)})
        del big_engine, big
    progress(f"report: {', '.join(f'{n:,}' for n in report_sizes)} logged questions")
    report_times = time_report(engine, report_sizes)
    progress("memory")
    semantic = encoder is not None
    rss = {"engine": _rss_mb(_engine_probe(knowledge_dir, semantic)),
           "bot": _rss_mb(_bot_probe(knowledge_dir, semantic))}
    return {
        "quality": quality,
        "latency_us": {"p50": p50, "p99": p99},
        "load_ms": round(load_ms, 1),
        "index_ms": round(index_ms, 1),
        "scale": scale,
        "report": report_times,
        "rss_mb": rss,
        "questions": len(items),
        "semantic": encoder is not None,
        "seconds": round(time.perf_counter() - started, 1),
    }


def format_bench(result: dict) -> str:
    q = result["quality"]
    lines = [f"Quality on the untouched sets ({result['questions']} questions):",
             f"  {'':14} {'in-scope correct':>17} {'out-of-scope abstained':>23} {'overall':>8}"]
    for name in ("engine", "engine_lexical", "bm25", "token_set"):
        if name not in q:
            continue
        m = q[name]
        if "error" in m:
            lines.append(f"  {name:14} {m['error']}")
            continue
        label = "words alone" if name == "engine_lexical" else name
        lines.append(f"  {label:14} {m['in_scope_correct']:>17.1%} {m['oos_abstained']:>23.1%} {m['overall']:>8.1%}")
    best = max((q[n]["overall"] for n in ("bm25", "token_set") if "overall" in q[n]), default=0.0)
    lines.append(f"  engine leads the better baseline by {(q['engine']['overall'] - best) * 100:.1f} points")
    lines.append(f"Speed: load + validate {result['load_ms']:.0f} ms, index {result['index_ms']:.0f} ms, "
                 f"per question p50 {result['latency_us']['p50']:.0f} \u00b5s, p99 {result['latency_us']['p99']:.0f} \u00b5s")
    lines.append("Scale (synthetic knowledge bases):")
    for s in result["scale"]:
        lines.append(f"  {s['phrasings']:>7} phrasings: index {s['index_ms']:.0f} ms, {s['rss_mb']:.0f} MB, "
                     f"p50 {s['p50_us']:.0f} \u00b5s, p99 {s['p99_us']:.0f} \u00b5s, "
                     f"real questions still right {s['in_scope_correct']:.1%}")
    for r in result.get("report", []):
        lines.append(f"Report over {r['questions']:,} logged questions: {r['report_s']:.1f} s ({r['report_cpu_s']:.1f} s "
                     f"CPU); grouping alone {r['grouping_s']:.1f} s ({r['grouping_cpu_s']:.1f} s CPU) into "
                     f"{r['groups']:,} groups, the rest is the advice on the top 20")
    lines.append(f"Memory (peak RSS): engine {result['rss_mb']['engine']} MB, bot with discord.py "
                 f"{result['rss_mb']['bot']} MB")
    lines.append(f"Bench took {result['seconds']} s")
    return "\n".join(lines)


def to_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False)
