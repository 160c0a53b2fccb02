"""Discord's size limits, and helpers that keep any string inside them. Pure: no Discord import."""

from __future__ import annotations

MESSAGE = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_TOTAL = 6000
EMBED_FIELDS = 25
BUTTON_LABEL = 80
SELECT_OPTION_LABEL = 100
SELECT_OPTION_DESCRIPTION = 100
SELECT_OPTIONS = 25
AUTOCOMPLETE_CHOICES = 25
AUTOCOMPLETE_NAME = 100
AUTOCOMPLETE_VALUE = 100
CUSTOM_ID = 100
COMMAND_DESCRIPTION = 100
ASK_MAX_LENGTH = 300


def clip(text: str, limit: int, ellipsis: str = "\u2026") -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary when one is near, with an ellipsis."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space >= limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + ellipsis
