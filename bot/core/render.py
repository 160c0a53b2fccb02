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


def answer_to_text(a: Answer, meta: BriefMeta | None = None, width: int = 100) -> str:
    """A terminal rendering: the answer, each citation (reference and quote), then suggestions."""
    wrap = lambda s, indent="": textwrap.fill(s, width, initial_indent=indent, subsequent_indent=indent)  # noqa: E731
    out = [wrap(f"(Read as: {a.read_as})"), ""] if a.read_as and a.status is Status.ANSWERED else []
    out.append(wrap(lead_text(a)))
    if a.status is Status.ANSWERED:
        for c in a.citations:
            out.append("")
            out.append(f"  [{c.ref}]")
            out.append(wrap(f"\u201c{c.quote}\u201d", "    "))
        if a.suggestions:
            out.append("")
            out.append("Related:")
            out += [f"  - {s}" for s in a.suggestions]
    elif a.suggestions:
        if a.status is Status.ABSTAINED and a.question.strip():
            out.append("Questions I can answer:")
        out += [f"  {n}. {s}" for n, s in enumerate(a.suggestions, 1)]
    if meta is not None and a.status is Status.ANSWERED:
        out.append("")
        out.append(f"Source: {meta.citation_line}")
    return "\n".join(out)
