"""Terminal output: wrapped to the terminal's width (never inside a word), not wrapped when piped, styled on a TTY
unless --no-color or NO_COLOR."""

from __future__ import annotations

import io
import re

import pytest

from bot.cli import main
from bot.core.render import answer_to_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")
QUESTION = "How long is the Power of Siberia 2 pipeline?"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def ask(*argv: str, out: io.StringIO) -> str:
    code = main(["ask", *argv], stdin=io.StringIO(""), out=out, err=io.StringIO())
    assert code == 0
    return out.getvalue()


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_wrapped_to_the_width_and_never_inside_a_word(engine, width):
    a = engine.ask(QUESTION)
    text = answer_to_text(a, engine.knowledge.brief.meta, width=width)
    words = set(answer_to_text(a, engine.knowledge.brief.meta, width=None).split())
    for line in text.splitlines():
        assert len(line) <= width, line
    assert set(text.split()) == words  # the same words: none was cut in two


def test_not_wrapped_and_not_styled_when_piped(engine, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    text = ask(QUESTION, out=io.StringIO())
    assert not ANSI.search(text)
    assert engine.ask(QUESTION).text in text.splitlines()  # the answer on one line, whatever the width


def test_styled_and_wrapped_on_a_terminal(engine, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    text = ask(QUESTION, out=Tty())
    assert "\x1b[1m" in text and "\x1b[2m" in text  # the answer bold, the quote dim
    assert all(len(ANSI.sub("", line)) <= 60 for line in text.splitlines())
    plain = answer_to_text(engine.ask(QUESTION), engine.knowledge.brief.meta, width=59)
    assert ANSI.sub("", text).rstrip("\n") == plain  # styling adds codes, nothing else


def test_no_color_flag_and_env(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not ANSI.search(ask("--no-color", QUESTION, out=Tty()))
    monkeypatch.setenv("NO_COLOR", "1")
    text = ask(QUESTION, out=Tty())
    assert not ANSI.search(text) and max(len(line) for line in text.splitlines()) <= 80


def test_suggestions_styled_but_still_numbered(engine):
    a = engine.ask("how long is the TurkStream pipeline")
    text = answer_to_text(a, color=True, width=80)
    plain = ANSI.sub("", text)
    assert "1. " in plain and "Questions I can answer:" in plain and "\x1b[33m" in text
