"""Discord's size limits, and helpers that keep any string inside them. Pure: no Discord import."""

from __future__ import annotations

MESSAGE = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
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

# The longest custom id the bot builds is a vote, ``bb:fb:down:fact:<id>:<question id>``, whose question id is
# at most 16 digits (52 random bits): an entry or fact id longer than this would make Discord refuse the message.
QUESTION_ID_DIGITS = 16
ITEM_ID = CUSTOM_ID - len("bb:fb:down:fact:") - 1 - QUESTION_ID_DIGITS  # 67

# Characters that must never be echoed: bidi overrides and isolates, zero-width characters, and C0/C1 controls
# (NUL included) other than tab and newline.
_INVISIBLE = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x061C, 0x180E,
                            *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF])


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


def visible(text: str) -> str:
    """``text`` without the characters that can disguise or reorder what is echoed; lines and tabs kept."""
    return text.translate(_INVISIBLE)


def inert(text: str) -> str:
    """``visible(text)`` on one line, whitespace collapsed."""
    return " ".join(visible(text).split())
