"""The real bot, ``python -m bot run``, as a subprocess whose .env points at a FakeDiscord."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import payloads as p
from .server import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """``python -m bot run`` (or another ``command``) in ``folder``, with its .env, its data folder and its log file;
    stopped and reaped on exit."""

    def __init__(self, fake: FakeDiscord, folder: Path, *, token: str | None = None, guild: bool = True,
                 channels: str = "", semantic: bool = False, log_level: str = "INFO",
                 extra: dict[str, str] | None = None, command: tuple[str, ...] = ("run",)):
        self.fake = fake
        self.command = command
        self.folder = Path(folder)
        self.data = self.folder / "data"
        self.stderr_path = self.folder / "bot.log"
        settings = {
            "DISCORD_TOKEN": fake.token if token is None else token,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GUILD_ID": str(p.GUILD_ID) if guild else "",
            "BRIEFBOT_CHANNELS": channels,
            "BRIEFBOT_DATA": str(self.data),
            "BRIEFBOT_LOG_LEVEL": log_level,
            "BRIEFBOT_SEMANTIC": "1" if semantic else "0",
            **(extra or {}),
        }
        self.settings = settings
        self.proc: subprocess.Popen | None = None
        self._stderr = None

    def start(self) -> "BotProcess":
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in self.settings.items()))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFBOT_"))}
        env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["PYTHONUNBUFFERED"] = "1"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", *self.command], cwd=self.folder, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=subprocess.STDOUT)
        return self

    def __enter__(self) -> "BotProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()

    @property
    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def wait_log(self, pattern: str, timeout: float = 30.0) -> re.Match:
        """Until a line of the bot's output matches the regex (fails early if the process ends first)."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log, re.MULTILINE)
            if m:
                return m
            if self.proc.poll() is not None:
                raise AssertionError(f"the bot exited ({self.proc.returncode}) before logging {pattern!r}:\n"
                                     f"{self.log[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} in the bot's log after {timeout:.0f} s:\n{self.log[-4000:]}")
            time.sleep(0.05)

    def wait_ready(self, timeout: float = 30.0) -> None:
        self.wait_log(r"logged in as ", timeout)

    def send_signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """The exit code; fails (and kills) if the process is still running after ``timeout`` seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the bot did not exit within {timeout:.0f} s:\n{self.log[-4000:]}") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
