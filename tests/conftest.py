from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.loader import load_knowledge
from bot.core.semantic import load_static_encoder

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
LABELED = ROOT / "tests" / "data" / "questions.yaml"


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def encoder():
    """The shipped semantic reading (bot/core/data); the engine that the bot and the CLI run."""
    return load_static_encoder()


@pytest.fixture(scope="session")
def engine(knowledge, encoder):
    return Engine(knowledge, encoder=encoder)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge folder, for tests that break it."""
    dst = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dst)
    return dst
