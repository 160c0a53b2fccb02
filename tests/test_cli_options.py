"""Small CLI things: --version, global options after the command, help texts, check --phrasings (what it says,
progress, exit code), bench's log level."""

from __future__ import annotations

import io
import logging
import shutil
from pathlib import Path

import pytest
import yaml

from bot import __version__
from bot.cli import build_parser, main
from bot.core.engine import Engine
from bot.core.loader import load_knowledge

from conftest import KNOWLEDGE


def run(*argv: str, err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err or io.StringIO()
    code = main(list(argv), stdin=io.StringIO(""), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"briefbot {__version__}"


@pytest.mark.parametrize("argv", [
    ["ask", "--knowledge", "{bad}", "who wrote it"],
    ["--knowledge", "{bad}", "ask", "who wrote it"],
    ["ask", "who wrote it", "--knowledge", "{bad}"],
    ["check", "--knowledge", "{bad}"],
])
def test_global_options_before_or_after_the_command(argv, tmp_path):
    bad = str(tmp_path / "nowhere")
    code, _, err = run(*(a.replace("{bad}", bad) for a in argv))
    assert code == 1 and f"{bad}: knowledge folder not found" in err


def test_options_after_the_command_parse_like_before_and_are_not_reset():
    p = build_parser()
    for argv in (["run", "-v", "--watch"], ["-v", "run", "--watch"]):
        args = p.parse_args(argv)
        assert args.verbose and args.watch and args.knowledge is None and not args.lexical
    args = p.parse_args(["--lexical", "ask", "--no-color", "q"])
    assert args.lexical and args.no_color  # given before, not reset by the subcommand's own copy
    args = p.parse_args(["--knowledge", "A", "ask", "--knowledge", "B", "q"])
    assert args.knowledge == "B"


def test_every_eval_option_has_help():
    sub = next(a for a in build_parser()._subparsers._group_actions)  # noqa: SLF001 - argparse has no public API
    help_text = sub.choices["eval"].format_help()
    assert "held-out half" in help_text and "every miss" in help_text
    for name, parser in sub.choices.items():
        for action in parser._actions:  # noqa: SLF001
            if action.option_strings and action.dest != "help":
                assert action.help, f"{name} {action.option_strings} has no help text"


# ------------------------------------------------------------------------------------------- check --phrasings

@pytest.fixture(scope="module")
def tiny_kb(tmp_path_factory) -> Path:
    """The about.yaml entries alone (the real brief, aliases and their near misses), pruned of any phrasing the
    engine does not answer with its own entry, so that it starts clean whatever the engine's details."""
    dst = tmp_path_factory.mktemp("tiny") / "knowledge"
    shutil.copytree(KNOWLEDGE, dst)
    for f in ("outcomes.yaml", "summit.yaml"):
        (dst / "qa" / f).unlink()
    (dst / "facts.yaml").write_text("facts: []\n")
    about = yaml.safe_load((dst / "qa" / "about.yaml").read_text(encoding="utf-8"))["entries"][:4]
    ids = {e["id"] for e in about}
    for e in about:
        e["related"] = [r for r in e.get("related", []) if r in ids]
    near = yaml.safe_load((dst / "near_misses.yaml").read_text(encoding="utf-8"))["near_misses"]
    near = {k: v for k, v in near.items() if k in ids}
    for _ in range(3):
        (dst / "qa" / "about.yaml").write_text(yaml.safe_dump({"entries": about}, sort_keys=False), encoding="utf-8")
        (dst / "near_misses.yaml").write_text(yaml.safe_dump({"near_misses": near}, sort_keys=False),
                                              encoding="utf-8")
        engine = Engine(load_knowledge(dst))
        wrong = {q for _, q, _, _ in engine.self_check()}
        answered = {q for _, q, _, _ in engine.near_miss_check()}
        if not wrong and not answered:
            return dst
        for e in about:
            e["questions"] = [q for q in e["questions"] if q not in wrong]
        near = {k: [q for q in v if q not in answered] for k, v in near.items()}
    raise AssertionError("could not make a clean small knowledge base")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_check_phrasings_says_what_it_does_and_exits_0_when_clean(tiny_kb):
    code, out, err = run("--lexical", "check", "--phrasings", "--knowledge", str(tiny_kb))
    assert code == 0, out + err
    assert "asking every phrasing" in out and "its own entry" in out and "near miss" in out
    assert "asked" not in err  # no progress counter in a log


def test_check_phrasings_exits_1_on_a_phrasing_not_answered_and_warn_only_exits_0(tiny_kb, tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(tiny_kb, kb)
    near = yaml.safe_load((kb / "near_misses.yaml").read_text(encoding="utf-8"))["near_misses"]
    # a near miss that reads exactly like "Who wrote the brief?" once order and case are folded: either that
    # phrasing now abstains or the near miss is answered, and check must fail on both
    near.setdefault("about-title", []).append("Wrote the brief, who?")
    (kb / "near_misses.yaml").write_text(yaml.safe_dump({"near_misses": near}, sort_keys=False), encoding="utf-8")

    tty = Tty()
    code, out, err = run("--lexical", "check", "--phrasings", "--knowledge", str(kb), err=tty)
    assert code == 1
    problem = ("[about-author] 'Who wrote the brief?': abstained", "[about-title] 'Wrote the brief, who?': answered")
    assert any(p in out for p in problem), out
    assert "problem(s) above" in err and "--warn-only" in err
    assert "asked " in err  # progress on a terminal
    code, out, _ = run("--lexical", "check", "--phrasings", "--warn-only", "--knowledge", str(kb))
    assert code == 0 and any(p in out for p in problem)


def test_progress_counter_leaves_the_engine_as_it_was(tiny_kb):
    from bot.cli import _progress

    engine = Engine(load_knowledge(tiny_kb))
    tty = Tty()
    with _progress(engine, 1, tty):
        engine.ask("who wrote the brief")
    assert "asked 1/1" in tty.getvalue()
    assert "ask" not in vars(engine) if hasattr(engine, "__dict__") else True


# --------------------------------------------------------------------------------------------------- bench

def test_bench_baseline_does_not_log_debug_without_verbose(knowledge):
    pytest.importorskip("bm25s")
    from bot.bench import bm25_baseline
    from bot.core.evaluation import load_items

    from conftest import LABELED

    bm25_baseline(knowledge, load_items(LABELED)[:3])
    assert logging.getLogger("bm25s").getEffectiveLevel() == logging.getLogger().getEffectiveLevel()


def test_bench_progress_names_each_stage_with_the_time_so_far():
    from bot.cli import _bench_progress

    err = io.StringIO()
    progress = _bench_progress(err)
    progress("quality: engine")
    progress("memory")
    lines = err.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("bench [") and lines[0].endswith(" s]: quality: engine")
