"""Where the bot finds its knowledge and keeps its data when nothing says otherwise.

A wheel carries the knowledge base inside the package (``bot/knowledge``, mapped from the repository's top-level
``knowledge/`` folder by pyproject.toml); a checkout or an editable install uses ``knowledge/`` itself, the
folder curators edit. ``--knowledge`` / ``BRIEFBOT_KNOWLEDGE`` and ``BRIEFBOT_DATA`` override both."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent  # the repository, when running from a checkout or an editable install


def from_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "knowledge").is_dir()


def default_knowledge_dir() -> Path:
    """The repository's knowledge/ in a checkout, else the copy shipped in the package."""
    return CHECKOUT / "knowledge" if from_checkout() else PACKAGE / "knowledge"


def default_data_dir() -> Path:
    """data/ in a checkout (as before); an installed package keeps its data in the user's data folder."""
    if from_checkout():
        return CHECKOUT / "data"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "briefbot"
