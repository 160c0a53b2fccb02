"""Hosting: `backup` (SQLite's online backup while the log is being written), the empty-token message, and the
Dockerfile, compose file and systemd unit saying what the README says they do."""

from __future__ import annotations

import configparser
import io
import sqlite3
import stat
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.core.backup import BackupError, backup_database
from bot.core.store import DB_NAME, QuestionLog, new_question_id

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.StringIO(""), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _log(engine, path: Path, n: int) -> QuestionLog:
    qlog = QuestionLog(path, b"k" * 32)
    answer = engine.ask("Who wrote the brief?")
    for _ in range(n):
        qlog.record_question(new_question_id(), answer, source="cli", guild_id=None, channel_id=None, user_id=7,
                             kb_version=engine.knowledge.version, elapsed_ms=1.0)
    assert qlog.flush()
    return qlog


def test_backup_copies_every_row_while_the_log_is_open_and_writing(engine, tmp_path):
    db = tmp_path / "data" / DB_NAME
    qlog = _log(engine, db, 25)
    try:
        result = backup_database(db, tmp_path / "backups" / "b1.sqlite3")  # the writer still holds the database
        assert result.questions == 25 and result.votes == 0
        copy = sqlite3.connect(tmp_path / "backups" / "b1.sqlite3")
        assert copy.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 25
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copy.close()
        assert stat.S_IMODE((tmp_path / "backups" / "b1.sqlite3").stat().st_mode) == 0o600
        _log(engine, db, 0)  # the live database still takes writes after the backup
        answer = engine.ask("Who wrote the brief?")
        qlog.record_question(new_question_id(), answer, source="cli", guild_id=None, channel_id=None, user_id=None,
                             kb_version=engine.knowledge.version, elapsed_ms=1.0)
        assert qlog.flush()
        assert backup_database(db, tmp_path / "b2.sqlite3").questions == 26
    finally:
        qlog.close()
    assert not list(tmp_path.rglob("*.partial"))


def test_backup_refuses_to_overwrite_and_says_when_there_is_no_log(engine, tmp_path):
    db = tmp_path / DB_NAME
    _log(engine, db, 3).close()
    existing = tmp_path / "old.sqlite3"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup_database(db, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(BackupError, match="No question log"):
        backup_database(tmp_path / "none.sqlite3", tmp_path / "x.sqlite3")
    # a closed database (no -wal / -shm left) backs up too, and is not changed by it
    before = db.read_bytes()
    assert backup_database(db, tmp_path / "closed.sqlite3").questions == 3
    assert db.read_bytes() == before


def test_backup_command(engine, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFBOT_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("BRIEFBOT_HASH_KEY", raising=False)
    code, _, err = run("backup", str(tmp_path / "b.sqlite3"))
    assert code == 1 and "No question log" in err
    _log(engine, tmp_path / "data" / DB_NAME, 4).close()
    code, out, _ = run("backup", str(tmp_path / "b.sqlite3"))
    assert code == 0 and "4 questions" in out and "user-hash.key" in out
    code, _, err = run("backup", str(tmp_path / "b.sqlite3"))
    assert code == 1 and "already exists" in err


def test_an_empty_token_line_is_named_as_such(tmp_path, monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "placeholder")  # so that monkeypatch restores the environment afterwards
    monkeypatch.delenv("DISCORD_TOKEN")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DISCORD_TOKEN=\nDISCORD_GUILD_ID=\n")
    code, _, err = run("run")
    assert code == 2
    assert "DISCORD_TOKEN line is empty" in err and "copy .env.example" not in err
    (tmp_path / ".env").write_text("DISCORD_GUILD_ID=\n")  # no token line at all: the first-time message
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)  # load_dotenv put the empty one in the environment
    code, _, err = run("run")
    assert code == 2 and "copy .env.example to .env" in err


# ------------------------------------------------------------------------------------ deployment files

def _dockerfile() -> list[list[str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_runs_the_wheel_as_a_non_root_user_with_a_data_volume_and_a_health_check():
    lines = _dockerfile()
    final = lines[max(i for i, ln in enumerate(lines) if ln[0] == "FROM"):]  # the last stage is what runs
    users = [ln[1] for ln in final if ln[0] == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert ["VOLUME", '["/data"]'] in final
    assert any(ln[0] == "ENV" and "BRIEFBOT_DATA=/data" in ln for ln in final)
    health = next(ln for ln in final if ln[0] == "HEALTHCHECK")
    assert "check" in " ".join(health)
    # the wheel, not the source tree, so the image runs the shipped knowledge like any installed copy
    assert any(ln[0] == "RUN" and "/wheels/*.whl" in ln for ln in final)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv*" in ignored and "data/" in ignored


def test_compose_reads_env_and_keeps_data_in_a_volume():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    svc = compose["services"]["briefbot"]
    assert svc["env_file"] == ".env"
    assert svc["environment"]["BRIEFBOT_DATA"] == "/data"
    assert any(v.endswith(":/data") and v.split(":")[0] in compose["volumes"] for v in svc["volumes"])
    assert svc["restart"] == "unless-stopped"


def test_systemd_unit_example():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "deploy" / "briefbot.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith("briefbot run")
    assert service["User"] == "briefbot" and service["Restart"] == "on-failure"
    assert service["Environment"] == "BRIEFBOT_DATA=/var/lib/briefbot" and service["StateDirectory"] == "briefbot"
    assert service["EnvironmentFile"].endswith(".env")
    assert unit["Install"]["WantedBy"] == "multi-user.target"
