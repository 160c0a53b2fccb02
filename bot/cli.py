"""The command line: ``python -m bot`` / ``briefbot``. Uses the same core as the Discord bot."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, TextIO

from .core.engine import Engine
from .core.evaluation import LabeledSetError, evaluate, load_items
from .core.loader import KnowledgeError, LoadReport, load_report
from .core.models import Status
from .core.render import answer_to_json, answer_to_text
from .core.store import HashKeyError
from .core.text import looks_like_follow_up

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE = PACKAGE_ROOT / "knowledge"
DEFAULT_LABELED = PACKAGE_ROOT / "tests" / "data" / "questions.yaml"


def knowledge_dir(arg: str | None) -> Path:
    """--knowledge, else $BRIEFBOT_KNOWLEDGE, else the repository's knowledge/ folder."""
    return Path(arg or os.environ.get("BRIEFBOT_KNOWLEDGE") or DEFAULT_KNOWLEDGE)


def _encoder(args: argparse.Namespace):
    """The semantic reading's encoder for this command, loaded once per run (None: the lexical rules alone),
    and the line that says which matcher is in use."""
    from .core.semantic import SemanticDataError, load_static_encoder

    cached = getattr(args, "_encoder", None)
    if cached is not None:
        return cached
    flag = (os.environ.get("BRIEFBOT_SEMANTIC") or "1").strip().lower()
    if getattr(args, "lexical", False) or flag in {"0", "false", "no", "off"}:
        result = (None, "matching: lexical rules alone (--lexical or BRIEFBOT_SEMANTIC=0)")
    else:
        try:
            enc = load_static_encoder()
            result = (enc, f"matching: lexical rules, then the semantic reading ({enc.name})")
        except SemanticDataError as exc:
            result = (None, f"matching: lexical rules alone; the semantic reading is off: {exc}")
            log.warning("%s", result[1])
    args._encoder = result
    return result


def _engine(args: argparse.Namespace, knowledge) -> Engine:
    return Engine(knowledge, encoder=_encoder(args)[0])


def _load(args: argparse.Namespace, err: TextIO) -> LoadReport | None:
    try:
        return load_report(knowledge_dir(args.knowledge))
    except KnowledgeError as exc:
        print(exc.summary(), file=err)
        print("Fix the files above (or point --knowledge / BRIEFBOT_KNOWLEDGE at a valid folder); "
              "`python -m bot check` lists the same problems.", file=err)
        return None


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    report = _load(args, err)
    if report is None:
        return 1
    k = report.knowledge
    ms = (time.perf_counter() - started) * 1000
    n_phr = sum(len(e.questions) for e in k.entries)
    total = len(k.brief.paragraphs())
    print(f"OK: knowledge {k.version} is valid ({ms:.0f} ms)", file=out)
    print(f"  {len(k.entries)} Q&A entries ({n_phr} phrasings), {len(k.facts)} facts, {len(k.topics)} topics, "
          f"{len(k.aliases)} aliases", file=out)
    print(f"  coverage: {total - len(report.uncited)}/{total} paragraphs cited", file=out)
    for p in report.uncited:
        print(f"  not cited: {p.id} ({p.ref}): {p.text[:70]}", file=out)
    engine = _engine(args, k)
    print(f"  {_encoder(args)[1]}", file=out)
    conflicts = engine.conflicts()
    if conflicts:
        print(f"  {len(conflicts)} near misses read like a phrasing (the bot abstains on both; reword one):", file=out)
    for nm_entry, nm, entry, phrasing in conflicts:
        print(f"    near miss {nm!r} [{nm_entry}] ~ phrasing {phrasing!r} [{entry}]", file=out)
    if args.phrasings:
        _print_outliers("phrasings answered with their own entry", sum(len(e.questions) for e in k.entries),
                        engine.self_check(), out)
        _print_outliers("near misses the bot abstains on", sum(len(qs) for _, qs in k.near_misses),
                        engine.near_miss_check(), out)
    return 0


def _print_outliers(title: str, total: int, outliers: list[tuple[str, str, str, str | None]], out: TextIO) -> None:
    """'title: ok/total', then each question that did not do what it should: [where it is filed] and what came."""
    print(f"  {title}: {total - len(outliers)}/{total}", file=out)
    for key, question, status, other in outliers:
        got = f"answered with {other}" if status == "answered" else status
        print(f"    [{key}] {question!r}: {got}", file=out)


def _questions(args: argparse.Namespace, stdin: TextIO) -> Iterable[str]:
    if args.question == ["-"]:
        for line in stdin:
            yield line.rstrip("\r\n")
    else:
        yield " ".join(args.question)


def _cli_log(args: argparse.Namespace, err: TextIO):
    """With --log, questions asked at the command line go to the question log too (source "cli")."""
    if not getattr(args, "log", False):
        return None
    settings = _discord_settings(args, err, require_token=False)
    return _question_log(settings) if settings is not None else None


def _ask_logged(engine: Engine, question: str, qlog, previous: str | None = None):
    """Answer (and log, with --log). ``previous``: the entry or fact the last answer came from, for a follow-up
    ("and how long is it?") that the question alone does not answer."""
    started = time.perf_counter()
    answer = engine.ask(question)
    if previous and answer.status is not Status.ANSWERED and looks_like_follow_up(question):
        follow = engine.follow_up(question, previous)
        if follow.status is Status.ANSWERED:
            answer = follow
    if qlog is not None:
        from .core.store import new_question_id

        qlog.record_question(new_question_id(), answer, source="cli", guild_id=None, channel_id=None, user_id=None,
                             kb_version=engine.knowledge.version,
                             elapsed_ms=(time.perf_counter() - started) * 1000)
    return answer


def cmd_ask(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    report = _load(args, err)
    if report is None:
        return 1
    engine = _engine(args, report.knowledge)
    qlog = _cli_log(args, err)
    first = True
    stop = _SignalStop()
    with stop:
        try:
            for q in _questions(args, stdin):
                answer = _ask_logged(engine, q, qlog)
                if args.json:
                    out.write(answer_to_json(answer) + "\n")
                else:
                    if not first:
                        out.write("\n" + "-" * 40 + "\n")
                    out.write(answer_to_text(answer, report.knowledge.brief.meta) + "\n")
                out.flush()
                first = False
        except _Stopped:
            pass
        finally:  # every answered question's row is written before the process ends, however it ends
            stop.deferred = True  # a second signal now waits for the log to close
            if qlog is not None:
                qlog.close()
    return stop.code


class _Stopped(Exception):
    """Ctrl-C or SIGTERM while a command runs."""


class _SignalStop:
    """While active, SIGINT and SIGTERM stop the command quietly (no traceback), with the shell's exit code for
    the signal (130, 143) in ``code``. Once ``deferred`` is set (the command is closing its files), a signal is
    only noted. The previous handlers come back on exit. Only in the main thread: elsewhere it does nothing."""

    def __init__(self) -> None:
        self.code = 0
        self.deferred = False
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        first = self.code == 0
        self.code = self.code or 128 + signum
        if first and not self.deferred:
            raise _Stopped()

    def __enter__(self) -> "_SignalStop":
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def cmd_chat(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO,
             prompt: Callable[[str], str] = input) -> int:
    report = _load(args, err)
    if report is None:
        return 1
    engine = _engine(args, report.knowledge)
    qlog = _cli_log(args, err)
    meta = report.knowledge.brief.meta
    print(f"Ask about \u201c{meta.title}\u201d ({meta.series} Vol.{meta.volume} No.{meta.number}, {meta.year}).",
          file=out)
    print("Type a question; 'quit' or Ctrl-D to leave. A short follow-up (\"and how long is it?\") is read "
          "with the last answer.", file=out)
    previous: str | None = None
    try:
        while True:
            try:
                q = prompt("> ")
            except (EOFError, KeyboardInterrupt):
                print(file=out)
                return 0
            if q.strip().casefold() in {"quit", "exit", ":q"}:
                return 0
            if not q.strip():
                continue
            answer = _ask_logged(engine, q, qlog, previous)
            if answer.status is Status.ANSWERED:
                previous = answer.match.id
            print(answer_to_text(answer, meta), file=out)
            print(file=out)
    finally:
        if qlog is not None:
            qlog.close()


def cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = _load(args, err)
    if report is None:
        return 1
    try:
        items = load_items(args.file or DEFAULT_LABELED)
    except LabeledSetError as exc:
        print(str(exc), file=err)
        return 1
    if args.split != "all":
        items = [i for i in items if i.split == args.split]
    engine = _engine(args, report.knowledge)
    result = evaluate(engine, items)
    summary = result.summary()
    if args.json:
        summary["misses"] = [{"q": o.item.q, "in_scope": o.item.in_scope, "status": o.answer.status.value,
                              "reason": o.reason} for o in result.misses()]
        print(json.dumps(summary, ensure_ascii=False), file=out)
        return 0
    print(f"labeled set: {args.file or DEFAULT_LABELED} (split: {args.split})", file=out)
    print(f"  questions:            {summary['questions']} ({summary['in_scope']} in scope, "
          f"{summary['out_of_scope']} out of scope)", file=out)
    print(f"  in-scope correct:     {summary['in_scope_correct']:.1%}", file=out)
    print(f"  in-scope answered:    {summary['answered_rate']:.1%}", file=out)
    print(f"  out-of-scope abstain: {summary['oos_abstained']:.1%}", file=out)
    print(f"  overall:              {summary['overall']:.1%}", file=out)
    print(f"  citations verbatim:   {summary['citation_validity']:.1%}", file=out)
    misses = result.misses()
    if misses:
        print(f"misses ({len(misses)}):", file=out)
        for o in misses:
            scope = "in " if o.item.in_scope else "out"
            print(f"  [{scope}] {o.item.q!r}: {o.reason}", file=out)
    return 0


def _discord_settings(args: argparse.Namespace, err: TextIO, *, require_token: bool = True):
    from dotenv import find_dotenv, load_dotenv

    from .settings import Settings, SettingsError

    load_dotenv(find_dotenv(usecwd=True), override=False)
    try:
        settings = Settings.from_env(require_token=require_token)
    except SettingsError as exc:
        print(str(exc), file=err)
        return None
    if args.knowledge:
        from dataclasses import replace

        settings = replace(settings, knowledge_dir=Path(args.knowledge))
    if args.command in ("run", "sync"):  # the bot's own log level; the other commands stay quiet unless -v
        logging.getLogger().setLevel(logging.DEBUG if args.verbose else settings.log_level)
        logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLogger().level))
    return settings


def _question_log(settings):
    from .core.store import DB_NAME, NullLog, QuestionLog, load_or_create_key

    if not settings.log_questions:
        return NullLog()
    key = load_or_create_key(settings.data_dir, settings.hash_key)
    return QuestionLog(settings.data_dir / DB_NAME, key, retention_days=settings.retention_days)


def _engine_for(args: argparse.Namespace, settings, err: TextIO) -> Engine | None:
    try:
        return _engine(args, load_report(settings.knowledge_dir).knowledge)
    except KnowledgeError as exc:
        print(exc.summary(), file=err)
        return None


def _settings_and_engine(args: argparse.Namespace, err: TextIO, *, require_token: bool = True):
    """Settings and a validated engine, or the exit code: 2 for bad settings, 1 for bad knowledge."""
    settings = _discord_settings(args, err, require_token=require_token)
    if settings is None:
        return 2
    engine = _engine_for(args, settings, err)
    if engine is None:
        return 1
    return settings, engine


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import asyncio

    from .discord_app.client import BriefBot
    from .discord_app.runner import StartupError, run_bot

    from .core.loader import knowledge_stamp

    settings = _discord_settings(args, err)
    if settings is None:
        return 2
    stamp = knowledge_stamp(settings.knowledge_dir) if args.watch else None  # before loading: no edit slips by
    engine = _engine_for(args, settings, err)
    if engine is None:
        return 1
    bot = BriefBot(engine, guild_id=settings.guild_id, channels=settings.channels,
                   question_log=_question_log(settings), knowledge_dir=settings.knowledge_dir, watch=args.watch,
                   knowledge_stamp=stamp)
    log.info("starting: knowledge %s, test guild %s, watched channels %d, question log %s%s",
             engine.knowledge.version, settings.guild_id or "none (global commands)", len(settings.channels),
             "on" if settings.log_questions else "off", ", watching knowledge/" if args.watch else "")
    try:
        asyncio.run(run_bot(bot, settings.token))
    except StartupError as exc:
        print(str(exc), file=err)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import asyncio

    from .discord_app.client import BriefBot
    from .discord_app.runner import StartupError, sync_global

    if not args.global_:
        print("Only `sync --global` is a separate step: with DISCORD_GUILD_ID set, `run` syncs the test guild "
              "at every start.", file=err)
        return 2
    ready = _settings_and_engine(args, err)
    if isinstance(ready, int):
        return ready
    settings, engine = ready
    try:
        n = asyncio.run(sync_global(BriefBot(engine), settings.token))
    except StartupError as exc:
        print(str(exc), file=err)
        return 2
    print(f"Synced {n} commands globally; Discord can take up to an hour to show them in every server.", file=out)
    return 0


def cmd_commands(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .discord_app.runner import commands_json

    report = _load(args, err)
    if report is None:
        return 1
    print(commands_json(Engine(report.knowledge)), file=out)  # the commands do not depend on the matcher
    return 0


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import sqlite3

    from .core.report import build_report, report_csv, report_text
    from .core.store import DB_NAME, DatabaseDamaged, read_log

    ready = _settings_and_engine(args, err, require_token=False)
    if isinstance(ready, int):
        return ready
    settings, engine = ready
    path = settings.data_dir / DB_NAME
    if not path.exists():
        print(f"No question log yet at {path}: it is written while the bot runs (BRIEFBOT_DATA sets the "
              f"folder).", file=err)
        return 1
    since = time.time() - args.days * 86400 if args.days else None
    try:  # read-only: the report never creates, migrates or moves the file
        questions, votes = read_log(path, since)
    except DatabaseDamaged as exc:
        print(f"The question log {path} is damaged ({exc}). Nothing was changed; keep a copy of the file. The "
              f"bot moves a damaged log aside and starts a new one at its next write.", file=err)
        return 1
    except (sqlite3.Error, OSError) as exc:
        print(f"Cannot read the question log {path}: {exc}", file=err)
        return 1
    report = build_report(questions, votes, engine, since)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False), file=out)
    elif args.csv:
        out.write(report_csv(report))
    else:
        print(report_text(report), file=out)
    return 0


def cmd_bench(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .bench import format_bench, run_bench, to_json

    try:
        result = run_bench(knowledge_dir(args.knowledge), Path(args.file or DEFAULT_LABELED),
                           progress=lambda s: print(f"bench: {s}", file=err) if not args.json else None,
                           encoder=_encoder(args)[0])
    except KnowledgeError as exc:
        print(exc.summary(), file=err)
        return 1
    except LabeledSetError as exc:
        print(str(exc), file=err)
        return 1
    print(to_json(result) if args.json else format_bench(result), file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="briefbot", description="Cited answers about INSS Issue Brief Vol.152 No.14 "
                                "(2026), in a terminal or on Discord.")
    p.add_argument("--knowledge", help="knowledge folder (default: $BRIEFBOT_KNOWLEDGE or ./knowledge)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    p.add_argument("--lexical", action="store_true",
                   help="match with the lexical rules alone, without the semantic reading")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    ck = sub.add_parser("check", help="validate the knowledge base and report coverage")
    ck.add_argument("--phrasings", action="store_true",
                    help="also ask every phrasing and near miss; list the phrasings not answered with their own "
                         "entry and the near misses answered (a few seconds)")
    a = sub.add_parser("ask", help="answer one question ('-' reads one question per line from stdin)")
    a.add_argument("--json", action="store_true", help="one JSON object per question")
    a.add_argument("question", nargs="+", help="the question, or '-' for stdin")
    a.add_argument("--log", action="store_true", help="record the questions in the question log (source: cli)")
    ch = sub.add_parser("chat", help="ask questions at an interactive prompt")
    ch.add_argument("--log", action="store_true", help="record the questions in the question log (source: cli)")
    e = sub.add_parser("eval", help="measure the engine on a labeled question set")
    e.add_argument("file", nargs="?", help=f"labeled set (default: {DEFAULT_LABELED.relative_to(PACKAGE_ROOT)})")
    e.add_argument("--split", choices=("all", "tune", "heldout"), default="all")
    e.add_argument("--json", action="store_true")
    b = sub.add_parser("bench", help="measure quality against baselines, speed, scale and memory")
    b.add_argument("file", nargs="?", help="labeled set (default: the project's own)")
    b.add_argument("--json", action="store_true", help="one JSON object")
    r = sub.add_parser("run", help="run the Discord bot (reads DISCORD_TOKEN etc. from .env / the environment)")
    r.add_argument("--watch", action="store_true", help="reload the knowledge when a file in it changes")
    rep = sub.add_parser("report", help="the curator's report from the question log")
    fmt = rep.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object")
    fmt.add_argument("--csv", action="store_true", help="CSV rows (section, key, count, ...)")
    rep.add_argument("--days", type=float, help="only the last N days")
    sy = sub.add_parser("sync", help="sync the slash commands with Discord")
    sy.add_argument("--global", dest="global_", action="store_true", help="sync globally, then exit")
    c = sub.add_parser("commands", help="print the application commands as sent to Discord")
    c.add_argument("--json", action="store_true", help="as a JSON array (the only format)")
    return p


def main(argv: list[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=err)
    if args.command is None:
        parser.print_help(out)
        return 0
    reads_stdin = {"ask": cmd_ask, "chat": cmd_chat}
    commands = {"check": cmd_check, "eval": cmd_eval, "bench": cmd_bench, "run": cmd_run, "report": cmd_report,
                "sync": cmd_sync, "commands": cmd_commands}
    try:
        if args.command in reads_stdin:
            return reads_stdin[args.command](args, out, err, stdin)
        if args.command in commands:
            return commands[args.command](args, out, err)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:  # Ctrl-C while loading: quietly, with the shell's code for SIGINT
        return 130
    except HashKeyError as exc:
        print(f"Cannot start the question log: {exc}.", file=err)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2
