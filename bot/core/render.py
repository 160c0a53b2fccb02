"""Render answers for people (terminal text) and machines (JSON). Shared by the CLI and the Discord adapter."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from .models import Answer, BriefMeta, Citation, Status

ABSTAIN_TEXT = "The brief doesn't cover that, so I can't answer it without guessing."
CLARIFY_TEXT = "I'm not sure which of these you mean:"
EMPTY_TEXT = "Ask me a question about the brief, for example one of these:"


def answer_to_dict(a: Answer) -> dict[str, Any]:
    """The JSON object of ``bot ask --json``: exactly the documented keys."""
    return {
        "question": a.question,
        "status": a.status.value,
        "answered": a.status is Status.ANSWERED,
        "answer": a.text if a.status is Status.ANSWERED else "",
        "citations": [citation_to_dict(c) for c in a.citations],
        "suggestions": list(a.suggestions),
        "match": {"kind": a.match.kind, "id": a.match.id, "score": float(a.match.score)},
        "confidence": float(a.confidence),
    }


def citation_to_dict(c: Citation) -> dict[str, Any]:
    return {"ref": c.ref, "section": c.section, "paragraph": c.paragraph, "quote": c.quote}


def answer_to_json(a: Answer) -> str:
    return json.dumps(answer_to_dict(a), ensure_ascii=False)


def lead_text(a: Answer) -> str:
    """The one line that opens a reply, whatever the outcome."""
    if a.status is Status.ANSWERED:
        return a.text
    if a.status is Status.CLARIFY:
        return CLARIFY_TEXT
    if not a.question.strip():
        return EMPTY_TEXT
    return ABSTAIN_TEXT


# Terminal styles, hand-written: four SGR codes do the job, where `rich` would add three packages and a second
# wrapping model for the same few lines.
BOLD, DIM, CYAN, YELLOW, RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[33m", "\x1b[0m"


def answer_to_text(a: Answer, meta: BriefMeta | None = None, width: int | None = 100, color: bool = False) -> str:
    """A terminal rendering: the answer, each citation (reference and quote), then suggestions.

    ``width``: wrap to this many columns (never inside a word), or None not to wrap (output piped elsewhere).
    ``color``: set the parts apart with bold, dim and colour (ANSI), for a terminal."""
    def wrap(s: str, indent: str = "", style: str = "", first: str | None = None) -> str:
        first = indent if first is None else first
        lines = textwrap.wrap(s, width, initial_indent=first, subsequent_indent=indent, break_long_words=False,
                              break_on_hyphens=False) if width else [first + s]
        return "\n".join(paint(line, style) for line in lines)

    def paint(s: str, style: str) -> str:
        return f"{style}{s}{RESET}" if color and style and s else s

    out = [wrap(f"(Read as: {a.read_as})", style=DIM), ""] if a.read_as and a.status is Status.ANSWERED else []
    out.append(wrap(lead_text(a), style=BOLD if a.status is Status.ANSWERED else ""))
    if a.status is Status.ANSWERED:
        for c in a.citations:
            out.append("")
            out.append(wrap(f"[{c.ref}]", "  ", CYAN))
            out.append(wrap(f"\u201c{c.quote}\u201d", "    ", DIM))
        if a.suggestions:
            out.append("")
            out.append(paint("Related:", BOLD))
    elif a.suggestions and a.status is Status.ABSTAINED and a.question.strip():
        out.append(paint("Questions I can answer:", BOLD))
    # numbered, so that `chat` can pick one by its number
    out += [wrap(s, "     ", YELLOW, first=f"  {n}. ") for n, s in enumerate(a.suggestions, 1)]
    if meta is not None and a.status is Status.ANSWERED:
        out.append("")
        out.append(wrap(f"Source: {meta.citation_line}", style=DIM))
    return "\n".join(out)
