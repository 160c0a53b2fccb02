"""``python -m bot backup FILE``: a consistent copy of the question log while the bot keeps writing to it.

Copying the database file alone is not a backup: in WAL mode recent rows live in ``briefbot.sqlite3-wal`` until a
checkpoint, and a copy taken mid-write can be torn. SQLite's online backup API copies the database as one
consistent snapshot, WAL included, while other connections keep reading and writing."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path


class BackupError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    questions: int
    votes: int
    bytes: int


def backup_database(source: Path, dest: Path) -> BackupResult:
    """Copy ``source`` to ``dest`` (which must not exist) with the online backup API, check the copy, and move it
    into place only when it is whole. The source is opened read-only and never changed or moved."""
    if not source.is_file():
        raise BackupError(f"No question log at {source}: it is written while the bot runs (BRIEFBOT_DATA sets the "
                          f"folder).")
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name (a backup never overwrites).")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private from the start, like the log
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            out = sqlite3.connect(str(partial))
            try:
                src.backup(out, pages=1024)  # in steps, so writers are not held up for the whole copy
                ok = out.execute("PRAGMA quick_check").fetchone()
                if not ok or ok[0] != "ok":
                    raise BackupError(f"the copy of {source} failed its integrity check: {ok[0] if ok else '?'}")
                questions, votes = (_count(out, "questions"), _count(out, "feedback"))
            finally:
                out.close()
        finally:
            src.close()
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Cannot back up {source}: {exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(dest, questions, votes, dest.stat().st_size)


def _count(conn: sqlite3.Connection, table: str) -> int:
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed table names
    except sqlite3.OperationalError:  # an older or empty database without that table
        return 0
