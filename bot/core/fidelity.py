"""Fidelity checks: is every answer true for every question that reaches it, and backed by what it cites?

The loader checks that quotes are verbatim and citations exist. These checks read the knowledge base the way an
editor at the institute would:

- an answer that opens with "Yes." / "No." / a bare value ("Forty.") serves every phrasing of its entry, and a
  phrasing that asks the other way round gets the wrong one: an error, unless the entry opts in
  (``opens_with_polarity: true``) and every phrasing is a yes/no question asked the same way round;
- every number, date and proper name in an answer or fact must occur in one of its cited paragraphs;
- a cited quote that hedges ("most likely", "reasonable to assess", "suggests", ...) needs a hedge or an
  attribution ("the brief says ...") in the answer: a warning;
- a phrasing that asks "how many", "which year", "when", "who" or "where" must belong to an entry whose answer
  states a count, a year, a date, a person or a place.

The question kinds are read here, with plain rules, on purpose: this module must not depend on the engine.

The curator's tools call :func:`phrasing_problems` (why an entry's answer does not answer a question) and
:func:`polarity_note` (the question asks the opposite way round of the entry's own) before proposing a phrasing.
``python -m bot check`` calls :func:`check_knowledge`; :func:`fidelity_table` renders docs/fidelity.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from .models import Citation, Fact, Knowledge, QAEntry
from .text import intents, words

# ---------------------------------------------------------------------------------------------------- findings


@dataclass(frozen=True, slots=True)
class Finding:
    """One fidelity problem: ``level`` is "error" (check exits 1) or "warning" (printed only)."""

    level: str
    item: str  # entry id, or "fact:<id>"
    where: str  # "file:line"
    message: str

    def __str__(self) -> str:
        return f"{self.where} [{self.item}]: {self.message}"


# ---------------------------------------------------------------------------------------------------- openings

# A first word (or words) that answers yes/no, or a bare value, rather than stating something.
_POLARITY_OPENING = re.compile(
    r"^\s*(?:(?:most\s+likely|probably|likely|almost\s+certainly)\s*,?\s*(?:yes|no|not)\b|"
    r"(?:yes|no|yeah|yep|nope|not\s+necessarily|not\s+really|correct|incorrect|right|wrong|true|false|"
    r"indeed|absolutely|certainly|exactly|partly|partially)\b\s*[.,:;!\u2014-])",
    re.IGNORECASE)
# "Forty.", "Five:", "2021.", "Only a few days later:", "At Tiananmen Square:", "Because ...": a fragment that
# answers one way of asking and reads oddly (or wrongly) for the others.
_FRAGMENT_OPENING = re.compile(r"^\s*(?:because|since|due to)\b", re.IGNORECASE)
_FIRST_CLAUSE = re.compile(r"^\s*([^.:;!?\u2014]{1,40}?)\s*[.:;!\u2014](?:\s|$)")
_SUBJECTS = frozenset("the it its this they he she according both each china russia putin xi".split())
_VERB_HINT = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|do|does|did|says?|said|argues?|held|took|gives?|calls?|"
    r"describes?|reports?|notes?|met|signed|made|came|became|stated|marked|lasted|ran|runs)\b", re.IGNORECASE)


def opening_problem(answer: str) -> str | None:
    """Why the answer's first words answer only some ways of asking (None: it opens with a statement)."""
    m = _POLARITY_OPENING.match(answer)
    if m:
        return f"opens with a polarity word ({m.group(0).strip()!r})"
    m = _FRAGMENT_OPENING.match(answer)
    if m:
        return f"opens with a fragment ({m.group(0).strip()!r}...) that answers only a 'why' question"
    m = _FIRST_CLAUSE.match(answer)
    if m and not _VERB_HINT.search(m.group(1)) and len(m.group(1).split()) <= 5 \
            and m.group(1).split()[0].casefold() not in _SUBJECTS:
        return f"opens with a bare value ({m.group(0).strip()!r}) rather than a statement"
    return None


# ---------------------------------------------------------------------------------------------------- numbers

_UNITS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * n for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_UNITS_ORD = {w: n for n, w in enumerate(
    "fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth "
    "seventeenth eighteenth nineteenth".split(), 4)}
_TENS_ORD = {w: 10 * n for n, w in enumerate(
    "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split(), 2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_CIRCLED = str.maketrans({chr(0x2460 + i): f" {i + 1} " for i in range(20)})  # ① .. ⑳: the brief's lists
_NUM_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z]+")
# Words that look like numbers but are not a quantity the brief must state: "one of", "one-on-one", "first".
_NOT_A_NUMBER = {"one", "zero"}


@lru_cache(maxsize=4096)
def numbers_in(text: str, ordinals: bool = False) -> frozenset[str]:
    """Every number the text states, as a canonical string: "2,600" and "2600" -> "2600", "twenty-fifth" and
    "25th" -> "25", "forty" -> "40", "①" -> "1". "one", "first", "second" and "third" are left out unless
    ``ordinals`` (for the brief's side: "Third, ..." numbers a list): in an answer they are mostly not
    quantities ("one of the items", "first U.S.-China, then China-Russia"). "(1)" list markers are not numbers."""
    text = re.sub(r"\(\d\)", " ", text)
    text = text.translate(_CIRCLED)
    text = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", text)  # 25th -> 25
    out: set[str] = set()
    toks = _NUM_TOKEN.findall(text.replace("-", " "))
    i = 0
    while i < len(toks):
        t = toks[i]
        if t[0].isdigit():
            value = t.replace(",", "")
            if re.fullmatch(r"\d+\.0+", value):
                value = value.split(".")[0]
            out.add(value)
            i += 1
            continue
        w = t.casefold()
        if w in _TENS or w in _TENS_ORD:
            n = _TENS.get(w) or _TENS_ORD[w]
            nxt = toks[i + 1].casefold() if i + 1 < len(toks) else ""
            if w in _TENS and (nxt in _UNITS and 0 < _UNITS[nxt] < 10 or nxt in _UNITS_ORD and _UNITS_ORD[nxt] < 10):
                n += _UNITS.get(nxt) or _UNITS_ORD[nxt]
                i += 1
            out.add(str(n))
        elif w in _UNITS and w not in _NOT_A_NUMBER:
            out.add(str(_UNITS[w]))
        elif w in _UNITS_ORD:
            out.add(str(_UNITS_ORD[w]))
        elif ordinals and w in ("first", "second", "third"):
            out.add(str(("first", "second", "third").index(w) + 1))
        elif w in _SCALES:
            out.add(w)  # "50 billion" vs "50 million": the scale must match too
        i += 1
    return frozenset(out)


# ---------------------------------------------------------------------------------------------------- names

_NAME = re.compile(r"[A-Z][\w'\u2019.-]*[\w]|[A-Z]")
# Adjectives and short forms that stand for a name the paragraph spells another way.
_NAME_FORMS = {
    "Chinese": ("China", "Chinese", "Sino"), "Russian": ("Russia", "Russian"), "Sino": ("China", "Sino"),
    "Korean": ("Korea", "Korean"), "Japanese": ("Japan", "Japanese"), "American": ("U.S.", "United States"),
    "US": ("U.S.",), "U.S": ("U.S.",), "U.S.": ("U.S.",),
    "Western": ("West", "Western"), "Siberian": ("Siberia",), "European": ("Europe", "European"),
}
# Capitalised words that are not names to look up: articles, and our abbreviation of "memorandum of understanding".
_NOT_NAMES = {"I", "A", "An", "The", "MOU", "OK"}


def _sentence_starts(text: str) -> set[int]:
    starts = {0}
    for m in re.finditer(r"[.!?:;]\s+[\"'\u201c(]*|\(\d\)\s*|\(\w\)\s*|^\s*[\"'\u201c(]*", text):
        starts.add(m.end())
    return starts


# Words that open a sentence without being names ("Yes", "Under Article 25", "Besides ...").
_OPENERS = frozenset("""
a an the this that these those it its they their there here he his she her we our yes no not under besides later
earlier because since as at in on of for from by with without after before during while although though however
despite given each both some many most one two only all any according if when where who what which why how then
so but and or also still yet even just again instead rather beyond beneath among between until unlike like
alongside separately overall finally meanwhile therefore thus hence nevertheless nonetheless moreover
furthermore together otherwise apart above below across around behind
""".split())


def names_in(text: str, lowercase_vocabulary: set[str] | None = None) -> set[str]:
    """The proper names in the text: capitalised words that do not open a sentence (or that do, but are no
    common opener and never appear in lower case in ``lowercase_vocabulary``, e.g. "Putin arrived ...").
    Hyphenated names count by their parts ("China-Russia" -> "China", "Russia"); "U.S." stays one name;
    possessives are dropped ("Putin's" -> "Putin")."""
    starts = _sentence_starts(text)
    out: set[str] = set()
    for m in _NAME.finditer(text):
        raw = re.sub(r"['\u2019]s$", "", m.group(0))
        at_start = m.start() in starts
        for part in re.split(r"-(?=[A-Z])", raw):
            word = "U.S." if re.fullmatch(r"U\.S\.?", part) else part.rstrip(".")
            if not word or word in _NOT_NAMES or not word[0].isupper():
                continue
            if at_start:
                at_start = False
                if word.casefold() in _OPENERS or lowercase_vocabulary is None \
                        or word.casefold() in lowercase_vocabulary:
                    continue
            out.add(word)
    return out


def _has_name(name: str, text: str) -> bool:
    forms = _NAME_FORMS.get(name, (name,))
    for form in forms:
        if form in ("U.S.",):
            if "U.S." in text or "United States" in text:
                return True
            continue
        if re.search(rf"(?<![\w]){re.escape(form)}(?![a-z])", text):
            return True
    return False


# ---------------------------------------------------------------------------------------------------- hedges

_HEDGES = re.compile(
    r"\b(?:most likely|likely|probably|possibly|perhaps|reasonable to assess|suggests?|suggested|appears?|"
    r"appeared|seems?|seemed|generally understood|reportedly|difficult to assess|may|might)\b", re.IGNORECASE)
_ANSWER_HEDGES = re.compile(
    r"\b(?:most likely|likely|probably|possibly|perhaps|reasonable|suggests?|suggested|appears?|appeared|"
    r"seems?|seemed|generally|reportedly|difficult to assess|hard to assess|may|might|could|judges?|assess(?:es)?|"
    r"reasons?|believes?|argues?|thinks?|reads?|sees?|views?|in its view|some observers)\b", re.IGNORECASE)
_SOURCES = r"(?:the|its|this) (?:brief|abstract|author|introduction|closing assessment|closing section|disclaimer)"
_ATTRIBUTION = re.compile(
    rf"\b(?:according to {_SOURCES}|as {_SOURCES} (?:\w+ )?(?:says|puts it|describes|reads)|"
    rf"{_SOURCES}(?:'s)? (?:\w+ )?(?:says?|said|argues?|assess(?:es)?|judges?|reports?|notes?|finds?|concludes?|"
    rf"suggests?|reasons?|adds?|sees?|calls?|describes?|writes?|holds?|considers?|states?|thinks?|believes?|"
    rf"reads?|credits?|ends|stresses|emphasi[sz]es|characteri[sz]es|treats|gives|links|ties|expects|leaves)|"
    rf"(?:the|its) brief's (?:judg(?:e)?ment|view|assessment|reading|summary|analysis|conclusion))\b",
    re.IGNORECASE)


def hedge_in(text: str) -> str | None:
    m = _HEDGES.search(text)
    return m.group(0) if m else None


def hedged_or_attributed(answer: str) -> bool:
    """The answer keeps the brief's doubt ("most likely", "the brief judges ...") or says whose view it is."""
    return bool(_ANSWER_HEDGES.search(answer) or _ATTRIBUTION.search(answer))


# ---------------------------------------------------------------------------------------------------- question kinds

COUNT, YEAR, DATE, PERSON, PLACE = "count", "year", "date", "person", "place"
_KIND_WORDS = {COUNT: "a count", YEAR: "a year", DATE: "a date or time", PERSON: "a person or body",
               PLACE: "a place"}
_LEAD = r"(?:^|[,;:?!(]\s*|\b(?:and|but|so|also|then|exactly|pls|please|ok|okay|quick question)\s+)"
_AUX = r"(?:did|do|does|was|were|is|are|will|would|has|have|had|can|could|should|exactly)"
_ASKS = {
    COUNT: re.compile(r"\bhow many\b|\bwhat (?:is the )?number of\b|\bhow much time\b", re.IGNORECASE),
    YEAR: re.compile(r"\b(?:which|what) year\b(?! of\b)|\bin what year\b", re.IGNORECASE),
    DATE: re.compile(rf"{_LEAD}when\b|\bwhen {_AUX}\b|\b(?:which|what) (?:date|day|month|time)\b|"
                     r"\bon what day\b|\bhow long ago\b|\bhow long before\b|\bhow many (?:days|years|weeks|months|"
                     r"hours) (?:before|after|earlier|later|ago)\b", re.IGNORECASE),
    PERSON: re.compile(rf"{_LEAD}who(?:'s|se|m)?\b|\bwho {_AUX}\b|\b(?:by|to|with|from) whom\b|"
                       r"\bwho (?:wrote|met|received|hosted|signed|led|said|argued|suggested|greeted)\b",
                       re.IGNORECASE),
    PLACE: re.compile(rf"{_LEAD}where\b|\bwhere {_AUX}\b|\b(?:which|what) (?:city|country|capital|venue|place|"
                      r"location|square|region|river|sea|strait)\b|\bin what (?:city|place|country)\b",
                      re.IGNORECASE),
}
# A word each pattern needs, to skip the patterns that cannot match (the checks run on every phrasing).
_TRIGGERS = {COUNT: ("how many", "number of", "how much time"), YEAR: ("year",),
             DATE: ("when", "date", "day", "month", "time", "how long", "how many"), PERSON: ("who",),
             PLACE: ("where", "city", "country", "capital", "venue", "place", "location", "square", "region",
                     "river", "sea", "strait")}
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_DATE_STATED = re.compile(
    rf"\b(?:{_MONTHS})\b|\b(?:19|20)\d\d\b|\b(?:days?|weeks?|months?|years?|hours?|decades?)\s+"
    r"(?:earlier|later|before|after|ago|apart|in advance)\b|\b(?:evening|morning|night|afternoon)\b|"
    r"\bthe (?:same|next|previous) day\b|\bthe day (?:before|after)\b|\b(?:immediately|right|just|shortly|only) "
    r"(?:days? )?(?:after|before)\b|\buntil the very last moment\b|\bat this summit\b|\bin advance\b|"
    r"\bbrief does not (?:give|say|date|state)\b|\b(?:no|not give an?|gives no) (?:start |exact )?(?:date|year|"
    r"day|time)\b|\b(?:\d+|a few|few|several|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"twenty(?:-\w+)?|thirty(?:-\w+)?) (?:days|years|weeks|months|hours|decades)\b|\breal time\b|\bpromptly\b|"
    r"\b(?:when|whenever|as a basic condition|presuppos\w+)\b", re.IGNORECASE)
_PERSON_WORDS = re.compile(
    r"\b(?:observers?|officials?|author|writer|leaders?|president|premier|minister|journalists?|aides?|"
    r"delegations?|engineer|boy|kremlin|colleagues?|government|governments|sides|countries|both|neither)\b",
    re.IGNORECASE)
_PLACE_WORDS = re.compile(
    r"\b(?i:in|at|to|from|via|through|across|into|near|toward|towards|of|on)\s+(?:the\s+)?(?:[A-Z]|"
    r"(?i:same venue|(?:their|its) official websites?|border areas))|\b(?i:venue|square|region|provinces?|"
    r"peninsula|city|capital|websites?)\b")
# The places this brief names: a question "which city / country ..." is answered by one of them.
_PLACES = {"Beijing", "Moscow", "China", "Russia", "Mongolia", "Siberia", "Yamal", "Tiananmen", "Europe", "Hormuz",
           "Tumen", "Korea", "Korean", "Japan", "Asia", "Primorsky", "United", "U.S.", "Middle", "East"}
_NOT_PLACE_QUESTION = re.compile(
    r"\bwhere (?:does|do|did|is|in) (?:the |this |that )?(?:paper|brief|author|writer|text|report|analysis|it|"
    r"abstract|document)\b|\bwhere(?:'s| is| are) (?:it|this|that|things|they|the relationship|ties)\s+"
    r"(?:going|heading|headed)\b", re.IGNORECASE)
_COUNT_UNITS = re.compile(r"\b(?:19|20)\d\d\b")  # years are not counts


def asked_kinds(question: str) -> set[str]:
    """What kind of answer the question asks for: a count, a year, a date, a person, a place (or nothing)."""
    folded = question.casefold()
    kinds = {k for k, rx in _ASKS.items() if any(t in folded for t in _TRIGGERS[k]) and rx.search(question)}
    if COUNT in kinds and _ASKS[DATE].search(question) and re.search(
            r"\bhow many (?:days|years|weeks|months|hours) (?:before|after|earlier|later|ago)\b", question, re.I):
        kinds.add(DATE)
    if re.search(r"\bwhen\b", question, re.IGNORECASE) and re.search(r"\b(?:when|whenever) (?:he|she|they|it|putin|"
                                                                       r"xi|trump)\b", question, re.IGNORECASE) \
            and not re.match(r"\s*when\b", question, re.IGNORECASE):
        kinds.discard(DATE)  # "what did he say when he arrived": a clause, not a question about time
    if YEAR in kinds:
        kinds.discard(DATE)
    if PLACE in kinds and _NOT_PLACE_QUESTION.search(question) and not re.search(
            r"\b(?:which|what) (?:city|country|capital|venue|place|location)\b", question, re.IGNORECASE):
        kinds.discard(PLACE)
    return kinds


def _counts_in(answer: str) -> set[str]:
    without_dates = re.sub(rf"\b(?:{_MONTHS})\s+\d{{1,2}}\b", " ", answer, flags=re.IGNORECASE)
    without_dates = _COUNT_UNITS.sub(" ", without_dates)
    without_dates = re.sub(r"\b\d+(?:st|nd|rd|th)\b|\b\w+(?:th|first|second|third)\b", " ", without_dates)
    nums = set(numbers_in(without_dates))
    if re.search(r"\b(?:one|single|a single|sole|only one)\b", without_dates, re.IGNORECASE):
        nums.add("1")
    if re.search(r"\b(?:a few|several|most of|all of|all (?:types|kinds|sorts) of|half)\b", without_dates, re.I):
        nums.add("few")
    if re.search(r"\bno (?:count|number|figure|list|exact number)\b|\bdoes not (?:give|say|state) (?:a |the )?"
                 r"(?:count|number|exact number|how many)\b|\bdoes not (?:list|number|count)\b", without_dates, re.I):
        nums.add("0")
    return nums


@lru_cache(maxsize=512)
def stated_kinds(answer: str) -> frozenset[str]:
    """What the answer states: a count, a year, a date, a person, a place."""
    out: set[str] = set()
    if _counts_in(answer):
        out.add(COUNT)
    if _YEAR.search(answer):
        out.add(YEAR)
    if _DATE_STATED.search(answer):
        out.add(DATE)
    if names_in(answer) - {"Treaty", "Article", "Joint", "Statement", "Declaration"} or _PERSON_WORDS.search(answer):
        out.add(PERSON)
    if _PLACE_WORDS.search(answer) or names_in(answer) & _PLACES:
        out.add(PLACE)
    return frozenset(out)


# ---------------------------------------------------------------------------------------------------- polarity

_YES_NO_QUESTION = re.compile(
    r"^\s*(?:(?:so|and|but|ok|okay|quick question|just checking|true or false)\s*[:,]?\s*)?"
    r"(?:is|are|was|were|did|do|does|has|have|had|can|could|will|would|should|isn't|aren't|wasn't|weren't|"
    r"didn't|doesn't|don't|hasn't|haven't)\b", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(?:not|no|never|without|neither|nor|none|nothing|fail(?:s|ed)?|failure|unresolved|pending|open|"
    r"held back|withheld|withhold|refus(?:e|ed)|reject(?:ed)?|lack(?:ed)?|absent)\b|n't\b", re.IGNORECASE)


def is_yes_no_question(question: str) -> bool:
    return bool(_YES_NO_QUESTION.search(question)) or bool(re.search(
        r"\b(?:is it true|is that true|right\?|correct\?|or not\b)", question, re.IGNORECASE))


def negated(question: str) -> bool:
    """The question is asked "the negative way round" (an odd number of negations)."""
    return len(_NEGATION.findall(question)) % 2 == 1


def polarity_note(entry: QAEntry, question: str) -> str | None:
    """A yes/no question asked the other way round from the entry's own first phrasing: its "yes" is the entry's
    "no". Not wrong by itself when the answer is a neutral statement, but a curator should look."""
    if not is_yes_no_question(question):
        return None
    own = next((q for q in entry.questions if is_yes_no_question(q)), None)
    if own is None or own.casefold() == question.casefold() or negated(own) == negated(question):
        return None
    return f"asks the opposite way round of {own!r}"


# ---------------------------------------------------------------------------------------------------- the public API


def phrasing_problems(entry: QAEntry, question: str) -> list[str]:
    """Why ``entry``'s answer does not answer ``question`` (empty: it does, as far as these rules can tell).

    - kind mismatch: the question asks how many / which year / when / who / where and the answer states none;
    - the answer opens with a polarity word or bare value and the entry has not opted in;
    - the entry opted in to a polarity opening and the question is not a yes/no question asked the same way round.
    Used by ``python -m bot check`` on every phrasing and by the curator's tools before they propose one.
    """
    problems: list[str] = []
    if "?you" in intents(words(question)):
        # the engine never answers a question aimed at the bot with an entry unless a phrasing is one
        problems.append("it asks the bot itself (its opinion or its make-up), which the brief cannot answer")
    stated = stated_kinds(entry.answer)
    for kind in sorted(asked_kinds(question) - stated):
        problems.append(f"asks for {_KIND_WORDS[kind]} and the answer states none")
    opening = opening_problem(entry.answer)
    if opening and not entry.opens_with_polarity:
        problems.append(f"the answer {opening}, which cannot be right for every phrasing")
    elif opening and entry.opens_with_polarity:
        if not is_yes_no_question(question):
            problems.append(f"the answer {opening}, but this phrasing is not a yes/no question")
        else:
            note = polarity_note(entry, question)
            if note:
                problems.append(f"the answer {opening}, and this phrasing {note}")
    return problems


def _lowercase_vocabulary(knowledge: Knowledge) -> set[str]:
    return {w for p in knowledge.brief.paragraphs() for w in re.findall(r"\b[a-z][\w-]*\b", p.text)}


def _paragraph_texts(knowledge: Knowledge, cits: Iterable[Citation]) -> list[str]:
    """The cited paragraphs, each with its section title: "Power of Siberia 2, ¶4" names the pipeline even
    where the paragraph says "this project"."""
    out: dict[str, str] = {}
    for c in cits:
        p = knowledge.paragraph(c.paragraph_id)
        if p is not None:
            out.setdefault(p.id, f"{p.section_title}. {p.text}")
    return list(out.values())


_LIST_AFTER = re.compile(r"[:(]\s*([^.()]*?)(?:\)|\.(?:\s|$)|$)")


def _listed_count(text: str, n: str) -> bool:
    """``n`` counts a list the text gives right after it ("three benefits: a, b, and c")."""
    for m in re.finditer(r"\b(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\b[^:(.;]{0,40}", text, re.I):
        if numbers_in(m.group(0).split()[0]) != {n}:
            continue
        after = _LIST_AFTER.match(text, m.end())
        if after:
            items = [x for x in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|;\s*", after.group(1)) if x.strip()]
            if str(len(items)) == n:
                return True
    return False


def unsupported(text: str, cits: Iterable[Citation], knowledge: Knowledge,
                vocabulary: set[str] | None = None) -> list[str]:
    """The numbers and names in ``text`` that none of the cited paragraphs contains. The brief's title and
    numbering (``BriefMeta.citation_line``, which every reply names) count as context for every citation, and so
    do the cited paragraphs' section titles; a count of items the text lists right after it ("three benefits: a,
    b, and c") counts as given."""
    paras = _paragraph_texts(knowledge, cits) + [knowledge.brief.meta.citation_line]
    joined = "\n".join(paras)
    vocabulary = vocabulary if vocabulary is not None else _lowercase_vocabulary(knowledge)
    missing: list[str] = []
    have = numbers_in(joined, ordinals=True)
    for n in sorted(numbers_in(text) - have, key=lambda s: (len(s), s)):
        if not _listed_count(text, n):
            missing.append(f"number {n}")
    for name in sorted(names_in(text, vocabulary)):
        if not _has_name(name, joined):
            missing.append(f"name {name!r}")
    return missing


def _entry_findings(e: QAEntry, knowledge: Knowledge, vocabulary: set[str]) -> list[Finding]:
    out: list[Finding] = []
    opening = opening_problem(e.answer)
    if opening and not e.opens_with_polarity:
        out.append(Finding("error", e.id, e.source, f"the answer {opening}: one answer serves every phrasing, "
                                                    "so state the finding instead (or opt in with "
                                                    "opens_with_polarity: true)"))
    elif e.opens_with_polarity and not opening:
        out.append(Finding("error", e.id, e.source, "opens_with_polarity is set but the answer opens with a "
                                                    "statement: drop the flag"))
    missing = unsupported(e.answer, e.citations, knowledge, vocabulary)
    if missing:
        out.append(Finding("error", e.id, e.source, "the answer states what no cited paragraph contains: "
                                                    + ", ".join(missing)))
    hedged = [(c, h) for c in e.citations if (h := hedge_in(c.quote))]
    if hedged and not hedged_or_attributed(e.answer):
        c, h = hedged[0]
        out.append(Finding("warning", e.id, e.source, f"the quote from {c.paragraph_id} hedges ({h!r}); the answer "
                                                      "neither hedges nor says whose view it is"))
    for q in e.questions:
        for problem in phrasing_problems(e, q):
            if opening and not e.opens_with_polarity and "cannot be right for every phrasing" in problem:
                continue  # reported once, above
            out.append(Finding("error", e.id, e.source, f"phrasing {q!r}: {problem}"))
    return out


def _fact_findings(f: Fact, knowledge: Knowledge, vocabulary: set[str]) -> list[Finding]:
    item = f"fact:{f.id}"
    out: list[Finding] = []
    opening = opening_problem(f.text)
    if opening:
        out.append(Finding("error", item, f.source, f"the fact {opening}"))
    missing = unsupported(f.text, (f.citation,), knowledge, vocabulary)
    if missing:
        out.append(Finding("error", item, f.source, "the fact states what its cited paragraph does not contain: "
                                                    + ", ".join(missing)))
    h = hedge_in(f.citation.quote)
    if h and not hedged_or_attributed(f.text):
        out.append(Finding("warning", item, f.source, f"the quote hedges ({h!r}); the fact neither hedges nor "
                                                      "says whose view it is"))
    return out


def check_knowledge(knowledge: Knowledge) -> list[Finding]:
    """Every fidelity finding in the knowledge base, errors and warnings, in file order."""
    vocabulary = _lowercase_vocabulary(knowledge)
    findings: list[Finding] = []
    for e in knowledge.entries:
        findings += _entry_findings(e, knowledge, vocabulary)
    for f in knowledge.facts:
        findings += _fact_findings(f, knowledge, vocabulary)
    return findings


# ---------------------------------------------------------------------------------------------------- the table

_TABLE_WORD = re.compile(r"[a-z0-9]+")
_TABLE_STOP = frozenset("""a an and are as at be by for from has have in is it its of on or that the their them they
this to was were which with would brief says said""".split())


def _claims(text: str) -> list[str]:
    from .text import sentences

    return [s for s in sentences(text) if s.strip()] or [text]


def _content(text: str) -> set[str]:
    return {w for w in _TABLE_WORD.findall(text.casefold()) if w not in _TABLE_STOP}


def claims_with_sources(text: str, cits: tuple[Citation, ...]) -> list[tuple[str, list[Citation]]]:
    """Each sentence of an answer with the citations that back it: those that share the most words with it.
    A citation no sentence picked goes to the sentence closest to it, so every citation shows up once at least."""
    claims = _claims(text)
    words = [_content(c) for c in claims]
    out: list[tuple[str, list[Citation]]] = []
    used: set[int] = set()
    for claim, w in zip(claims, words):
        scores = [len(w & _content(c.quote)) for c in cits]
        best = max(scores, default=0)
        picked = [i for i, s in enumerate(scores) if s and (s == best or s >= 3)]
        used.update(picked)
        out.append((claim, [cits[i] for i in picked]))
    for i, c in enumerate(cits):
        if i not in used:
            j = max(range(len(claims)), key=lambda k: len(words[k] & _content(c.quote)))
            out[j][1].append(c)
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _rows(text: str, cits: tuple[Citation, ...]) -> list[str]:
    rows = []
    for n, (claim, sources) in enumerate(claims_with_sources(text, cits), 1):
        where = "<br>".join(f"{_cell(c.ref)} ({c.paragraph_id})" for c in sources) or "(none)"
        quotes = "<br>".join(f"\u201c{_cell(c.quote)}\u201d" for c in sources) or ""
        rows.append(f"| {n} | {_cell(claim)} | {where} | {quotes} |")
    return rows


def fidelity_table(knowledge: Knowledge) -> str:
    """docs/fidelity.md: every entry and fact, each claim with the paragraph and verbatim quote behind it, for a
    reviewer to sign off. Generated from the knowledge base only (no version stamp, so it changes exactly when
    an answer, a fact or a citation does)."""
    meta = knowledge.brief.meta
    findings = check_knowledge(knowledge)
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    lines = [
        "# Fidelity table",
        "",
        f"What the bot says about *{meta.title}* ({meta.publisher} {meta.series} Vol.{meta.volume} No.{meta.number}, "
        f"{meta.year}), claim by claim, with the paragraph and the verbatim quote behind each claim.",
        "",
        "Generated from `knowledge/` by `python -m bot check --fidelity-table docs/fidelity.md`; do not edit by hand "
        "(a test fails when this file and the knowledge base disagree).",
        "",
        "`python -m bot check` holds every answer to these rules (bot/core/fidelity.py; errors fail the check):",
        "",
        "- an answer is a statement true for every phrasing of its entry: no opening \"Yes.\" / \"No.\" / bare "
        "value (\"Forty.\") / \"Because ...\" unless the entry sets `opens_with_polarity: true` and every phrasing "
        "is a yes/no question asked the same way round;",
        "- every number, date and proper name in an answer or fact occurs in one of its cited paragraphs (their "
        "section titles and the brief's title and numbering count as context). The bot does no arithmetic on the "
        "brief's figures: a question that needs a computed number (days between two dates, a ten-year total) is a "
        "near miss, and the answer gives the figures the brief states;",
        "- a phrasing that asks how many / which year / when / who / where belongs to an entry whose answer states a "
        "count / year / date / person / place;",
        "- a cited quote that hedges (\"most likely\", \"reasonable to assess\", \"suggests\", \"appears\", "
        "\"generally understood\", \"reportedly\") needs a hedge or an attribution (\"the brief says/judges\") in "
        "the answer (a warning).",
        "",
        f"- {len(knowledge.entries)} Q&A entries, {len(knowledge.facts)} facts",
        f"- fidelity check: {errors} errors, {warnings} warnings",
        "- a claim is one sentence of an answer; its sources are the cited quotes that share the most words with "
        "it (every citation is shown at least once)",
        "",
        "## Q&A entries",
        "",
    ]
    for e in knowledge.entries:
        lines += [f"### `{e.id}`: {_cell(e.title)}", "",
                  "| # | Claim | Paragraph | Quote |", "|---|---|---|---|"]
        lines += _rows(e.answer, e.citations)
        lines.append("")
    lines += ["## Facts", "", "| Fact | Claim | Paragraph | Quote |", "|---|---|---|---|"]
    for f in knowledge.facts:
        c = f.citation
        lines.append(f"| `{f.id}` | {_cell(f.text)} | {_cell(c.ref)} ({c.paragraph_id}) | "
                     f"\u201c{_cell(c.quote)}\u201d |")
    lines.append("")
    return "\n".join(lines)
