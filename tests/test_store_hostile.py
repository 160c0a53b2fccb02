"""The question log under hostile conditions (issue 13, items 1-5; issue 10, item 7): bad rows, full queues,
several processes, a deleted file, a damaged file, unsafe keys, private files, repeated votes."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.core.feedback import Vote
from bot.core.models import Answer, Match, Status
from test_store import rows, version_1_log

from bot.core.store import (
    KEY_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    DatabaseDamaged,
    HashKeyError,
    QuestionLog,
    load_or_create_key,
    new_question_id,
    open_database,
    read_log,
)

ROOT = Path(__file__).resolve().parent.parent
KEY = b"k" * 32
ANSWER = Answer("how long is pos2", Status.ANSWERED, "2,600 km", (), (), Match("qa", "pos2-length", 0.9), 0.9)


def ask(log: QuestionLog, text: str = "how long is pos2", *, user_id: int = 1, guild_id: int | None = 1,
        channel_id: int | None = 2, qid: int | None = None) -> int:
    qid = qid or new_question_id()
    log.record_question(qid, Answer(text, Status.ABSTAINED, "", (), (), Match(None, None, 0.0), 0.0)
                        if text != ANSWER.question else ANSWER, source="dm" if guild_id is None else "slash",
                        guild_id=guild_id, channel_id=channel_id, user_id=user_id, kb_version="v", elapsed_ms=1.0)
    return qid


all_rows = rows  # every question and vote in the file

# ------------------------------------------------------------------------------------------ 1. bad rows, shutdown

def test_an_undecodable_question_is_stored_and_the_writer_lives_on(tmp_path):
    db = tmp_path / "q.sqlite3"
    bad = b"how long \xff pos2".decode("utf-8", "surrogateescape")  # what stdin hands over
    with QuestionLog(db, KEY) as log:
        ask(log, "first")
        ask(log, bad)
        for i in range(200):
            ask(log, f"question {i}")
    qs, _ = all_rows(db)
    assert len(qs) == 202 and log.written == 202 and log.dropped == 0
    assert "how long \ufffd pos2" in [q.question for q in qs]


def test_any_exception_in_one_row_costs_that_row_only(tmp_path, monkeypatch, caplog):
    db = tmp_path / "q.sqlite3"
    real = QuestionLog._insert

    def insert(conn, row):
        if getattr(row, "question", "") == "poison":
            raise RuntimeError("a bug in one row")
        real(conn, row)

    monkeypatch.setattr(QuestionLog, "_insert", staticmethod(insert))
    with caplog.at_level(logging.WARNING):
        with QuestionLog(db, KEY) as log:
            ask(log, "before")
            ask(log, "poison")
            ask(log, "after")
            assert log.flush()
            ask(log, "later")
    assert sorted(q.question for q in all_rows(db)[0]) == ["after", "before", "later"]
    assert log.dropped == 1 and log.written == 3
    assert any("a bug in one row" in r.getMessage() for r in caplog.records)


def test_close_never_blocks_on_a_full_queue(tmp_path):
    db = tmp_path / "q.sqlite3"
    release = threading.Event()

    def stuck(path):
        release.wait(30)
        return open_database(path)

    log = QuestionLog(db, KEY, connect=stuck, max_queue=5)
    for _ in range(50):
        ask(log)
    assert log.dropped >= 50 - 2 * 5 - 1  # the queue is full and the writer stuck: rows are counted, the caller never waits
    closer = threading.Thread(target=log.close, kwargs={"timeout": 0.2})
    closer.start()
    closer.join(10)
    stuck_close = closer.is_alive()
    release.set()
    log._thread.join(10)
    assert not stuck_close
    assert log.written + log.dropped == 50


# ------------------------------------------------------------------------------------------ 2. several processes

WRITER = """
import sys, time
from pathlib import Path
from bot.core.models import Answer, Match, Status
from bot.core.store import QuestionLog, new_question_id
db, n, go = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
while not go.exists():
    time.sleep(0.005)
a = Answer("q", Status.ABSTAINED, "", (), (), Match(None, None, 0.0), 0.0)
log = QuestionLog(db, b"k" * 32)
for i in range(n):
    log.record_question(new_question_id(), a, source="cli", guild_id=None, channel_id=None, user_id=None,
                        kb_version="v", elapsed_ms=0.0)
    if i % 97 == 0:
        time.sleep(0.001)
log.close(60)
print(log.written, log.dropped)
"""


def run_together(script: str, args: list[str], go: Path, processes: int) -> list[tuple[int, str, str]]:
    """Start ``processes`` copies of ``script``; they wait for ``go`` to exist, so they start at once.
    Returns each one's exit code, stdout and stderr."""
    procs = [subprocess.Popen([sys.executable, "-c", script, *args, str(go)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    go.touch()
    try:
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outs)]


@pytest.mark.parametrize("processes", [2, 4])
def test_several_processes_create_and_write_one_database_without_losing_a_row(tmp_path, processes):
    db = tmp_path / "fresh" / "q.sqlite3"  # nobody has created it: they all race to create and migrate it
    n = 1500
    for code, out, err in run_together(WRITER, [str(db), str(n)], tmp_path / "go", processes):
        assert code == 0, err
        assert out.split() == [str(n), "0"], err
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == processes * n
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_migration_reads_the_version_inside_its_transaction(tmp_path):
    """Two connections that both saw an old version: the second must not run the migration again."""
    db = tmp_path / "q.sqlite3"
    sqlite3.connect(db).close()
    first = open_database(db)
    from bot.core.store import migrate

    raw = sqlite3.connect(db, isolation_level=None)
    assert migrate(raw) == SCHEMA_VERSION  # already migrated by the first: nothing to do, no error
    first.close()
    raw.close()


# ------------------------------------------------------------------------------------------ 3. a deleted file

def test_a_deleted_database_file_is_noticed_and_opened_again(tmp_path, caplog):
    db = tmp_path / "q.sqlite3"
    with caplog.at_level(logging.WARNING):
        with QuestionLog(db, KEY) as log:
            ask(log, "before")
            assert log.flush()
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            ask(log, "after 1")
            ask(log, "after 2")
            assert log.flush()
            ask(log, "after 3")
    assert sorted(q.question for q in all_rows(db)[0]) == ["after 1", "after 2", "after 3"]
    assert log.written == 4 and log.dropped == 0
    assert sum("deleted or replaced" in r.getMessage() for r in caplog.records) == 1


# ------------------------------------------------------------------------------------------ 4. a damaged file

def test_reading_a_damaged_database_moves_nothing(tmp_path):
    db = tmp_path / "q.sqlite3"
    garbage = b"this is not a database " * 400
    db.write_bytes(garbage)
    with pytest.raises(DatabaseDamaged):
        read_log(db)
    assert db.read_bytes() == garbage and sorted(p.name for p in tmp_path.iterdir()) == ["q.sqlite3"]


def test_reading_leaves_an_old_schema_alone(tmp_path):
    db = tmp_path / "q.sqlite3"
    version_1_log(db)
    qs, votes = read_log(db)
    assert [q.question for q in qs] == ["old question"] and votes == []
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


# ------------------------------------------------------------------------------------------ 5. secrets and modes

def test_short_keys_are_refused(tmp_path):
    with pytest.raises(HashKeyError, match="at least 32"):
        load_or_create_key(tmp_path, "short")


@pytest.mark.parametrize("content", [b"", b"abc", b"zz" * 32, b"00" * 8])
def test_a_damaged_key_file_is_refused_not_used(tmp_path, content):
    path = tmp_path / KEY_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content)
    os.close(fd)
    with pytest.raises(HashKeyError, match="damaged"):
        load_or_create_key(tmp_path)
    assert path.read_bytes() == content  # never overwritten: it may be the only copy of a real key


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_key_file_others_can_read_is_refused(tmp_path):
    load_or_create_key(tmp_path)
    (tmp_path / KEY_NAME).chmod(0o644)
    with pytest.raises(HashKeyError, match="chmod 600"):
        load_or_create_key(tmp_path)


KEYMAKER = """
import sys, time
from pathlib import Path
from bot.core.store import load_or_create_key
d, go = Path(sys.argv[1]), Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
print(load_or_create_key(d).hex())
"""


def test_processes_creating_the_key_at_once_agree_on_it(tmp_path):
    data = tmp_path / "data"
    results = run_together(KEYMAKER, [str(data)], tmp_path / "go", 4)
    assert all(code == 0 for code, _, _ in results), results
    keys = {out.strip() for _, out, _ in results}
    assert len(keys) == 1, results
    (key,) = keys
    assert len(bytes.fromhex(key)) == 32 and (data / KEY_NAME).read_text() == key
    assert [p.name for p in data.iterdir()] == [KEY_NAME]  # no temporary file left behind


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_data_folder_database_and_key_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        data = tmp_path / "data"
        load_or_create_key(data)
        with QuestionLog(data / "q.sqlite3", KEY) as log:
            ask(log)
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / KEY_NAME).stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "q.sqlite3").stat().st_mode) == 0o600


def test_channel_ids_outside_a_server_are_not_stored(tmp_path):
    db = tmp_path / "q.sqlite3"
    with QuestionLog(db, KEY) as log:
        qid = ask(log, guild_id=None, channel_id=987654321012)
        ask(log, guild_id=5, channel_id=6)
        log.record_vote(Vote(True, "qa", "pos2-length", 1, None, 987654321012), qid)
    qs, votes = all_rows(db)
    assert sorted((q.guild_id, q.channel_id) for q in qs if q.guild_id) == [(5, 6)]
    assert [q.channel_id for q in qs if q.guild_id is None] == [None]
    assert votes[0].channel_id is None
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"987654321012" not in raw


# ------------------------------------------------------------------------------------------ votes (issue 10 item 7)

def test_one_vote_per_user_per_answered_question_and_a_second_click_replaces_it(tmp_path):
    db = tmp_path / "q.sqlite3"
    with QuestionLog(db, KEY) as log:
        qid = ask(log)
        other = ask(log)
        assert log.flush()
        for _ in range(15):
            log.record_vote(Vote(False, "qa", "pos2-length", 7, 1, 2), qid)
        log.record_vote(Vote(True, "qa", "pos2-length", 7, 1, 2), qid)  # changed their mind
        log.record_vote(Vote(False, "qa", "pos2-length", 8, 1, 2), qid)  # someone else
        log.record_vote(Vote(False, "qa", "pos2-length", 7, 1, 2), other)  # the same user, another answer
        for _ in range(5):  # forged question ids that do not exist: one vote, unlinked
            log.record_vote(Vote(False, "qa", "pos2-length", 9, 1, 2), new_question_id())
    _, votes = all_rows(db)
    assert len(votes) == 4
    mine = [v for v in votes if v.question_id == qid]
    assert sorted(v.helpful for v in mine) == [False, True]
    assert sum(1 for v in votes if v.question_id is None) == 1


def test_the_vote_migration_keeps_the_latest_vote_of_each_user(tmp_path):
    db = tmp_path / "q.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1] + "\nPRAGMA user_version = 2;")
    conn.execute("INSERT INTO questions (id, ts, source, question, status, score, kb_version, elapsed_ms) "
                 "VALUES (5, 1.0, 'slash', 'q', 'answered', 1.0, 'v', 0.1)")
    for ts, helpful, user in [(1.0, 0, "a"), (2.0, 0, "a"), (3.0, 1, "a"), (4.0, 0, "b"), (5.0, 0, None),
                              (6.0, 0, None)]:
        conn.execute("INSERT INTO feedback (ts, question_id, kind, item_id, helpful, user_hash) "
                     "VALUES (?, 5, 'qa', 'x', ?, ?)", (ts, helpful, user))
    conn.commit()
    conn.close()
    _, votes = all_rows(db)
    assert sorted((v.user_hash or "", v.helpful, v.ts) for v in votes) == [
        ("", False, 5.0), ("", False, 6.0), ("a", True, 3.0), ("b", False, 4.0)]


def test_report_on_a_damaged_log_says_so_exits_1_and_moves_nothing(tmp_path, monkeypatch):
    import io

    from bot.cli import main

    data = tmp_path / "data"
    data.mkdir()
    db = data / "briefbot.sqlite3"
    garbage = b"SQLite format 3\x00" + b"\xff" * 4000
    db.write_bytes(garbage)
    monkeypatch.setenv("BRIEFBOT_DATA", str(data))
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["report"], out=out, err=err) == 1
    assert "damaged" in err.getvalue() and "Questions:" not in out.getvalue()
    assert db.read_bytes() == garbage and [p.name for p in data.iterdir()] == ["briefbot.sqlite3"]


def test_a_short_hash_key_in_the_environment_stops_the_cli_with_a_clear_message(tmp_path, monkeypatch):
    import io

    from bot.cli import main

    monkeypatch.setenv("BRIEFBOT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("BRIEFBOT_HASH_KEY", "guessable")
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    main(["ask", "--log", "who wrote the brief"], out=io.StringIO(), err=err)
    assert "BRIEFBOT_HASH_KEY must be at least 32 characters" in err.getvalue()
    assert not (tmp_path / "data" / "briefbot.sqlite3").exists()


def test_opening_tries_again_while_another_process_sets_the_new_log_up(tmp_path, monkeypatch):
    """SQLite can answer "database is locked" at once (no busy wait) to a connection that meets a log another
    process is switching to WAL: opening tries again until its timeout, and other errors are not retried."""
    import bot.core.store as store

    real = store._open_once
    calls = []

    def flaky(path, timeout):
        calls.append(path)
        if len(calls) <= 2:
            raise sqlite3.OperationalError("database is locked")
        return real(path, timeout)

    monkeypatch.setattr(store, "_open_once", flaky)
    conn = store.open_database(tmp_path / "q.sqlite3", timeout=5.0)
    assert len(calls) == 3 and conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()

    calls.clear()
    monkeypatch.setattr(store, "_open_once", lambda p, t: (calls.append(p), (_ for _ in ()).throw(
        sqlite3.OperationalError("database is locked")))[1])
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store.open_database(tmp_path / "other.sqlite3", timeout=0.05)  # gives up after its timeout
    assert 1 < len(calls) < 20

    calls.clear()
    monkeypatch.setattr(store, "_open_once", lambda p, t: (calls.append(p), (_ for _ in ()).throw(
        sqlite3.OperationalError("disk I/O error")))[1])
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        store.open_database(tmp_path / "third.sqlite3", timeout=5.0)
    assert len(calls) == 1  # not a lock: raised at once
