"""The question log and feedback store: SQLite (WAL), a versioned schema with migrations, keyed user hashes.

Writes never block answering: ``QuestionLog.record_*`` put a row on a queue and return at once; one worker
thread owns the connection and writes. When the database is unwritable, locked, full or corrupt the bot keeps
answering: the failure is logged once, rows that could not be written are counted, and the worker reopens the
database and carries on as soon as it can. A corrupt database file is moved aside, never deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .feedback import Vote
from .models import Answer

log = logging.getLogger(__name__)

DB_NAME = "briefbot.sqlite3"
KEY_NAME = "user-hash.key"

# Each migration takes the schema from version i to i + 1. Never edit one that has shipped; append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        source TEXT NOT NULL,
        guild_id INTEGER,
        channel_id INTEGER,
        user_hash TEXT,
        question TEXT NOT NULL,
        status TEXT NOT NULL,
        match_kind TEXT,
        match_id TEXT,
        score REAL NOT NULL,
        kb_version TEXT NOT NULL,
        elapsed_ms REAL NOT NULL
    );
    CREATE INDEX questions_ts ON questions (ts);
    CREATE INDEX questions_status ON questions (status);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        question_id INTEGER REFERENCES questions (id) ON DELETE SET NULL,
        kind TEXT NOT NULL,
        item_id TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        user_hash TEXT,
        guild_id INTEGER,
        channel_id INTEGER
    );
    CREATE INDEX feedback_item ON feedback (kind, item_id);
    """,
    # 2: which reading answered ("lexical" | "semantic"), for the report's "answered by meaning" section
    """
    ALTER TABLE questions ADD COLUMN reading TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def load_or_create_key(data_dir: Path, env_key: str | None = None) -> bytes:
    """The key for user hashes: from the environment, else from the data folder, else made and saved there."""
    if env_key:
        return env_key.encode()
    path = data_dir / KEY_NAME
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    key = secrets.token_bytes(32)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key.hex())
    except OSError as exc:
        log.warning("could not save the user-hash key in %s (%s); hashes will change at the next start", path, exc)
    return key


def user_hash(key: bytes, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]


def new_question_id() -> int:
    """A random row id, known before the row is written, so feedback buttons can carry it."""
    return secrets.randbits(52) + 1


@dataclass(frozen=True, slots=True)
class QuestionRow:
    id: int
    ts: float
    source: str  # "slash" | "mention" | "reply" | "channel" | "dm" | "button" | "cli"
    guild_id: int | None
    channel_id: int | None
    user_hash: str | None
    question: str
    status: str
    match_kind: str | None
    match_id: str | None
    score: float
    kb_version: str
    elapsed_ms: float
    reading: str | None = None  # "lexical" | "semantic" for answered questions (None before schema 2)


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    ts: float
    question_id: int | None
    kind: str
    item_id: str
    helpful: bool
    user_hash: str | None
    guild_id: int | None
    channel_id: int | None


def open_database(path: Path, *, timeout: float = 1.0) -> sqlite3.Connection:
    """Open (creating or migrating) the database. A file that is not a usable database is moved aside."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open(path, timeout)
    except sqlite3.DatabaseError as exc:
        if not _looks_corrupt(exc) or not path.exists():
            raise
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(path) + suffix)
            if src.exists():
                src.rename(Path(str(aside) + suffix))
        log.warning("the question database %s was corrupt (%s); moved it to %s and started a new one",
                    path, exc, aside)
        return _open(path, timeout)


def _looks_corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("not a database", "malformed", "corrupt", "file is encrypted"))


def _open(path: Path, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        ok = conn.execute("PRAGMA quick_check").fetchone()
        if not ok or ok[0] != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({ok[0] if ok else 'no answer'})")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"database schema version {version} is newer than this program ({SCHEMA_VERSION})")
    for v in range(version, SCHEMA_VERSION):
        try:  # one transaction per migration, the version bump included: never half a schema
            conn.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[v]}\nPRAGMA user_version = {v + 1};\nCOMMIT;")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.info("question database migrated to schema version %d", v + 1)
    return SCHEMA_VERSION


class QuestionLog:
    """Asynchronous writer of questions and votes. Safe to call from the event loop; never raises."""

    def __init__(self, path: Path, key: bytes, *, retention_days: float | None = None,
                 clock: Callable[[], float] = time.time, connect: Callable[[Path], sqlite3.Connection] | None = None,
                 retry_seconds: float = 5.0, max_queue: int = 10_000):
        self.path = path
        self.key = key
        self.retention_days = retention_days
        self.clock = clock
        self._connect = connect or open_database
        self.retry_seconds = retry_seconds
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue)
        self._conn: sqlite3.Connection | None = None
        self._warned = False
        self._next_retry = 0.0
        self.written = 0
        self.dropped = 0  # rows that could not be recorded (database down, or the queue full)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="question-log", daemon=True)
        self._closed = False
        self._last_retention = 0.0
        self._thread.start()

    # ------------------------------------------------------------------------------------------- producers

    def record_question(self, qid: int, answer: Answer, *, source: str, guild_id: int | None,
                        channel_id: int | None, user_id: int | None, kb_version: str, elapsed_ms: float) -> None:
        row = QuestionRow(qid, self.clock(), source, guild_id, channel_id, user_hash(self.key, user_id),
                          answer.question[:4000], answer.status.value, answer.match.kind, answer.match.id,
                          float(answer.match.score), kb_version, round(elapsed_ms, 3),
                          None if not answer.answered else "semantic" if answer.read_as else "lexical")
        self._put(row)

    def record_vote(self, vote: Vote, question_id: int | None = None) -> None:
        self._put(FeedbackRow(self.clock(), question_id, vote.kind, vote.item_id, vote.helpful,
                              user_hash(self.key, vote.user_id), vote.guild_id, vote.channel_id))

    def _put(self, row: QuestionRow | FeedbackRow) -> None:
        if self._closed:
            with self._lock:
                self.dropped += 1
            return
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            with self._lock:
                self.dropped += 1
            self._warn("the question log is falling behind; dropping rows")

    # ------------------------------------------------------------------------------------------- the writer

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._queue.task_done()
                break
            batch = [item]
            while len(batch) < 500:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # stop after this batch
                    self._queue.task_done()
                    break
                batch.append(nxt)
            try:
                self._write(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()
        self._drop_connection()

    def _write(self, batch: list[QuestionRow | FeedbackRow]) -> None:
        conn = self._connection()
        if conn is None:
            with self._lock:
                self.dropped += len(batch)
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            for row in batch:
                if isinstance(row, QuestionRow):
                    conn.execute("INSERT OR IGNORE INTO questions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                        row.id, row.ts, row.source, row.guild_id, row.channel_id, row.user_hash, row.question,
                        row.status, row.match_kind, row.match_id, row.score, row.kb_version, row.elapsed_ms,
                        row.reading))
                else:
                    conn.execute(
                        "INSERT INTO feedback (ts, question_id, kind, item_id, helpful, user_hash, guild_id, "
                        "channel_id) VALUES (?, (SELECT id FROM questions WHERE id = ?), ?,?,?,?,?,?)",
                        (row.ts, row.question_id, row.kind, row.item_id, int(row.helpful), row.user_hash,
                         row.guild_id, row.channel_id))
            conn.execute("COMMIT")
            with self._lock:
                self.written += len(batch)
            if self._warned:
                log.warning("the question log is writable again (%d row(s) could not be recorded meanwhile)",
                            self.dropped)
                self._warned = False
            self._apply_retention(conn)
        except sqlite3.Error as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            with self._lock:
                self.dropped += len(batch)
            self._warn(f"could not write to the question log {self.path}: {exc}")
            if isinstance(exc, sqlite3.DatabaseError) and _looks_corrupt(exc):
                self._drop_connection()

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        now = time.monotonic()
        if now < self._next_retry:
            return None
        try:
            self._conn = self._connect(self.path)
            self._apply_retention(self._conn, force=True)
            return self._conn
        except (sqlite3.Error, OSError) as exc:
            self._next_retry = now + self.retry_seconds
            self._warn(f"could not open the question log {self.path}: {exc}")
            return None

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
        self._conn = None

    def _apply_retention(self, conn: sqlite3.Connection, force: bool = False) -> None:
        if not self.retention_days:
            return
        now = self.clock()
        if not force and now - self._last_retention < 3600:
            return
        self._last_retention = now
        cutoff = now - self.retention_days * 86400
        conn.execute("DELETE FROM feedback WHERE ts < ?", (cutoff,))
        conn.execute("DELETE FROM questions WHERE ts < ?", (cutoff,))

    def _warn(self, message: str) -> None:
        if not self._warned:
            log.warning("%s; the bot keeps answering and counts what it cannot record", message)
            self._warned = True

    # ------------------------------------------------------------------------------------------- lifecycle

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued row has been handled (written or counted as dropped)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then close the database. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)

    def __enter__(self) -> "QuestionLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class NullLog:
    """BRIEFBOT_LOG_QUESTIONS=0: nothing is recorded anywhere."""

    written = 0
    dropped = 0

    def record_question(self, *args, **kwargs) -> None:
        pass

    def record_vote(self, *args, **kwargs) -> None:
        pass

    def flush(self, timeout: float = 0) -> bool:
        return True

    def close(self, timeout: float = 0) -> None:
        pass


def read_rows(conn: sqlite3.Connection, since: float | None = None) -> tuple[list[QuestionRow], list[FeedbackRow]]:
    since = since or 0.0
    qs = [QuestionRow(*r) for r in conn.execute("SELECT * FROM questions WHERE ts >= ? ORDER BY ts", (since,))]
    fb = [FeedbackRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in conn.execute(
        "SELECT ts, question_id, kind, item_id, helpful, user_hash, guild_id, channel_id FROM feedback "
        "WHERE ts >= ? ORDER BY ts", (since,))]
    return qs, fb


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    q = conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    f = conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    return q, f
