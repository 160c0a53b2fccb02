"""End-to-end harness: real gateway payloads through discord.py's own ConnectionState, HTTP replaced by a recorder.

The bot under test is the real ``BriefBot`` with its real extensions. Nothing reaches the network: discord.py's
``HTTPClient.request`` (messages, command sync) and the webhook adapter behind interaction responses are replaced
by a ``Recorder`` that keeps the JSON the bot would have sent to Discord, and answers like Discord would.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.core.engine import Engine
from bot.core.ratelimit import Cooldown
from bot.discord_app.client import BriefBot

APP_ID = 900000000000000001
BOT_ID = 900000000000000002
GUILD_ID = 900000000000000010
CHANNEL_ID = 900000000000000020
WATCHED_CHANNEL_ID = 900000000000000021
USER_ID = 900000000000000100
OTHER_BOT_ID = 900000000000000200
ROLE_ID = 900000000000000300

_ids = itertools.count(1_000_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


@dataclass
class Call:
    method: str
    path: str
    json: Any
    params: dict[str, Any] | None = None
    at: float = field(default_factory=time.perf_counter)  # when the bot sent it

    @property
    def data(self) -> dict[str, Any]:
        """For an interaction callback, the message data inside it; otherwise the JSON itself."""
        if isinstance(self.json, dict) and "data" in self.json and "type" in self.json:
            return self.json["data"] or {}
        return self.json or {}


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    fail_with: Exception | None = None  # raise this on the next send, then clear

    def record(self, method: str, path: str, payload: Any, params: dict[str, Any] | None = None) -> Any:
        # the payload is round-tripped through JSON, exactly as it would go over the wire
        payload = json.loads(json.dumps(payload)) if payload is not None else None
        self.calls.append(Call(method, path, payload, params))
        if self.fail_with is not None:
            exc, self.fail_with = self.fail_with, None
            raise exc
        return payload

    def of(self, fragment: str) -> list[Call]:
        return [c for c in self.calls if fragment in c.path]

    async def wait(self, count: int = 1, timeout: float = 30.0, path: str = "") -> list[Call]:
        """Let the event loop run until at least ``count`` calls (those whose path contains ``path``) were
        recorded."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(seen := [c for c in self.calls if path in c.path] if path else self.calls) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} HTTP call(s) to {path or 'any path'}, got {len(seen)}: "
                                     f"{self.calls}")
            await asyncio.sleep(0.001)
        for _ in range(5):
            await asyncio.sleep(0)
        return self.calls


def message_payload(channel_id: int, content: str = "", *, author_id: int = BOT_ID, bot: bool = True,
                    embeds: list | None = None, components: list | None = None,
                    message_id: str | None = None) -> dict[str, Any]:
    return {
        "id": message_id or snowflake(), "channel_id": str(channel_id), "type": 0, "content": content,
        "author": {"id": str(author_id), "username": "briefbot" if bot else "someone", "discriminator": "0",
                   "global_name": None, "avatar": None, "bot": bot},
        "timestamp": "2026-11-29T10:00:00.000000+00:00", "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": embeds or [], "components": components or [], "pinned": False, "flags": 0,
    }


class RecordingWebhookAdapter(AsyncWebhookAdapter):
    """Interaction responses and follow-ups go through here instead of aiohttp."""

    def __init__(self, recorder: Recorder):
        super().__init__()
        self.recorder = recorder

    async def request(self, route, session=None, *, payload=None, multipart=None, files=None, params=None,
                      **kwargs):
        body = payload
        if multipart:
            body = json.loads(multipart[0]["value"])
        self.recorder.record(route.method, route.url[len(route.BASE):], body, params)
        if route.path.endswith("/callback"):
            return {"interaction": {"id": str(route.webhook_id), "type": 2}}
        if route.method in {"POST", "PATCH"}:
            data = (body or {})
            return message_payload(CHANNEL_ID, data.get("content") or "", embeds=data.get("embeds"),
                                   components=data.get("components"))
        return None


class Harness:
    """A real BriefBot, set up as after login, whose HTTP goes to a Recorder."""

    def __init__(self, engine: Engine, *, channels: tuple[int, ...] = (WATCHED_CHANNEL_ID,),
                 cooldown: Cooldown | None = None, **options: Any):
        self.recorder = Recorder()
        self.bot = BriefBot(engine, guild_id=None, channels=channels, cooldown=cooldown or Cooldown(1000, 1.0),
                            sync_on_start=False, **options)
        self._token = None

    async def __aenter__(self) -> "Harness":
        bot = self.bot
        await bot._async_setup_hook()
        state = bot._connection
        recorder = self.recorder

        async def fake_request(route, *, files=None, form=None, **kwargs):
            payload = kwargs.get("json")
            recorder.record(route.method, route.url[len(route.BASE):], payload, kwargs.get("params"))
            if route.method == "PUT" and "/commands" in route.path and not payload:
                return []
            if route.method == "POST" and "/messages" in route.path:
                return message_payload(int(route.channel_id), (payload or {}).get("content") or "",
                                       embeds=(payload or {}).get("embeds"),
                                       components=(payload or {}).get("components"))
            if route.method == "PATCH" and "/messages/" in route.path:
                return message_payload(int(route.channel_id), "", message_id=route.url.rsplit("/", 1)[-1])
            if route.method == "PUT" and "/commands" in route.path:
                return [dict(c, id=snowflake(), application_id=str(APP_ID), version="1") for c in payload]
            return None

        bot.http.request = fake_request  # type: ignore[method-assign]
        self._token = async_context.set(RecordingWebhookAdapter(recorder))
        state.application_id = APP_ID
        state.user = discord.ClientUser(state=state, data={
            "id": str(BOT_ID), "username": "briefbot", "discriminator": "0", "avatar": None, "bot": True,
            "global_name": None, "verified": True, "mfa_enabled": False})
        await bot.setup_hook()
        return self

    async def __aexit__(self, *exc) -> None:
        for view in list(self.bot._connection._view_store.persistent_views):
            view.stop()
        for view in list(getattr(self.bot._connection._view_store, "_views", {}).values()):
            for v in (view.values() if isinstance(view, dict) else [view]):
                try:
                    v.stop()
                except Exception:
                    pass
        if self._token is not None:
            async_context.reset(self._token)
        await self.bot.close()

    def guild_create(self) -> None:
        """The server, as GUILD_CREATE brings it: with the bot's own (managed) role ROLE_ID."""
        self.bot._connection.parse_guild_create({
            "id": str(GUILD_ID), "name": "study group", "icon": None, "owner_id": str(USER_ID), "features": [],
            "member_count": 2, "large": False, "unavailable": False, "emojis": [], "stickers": [],
            "channels": [{"id": str(CHANNEL_ID), "type": 0, "name": "study", "position": 0,
                          "permission_overwrites": [], "nsfw": False, "parent_id": None}],
            "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": "0", "position": 0, "color": 0,
                       "hoist": False, "managed": False, "mentionable": False, "flags": 0},
                      {"id": str(ROLE_ID), "name": "briefbot", "permissions": "0", "position": 1, "color": 0,
                       "hoist": False, "managed": True, "mentionable": True, "flags": 0,
                       "tags": {"bot_id": str(BOT_ID)}}],
            "members": [], "threads": [], "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [],
        })

    # ------------------------------------------------------------------------------------------------ payloads

    @staticmethod
    def user(user_id: int = USER_ID, *, bot: bool = False, name: str = "analyst") -> dict[str, Any]:
        return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name, "avatar": None,
                "bot": bot}

    def _interaction(self, type_: int, data: dict[str, Any], *, user_id: int = USER_ID, guild: bool = True,
                     message: dict[str, Any] | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": snowflake(), "application_id": str(APP_ID), "type": type_, "token": "tok-" + snowflake(),
            "version": 1, "data": data, "channel_id": str(CHANNEL_ID),
            "channel": {"id": str(CHANNEL_ID), "type": 0, "name": "study", "guild_id": str(GUILD_ID), "position": 0,
                        "permission_overwrites": [], "nsfw": False, "parent_id": None, "rate_limit_per_user": 0}
            if guild else {"id": str(CHANNEL_ID), "type": 1, "recipients": [self.user(user_id)]},
            "locale": "en-US", "app_permissions": "0", "entitlements": [], "attachment_size_limit": 10_000_000,
            "authorizing_integration_owners": {"0": str(GUILD_ID)} if guild else {"1": str(user_id)},
            "context": 0 if guild else 1,
        }
        if guild:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild_locale"] = "en-US"
            payload["member"] = {"user": self.user(user_id), "roles": [], "joined_at": "2026-01-01T00:00:00+00:00",
                                 "deaf": False, "mute": False, "flags": 0, "permissions": "0", "nick": None}
        else:
            payload["user"] = self.user(user_id)
        if message is not None:
            payload["message"] = message
        return payload

    def slash(self, name: str, **options: Any) -> dict[str, Any]:
        """A slash command; ``name`` may name a subcommand of a group: "curator report"."""
        opts = [{"name": k, "type": 5 if isinstance(v, bool) else 3, "value": v} for k, v in options.items()]
        group, _, sub = name.partition(" ")
        if sub:
            opts = [{"name": sub, "type": 1, "options": opts}]
        return self._interaction(2, {"id": snowflake(), "name": group, "type": 1, "options": opts})

    def autocomplete(self, name: str, option: str, value: str, **others: Any) -> dict[str, Any]:
        opts = [{"name": k, "type": 5 if isinstance(v, bool) else 3, "value": v} for k, v in others.items()]
        opts.append({"name": option, "type": 3, "value": value, "focused": True})
        return self._interaction(4, {"id": snowflake(), "name": name, "type": 1, "options": opts})

    def click(self, custom_id: str, *, values: list[str] | None = None, user_id: int = USER_ID,
              components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A button click (or a select choice, with ``values``) on a message that carries ``components``,
        normally the components the bot sent, as recorded; a lone button or select otherwise."""
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 3 if values is not None else 2}
        if values is not None:
            data["values"] = values
        if components is None:
            item = ({"type": 3, "custom_id": custom_id, "options": [{"label": v, "value": v} for v in values]}
                    if values is not None else {"type": 2, "style": 2, "label": "x", "custom_id": custom_id})
            components = [{"type": 1, "components": [item]}]
        msg = message_payload(CHANNEL_ID, "", components=components)
        return self._interaction(3, data, user_id=user_id, message=msg)

    def message(self, content: str, *, channel_id: int = CHANNEL_ID, guild: bool = True, author_id: int = USER_ID,
                author_bot: bool = False, mentions: list[int] = (), reply_to_bot: bool = False,
                role_mentions: list[int] = (), type_: int = 0, replied_entry: str | None = None) -> dict[str, Any]:
        """A MESSAGE_CREATE. ``type_``: 0 a message, 19 a reply, 6 a pin notice, 7 a join notice, ...
        ``replied_entry``: the bot answer replied to carries that entry's passage button, as the bot's answers do."""
        data = message_payload(channel_id, content, author_id=author_id, bot=author_bot)
        data["type"] = 19 if reply_to_bot and type_ == 0 else type_
        data["mention_roles"] = [str(r) for r in role_mentions]
        data["author"] = self.user(author_id, bot=author_bot)
        data["mentions"] = [self.user(m, bot=m == BOT_ID, name="briefbot" if m == BOT_ID else "x") for m in mentions]
        data["mention_everyone"] = "@everyone" in content
        if guild:
            data["guild_id"] = str(GUILD_ID)
            data["member"] = {"roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False, "mute": False,
                              "flags": 0}
        if reply_to_bot:
            buttons = [{"type": 1, "components": [{"type": 2, "style": 2, "label": "Passage",
                                                   "custom_id": f"bb:passage:qa:{replied_entry}"}]}] \
                if replied_entry else None
            ref = message_payload(channel_id, "an earlier answer", components=buttons)
            data["message_reference"] = {"message_id": ref["id"], "channel_id": str(channel_id), "type": 0}
            data["referenced_message"] = ref
            if guild:
                data["message_reference"]["guild_id"] = str(GUILD_ID)
        return data

    # ------------------------------------------------------------------------------------------------ dispatch

    async def interact(self, payload: dict[str, Any], expect: int = 1) -> list[Call]:
        before = len(self.recorder.calls)
        self.bot._connection.parse_interaction_create(payload)
        await self.recorder.wait(before + expect)
        return self.recorder.calls[before:]

    async def send(self, payload: dict[str, Any], expect: int = 1) -> list[Call]:
        before = len(self.recorder.calls)
        self.bot._connection.parse_message_create(payload)
        if expect == 0:
            for _ in range(50):
                await asyncio.sleep(0)
            return self.recorder.calls[before:]
        await self.recorder.wait(before + expect)
        return self.recorder.calls[before:]


def custom_ids(components: list[dict[str, Any]]) -> list[str]:
    out = []
    for row in components or []:
        for c in row.get("components", []):
            if "custom_id" in c:
                out.append(c["custom_id"])
    return out


def buttons(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for row in components or [] for c in row.get("components", []) if c.get("type") == 2]
