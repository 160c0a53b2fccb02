"""The question log and feedback store: SQLite (WAL), a versioned schema with migrations, keyed user hashes.

Writes never block answering: ``QuestionLog.record_*`` put a row on a queue and return at once; one worker
thread owns the connection and writes. When the database is unwritable, locked, full or corrupt the bot keeps
answering: the failure is logged once, rows that could not be written are counted, and the worker reopens the
database and carries on as soon as it can. A corrupt database file is moved aside by the writer, never deleted;
readers (the report) open the file read-only and never move anything. Several processes may share one database:
the schema is migrated in one ``BEGIN IMMEDIATE`` transaction that re-reads the version, and every connection
waits for the others (``busy_timeout``) instead of failing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import re
import secrets
import sqlite3
import stat
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
    # 3: one vote per user per answered question (a second click replaces the first): the latest vote of each
    # user on each question and entry is kept, earlier duplicates are removed
    """
    ALTER TABLE feedback ADD COLUMN vote_key TEXT;
    UPDATE feedback SET vote_key = user_hash || ':' || COALESCE(question_id, '') || ':' || kind || ':' || item_id
        WHERE user_hash IS NOT NULL;
    DELETE FROM feedback WHERE vote_key IS NOT NULL
        AND id NOT IN (SELECT MAX(id) FROM feedback WHERE vote_key IS NOT NULL GROUP BY vote_key);
    CREATE UNIQUE INDEX feedback_vote ON feedback (vote_key);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


MIN_KEY_BYTES = 32
BUSY_TIMEOUT = 10.0  # seconds a connection waits for another process's write before giving up


class HashKeyError(RuntimeError):
    """The user-hash key is unsafe (too short, damaged, or readable by others); the message says what to do."""


def _check_key(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise HashKeyError(f"the user-hash key {where} is {len(key)} bytes; it must be at least {MIN_KEY_BYTES}, "
                           "or anyone could recompute the hashed user ids")
    return key


def _read_key_file(path: Path) -> bytes | None:
    """The saved key, None if there is none; HashKeyError if it is readable by others or damaged."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as f:
        mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
        if os.name == "posix" and mode & 0o077:
            raise HashKeyError(f"the user-hash key file {path} is readable by others (mode {mode:04o}); "
                               f"make it private with `chmod 600 {path}`, then start again")
        raw = f.read(4096)
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) < MIN_KEY_BYTES:
        raise HashKeyError(f"the user-hash key file {path} is damaged ({len(raw)} bytes, not {2 * MIN_KEY_BYTES} "
                           "hex digits); restore it from a backup, or delete it to make a new key (the hashes of "
                           "users already in the log will then differ)")
    return key


def load_or_create_key(data_dir: Path, env_key: str | None = None) -> bytes:
    """The key for user hashes: from the environment, else from the data folder, else made and saved there.

    The key is at least 32 bytes. A new key is written to a private temporary file, synced, then linked into
    place only if no key exists yet (so two processes starting at once end up with the same key, and a reader
    never sees half a key). Raises HashKeyError for a short key or a key file that others can read."""
    if env_key:
        return _check_key(env_key.encode(), "in BRIEFBOT_HASH_KEY")
    path = data_dir / KEY_NAME
    try:
        key = _read_key_file(path)
    except OSError as exc:
        raise HashKeyError(f"cannot read the user-hash key file {path}: {exc.strerror or exc}") from exc
    if key is not None:
        return key
    key = secrets.token_bytes(MIN_KEY_BYTES)
    try:
        make_private_dir(data_dir)
        tmp = data_dir / f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(key.hex())
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # atomic, and fails if another process saved its key first
            except FileExistsError:
                theirs = _read_key_file(path)
                if theirs is not None:
                    return theirs
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not save the user-hash key in %s (%s); hashes will change at the next start", path, exc)
    return key


def make_private_dir(path: Path) -> None:
    """Create the data folder readable by its owner only (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


_SURROGATES = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Text SQLite can store as UTF-8: lone surrogates (from undecodable bytes read with surrogateescape)
    become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


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


class DatabaseDamaged(sqlite3.DatabaseError):
    """The question log file is not a usable database (raised to readers, which never move it)."""


def open_database(path: Path, *, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    """Open (creating or migrating) the database for writing. A file that is not a usable database is moved
    aside and a new one started: only the writer does this."""
    make_private_dir(path.parent)
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


def open_for_reading(path: Path, *, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    """Open an existing database read-only, for the report: nothing is created, migrated or moved.
    Raises DatabaseDamaged if the file is not a usable database, FileNotFoundError if there is none."""
    if not path.is_file():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout,
                           isolation_level=None, check_same_thread=False)
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()
        if not ok or ok[0] != "ok":
            raise DatabaseDamaged(f"database disk image is malformed ({ok[0] if ok else 'no answer'})")
        if conn.execute("PRAGMA user_version").fetchone()[0] < 1:
            raise DatabaseDamaged("not a question log (no schema)")
    except sqlite3.DatabaseError as exc:
        conn.close()
        if isinstance(exc, DatabaseDamaged) or _looks_corrupt(exc):
            raise DatabaseDamaged(str(exc)) from exc
        raise
    return conn


def _looks_corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("not a database", "malformed", "corrupt", "file is encrypted"))


def _open(path: Path, timeout: float) -> sqlite3.Connection:
    """``_open_once``, tried again while another process holds the new file's lock: SQLite answers "database is
    locked" at once, without waiting out the busy timeout, to a connection that meets a database another one is
    switching to WAL or setting up its shared memory (seen with four processes racing to create one log on a
    loaded machine). Stops trying again once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        try:
            return _open_once(path, timeout)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() + pause > deadline:
                raise
            log.debug("the question log %s is locked while it is set up (%s); trying again", path, exc)
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def _open_once(path: Path, timeout: float) -> sqlite3.Connection:
    if not path.exists():  # created private (0600); SQLite gives the -wal and -shm files the same mode
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
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
    """Bring the schema up to date in one transaction. The version is read inside it (under the write lock), so
    two processes opening one database at once never both run a migration."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return SCHEMA_VERSION  # the common case, without taking the write lock
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"database schema version {version} is newer than this program ({SCHEMA_VERSION})")
        for v in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[v]):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if version < SCHEMA_VERSION:
        log.info("question database migrated from schema version %d to %d", version, SCHEMA_VERSION)
    return SCHEMA_VERSION


def _statements(script: str) -> list[str]:
    """A migration's statements, one by one (executescript would commit the open transaction first)."""
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


class QuestionLog:
    """Asynchronous writer of questions and votes. Safe to call from the event loop; never raises, never blocks.

    One worker thread owns the connection. A row that cannot be written (any exception, not only SQLite's) is
    counted in ``dropped`` and logged; the worker carries on with the next. ``close`` never waits on a full queue,
    and waits at most ``timeout`` seconds for the worker. If the database file is deleted or replaced while the
    bot runs, the worker notices before its next write, warns once and opens the file again."""

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
        self._file_id: tuple[int, int] | None = None  # (device, inode) of the file the connection writes to
        self._warned = False
        self._next_retry = 0.0
        self.written = 0
        self.dropped = 0  # rows that could not be recorded (database down, the queue full, or a bad row)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="question-log", daemon=True)
        self._closed = False
        self._last_retention = 0.0
        self._thread.start()

    # ------------------------------------------------------------------------------------------- producers

    def record_question(self, qid: int, answer: Answer, *, source: str, guild_id: int | None,
                        channel_id: int | None, user_id: int | None, kb_version: str, elapsed_ms: float) -> None:
        try:
            row = QuestionRow(qid, self.clock(), source, guild_id, _channel(guild_id, channel_id),
                              user_hash(self.key, user_id), storable(answer.question[:4000]), answer.status.value,
                              answer.match.kind, answer.match.id, float(answer.match.score), kb_version,
                              round(elapsed_ms, 3),
                              None if not answer.answered else "semantic" if answer.read_as else "lexical")
        except Exception:  # never raise into the caller: the answer goes out whatever happens here
            log.exception("could not prepare a question for the log")
            self._count_dropped(1)
            return
        self._put(row)

    def record_vote(self, vote: Vote, question_id: int | None = None) -> None:
        try:
            row = FeedbackRow(self.clock(), question_id, storable(vote.kind), storable(vote.item_id), vote.helpful,
                              user_hash(self.key, vote.user_id), vote.guild_id,
                              _channel(vote.guild_id, vote.channel_id))
        except Exception:
            log.exception("could not prepare a vote for the log")
            self._count_dropped(1)
            return
        self._put(row)

    def _put(self, row: QuestionRow | FeedbackRow) -> None:
        if self._closed:
            self._count_dropped(1)
            return
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self._count_dropped(1)
            self._warn("the question log is falling behind; dropping rows")

    def _count_dropped(self, n: int) -> None:
        with self._lock:
            self.dropped += n

    # ------------------------------------------------------------------------------------------- the writer

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                if self._stop.is_set():
                    break
                continue
            batch = [item]
            while len(batch) < 500:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(batch)
            except Exception:  # a bug or a bad row must never kill the writer: count, log, carry on
                log.exception("the question log could not write %d row(s)", len(batch))
                self._count_dropped(len(batch))
                self._drop_connection()
            finally:
                for _ in batch:
                    self._queue.task_done()
        self._drop_connection()

    def _write(self, batch: list[QuestionRow | FeedbackRow]) -> None:
        conn = self._connection()
        if conn is None:
            self._count_dropped(len(batch))
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            written = 0
            for row in batch:
                try:
                    self._insert(conn, row)
                    written += 1
                except sqlite3.DatabaseError:
                    raise
                except Exception as exc:  # this row only (say, text SQLite cannot take): skip it, keep the rest
                    self._count_dropped(1)
                    log.warning("the question log skipped a row it could not store: %r", exc)
            conn.execute("COMMIT")
            with self._lock:
                self.written += written
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
            self._count_dropped(len(batch))
            self._warn(f"could not write to the question log {self.path}: {exc}")
            if isinstance(exc, sqlite3.DatabaseError) and _looks_corrupt(exc):
                self._drop_connection()

    @staticmethod
    def _insert(conn: sqlite3.Connection, row: QuestionRow | FeedbackRow) -> None:
        if isinstance(row, QuestionRow):
            conn.execute("INSERT OR IGNORE INTO questions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
                row.id, row.ts, row.source, row.guild_id, row.channel_id, row.user_hash, row.question,
                row.status, row.match_kind, row.match_id, row.score, row.kb_version, row.elapsed_ms,
                row.reading))
            return
        # one vote per user per answered question and entry: a second click replaces the first
        conn.execute(
            "INSERT INTO feedback (ts, question_id, kind, item_id, helpful, user_hash, guild_id, channel_id, "
            "vote_key) SELECT ?, q.id, ?, ?, ?, ?, ?, ?, "
            "CASE WHEN ? IS NULL THEN NULL ELSE ? || ':' || COALESCE(q.id, '') || ':' || ? || ':' || ? END "
            "FROM (SELECT (SELECT id FROM questions WHERE id = ?) AS id) AS q WHERE true "
            "ON CONFLICT (vote_key) DO UPDATE SET helpful = excluded.helpful, ts = excluded.ts, "
            "guild_id = excluded.guild_id, channel_id = excluded.channel_id",
            (row.ts, row.kind, row.item_id, int(row.helpful), row.user_hash, row.guild_id, row.channel_id,
             row.user_hash, row.user_hash, row.kind, row.item_id, row.question_id))

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is not None:
            if self._same_file():
                return self._conn
            self._warned = False  # always say this one
            self._warn(f"the question log {self.path} was deleted or replaced while the bot ran; opening it again")
            self._drop_connection()
        now = time.monotonic()
        if now < self._next_retry:
            return None
        try:
            self._conn = self._connect(self.path)
            self._file_id = _file_id(self.path)
            self._apply_retention(self._conn, force=True)
            return self._conn
        except (sqlite3.Error, OSError) as exc:
            self._drop_connection()
            self._next_retry = now + self.retry_seconds
            self._warn(f"could not open the question log {self.path}: {exc}")
            return None

    def _same_file(self) -> bool:
        return self._file_id is None or _file_id(self.path) == self._file_id

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
        self._conn = None
        self._file_id = None

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
            if time.monotonic() > deadline or not self._thread.is_alive():
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then close the database. Idempotent; never blocks longer than ``timeout``."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join(timeout)

    def __enter__(self) -> "QuestionLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _channel(guild_id: int | None, channel_id: int | None) -> int | None:
    """Channel ids outside a server (DMs, one per person) identify people: they are not stored."""
    return channel_id if guild_id is not None else None


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


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
    qs = [QuestionRow(*r) for r in conn.execute(
        "SELECT id, ts, source, guild_id, channel_id, user_hash, question, status, match_kind, match_id, score, "
        "kb_version, elapsed_ms" + (", reading" if _has_column(conn, "questions", "reading") else "")
        + " FROM questions WHERE ts >= ? ORDER BY ts", (since,))]
    fb = [FeedbackRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7]) for r in conn.execute(
        "SELECT ts, question_id, kind, item_id, helpful, user_hash, guild_id, channel_id FROM feedback "
        "WHERE ts >= ? ORDER BY ts", (since,))]
    return qs, fb


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(r[1] == column for r in conn.execute(f"PRAGMA table_info({table})"))


def read_log(path: Path, since: float | None = None) -> tuple[list[QuestionRow], list[FeedbackRow]]:
    """Every question and vote since ``since``, read without changing the file (DatabaseDamaged if it is not a
    usable database)."""
    conn = open_for_reading(path)
    try:
        return read_rows(conn, since)
    except sqlite3.DatabaseError as exc:
        if _looks_corrupt(exc):
            raise DatabaseDamaged(str(exc)) from exc
        raise
    finally:
        conn.close()


def counts(conn: sqlite3.Connection) -> tuple[int, int]:
    q = conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    f = conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    return q, f
