"""Follow-ups that point back at the previous answer: "how old is he now?", "whats the second one about?".

The previous answer's entry (or fact) has a subject, read from the knowledge itself: the name its phrasings keep
coming back to and that few other entries use ("Peng Pai", "Power of Siberia 2"), the person "he" / "she" can
stand for (a name the brief puts just before a "he" / "his" / "she" / "her", or what a "Who ...?" entry answers),
and the items its passage enumerates ("The first was ...", "The second was ...", or ① ② ③). A pronoun or an
ordinal in a short follow-up is replaced by that subject, and the rewritten question is asked like any other.
Pure core: the engine is passed in and used through its public ``ask`` / ``follow_up``."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

from .models import Answer, Knowledge, Status
from .text import looks_like_follow_up, sentences


class _Engine(Protocol):
    knowledge: Knowledge

    def ask(self, question: str) -> Answer: ...

    def follow_up(self, question: str, previous_id: str) -> Answer: ...


@dataclass(frozen=True, slots=True)
class Subject:
    name: str  # the name the entry is about: "Peng Pai", "Power of Siberia 2"; "" when none stands out
    person: str  # what "he" / "she" stands for: the best-placed person's name, or ""
    items: tuple[str, ...] = ()  # what "the first", "the second" (and "they", when there are some) stand for


ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "1st": 0, "2nd": 1, "3rd": 2, "4th": 3,
            "5th": 4, "former": 0}
# "the second (one)", "the latter", "first one" -- standing alone, not "the first meeting" or "first met"
_ORDINAL_REF = re.compile(
    r"(?:\bthe\s+(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|former|latter|last)"
    r"(?:\s+(?:one|document|item|point|part|step|principle|area|thing))?"
    r"|\b(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|last)\s+one)"
    r"(?=\s*$|\s*[?.!,;:]|\s+(?:about|is|was|were|say|says|said|mean|means|cover|covers|do|does|did|and|or|of|in|on|"
    r"for|then|again|please|pls)\b)", re.IGNORECASE)
_PERSONAL = {"he": "", "him": "", "his": "'s", "she": "", "her": "'s", "hers": "'s"}
_THING = {"it": "", "its": "'s"}
_PLURAL = {"they": "", "them": "", "their": "'s", "theirs": "'s"}
_PRONOUN = re.compile(r"\b(" + "|".join(sorted({**_PERSONAL, **_THING, **_PLURAL}, key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)
# "The first was the China-Russia Joint Statement on ...", "The second is ..."
_ENUMERATED = re.compile(r"\bthe (first|second|third|fourth|fifth) (?:was|is|were|are|being|one was)\s+(.+?)(?=[.;]|$)",
                         re.IGNORECASE)
_CIRCLED = re.compile("[\u2460-\u2473]")  # ① to ⑳
_ASIDE = re.compile(r"\s*\([^)]*\)")  # (hereinafter "the Joint Statement")
# A name: capitalised words (and numbers), "of" / "the" between them ("Power of Siberia 2")
_NAME = re.compile(r"[A-Z][\w'\u2019-]*(?:\s+(?:(?:of|the|de)\s+)*(?:[A-Z][\w'\u2019-]*|\d+\b))*")
_NOT_NAME = frozenset(
    "how what who whom whose when where why which did does do is are was were can could would should will has have "
    "had the a an in on at according so and but or tell name list identify explain describe give per i if it its "
    "this that these those there then also ok okay please summarise summarize compare define".split())


def _names(text: str, common: frozenset[str] = frozenset()) -> list[str]:
    """The capitalised names in a text, without a leading question word ("Who is Peng Pai" -> "Peng Pai"). A word
    in ``common`` (words the brief writes in lower case) is no name when it only starts a sentence ("Some")."""
    out = []
    for m in _NAME.finditer(text):
        toks = [re.sub(r"['\u2019]s$", "", t) for t in m.group(0).split()]
        starts = not text[:m.start()].strip() or text[:m.start()].rstrip()[-1] in ".!?:;\u201c\"("
        while toks and (toks[0].lower() in _NOT_NAME or starts and toks[0].lower() in common):
            toks, starts = toks[1:], False
        while toks and toks[-1].lower() in {"of", "the", "de"}:
            toks = toks[:-1]
        if toks and len(" ".join(toks)) > 1:
            out.append(" ".join(toks))
    return out


class _Version:
    """A knowledge base as a cache key: by its version (a hash of its files), so the key costs nothing to hash."""

    __slots__ = ("knowledge",)

    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge

    def __hash__(self) -> int:
        return hash(self.knowledge.version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Version) and other.knowledge.version == self.knowledge.version


def _index(knowledge: Knowledge) -> tuple[dict[str, int], frozenset[str], frozenset[str], int]:
    return _index_of(_Version(knowledge))


@lru_cache(maxsize=2)  # the knowledge being served, and the one before a reload
def _index_of(key: _Version) -> tuple[dict[str, int], frozenset[str], frozenset[str], int]:
    """For each name in the knowledge, in how many entries it occurs; which names are people; the brief's
    lower-case words."""
    knowledge = key.knowledge
    paragraphs = [p.text for p in knowledge.brief.paragraphs()]
    common = frozenset(w for t in paragraphs for w in re.findall(r"\b[a-z][a-z'-]*\b", t))
    df: Counter[str] = Counter()
    people = set()
    for e in knowledge.entries:
        names = {n.lower() for t in (*e.questions, e.answer) for n in _names(t, common)}
        df.update(names)
        if re.match(r"(?i)\s*who\b", e.title):  # "Who wrote the brief?": the name its answer gives is a person
            people.update(n.lower() for n in _names(e.answer, common)[:1])
    for text in paragraphs:  # the name just before a "he" / "his" / "she" / "her" in a sentence of the brief
        for sentence in sentences(text):
            for m in re.finditer(r"\b(?:he|his|him|she|her)\b", sentence):
                before = _names(sentence[:m.start()], common)
                if before:
                    people.add(before[-1].lower())
    return dict(df), frozenset(people), common, max(1, len(knowledge.entries))


def subject_of(knowledge: Knowledge, unit_id: str) -> Subject | None:
    """The subject of an entry or fact, or None for an unknown id."""
    entry = knowledge.entry(unit_id)
    fact = knowledge.fact(unit_id) if entry is None else None
    if entry is None and fact is None:
        return None
    df, people, common, n_entries = _index(knowledge)
    texts = [t.lower() for t in (entry.questions if entry is not None else (fact.text, *fact.keywords))]
    body = (entry.answer if entry is not None else fact.text)
    shown: dict[str, str] = {}
    for name in [n for t in (entry.questions if entry else (fact.text,)) for n in _names(t, common)]:
        shown.setdefault(name.lower(), name)
    for name in _names(body, common):
        shown.setdefault(name.lower(), name)
    texts.append(body.lower())
    counts: Counter[str] = Counter()
    for key in sorted(shown, key=len, reverse=True):  # a mention counts for the longest name it is part of
        pattern = re.compile(rf"(?<!\w){re.escape(key)}(?!\w)")
        counts[key] = sum(1 for t in texts if pattern.search(t))
        texts = [pattern.sub(" ", t) for t in texts]
    scored = {k: c * math.log(1 + n_entries / (1 + df.get(k, 0))) for k, c in counts.items() if c}
    best = lambda keys: max(keys, key=lambda k: (scored[k], len(k)), default="")  # noqa: E731
    name, person = best(scored), best(k for k in scored if k in people)
    citations = entry.citations if entry is not None else (fact.citation,)
    return Subject(shown.get(name, ""), shown.get(person, ""), _items(knowledge, citations))


def _items(knowledge: Knowledge, citations) -> tuple[str, ...]:
    """What the cited passage enumerates, in order: "The first was X ... The second was Y", or "① X, ② Y"."""
    texts = [c.quote for c in citations]
    texts += [p.text for c in citations if (p := knowledge.paragraph(c.paragraph_id)) is not None]
    for text in texts:
        found = {ORDINALS[m.group(1).lower()]: m.group(2).strip() for m in _ENUMERATED.finditer(text)}
        if len(found) >= 2 and sorted(found) == list(range(len(found))):
            return tuple(_ASIDE.sub("", found[i]) for i in range(len(found)))
    for text in texts:
        parts = _CIRCLED.split(text)
        if len(parts) >= 3:
            items = [re.sub(r"[,;]?\s*(?:and)?\s*$", "", re.split(r"[;.]", p)[0].strip()) for p in parts[1:]]
            return tuple(i for i in items if i)
    return ()


def resolve(question: str, subject: Subject) -> str | None:
    """The question with its pronoun or ordinal replaced by what it points back to, or None when it has none
    this subject can fill ("how old is he now" -> "how old is Peng Pai now")."""
    m = _ORDINAL_REF.search(question)
    if m and subject.items:
        word = (m.group(1) or m.group(2)).lower()
        index = len(subject.items) - 1 if word in {"last", "latter"} else ORDINALS[word]
        if index < len(subject.items):
            return f"{question[:m.start()]}{subject.items[index]}{question[m.end():]}"
        return None
    changed = False

    def fill(p: re.Match) -> str:
        nonlocal changed
        word = p.group(1).lower()
        if word in _PERSONAL and subject.person:
            target = subject.person
        elif word in _THING and subject.name and subject.name != subject.person:
            target = subject.name
        elif word in _PLURAL and (subject.items or subject.name):
            target = " and ".join(subject.items) if subject.items else subject.name
        else:
            return p.group(0)
        suffix = {**_PERSONAL, **_THING, **_PLURAL}[word]
        if word == "her" and not re.match(r"\s+[a-z]", question[p.end():]):
            suffix = ""  # "ask her" rather than "her age"
        changed = True
        return target + suffix

    out = _PRONOUN.sub(fill, question, count=1)
    return out if changed else None


def answer_follow_up(engine: _Engine, question: str, previous_id: str | None, *, reply: bool = False) -> Answer:
    """Answer a message that may lean on the previous answer (``previous_id``: its entry or fact, or None).

    1. A short follow-up with a pronoun or an ordinal is first asked with it resolved against the previous
       answer's subject (as it stands, then within the previous answer's topic); answered, that is the answer
       (under the question as typed).
    2. Otherwise the question as typed; if that does not answer and it reads as a follow-up (or ``reply``: it
       replies to that answer, as on Discord), the engine's own ``follow_up`` (the question within the previous
       answer's topic).
    3. Refused, it never suggests a question the bot would refuse: those are dropped from its suggestions."""
    resolved = None
    if previous_id and (looks_like_follow_up(question) or _ORDINAL_REF.search(question)):
        subject = subject_of(engine.knowledge, previous_id)
        resolved = resolve(question, subject) if subject is not None else None
    if resolved is not None:
        def moves_on(a: Answer) -> bool:  # answered, and not with the answer it follows up on
            return a.status is Status.ANSWERED and a.match.id != previous_id

        first = engine.ask(resolved)
        if not moves_on(first):  # then within the previous answer's topic, that answer left out
            first = engine.follow_up(resolved, previous_id)
        if not moves_on(first) and subject.items:  # then with a formal title cut to its head
            short = resolve(question, replace(subject, items=tuple(_head_of(i) for i in subject.items)))
            if short is not None and short != resolved:
                first = engine.ask(short)
        if moves_on(first):
            return replace(first, question=question)
    answer = engine.ask(question)
    if answer.status is Status.ANSWERED or not previous_id:
        return answer
    if reply or resolved is not None or looks_like_follow_up(question):
        followed = engine.follow_up(question, previous_id)
        if followed.status is Status.ANSWERED:
            return followed
    if resolved is not None:
        answer = replace(first, question=question)
    return _answerable_suggestions(engine, answer)


def _head_of(title: str) -> str:
    """A formal title without its "on ..." part: "the China-Russia Joint Declaration on the Formation of a
    Multipolar World ..." -> "the China-Russia Joint Declaration"."""
    return re.split(r"\s+on\s+", title, maxsplit=1)[0]


def _answerable_suggestions(engine: _Engine, answer: Answer) -> Answer:
    keep = [i for i, s in enumerate(answer.suggestions) if engine.ask(s).status is Status.ANSWERED]
    if len(keep) == len(answer.suggestions):
        return answer
    candidates = tuple(answer.candidates[i] for i in keep) if len(answer.candidates) == len(answer.suggestions) \
        else answer.candidates
    return replace(answer, suggestions=tuple(answer.suggestions[i] for i in keep), candidates=candidates)

