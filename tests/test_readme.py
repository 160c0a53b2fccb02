"""The README says what the program does: its sample output is what the program prints today, its first screen
has the two commands CI runs, and its links lead somewhere."""

from __future__ import annotations

import io
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def samples() -> list[tuple[str, str]]:
    """Each `$ python -m bot ...` line in a ```text block of the README, and the output shown under it."""
    out = []
    for lang, body in BLOCK.findall(README):
        if lang != "text":
            continue
        for chunk in re.split(r"^(?=\$ )", body, flags=re.MULTILINE):
            if chunk.startswith("$ python -m bot "):
                command, _, shown = chunk.partition("\n")
                out.append((command[2:], shown.rstrip("\n")))
    return out


def test_the_readme_has_samples():
    assert samples(), "no `$ python -m bot ...` sample found in a ```text block"


@pytest.mark.parametrize("command, shown", samples(), ids=[c for c, _ in samples()])
def test_sample_output_is_what_the_program_prints(command, shown, monkeypatch):
    """Run as the README says, in an 80-column terminal without colour (the sample says so)."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    argv = shlex.split(command)[3:]  # after "python -m bot"
    out = Terminal()
    code = main(argv, stdin=io.StringIO(""), out=out, err=io.StringIO())
    assert code == 0
    assert out.getvalue().rstrip("\n") == shown


def test_first_screen_has_the_two_commands_and_the_python_versions():
    first_screen = "\n".join(README.splitlines()[:40])
    bash = [body.strip() for lang, body in BLOCK.findall(first_screen) if lang == "bash"]
    assert len(bash) == 2
    setup, tests = bash
    venv = "python3 -m venv .venv && . .venv/bin/activate && "
    assert setup.startswith(venv + "pip install -e . && python -m bot ask ")
    assert tests == venv + "pip install -e '.[test]' && python -m pytest"
    assert "Python 3.11 or newer" in first_screen and "python3-venv" in first_screen
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"
    # CI installs and tests the way the README says
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]'" in ci and "python -m pytest" in ci


def test_links_lead_to_files_that_exist():
    for target in re.findall(r"\]\((?!https?://|#)([^)]+)\)", README):
        assert (ROOT / target.split("#")[0]).exists(), target


def test_the_moved_sections_are_in_docs():
    for name, heading in (("matching", "# How a question is matched"), ("quality", "# Quality"),
                          ("performance", "# Performance")):
        text = (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")
        assert text.startswith(heading + "\n")
        assert f"docs/{name}.md" in README
    assert "## How matching works" not in README and "## Performance" not in README
