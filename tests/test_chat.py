"""`chat`: numbers pick a suggestion, help / ? / quit / :why are commands, pronoun follow-ups, readline history."""

from __future__ import annotations

import io
import stat
import sys

import pytest

from bot import cli
from bot.cli import CHAT_HELP, build_parser, cmd_chat


@pytest.fixture
def chat(engine, monkeypatch):
    """Run a chat session over the given lines with the session's engine; returns (exit code, output)."""
    monkeypatch.setattr(cli, "_engine", lambda args, knowledge: engine)

    def session(*lines: str) -> tuple[int, str]:
        prompts = iter(lines)
        out = io.StringIO()

        def prompt(_: str) -> str:
            out.write("\x00")  # marks where each reply starts
            try:
                return next(prompts)
            except StopIteration:
                raise EOFError from None

        code = cmd_chat(build_parser().parse_args(["chat"]), out, io.StringIO(), io.StringIO(), prompt=prompt)
        return code, out.getvalue()

    return session


def replies(text: str) -> list[str]:
    """What the chat printed after each line typed."""
    return text.split("\x00")[1:]


def test_a_number_picks_a_suggestion_after_a_refusal(chat, engine):
    refused = engine.ask("how long is the TurkStream pipeline")
    assert not refused.answered and len(refused.suggestions) >= 2
    code, text = chat("how long is the TurkStream pipeline", "2", "quit")
    assert code == 0
    picked = engine.answer_entry(refused.candidates[1], refused.suggestions[1])
    assert picked.text in replies(text)[1]  # the second suggestion's own answer, not a question "2"
    assert text.count("Questions I can answer:") == 1


def test_a_number_picks_a_related_question_after_an_answer(chat, engine):
    answer = engine.ask("How long is the Power of Siberia 2 pipeline?")
    assert answer.answered and answer.suggestions
    code, text = chat("How long is the Power of Siberia 2 pipeline?", "1")
    assert code == 0
    assert engine.answer_entry(answer.candidates[0]).text in replies(text)[1]
    assert "  1. " + answer.suggestions[0] in text  # related questions are numbered, so they can be picked


def test_a_number_out_of_range_or_with_nothing_to_pick_is_explained_or_asked(chat, engine):
    _, text = chat("how long is the TurkStream pipeline", "9")
    assert "There is no suggestion 9" in text
    _, text = chat("2026")  # no list shown yet: a question like any other
    assert "There is no suggestion" not in text and ("2026" in text or "brief" in text)


@pytest.mark.parametrize("word", ["help", ":help", "?", "HELP "])
def test_help_words_are_commands(chat, word):
    code, text = chat(word, "quit", "who wrote the brief")
    assert code == 0
    assert CHAT_HELP in text
    assert "doesn't cover" not in text and "Seho Jang" not in text  # quit stopped it; help was not a question


@pytest.mark.parametrize("word", ["quit", "exit", ":q"])
def test_quit_words_leave(chat, word):
    code, text = chat(word, "who wrote the brief")
    assert code == 0 and "Seho Jang" not in text


def test_why_prints_the_engines_explanation_when_it_has_one(chat, engine, monkeypatch):
    _, text = chat(":why")
    assert "Ask a question first" in text
    _, text = chat("who wrote the brief", ":why")
    assert "cannot explain" in text or "explain" in dir(engine)
    monkeypatch.setattr(engine, "explain", lambda q: f"EXPLAINED {q!r}", raising=False)
    _, text = chat("who wrote the brief", ":why")
    assert "EXPLAINED 'who wrote the brief'" in text


def test_pronoun_follow_up_in_chat(chat):
    _, text = chat("who is peng pai", "how old is he now")
    first, second = replies(text)[:2]
    assert "Peng Pai" in first
    assert "thirty-six" in second and "doesn't cover" not in second


def test_history_path_is_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFBOT_DATA", str(tmp_path / "d"))
    assert cli.history_path() == tmp_path / "d" / cli.HISTORY_NAME
    monkeypatch.delenv("BRIEFBOT_DATA")
    from bot.paths import default_data_dir

    assert cli.history_path() == default_data_dir() / cli.HISTORY_NAME


@pytest.mark.skipif(sys.platform == "win32", reason="readline is not in the Windows standard library")
def test_history_is_kept_in_the_data_folder_and_private(tmp_path):
    readline = pytest.importorskip("readline")
    history = tmp_path / "data" / cli.HISTORY_NAME
    save = cli._line_editing(history)
    assert save is not None
    readline.clear_history()
    readline.add_history("how long is pos2")
    save()
    assert "how long is pos2" in history.read_text()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    readline.clear_history()
    cli._line_editing(history)  # a new session reads it back: the Up arrow recalls it
    assert readline.get_history_item(readline.get_current_history_length()) == "how long is pos2"
    readline.clear_history()
