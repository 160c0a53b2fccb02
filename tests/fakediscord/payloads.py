"""Discord objects as the API (v10) sends them: the one test guild, its channel and member, and the events.

Shapes follow Discord's documentation (Users, Guilds, Channels, Messages, Interactions, Gateway events); only the
fields this bot and discord.py read are filled in, with Discord's types (ids are strings, permissions are strings).
"""

from __future__ import annotations

import itertools
from typing import Any

APP_ID = 910000000000000001
BOT_ID = APP_ID  # a bot user has its application's id
GUILD_ID = 910000000000000010
CHANNEL_ID = 910000000000000020
DM_CHANNEL_ID = 910000000000000030
USER_ID = 910000000000000100
OWNER_ID = 910000000000000101
TIMESTAMP = "2026-12-01T10:00:00.000000+00:00"


class Snowflakes:
    """Increasing ids, as Discord's are (each one a fresh string)."""

    def __init__(self, start: int = 1_100_000_000_000_000_000):
        self._ids = itertools.count(start)

    def __call__(self) -> str:
        return str(next(self._ids))


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": None if bot else name,
            "avatar": None, "bot": bot, "public_flags": 0}


def bot_user() -> dict[str, Any]:
    return dict(user(BOT_ID, "briefbot", bot=True), verified=True, mfa_enabled=False, flags=0)


def person(user_id: int = USER_ID) -> dict[str, Any]:
    return user(user_id, f"analyst{user_id % 10_000}")


def application() -> dict[str, Any]:
    return {"id": str(APP_ID), "name": "briefbot", "icon": None, "description": "", "bot_public": True,
            "bot_require_code_grant": False, "owner": user(OWNER_ID, "curator"), "team": None,
            "verify_key": "0" * 64, "flags": 0, "summary": "", "rpc_origins": [], "bot": bot_user()}


def text_channel() -> dict[str, Any]:
    return {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "study", "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "rate_limit_per_user": 0, "topic": None,
            "last_message_id": None}


def member(user_id: int = USER_ID, *, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"roles": [], "joined_at": TIMESTAMP, "deaf": False, "mute": False, "flags": 0,
                            "nick": None, "avatar": None, "pending": False}
    if with_user:
        data["user"] = person(user_id) if user_id != BOT_ID else user(BOT_ID, "briefbot", bot=True)
    return data


def guild() -> dict[str, Any]:
    """GUILD_CREATE's data: the test guild, available, with its channel, the bot and one member."""
    everyone = {"id": str(GUILD_ID), "name": "@everyone", "permissions": "2248473465835073", "position": 0,
                "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
    return {
        "id": str(GUILD_ID), "name": "Brief readers", "icon": None, "splash": None, "discovery_splash": None,
        "owner_id": str(OWNER_ID), "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
        "default_message_notifications": 1, "explicit_content_filter": 0, "roles": [everyone], "emojis": [],
        "features": [], "mfa_level": 0, "application_id": None, "system_channel_id": None,
        "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None, "description": None,
        "banner": None, "premium_tier": 0, "preferred_locale": "en-US", "public_updates_channel_id": None,
        "nsfw_level": 0, "stickers": [], "premium_progress_bar_enabled": False,
        # GUILD_CREATE's extra fields
        "joined_at": TIMESTAMP, "large": False, "unavailable": False, "member_count": 2,
        "voice_states": [], "members": [member(BOT_ID), member(USER_ID)], "channels": [text_channel()],
        "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def ready(session_id: str, resume_gateway_url: str, shard: list[int] | None) -> dict[str, Any]:
    return {"v": 10, "user": bot_user(), "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": session_id, "resume_gateway_url": resume_gateway_url, "shard": shard or [0, 1],
            "application": {"id": str(APP_ID), "flags": 0}, "user_settings": {}, "relationships": [],
            "private_channels": [], "presences": [], "geo_ordered_rtc_regions": ["local"]}


def message(channel_id: int, content: str, *, message_id: str, author: dict[str, Any], guild: bool,
            embeds: list | None = None, components: list | None = None, flags: int = 0,
            mentions: list[dict[str, Any]] = (), reference: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message_id, "channel_id": str(channel_id), "type": 0 if reference is None else 19,
        "content": content, "author": author, "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": list(mentions), "mention_roles": [], "attachments": [],
        "embeds": embeds or [], "components": components or [], "pinned": False, "flags": flags,
    }
    if guild:
        data["guild_id"] = str(GUILD_ID)
        if not author.get("bot"):
            data["member"] = member(int(author["id"]), with_user=False)
    if reference is not None:
        data["message_reference"] = reference
    return data


def interaction(kind: int, data: dict[str, Any], *, interaction_id: str, token: str, user_id: int = USER_ID,
                message: dict[str, Any] | None = None) -> dict[str, Any]:
    """INTERACTION_CREATE's data: type 2 (application command) or 3 (message component), in the test channel."""
    payload: dict[str, Any] = {
        "id": interaction_id, "application_id": str(APP_ID), "type": kind, "data": data, "token": token,
        "version": 1, "guild_id": str(GUILD_ID), "guild_locale": "en-US", "locale": "en-US",
        "channel_id": str(CHANNEL_ID), "channel": text_channel(),
        "member": dict(member(user_id), permissions="2248473465835073"),
        "app_permissions": "2248473465835073", "entitlements": [], "attachment_size_limit": 10_485_760,
        "authorizing_integration_owners": {"0": str(GUILD_ID)}, "context": 0,
    }
    if message is not None:
        payload["message"] = message
    return payload


def slash_data(name: str, command_id: str, **options: Any) -> dict[str, Any]:
    opts = [{"name": k, "type": 5 if isinstance(v, bool) else 3, "value": v} for k, v in options.items()]
    return {"id": command_id, "name": name, "type": 1, "options": opts}
