"""The command line: ``python -m bot`` / ``briefbot``. Uses the same core as the Discord bot."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, TextIO

from . import __version__
from .core.engine import Engine
from .core.evaluation import LabeledSetError, evaluate, load_items
from .core.evaluation import Report as EvalReport
from .core.followup import answer_follow_up
from .core.loader import KnowledgeError, LoadReport, load_report
from .core.models import Status
from .core.render import answer_to_json, answer_to_text
from .core.store import HashKeyError
from .paths import default_data_dir, default_knowledge_dir

log = logging.getLogger(__name__)

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELED = PACKAGE_ROOT / "tests" / "data" / "questions.yaml"
UNTOUCHED = PACKAGE_ROOT / "tests" / "data" / "untouched"


def knowledge_dir(arg: str | None) -> Path:
    """--knowledge, else $BRIEFBOT_KNOWLEDGE, else the repository's knowledge/ folder (the shipped copy when
    installed from a wheel)."""
    return Path(arg or os.environ.get("BRIEFBOT_KNOWLEDGE") or default_knowledge_dir())


def _encoder(args: argparse.Namespace):
    """The vector table's encoder for this command, loaded once per run (None: words alone),
    and the line that says which matcher is in use."""
    from .core.semantic import SemanticDataError, load_static_encoder

    cached = getattr(args, "_encoder", None)
    if cached is not None:
        return cached
    flag = (os.environ.get("BRIEFBOT_SEMANTIC") or "1").strip().lower()
    if getattr(args, "lexical", False) or flag in {"0", "false", "no", "off"}:
        result = (None, "matching: by words alone, then the learned decision (--lexical or BRIEFBOT_SEMANTIC=0)")
    else:
        try:
            enc = load_static_encoder()
            result = (enc, f"matching: by words and by meaning ({enc.name}), then the learned decision")
        except SemanticDataError as exc:
            result = (None, f"matching: by words alone; reading by meaning is off: {exc}")
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
    n_asked = sum(len(qs) for _, qs in k.asked_out_of_scope)
    if n_asked or report.stale_asked:
        print(f"  {n_asked} questions asked out of scope (asked_out_of_scope.yaml, made by scripts/train_decision.py "
              f"from the training sets)", file=out)
    if report.stale_asked:
        print(f"  {report.stale_asked} of them left out: filed under an id that is gone, or now a phrasing; run "
              f"scripts/train_decision.py to make the file anew", file=out)
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
        n_near = sum(len(qs) for _, qs in k.near_misses)
        print(f"  asking every phrasing ({n_phr}) and near miss ({n_near}): each phrasing should be answered with "
              f"its own entry, each near miss abstained on", file=out)
        out.flush()
        with _progress(engine, n_phr + n_near, err):
            wrong = engine.self_check()
            answered = engine.near_miss_check()
        _print_outliers("phrasings answered with their own entry", n_phr, wrong, out)
        _print_outliers("near misses the bot abstains on", n_near, answered, out)
    status = _check_fidelity(args, k, out)
    if args.phrasings and (wrong or answered) and not args.warn_only:
        print(f"check --phrasings: {len(wrong) + len(answered)} problem(s) above (--warn-only to exit 0 "
              f"anyway)", file=err)
        return 1
    return status


def _check_fidelity(args: argparse.Namespace, k, out: TextIO) -> int:
    """The fidelity checks (bot/core/fidelity.py): errors make `check` exit 1, warnings are printed only."""
    from .core.fidelity import check_knowledge, fidelity_table

    findings = check_knowledge(k)
    errors = [f for f in findings if f.level == "error"]
    warnings = [f for f in findings if f.level != "error"]
    print(f"  fidelity: {len(errors)} errors, {len(warnings)} warnings", file=out)
    for f in errors:
        print(f"    error: {f}", file=out)
    for f in warnings:
        print(f"    warning: {f}", file=out)
    if args.fidelity_table:
        Path(args.fidelity_table).write_text(fidelity_table(k), encoding="utf-8")
        print(f"  fidelity table written to {args.fidelity_table}", file=out)
    return 1 if errors else 0


@contextmanager
def _progress(engine: Engine, total: int, err: TextIO):
    """Show how far a run of ``engine.ask`` calls has got, on a terminal only (a log stays clean): the checks
    ask through the engine's own ``ask``, so a counting wrapper on this one instance sees every question."""
    if not (hasattr(err, "isatty") and err.isatty()):
        yield
        return
    ask, done = engine.ask, 0

    def counting(question: str):
        nonlocal done
        done += 1
        if done % 50 == 0 or done == total:
            err.write(f"\r  asked {done}/{total}")
            err.flush()
        return ask(question)

    try:
        engine.ask = counting  # type: ignore[method-assign]
    except AttributeError:  # an engine with __slots__: no progress, the checks still run
        yield
        return
    try:
        yield
    finally:
        del engine.ask  # the class's method again
        err.write("\r" + " " * 30 + "\r")
        err.flush()


def _print_outliers(title: str, total: int, outliers: list[tuple[str, str, str, str | None]], out: TextIO) -> None:
    """'title: ok/total', then each question that did not do what it should: [where it is filed] and what came."""
    print(f"  {title}: {total - len(outliers)}/{total}", file=out)
    for key, question, status, other in outliers:
        got = f"answered with {other}" if status == "answered" else status
        print(f"    [{key}] {question!r}: {got}", file=out)


def _terminal(args: argparse.Namespace, out: TextIO) -> dict:
    """How to render for ``out``: on a terminal, wrapped to its width and styled (unless --no-color or NO_COLOR);
    piped elsewhere, neither wrapped nor styled."""
    if not (hasattr(out, "isatty") and out.isatty()):
        return {"width": None, "color": False}
    color = not (getattr(args, "no_color", False) or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb")
    return {"width": max(40, shutil.get_terminal_size().columns - 1), "color": color}


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
    ("and how long is it?", "how old is he now?") that the question alone does not answer."""
    started = time.perf_counter()
    answer = answer_follow_up(engine, question, previous)
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
                if getattr(args, "explain", False) and not args.json:
                    out.write(engine.explain(q) + "\n\n")
                if args.json:
                    out.write(answer_to_json(answer) + "\n")
                else:
                    if not first:
                        out.write("\n" + "-" * 40 + "\n")
                    out.write(answer_to_text(answer, report.knowledge.brief.meta, **_terminal(args, out)) + "\n")
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


CHAT_QUIT = {"quit", "exit", ":q", ":quit", "q"}
CHAT_HELP_WORDS = {"help", ":help", "?", ":h"}
CHAT_HELP = """\
Type a question about the brief and press Enter. Commands:
  1, 2, 3 ...   pick a numbered suggestion or related question from the last answer
  :why          how the bot read the last question (when the engine can say)
  help, ?       this help
  quit, Ctrl-D  leave
A short follow-up ("and how long is it?", "how old is he now?", "the second one?") is read with the last answer.
The Up and Down arrows recall earlier questions; the history is kept in the data folder."""
HISTORY_NAME = "chat_history"


def cmd_chat(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO,
             prompt: Callable[[str], str] | None = None) -> int:
    report = _load(args, err)
    if report is None:
        return 1
    engine = _engine(args, report.knowledge)
    qlog = _cli_log(args, err)
    meta = report.knowledge.brief.meta
    save_history = None
    if prompt is None:
        prompt = input
        if stdin.isatty():
            save_history = _line_editing(history_path())
    print(f"Ask about \u201c{meta.title}\u201d ({meta.series} Vol.{meta.volume} No.{meta.number}, {meta.year}).",
          file=out)
    print("Type a question, a number to pick a suggestion, 'help' for more, 'quit' or Ctrl-D to leave.", file=out)
    previous: str | None = None
    last = None
    try:
        while True:
            try:
                q = prompt("> ")
            except (EOFError, KeyboardInterrupt):
                print(file=out)
                return 0
            command = q.strip().casefold()
            if not command:
                continue
            if command in CHAT_QUIT:
                return 0
            if command in CHAT_HELP_WORDS:
                print(CHAT_HELP + "\n", file=out)
                continue
            if command == ":why":
                print(_why(engine, last) + "\n", file=out)
                continue
            picked = _pick(engine, last, command)
            if isinstance(picked, str):
                print(picked + "\n", file=out)
                continue
            answer = picked or _ask_logged(engine, q, qlog, previous)
            if answer.status is Status.ANSWERED:
                previous = answer.match.id
            last = answer
            print(answer_to_text(answer, meta, **_terminal(args, out)), file=out)
            print(file=out)
    finally:
        if save_history is not None:
            save_history()
        if qlog is not None:
            qlog.close()


def history_path() -> Path:
    """chat's history: in the data folder ($BRIEFBOT_DATA, else data/ in a checkout or the user's data folder)."""
    return Path(os.environ.get("BRIEFBOT_DATA") or default_data_dir()) / HISTORY_NAME


def _pick(engine: Engine, last, command: str):
    """A number after a list of suggestions: that suggestion's answer (or a line saying there is no such number).
    None when the input is not a pick, to be asked as a question."""
    if not command.isdigit() or last is None or not last.suggestions:
        return None
    n = int(command)
    if not 1 <= n <= len(last.suggestions):
        return f"There is no suggestion {n}: pick 1 to {len(last.suggestions)}, or type a question."
    text = last.suggestions[n - 1]
    if len(last.candidates) == len(last.suggestions):
        unit = last.candidates[n - 1]
        answer = engine.answer_entry(unit, text) or engine.answer_fact(unit)
        if answer is not None:
            return answer
    return engine.ask(text)


def _why(engine: Engine, last) -> str:
    """:why: the engine's own explanation of the last question, when it offers one (``Engine.explain``)."""
    if last is None:
        return "Ask a question first; :why then says how the bot read it."
    explain = getattr(engine, "explain", None)
    if not callable(explain):
        return "This version of the engine cannot explain its reading yet."
    return str(explain(last.question))


def _line_editing(history: Path) -> Callable[[], None] | None:
    """Line editing and history for ``input()`` (the standard library's readline), the history read from and
    saved to ``history`` (private to the user: questions can be). Returns the function that saves it."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input()
        return None
    readline.set_history_length(1000)
    try:
        readline.read_history_file(history)
    except (FileNotFoundError, OSError):
        pass

    def save() -> None:
        try:
            history.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            readline.write_history_file(history)
            history.chmod(0o600)
        except OSError as exc:
            log.warning("could not save the chat history to %s: %s", history, exc)

    return save


def cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    report = _load(args, err)
    if report is None:
        return 1
    files = [Path(f) for f in args.file]
    if args.untouched:
        files += sorted(UNTOUCHED.glob("*.yaml"))
    files = files or [DEFAULT_LABELED]
    try:
        sets = [(f, load_items(f)) for f in files]
    except LabeledSetError as exc:
        print(str(exc), file=err)
        return 1
    engine = _engine(args, report.knowledge)
    pooled = EvalReport()
    per_set = []
    for f, items in sets:
        if args.split != "all":
            items = [i for i in items if i.split == args.split]
        per_set.append((f, evaluate(engine, items)))
        pooled.outcomes += per_set[-1][1].outcomes
        pooled.citations_checked += per_set[-1][1].citations_checked
        pooled.citations_verbatim += per_set[-1][1].citations_verbatim
    summary = pooled.summary()
    # the untouched sets' misses stay unread unless asked for: a curator who reads them spends the sets
    show_misses = args.misses or not args.untouched
    if args.json:
        if len(per_set) > 1:
            summary["sets"] = {str(f): r.summary() for f, r in per_set}
        summary["calibration"] = [{"low": lo, "high": hi, "questions": n, "confidence": round(c, 4),
                                   "best_right": round(a, 4)} for lo, hi, n, c, a in pooled.calibration()]
        summary["misses"] = [{"q": o.item.q, "in_scope": o.item.in_scope, "status": o.answer.status.value,
                              "reason": o.reason} for o in pooled.misses()] if show_misses else []
        print(json.dumps(summary, ensure_ascii=False), file=out)
        return 0
    if len(per_set) > 1:
        print(f"{'set':32} {'questions':>9} {'right':>7} {'reach':>7} {'wrong':>7} {'oos abst':>8} {'ECE':>6}",
              file=out)
        for f, r in per_set:
            x = r.summary()
            print(f"{f.stem[:32]:32} {x['questions']:>9} {x['in_scope_correct']:>7.1%} {x['one_click_reach']:>7.1%} "
                  f"{x['in_scope_wrong']:>7.1%} {x['oos_abstained']:>8.1%} {x['ece']:>6.3f}", file=out)
        print(f"pooled over {len(per_set)} sets (split: {args.split}):", file=out)
    else:
        print(f"labeled set: {files[0]} (split: {args.split})", file=out)
    print(f"  questions:              {summary['questions']} ({summary['in_scope']} in scope, "
          f"{summary['out_of_scope']} out of scope)", file=out)
    print(f"  in scope answered right: {summary['in_scope_correct']:.1%}", file=out)
    print(f"  one-click reach:         {summary['one_click_reach']:.1%} (the right answer given, or a suggestion)",
          file=out)
    print(f"  in scope answered wrong: {summary['in_scope_wrong']:.1%}", file=out)
    print(f"  in scope answered:       {summary['answered_rate']:.1%}", file=out)
    print(f"  out of scope abstained:  {summary['oos_abstained']:.1%}", file=out)
    print(f"  overall:                 {summary['overall']:.1%}", file=out)
    print(f"  citations verbatim:      {summary['citation_validity']:.1%}", file=out)
    print(f"  calibration (ECE):       {summary['ece']:.3f}", file=out)
    print("  confidence    questions  mean confidence  best candidate right", file=out)
    for lo, hi, n, c, acc in pooled.calibration():
        print(f"  {lo:.1f}-{hi:.1f}    {n:>9}  {c:>15.2f}  {acc:>20.2f}", file=out)
    misses = pooled.misses()
    if misses and not show_misses:
        print(f"misses: {len(misses)}, not listed: the untouched sets are read by their totals only "
              "(--misses lists them, and spends the sets)", file=out)
    elif misses:
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

    from .core.loader import knowledge_stamp
    from .discord_app.client import BriefBot
    from .discord_app.runner import StartupError, run_bot

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
        asyncio.run(run_bot(bot, settings.token, api_base=settings.api_base))
    except StartupError as exc:
        print(str(exc), file=err)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def cmd_sync(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import asyncio

    from .discord_app.client import BriefBot
    from .discord_app.runner import StartupError, clear_guild, sync_global

    if not (args.global_ or args.clear_guild):
        print("`sync --global` registers the commands for every server (and removes the test server's copies); "
              "`sync --clear-guild` only removes the copies `run` made in DISCORD_GUILD_ID. With DISCORD_GUILD_ID "
              "set, `run` syncs the test server at every start.", file=err)
        return 2
    ready = _settings_and_engine(args, err)
    if isinstance(ready, int):
        return ready
    settings, engine = ready
    if args.clear_guild and settings.guild_id is None:
        print("`sync --clear-guild` needs DISCORD_GUILD_ID: the server whose copies of the commands to remove.",
              file=err)
        return 2
    try:
        if args.global_:
            n = asyncio.run(sync_global(BriefBot(engine), settings.token, clear_guild=settings.guild_id,
                                        api_base=settings.api_base))
        else:
            asyncio.run(clear_guild(BriefBot(engine), settings.token, settings.guild_id, api_base=settings.api_base))
    except StartupError as exc:
        print(str(exc), file=err)
        return 2
    if args.global_:
        print(f"Synced {n} commands globally; Discord can take up to an hour to show them in every server.",
              file=out)
    if settings.guild_id is not None:
        print(f"Removed the copies in server {settings.guild_id}. Now delete DISCORD_GUILD_ID from .env, or `run` "
              "copies them there again.", file=out)
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


def cmd_backup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .core.backup import BackupError, backup_database
    from .core.store import DB_NAME, KEY_NAME

    settings = _discord_settings(args, err, require_token=False)
    if settings is None:
        return 2
    try:
        done = backup_database(settings.data_dir / DB_NAME, Path(args.file))
    except BackupError as exc:
        print(str(exc), file=err)
        return 1
    print(f"Backed up the question log ({done.questions} questions, {done.votes} votes, {done.bytes:,} bytes) to "
          f"{done.path}.", file=out)
    if not settings.hash_key:
        print(f"Keep {settings.data_dir / KEY_NAME} with it (or set BRIEFBOT_HASH_KEY): without the same key, "
              f"votes after a restore are not matched to earlier ones.", file=out)
    return 0


def cmd_bench(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.discord:
        return _bench_discord(args, out, err)
    from .bench import format_bench, run_bench, to_json

    try:
        sets = [Path(args.file)] if args.file else sorted(UNTOUCHED.glob("*.yaml"))
        result = run_bench(knowledge_dir(args.knowledge), sets,
                           progress=_bench_progress(err) if not args.json else (lambda s: None),
                           encoder=_encoder(args)[0])
    except KnowledgeError as exc:
        print(exc.summary(), file=err)
        return 1
    except LabeledSetError as exc:
        print(str(exc), file=err)
        return 1
    print(to_json(result) if args.json else format_bench(result), file=out)
    return 0


def _bench_progress(err: TextIO) -> Callable[[str], None]:
    started = time.perf_counter()
    return lambda stage: print(f"bench [{time.perf_counter() - started:5.1f} s]: {stage}", file=err, flush=True)


def _bench_discord(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .bench_discord import BenchError, format_discord_bench, run_discord_bench, to_json

    try:
        questions = [i.q for i in load_items(args.file or DEFAULT_LABELED)]
    except LabeledSetError as exc:
        print(str(exc), file=err)
        return 1
    semantic = not (args.lexical or (os.environ.get("BRIEFBOT_SEMANTIC") or "1").strip().lower()
                    in {"0", "false", "no", "off"})
    try:
        result = run_discord_bench(questions, count=args.count, duration=args.duration, semantic=semantic,
                                   progress=None if args.json else lambda s: print(f"bench: {s}", file=err))
    except (BenchError, AssertionError) as exc:
        print(f"bench --discord failed: {exc}", file=err)
        return 1
    print(to_json(result) if args.json else format_discord_bench(result), file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="briefbot", description="Cited answers about INSS Issue Brief Vol.152 No.14 "
                                "(2026), in a terminal or on Discord.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _global_options(p, defaults=True)
    # the same options after the command too (`run -v`, `ask --knowledge DIR "q"`); SUPPRESS keeps a subcommand
    # from resetting what was given before it
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    _global_options(common, defaults=False)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub_add = sub.add_parser
    sub.add_parser = lambda *a, **kw: sub_add(*a, parents=[common], **kw)  # type: ignore[method-assign]
    ck = sub.add_parser("check", help="validate the knowledge base and report coverage")
    ck.add_argument("--phrasings", action="store_true",
                    help="also ask the bot every phrasing and every near miss in the knowledge base (about 3,500 "
                         "questions, 20-30 s), list each phrasing not answered with its own entry and each near "
                         "miss not abstained on, and exit 1 if there is any")
    ck.add_argument("--warn-only", action="store_true",
                    help="with --phrasings: list the problems but exit 0")
    ck.add_argument("--fidelity-table", metavar="PATH",
                    help="also write the fidelity table (every claim with its paragraph and quote), e.g. "
                         "docs/fidelity.md")
    a = sub.add_parser("ask", help="answer one question ('-' reads one question per line from stdin)")
    a.add_argument("--json", action="store_true", help="one JSON object per question")
    a.add_argument("--explain", action="store_true",
                   help="first show why: the top candidates with their probabilities and features, and the reason "
                        "for the outcome")
    a.add_argument("question", nargs="+", help="the question, or '-' for stdin")
    a.add_argument("--log", action="store_true", help="record the questions in the question log (source: cli)")
    ch = sub.add_parser("chat", help="ask questions at an interactive prompt")
    ch.add_argument("--log", action="store_true", help="record the questions in the question log (source: cli)")
    e = sub.add_parser("eval", help="measure the engine on a labeled question set")
    e.add_argument("file", nargs="*", help=f"labeled sets (default: {DEFAULT_LABELED.relative_to(PACKAGE_ROOT)})")
    e.add_argument("--untouched", action="store_true",
                   help="also every set in tests/data/untouched/ (the sets that fed nothing), pooled")
    e.add_argument("--split", choices=("all", "tune", "heldout"), default="all",
                   help="only the tuning half or the held-out half of each set (split by a hash of each question; "
                        "default: all)")
    e.add_argument("--json", action="store_true",
                   help="one JSON object: the pooled summary, each set's, the calibration bins and every miss")
    e.add_argument("--misses", action="store_true",
                   help="with --untouched: list the misses too (by default only the totals: reading the untouched "
                        "sets' misses spends them)")
    b = sub.add_parser("bench", help="measure quality against baselines, speed, scale and memory")
    b.add_argument("file", nargs="?", help="labeled set (default: the untouched sets in tests/data/untouched/)")
    b.add_argument("--json", action="store_true", help="one JSON object")
    b.add_argument("--discord", action="store_true",
                   help="instead: the real bot process under load through the local Discord stand-in "
                        "(a checkout of the repository); the labeled set's questions as /ask interactions")
    b.add_argument("--count", type=int, default=1000, help="with --discord: interactions to send (1000)")
    b.add_argument("--duration", type=float, default=60.0, help="with --discord: over this many seconds (60)")
    r = sub.add_parser("run", help="run the Discord bot (reads DISCORD_TOKEN etc. from .env / the environment)")
    r.add_argument("--watch", action="store_true", help="reload the knowledge when a file in it changes")
    rep = sub.add_parser("report", help="the curator's report from the question log")
    fmt = rep.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object")
    fmt.add_argument("--csv", action="store_true", help="CSV rows (section, key, count, ...)")
    rep.add_argument("--days", type=float, help="only the last N days")
    sy = sub.add_parser("sync", help="sync the slash commands with Discord")
    sy.add_argument("--global", dest="global_", action="store_true",
                    help="sync globally (and remove the copies in DISCORD_GUILD_ID), then exit")
    sy.add_argument("--clear-guild", action="store_true", help="remove the commands' copies in DISCORD_GUILD_ID")
    bk = sub.add_parser("backup", help="copy the question log safely while the bot runs (SQLite online backup)")
    bk.add_argument("file", help="the new backup file (must not exist yet)")
    c = sub.add_parser("commands", help="print the application commands as sent to Discord")
    c.add_argument("--json", action="store_true", help="as a JSON array (the only format)")
    return p


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options every command takes, before or after its name; the top-level parser holds their defaults."""
    parser.add_argument("--knowledge", help="knowledge folder (default: $BRIEFBOT_KNOWLEDGE, else the knowledge/ "
                        "folder of this checkout or the one shipped with the package)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output to stderr")
    parser.add_argument("--lexical", action="store_true",
                        help="match by words alone, without the vector table (the learned decision still decides)")
    parser.add_argument("--no-color", action="store_true",
                        help="no bold, dim or colour in the terminal (also: NO_COLOR set to anything)")
    if defaults:
        parser.set_defaults(knowledge=None, verbose=False, lexical=False, no_color=False)


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
                "sync": cmd_sync, "commands": cmd_commands, "backup": cmd_backup}
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
