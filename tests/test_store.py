"""The question log: schema and migrations, privacy, retention, and every way the database can fail."""

from __future__ import annotations

import logging

import sqlite3
import stat
import time
from pathlib import Path

import pytest

from bot.core.feedback import Vote
from bot.core.models import Answer, Match, Status
from bot.core.store import (
    KEY_NAME,
    SCHEMA_VERSION,
    NullLog,
    QuestionLog,
    counts,
    load_or_create_key,
    new_question_id,
    open_database,
    read_rows,
    user_hash,
)
from bot.settings import Settings, SettingsError

ANSWER = Answer("how long is pos2", Status.ANSWERED, "2,600 km", (), (), Match("qa", "pos2-length", 0.9), 0.9)


def record(log: QuestionLog, n: int = 1, *, user_id: int = 1234, qid: int | None = None) -> list[int]:
    ids = []
    for _ in range(n):
        ids.append(qid or new_question_id())
        log.record_question(ids[-1], ANSWER, source="slash", guild_id=1, channel_id=2, user_id=user_id,
                            kb_version="abc", elapsed_ms=0.7)
    return ids


def rows(path: Path):
    conn = open_database(path)
    try:
        return read_rows(conn)
    finally:
        conn.close()


def test_schema_wal_and_fields(tmp_path):
    db = tmp_path / "q.sqlite3"
    with QuestionLog(db, b"key") as log:
        (qid,) = record(log)
        log.record_vote(Vote(False, "qa", "pos2-length", 1234, 1, 2), qid)
        log.record_vote(Vote(True, "qa", "pos2-length", 99, 1, 2), 424242)  # unknown question: kept, unlinked
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    (q,), (down, up) = rows(db)
    assert (q.id, q.source, q.guild_id, q.channel_id, q.question, q.status, q.match_kind, q.match_id) == (
        qid, "slash", 1, 2, "how long is pos2", "answered", "qa", "pos2-length")
    assert q.kb_version == "abc" and q.elapsed_ms == 0.7 and q.score == 0.9
    assert down.question_id == qid and down.helpful is False and down.item_id == "pos2-length"
    assert up.question_id is None and up.helpful is True


def test_user_ids_are_never_stored_raw(tmp_path):
    db = tmp_path / "q.sqlite3"
    with QuestionLog(db, b"secret") as log:
        record(log, user_id=555000111)
    raw = db.read_bytes() + (Path(str(db) + "-wal").read_bytes() if Path(str(db) + "-wal").exists() else b"")
    assert b"555000111" not in raw
    (q,), _ = rows(db)
    assert q.user_hash == user_hash(b"secret", 555000111) != user_hash(b"other", 555000111)


def test_hash_key_is_generated_once_and_private(tmp_path):
    k1 = load_or_create_key(tmp_path)
    k2 = load_or_create_key(tmp_path)
    assert k1 == k2 and len(k1) == 32
    assert stat.S_IMODE((tmp_path / KEY_NAME).stat().st_mode) == 0o600
    env = "e" * 32
    assert load_or_create_key(tmp_path, env) == env.encode()


def test_migrations_bring_an_old_database_up_to_date(tmp_path):
    db = tmp_path / "q.sqlite3"
    sqlite3.connect(db).close()  # an empty, version-0 database
    conn = open_database(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert counts(conn) == (0, 0)
    conn.close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(sqlite3.DatabaseError, match="newer"):
        open_database(db)


def version_1_log(db: Path) -> None:
    """A question log as schema version 1 wrote it, with one question: "old question"."""
    from bot.core.store import MIGRATIONS

    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    conn.execute("INSERT INTO questions VALUES (7, 1.0, 'slash', 1, 2, 'h', 'old question', 'answered', 'qa', "
                 "'about-author', 1.0, 'v', 0.5)")
    conn.commit()
    conn.close()


def test_a_version_1_log_keeps_its_rows_and_gains_the_reading_column(tmp_path):
    db = tmp_path / "q.sqlite3"
    version_1_log(db)
    with QuestionLog(db, b"k") as log:
        record(log, 1)
    qs, _ = rows(db)
    assert [r.question for r in qs][0] == "old question" and qs[0].reading is None
    assert qs[1].reading == "lexical"  # ANSWER was not matched by meaning
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_retention_deletes_old_rows(tmp_path):
    db = tmp_path / "q.sqlite3"
    now = [time.time() - 40 * 86400]
    with QuestionLog(db, b"k", clock=lambda: now[0]) as log:
        record(log, 3)
        log.flush()
    now[0] = time.time()
    with QuestionLog(db, b"k", retention_days=30, clock=lambda: now[0]) as log:
        record(log, 2)
    qs, _ = rows(db)
    assert len(qs) == 2


def test_close_writes_everything_queued(tmp_path):
    db = tmp_path / "q.sqlite3"
    log = QuestionLog(db, b"k")
    record(log, 2000)
    log.close()
    log.close()  # idempotent
    qs, _ = rows(db)
    assert len(qs) == 2000 and log.written == 2000 and log.dropped == 0


def test_unwritable_folder_at_start_then_recovers(tmp_path, caplog):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    db = blocker / "q.sqlite3"
    log = QuestionLog(db, b"k", retry_seconds=0)
    with caplog.at_level(logging.WARNING):
        record(log, 3)
        assert log.flush()
        record(log, 2)
        assert log.flush()
    assert log.dropped == 5 and log.written == 0
    assert sum("could not open the question log" in r.getMessage() for r in caplog.records) == 1  # warned once
    blocker.unlink()
    blocker.mkdir()
    record(log, 4)
    log.close()
    assert log.written == 4
    assert len(rows(db)[0]) == 4


def test_locked_database_is_counted_then_recovers(tmp_path, caplog):
    db = tmp_path / "q.sqlite3"
    open_database(db).close()
    log = QuestionLog(db, b"k", connect=lambda p: open_database(p, timeout=0.05))
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    with caplog.at_level(logging.WARNING):
        record(log, 3)
        assert log.flush()
    assert log.dropped == 3
    assert any("locked" in r.getMessage() for r in caplog.records)
    blocker.execute("ROLLBACK")
    blocker.close()
    record(log, 2)
    log.close()
    assert log.written == 2 and len(rows(db)[0]) == 2


def test_full_database_is_counted_then_recovers(tmp_path):
    db = tmp_path / "q.sqlite3"
    limit = {"pages": 8}

    def connect(path):
        conn = open_database(path)
        conn.execute(f"PRAGMA max_page_count = {limit['pages']}")
        return conn

    log = QuestionLog(db, b"k", connect=connect, retry_seconds=0)
    big = Answer("x" * 3000, Status.ABSTAINED, "", (), (), Match(None, None, 0.0), 0.0)
    for _ in range(40):
        log.record_question(new_question_id(), big, source="dm", guild_id=None, channel_id=None, user_id=1,
                            kb_version="v", elapsed_ms=1)
    assert log.flush()
    assert log.dropped > 0
    written_before = log.written
    limit["pages"] = 100_000
    log._drop_connection()  # the next write reconnects with room to grow (as after freeing disk space)
    record(log, 5)
    log.close()
    assert log.written == written_before + 5


def test_corrupt_database_is_moved_aside_never_deleted(tmp_path, caplog):
    db = tmp_path / "q.sqlite3"
    garbage = b"this is not a database " * 400
    db.write_bytes(garbage)
    with caplog.at_level(logging.WARNING):
        with QuestionLog(db, b"k") as log:
            record(log, 2)
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert len(rows(db)[0]) == 2
    assert any("moved it to" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("error", [sqlite3.OperationalError("disk I/O error"),
                                   ValueError("not an sqlite error: the writer survives it too")])
def test_database_failing_while_running_recovers(tmp_path, error):
    db = tmp_path / "q.sqlite3"
    calls = {"n": 0}

    def flaky(path):
        calls["n"] += 1
        if calls["n"] == 1:
            raise error
        return open_database(path)

    log = QuestionLog(db, b"k", connect=flaky, retry_seconds=0)
    record(log, 1)
    assert log.flush()
    record(log, 1)
    log.close()
    assert log.dropped == 1 and log.written == 1


def test_settings_for_the_log():
    s = Settings.from_env({"DISCORD_TOKEN": "t", "BRIEFBOT_LOG_QUESTIONS": "0", "BRIEFBOT_RETENTION_DAYS": "30"})
    assert s.log_questions is False and s.retention_days == 30.0
    assert Settings.from_env({"DISCORD_TOKEN": "t"}).log_questions is True
    for bad in ({"BRIEFBOT_RETENTION_DAYS": "soon"}, {"BRIEFBOT_RETENTION_DAYS": "-1"},
                {"BRIEFBOT_LOG_QUESTIONS": "maybe"}):
        with pytest.raises(SettingsError):
            Settings.from_env({"DISCORD_TOKEN": "t", **bad})
    assert "token" not in repr(Settings.from_env({"DISCORD_TOKEN": "sekrit-token"}))


def test_null_log_records_nothing(tmp_path):
    log = NullLog()
    record(log, 3)  # type: ignore[arg-type]
    log.record_vote(Vote(True, "qa", "x", 1, None, None))
    assert log.flush() and log.written == 0
    assert not any(tmp_path.iterdir())


def test_token_never_reaches_the_log_or_the_database(tmp_path, monkeypatch, caplog):
    import io

    from bot import cli

    token = "MTIzNDU2.sekrit.token-value"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("BRIEFBOT_DATA", str(tmp_path / "data"))

    async def fake_run_bot(bot, tok, timeout=30.0, **options):
        async with bot:  # as run_bot does; closing the bot closes the question log
            bot.ask("who wrote the brief", source="dm", user_id=7, guild_id=None, channel_id=None)

    from bot.discord_app import runner

    monkeypatch.setattr(runner, "run_bot", fake_run_bot)
    with caplog.at_level(logging.DEBUG):
        assert cli.main(["run"], out=io.StringIO(), err=io.StringIO()) == 0
    assert token not in caplog.text
    for f in (tmp_path / "data").rglob("*"):
        assert token.encode() not in f.read_bytes()
    assert len(rows(tmp_path / "data" / "briefbot.sqlite3")[0]) == 1

