"""Run by test_faults: a real BriefBot under run_bot, with Discord replaced by a connection that never ends.

It answers (and logs) 50 questions, says "ready", and waits to be stopped by a signal."""

import asyncio
import sys
from pathlib import Path

from bot.core.engine import Engine
from bot.core.loader import load_knowledge
from bot.core.store import QuestionLog
from bot.discord_app import runner
from bot.discord_app.client import BriefBot


async def main(db: Path) -> None:
    engine = Engine(load_knowledge(Path(__file__).resolve().parent.parent / "knowledge"))
    bot = BriefBot(engine, sync_on_start=False, question_log=QuestionLog(db, b"k"))

    async def login(token):
        await bot.setup_hook()

    async def connect(reconnect=True):
        for i in range(50):
            bot.ask(f"question {i} how long is pos2", source="dm", user_id=i, guild_id=None, channel_id=None)
        print("ready", flush=True)
        while not bot.is_closed():
            await asyncio.sleep(0.01)

    bot.login = login
    bot.connect = connect
    await runner.run_bot(bot, "token", timeout=5)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
    print("closed cleanly", flush=True)
