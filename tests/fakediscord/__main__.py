"""``python -m tests.fakediscord``: run the local Discord stand-in by hand.

--demo  starts the real bot (``python -m bot run``) against it and gives you a terminal where you are a user in the
        test server: type a question (sent as a mention), ``/ask question``, ``dm question``, or the number of a
        button under the last answer to click it. The bot's replies are printed as Discord would show them.
(none)  just serves, and prints the DISCORD_API_BASE and token to put in a .env for ``python -m bot run``.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import textwrap
from pathlib import Path

from . import payloads as p
from .botproc import BotProcess
from .server import FakeDiscord, Request

WIDTH = 100


def render(data: dict) -> list[dict]:
    """Print a message as Discord shows it (content, embeds, buttons); return its buttons, in order."""
    flags = int(data.get("flags") or 0)
    if flags & 64:
        print("  (only you can see this)")
    for line in (data.get("content") or "").splitlines():
        print(textwrap.fill(line, WIDTH, initial_indent="  ", subsequent_indent="  "))
    for embed in data.get("embeds") or []:
        for part in (embed.get("title"), embed.get("description")):
            for line in (part or "").splitlines():
                print(textwrap.fill(line, WIDTH, initial_indent="  \u2503 ", subsequent_indent="  \u2503 "))
        for f in embed.get("fields") or []:
            print(f"  \u2503 {f['name']}")
            for line in f["value"].splitlines():
                print(textwrap.fill(line, WIDTH, initial_indent="  \u2503   ", subsequent_indent="  \u2503   "))
        if embed.get("footer"):
            print(f"  \u2503 {embed['footer']['text']}")
    buttons = [c for row in data.get("components") or [] for c in row.get("components", []) if c.get("type") == 2
               and c.get("custom_id")]
    for n, b in enumerate(buttons, 1):
        label = " ".join(x for x in ((b.get("emoji") or {}).get("name"), b.get("label")) if x)
        print(f"  [{n}] {label}")
    return buttons


def demo(fake: FakeDiscord, folder: Path) -> None:
    with BotProcess(fake, folder, semantic=True) as bot:
        print("starting the bot (python -m bot run) against the local Discord ...")
        bot.wait_ready(timeout=120)
        print("Ready. Type a question (a mention), '/ask QUESTION', 'dm QUESTION', a button's number, or 'quit'.")
        buttons: list[dict] = []
        last_message: str | None = None
        while True:
            try:
                line = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                break
            if line in ("quit", "exit"):
                break
            if not line:
                continue
            done = len(fake.requests)
            if line.isdigit() and 1 <= int(line) <= len(buttons):
                iid = fake.click(buttons[int(line) - 1]["custom_id"], message_id=last_message)
                reply = fake.wait_callback(iid).data
            elif line.startswith("/ask "):
                iid = fake.slash(line[5:])
                reply = fake.wait_callback(iid).data
                last_message = fake.response_messages.get(iid)
            else:
                dm = line.startswith("dm ")
                channel = p.DM_CHANNEL_ID if dm else p.CHANNEL_ID
                fake.dm(line[3:]) if dm else fake.mention(line)

                def sent() -> Request | None:
                    return next((r for r in fake.requests[done:] if r.path == f"/channels/{channel}/messages"
                                 and r.method == "POST" and r.status == 200), None)

                reply = fake.wait_for(sent, what="the bot's reply").json
                last_message = max(fake.messages, key=int)
            print("briefbot>")
            buttons = render(reply)
        bot.send_signal(signal.SIGTERM)
        bot.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakediscord", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", action="store_true", help="run the bot against it and chat as a user")
    args = parser.parse_args()
    with FakeDiscord() as fake:
        if args.demo:
            with tempfile.TemporaryDirectory(prefix="briefbot-demo-") as tmp:
                demo(fake, Path(tmp))
            return
        print(f"Local Discord stand-in on 127.0.0.1. For `python -m bot run`, put in .env:\n"
              f"  DISCORD_TOKEN={fake.token}\n  DISCORD_API_BASE={fake.api_base}\n"
              f"  DISCORD_GUILD_ID={p.GUILD_ID}\nCtrl-C stops it.")
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
