"""The package's shape: a pure core that never imports discord, and an engine whose stages come one after another
(a stage imports only the stages before it; engine.py runs them all)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "bot" / "core"

# the engine's stages in order (docs/matching.md): each may import the ones before it, never one after it
STAGES = ("reading", "candidates", "semantic", "features", "decide", "answers", "engine")


def imported(path: Path) -> set[str]:
    """The modules ``path`` imports when it runs (imports under ``if TYPE_CHECKING:`` are for type checkers only),
    relative imports of bot/core named by their module ("reading", "models")."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                     and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                     for child in node.body for n in ast.walk(child)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in checking_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                out.add(node.module or "")
                out.update(a.name for a in node.names if not node.module)
            else:
                out.add(node.module or "")
    return out


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_no_core_module_imports_discord(path):
    for name in imported(path):
        assert not (name == "discord" or name.startswith("discord.") or "discord_app" in name), (path.name, name)


def test_importing_the_core_and_answering_loads_no_discord():
    code = ("import sys\n"
            "from bot.core.loader import load_knowledge\nfrom bot.core.engine import Engine\n"
            "from bot.core.render import answer_to_json\nfrom bot.paths import default_knowledge_dir\n"
            "a = Engine(load_knowledge(default_knowledge_dir())).ask('how long is pos2')\n"
            "print(answer_to_json(a)[:1])\n"
            "print(sorted(m for m in sys.modules if m == 'discord' or m.startswith(('discord.', 'bot.discord_app'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=CORE.parent.parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("n", range(len(STAGES)), ids=lambda n: STAGES[n])
def test_a_stage_imports_no_later_stage(n):
    later = set(STAGES[n + 1:])
    uses = imported(CORE / f"{STAGES[n]}.py")
    assert not uses & later, (STAGES[n], sorted(uses & later))


def test_the_engine_runs_every_stage():
    assert set(STAGES[:-1]) <= imported(CORE / "engine.py")
