"""Text normalisation shared by the loader, the engine and the renderers."""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections.abc import Collection, Sequence
from itertools import islice

import Stemmer

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})

# Discord syntax that carries no meaning for a question.
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>|<t:\d+(?::\w)?>|@(?:everyone|here)\b")
_URL = re.compile(r"https?://\S+|www\.\S+")
_CODE_FENCE = re.compile(r"```(?:\w+\n)?")
_MARKDOWN = re.compile(r"[*_~`|>#\[\]()]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff]")
# "U.S." and "U.S.A." before punctuation is stripped; "US" only when typed in capitals (never the pronoun "us").
_US_DOTTED = re.compile(r"\bu\.\s?s\.(?:\s?a\.)?", re.IGNORECASE)
_US_CAPS = re.compile(r"\bUSA?\b")
_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Caps on what one text can cost, whatever it is. NFKC can make a text 18 times longer (U+FDFA), so texts are cut
# again after it; tokenizing stops at MAX_TOKENS; a "word" longer than MAX_WORD_CHARS is no English word and is cut
# before it is stemmed or cached; the stem cache is bounded by the bytes it holds, not by its count of entries.
MAX_CHARS = 2000
MAX_TOKENS = 1000
MAX_WORD_CHARS = 40
STEM_CACHE_BYTES = 4_000_000

_stemmer = Stemmer.Stemmer("english")

# Words that say nothing about what is asked: function words and the filler of questions.
STOPWORDS = frozenset("""
a about above according actually after again all also am an and any are aren around as ask asked at be been being
briefly but by can could d did didn do does doesn doing done don during each either else even ever every exactly
explain explained explains few for from further get give given gives go going got had has hasn have haven having he
her here hers him his how however i if in info information into is isn it its itself just kind know let like ll m
me mean meant    more most much must my myself need no nor not now o of off on once one only
or  our ours out over own please pls plz quick quickly quite re really regarding s    shall she
should so some something sort such t   than thank thanks that the their theirs them then there these they
thing things this those though through thru to too tl dr u under until up upon ur us ve very via want was wasn way we
were weren what whats whatever when where whether which while who whom whose why will with within without won would
wouldn y ya yeah yes yet many you your yours yourself describe detail details per
anything everything someone somebody know knew      point points part
tldr tl;dr nutshell stuff idea ideas whole ppl people bc cuz cause basically generally general exactly roughly
approximately approx hey hi hello ok okay lol pls plz thx ty wat wht im i'm does did happened happen happening
brief's author's paper report document's wrt re regarding concerning bot
thanks thank thx ty helped cheers cool nice awesome perfect lol lmao haha hahaha bye goodbye same nope yep yup
came come comes coming gave give gives giving put puts putting use used uses using find finds found send sends
sent keep keeps kept get gets getting make makes making take takes took taking go goes went gone show shows
showed shown try tries tried trying seem seems seemed look looks looked think thinks thought believe believes feel
feels felt specifically supposedly deliberately literally apparently exactly
yo nah ngl tbh fr bro bruh tf wtf omg imo imho idk btw smth sth lowkey highkey kinda sorta gonna wanna gotta
kindly por favor bitte danke gracias merci
seriously probably honestly purely simply merely precisely mostly truly genuinely definitely certainly surely
clearly perhaps maybe anyway anyways bout abt dis ths da
obviously obvious admit admits prove bet care confirm correct true false cope wrong right sure typical whoop huh
eh legit guess rly srsly lemme smh ffs pfft meh duh yikes lmfao rofl lmk
""".split())  # the last two lines: how loaded and checking questions talk ("admit it", "right?", "prove me wrong"),
# words the brief never uses

# Words that mark what kind of answer is wanted. They are not content, but "why did China not sign" and "did
# China sign" want different answers, so they become light pseudo-words ("?why") for phrasing similarity.
_INTENTS = {"why": "?why", "reason": "?why", "reasons": "?why", "motive": "?why", "when": "?when",
            "where": "?where", "who": "?who", "whom": "?who", "whose": "?who",
            "say": "?say", "said": "?say", "says": "?say", "talk": "?say", "talked": "?say", "discuss": "?say",
            "discussed": "?say", "tell": "?say", "told": "?say", "react": "?say", "reacted": "?say",
            "reaction": "?say", "respond": "?say", "responded": "?say", "response": "?say"}


_WH = {"what", "which", "whose"}


def head_words(tokens: list[str]) -> list[str]:
    """The words a "what/which ..." or "how many ..." question asks about: the content words right after the
    question word ("which Mongolian cities ...", "what year ...", "how many ministers ..."); none for "what does
    ...", "what is ...", "what's the ..."."""
    for i, t in enumerate(tokens):
        if t in _WH or (t == "many" and i and tokens[i - 1] == "how"):
            out: list[str] = []
            for w in tokens[i + 1:i + 3]:
                if not is_content(w):
                    break
                out.append(w)
            return out
    return []


def intents(tokens: list[str]) -> set[str]:
    out = {_INTENTS[t] for t in tokens if t in _INTENTS}
    for a, b in zip(tokens, tokens[1:], strict=False):
        if a == "how" and b in ("many", "much", "big", "large", "small", "far", "wide", "tall", "high", "deep",
                                "heavy", "expensive", "costly"):
            out.add("?amount")
        elif a == "how" and b == "long":
            out.add("?length")
        elif a == "how" and b in ("old", "young"):
            out.add("?age")
    if _ABOUT_YOU.search(" ".join(tokens)):  # the bot's own opinions or make-up: never in the brief
        out.add("?you")
    for i, t in enumerate(tokens):
        # what comes after the brief: "next year", "the next xi-putin summit"
        if t in ("next", "upcoming") and (_LATER.intersection(tokens[i + 1:i + 6]) or i == len(tokens) - 1):
            out.add("?next")
    for i, t in enumerate(tokens):
        # a request for the items themselves: "list the documents", "name all the principles", "what are the
        # four principles", "what exactly were the 40 documents"
        if t in ("list", "enumerate", "itemize", "itemise") or (
                t == "name" and (i == 0 or tokens[i - 1] in ("you", "u", "please", "pls", "to"))
                and tokens[i + 1:i + 2] in (["the"], ["all"], ["each"], ["every"])):
            out.add("?list")
        elif t in ("what", "which") and _LISTED.match(" ".join(tokens[i + 1:i + 5])):
            out.add("?list")
    return out


_ABOUT_YOU = re.compile(
    # "your brief", "your precious source": the brief the bot answers from, not the bot's own make-up
    r"\b(?:are you|you running|how is it going|your(?!\s+(?:\w+\s+)?(?:brief|paper|report|source|sources|document|"
    r"doc|article|text|pdf|analysis|author)\b)|yourself|(?:do |what |how )?you (?:personally )?(?:think|expect|"
    r"believe|agree|like|reckon|feel)|(?:made|built|created|trained|programmed|wrote) you)\b")
_LATER = frozenset("year years decade month months week weeks summit summits meeting meetings visit visits trip "
                   "trips round time step steps phase stage".split())
_LISTED = re.compile(r"(?:exactly |precisely )?(?:are|were) (?:all )?(?:the |those |these )?(?:\d+|several|various|two|three|four|five|six|seven|eight|nine|ten)\b")


# Chat shorthand, read as the words it stands for (language, not knowledge: the knowledge base's own
# abbreviations such as PoS2 or DPRK are aliases in knowledge/aliases.yaml).
SHORTHAND = {
    "prez": "president", "pres": "president", "b4": "before", "yr": "year", "yrs": "years", "intl": "international",
    "abt": "about", "pts": "points", "pt": "point", "acc": "according", "coop": "cooperation", "govt": "government",
    "gov": "government", "tho": "though", "bc": "because", "cuz": "because", "cos": "because", "ppl": "people",
    "natl": "national", "fm": "foreign minister", "approx": "approximately",
    "bn": "billion", "mn": "million", "esp": "especially", "info": "information",
    "convo": "conversation", "diff": "difference", "prob": "probably", "probs": "probably", "rly": "really",
    "bday": "birthday", "hasnt": "has not", "havent": "have not", "didnt": "did not", "doesnt": "does not",
    "dont": "do not", "isnt": "is not", "wasnt": "was not", "werent": "were not", "wont": "will not",
    "cant": "cannot", "couldnt": "could not", "shouldnt": "should not", "wouldnt": "would not", "whats": "what is",
    "thats": "that is", "whos": "who is", "wheres": "where is", "hows": "how is", "wat": "what", "wut": "what",
    "tldr": "summary", "tl;dr": "summary", "gist": "summary", "nutshell": "summary", "overview": "summary",
    "summarize": "summary", "summarise": "summary", "summarized": "summary", "recap": "summary",
    "takeaway": "summary", "takeaways": "summary", "rn": "right now", "atm": "at the moment",
}


_SOURCE_WORDS = ("author", "writer", "brief", "abstract", "conclusion", "paper", "report", "text", "article",
                 "analysis", "inss", "issue brief")
_SOURCE = rf"(?:the\s+)?(?:{'|'.join(_SOURCE_WORDS)})"
# Phrases that say where an answer should come from, not what is asked: "according to the author", "per the
# brief", "what does the brief say about ...", "tell me about ...". Dropped before matching when something is
# left to match.
_FRAMING = re.compile(
    rf"\b(?:according\s+to|acc\s+to|acc\.?\s+to|per|in|from|by)\s+{_SOURCE}\b"
    rf"|\b(?:does|did|do|would)\s+{_SOURCE}\s+(?:say|said|says|think|argue|claim|suggest|mention|conclude|expect|believe|predict|assess|describe|see)s?"
    rf"(?:\s+(?:that|about|on|of))?"
    rf"|\b{_SOURCE}\s+(?:says|said|thinks|argues|claims|suggests|mentions|concludes|expects|believes|predicts|assesses|describes|sees)(?:\s+(?:that|about))?"
    r"|\b(?:tell|teach|show)\s+(?:me|us)\s+(?:(?:a\s+bit|a\s+little|more|something)\s+)?about\b",
    re.IGNORECASE)


# every match of _FRAMING holds one of these (a source, or the "about" of "tell me about"), in lower case
_FRAMING_NEEDS = _SOURCE_WORDS + ("about",)


def unframed(text: str) -> str:
    """``text`` with its framing (_FRAMING) replaced by a space. An ASCII text with none of the words every framing
    holds is returned as it is, without running the expression (about 30 µs a question)."""
    if text.isascii():
        lowered = text.lower()
        if not any(w in lowered for w in _FRAMING_NEEDS):
            return text
    return _FRAMING.sub(" ", text)


def unframed_words(text: str) -> list[str]:
    """The question's words without "according to the author"-style framing (all of them, if that is all
    the question is). Tokenizes once in the usual case."""
    toks = words(unframed(text))
    return toks if any(is_content(w) for w in toks) else words(text)


# a question word or an auxiliary verb that opens a question
_WH_OR_AUX = (r"who|whom|whose|what|whats|when|where|why|how|which|is|are|was|were|do|does|did|can|could|will|"
              r"would|should|has|have|had")
_QUESTION_START = re.compile(rf"^\s*(?:{_WH_OR_AUX}|tell me|explain|summari[sz]e|list|describe|define)\b",
                             re.IGNORECASE)
# a question may open with a discourse word: "so is the gas deal done or not", "ok but who wrote it"
_ASKED = re.compile(rf"^\s*(?:(?:so|and|but|ok(?:ay)?|well|lol|hey|wait|also|then)[\s,]+)*(?:{_WH_OR_AUX})\b"
                    rf"(?!\s+about\b)", re.IGNORECASE)


def asked_as_question(text: str) -> bool:
    """Whether a text asks a question ("what time is it"), rather than name a topic to browse ("gas", "what
    about gas", "tell me about Putin")."""
    return bool(_ASKED.match(text))


def looks_like_question(text: str) -> bool:
    """Whether a chat message reads as a question (for channels where the bot is not addressed by name)."""
    text = clean_question(text)
    return "?" in text or bool(_QUESTION_START.match(text))


# Starts that continue a conversation; "so" also opens many messages that stand alone ("so when was the summit")
_CONTINUING = r"and|also|ok(?:ay)? and|what about|how about|then"
_FOLLOW_START = re.compile(rf"^\s*(?:{_CONTINUING}|so)\b", re.IGNORECASE)
_CONTINUES = re.compile(rf"^\s*(?:{_CONTINUING})\b", re.IGNORECASE)  # a message that cannot stand alone
# Words that point back at something said before: a sentence with one does not stand on its own.
_POINTING = frozenset("it its he him his she her they them their there".split())
# a person, where the brief has several (bot/core/followup.py resolves the same pronouns against a reply)
_PERSONAL = frozenset("he him his she her hers".split())
_PERSON_WORDS = frozenset("boy guy man woman person kid child author writer leader president engineer".split())
_DEMONSTRATIVES = frozenset("that this those these".split())  # point back unless a noun follows ("this summit")
# A sentence ends at . ! or ? (maybe closing a quote) before a capital, at ? or ! before any word, or at a line
# break; "U.S." and initials do not end one.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d)]))(?<!\b[A-Z]\.)(?<!U\.S\.)\s+(?=[A-Z\u201c\"'(])"
                           r"|(?<=[?!])\s+(?=\w)|\n+"
                           # lowercase typing: "that's fake. who wrote it", but not after "u.s.", "vol.", "e.g."
                           r"|(?<=[a-z0-9)]\.)(?<!\b[A-Za-z]\.)(?<!\b[Vv]ol\.)(?<!\b[Nn]o\.)(?<!\b[Vv]s\.)"
                           r"(?<!\b[Ee]tc\.)(?<!\b[Mm]r\.)(?<!\b[Dd]r\.)(?<!\b[Ss]t\.)(?<!\b[Cc]f\.)\s+(?=[a-z])")


def sentences(text: str) -> list[str]:
    """The sentences of a text, each with its closing punctuation."""
    return [x.strip() for x in _SENTENCE_END.split(text) if x.strip()]


def looks_like_follow_up(text: str) -> bool:
    """Whether a message reads as a follow-up to the previous answer: "and the capacity?", "how long is it"."""
    text = clean_question(text)
    toks = words(text)
    pointing = any(t in _POINTING or t in _DEMONSTRATIVES for t in toks)
    return bool(_FOLLOW_START.match(text)) or (0 < len(toks) <= 7 and pointing)


# "the second one", "the latter": an ordinal standing for something named before
_ORDINAL_ONE = re.compile(r"\b(?:first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|last|other)\s+one\b"
                          r"|\bthe\s+(?:former|latter)\b", re.IGNORECASE)


# a reason asked for and nothing else, the words of a message as ``words`` gives them: "why?", "but why", "why tho"
_BARE_WHY = re.compile(r"^(?:(?:and|but|so|ok|okay)\s+)?(?:why|how come)(?:\s+(?:tho|though|not|so|exactly|then))?$")
_BARE_WHY_CHARS = 40  # longer messages are not tokenized for it: "okay how come exactly?!" is 23 characters

# "they", "them", "their" with nothing before them are the brief's two sides ("and what did they sign?")
_THE_TWO_SIDES = frozenset("they them their".split())


def leans_on_earlier(text: str) -> bool:
    """A follow-up that cannot stand alone: it starts like one ("and", "what about") and points back ("it", "he",
    "that") rather than naming its subject ("and how long is it?"), it names its subject by an ordinal alone
    ("whats the second one about", in a short message), or it asks for a reason and nothing else ("why?", "but
    why", "why tho"). Asked with no earlier answer, it is unclear."""
    text = clean_question(text)
    return ((bool(_CONTINUES.match(text)) and _points_back(text, ignore=_THE_TWO_SIDES))
            or (bool(_ORDINAL_ONE.search(text)) and len(words(text)) <= 6)
            or (len(text) <= _BARE_WHY_CHARS and bool(_BARE_WHY.match(" ".join(words(text))))))


def unnamed_person(text: str, tokens: Sequence[str], names: Collection[str]) -> bool:
    """A question about a person named by a pronoun alone, that says little else ("how old is he now", "who is
    she", "where does he work"): the brief has several people (Xi, Putin, Peng Pai, Trump, its author), so asked
    with no earlier answer it is unclear. ``tokens``: the question's content words as read (at most two, none of
    them a name the brief uses or a word for a person: "how old is that boy now" says who)."""
    return (len(tokens) <= 2 and bool(_PERSONAL.intersection(words(text)))
            and not any(t in names or t in _PERSON_TOKENS for t in tokens))


def _points_back(sentence: str, ignore: frozenset[str] = frozenset()) -> bool:
    """Whether a sentence leans on another for its subject: "When was it founded?" ("it"), "Who said that?".
    A demonstrative before a noun ("this Xi-Putin summit") names its subject and does not point back."""
    toks = words(sentence)
    for i, t in enumerate(toks):
        if t in _DEMONSTRATIVES:
            if i + 1 >= len(toks) or not is_content(toks[i + 1]):
                return True
        elif t in _POINTING and t not in ignore:
            return True
    return False


def question_readings(text: str) -> list[str]:
    """Other ways to read a message of several sentences, best first: its question sentences together ("Prepping
    for a debate tonight. How long is PoS2?"), then its one question alone, when the other sentences are remarks
    ("Who wrote this? I want to give the author a shout-out.") or guesses at the answer ("How big a discount did
    China demand? 10 percent?"). Two real questions are not split: the second is often what is asked ("Putin met
    Li Qiang, right? What did they discuss?"). A question that points back to an earlier sentence ("The GTI came
    up. When was it founded?") is never read alone; the first sentence may point at what the message is about
    ("this" brief)."""
    parts = sentences(text)
    if len(parts) < 2:
        return []
    # a question sentence: one that ends with "?", or starts like a question ("who wrote it", typed without one)
    asked = [(i, x) for i, x in enumerate(parts) if x.endswith("?") or asked_as_question(x)]
    readings: list[str] = []
    if asked and len(asked) < len(parts) and not any(i and _points_back(x) for i, x in asked):
        readings.append(" ".join(x for _, x in asked))
    real = [(i, x) for i, x in asked if asked_as_question(x)]
    alone = asked if len(asked) == 1 else real if len(real) == 1 else []
    for i, x in alone:
        if (i == 0 or not _points_back(x)) and x not in readings:
            readings.append(x)
    return readings


_NFKC_BLOCK = 64


def _joins_previous(ch: str) -> bool:
    """Whether NFKC may combine ``ch`` with the character before it (a mark, or Hangul jamo)."""
    cp = ord(ch)
    return (unicodedata.combining(ch) != 0 or unicodedata.category(ch).startswith("M")
            or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F or 0xA960 <= cp <= 0xA97F
            or 0xD7B0 <= cp <= 0xD7FF or 0xFFA0 <= cp <= 0xFFDC)


def nfkc(text: str, limit: int = MAX_CHARS) -> str:
    """NFKC of the first ``limit`` characters, cut to ``limit`` again: NFKC can make a text 18 times longer, so
    it is applied block by block (cut where nothing combines across) and stops once ``limit`` characters are out."""
    text = text[:limit]
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    out: list[str] = []
    size = start = 0
    while start < len(text) and size < limit:
        end = min(start + _NFKC_BLOCK, len(text))
        while end < len(text) and _joins_previous(text[end]):
            end += 1
        block = unicodedata.normalize("NFKC", text[start:end])
        out.append(block)
        size += len(block)
        start = end
    return "".join(out)[:limit]


def fold(text: str) -> str:
    """NFKC, casefold, straight quotes, no control characters, single spaces."""
    text = nfkc(text)
    text = _CONTROL.sub(" ", text).translate(_QUOTES)
    return " ".join(text.casefold().split())


def same_question_key(text: str) -> str:
    """The key under which two texts are "the same question" in the knowledge files (case and runs of spaces
    aside): a phrasing may not also be a near miss, a variant belongs to one alias, and so on."""
    return " ".join(text.casefold().split())


def normalise_for_quote(text: str) -> str:
    """What "verbatim" means for a quote: only whitespace and curly quotes are normalised."""
    return " ".join(text.translate(_QUOTES).split())


_ENUMERATORS = re.compile("[\u2460-\u24ff\u2776-\u2793]")  # ① ② ...: list markers, not numbers


# "whats", "whos": the apostrophe put back, so that the same question reads the same by meaning with or without it
# (words() reads both as "what"; "didnt" and the like become "did not" there, in SHORTHAND)
_CONTRACTED_S = re.compile(r"\b(what|who|where|when|how|that|there|he|she)s\b", re.IGNORECASE)


def clean_question(text: str) -> str:
    """Strip what Discord adds to a message (mentions, markdown, links) and control characters. At most
    MAX_CHARS characters are read, and at most MAX_CHARS come out (NFKC can expand a text)."""
    text = nfkc(_ENUMERATORS.sub(" ", text[:MAX_CHARS]))
    text = _CONTROL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _CODE_FENCE.sub(" ", text)
    text = _MARKDOWN.sub(" ", text)
    text = _CONTRACTED_S.sub(r"\1's", text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Lower-case word tokens: mentions and markdown removed, "U.S."/"US" made one token, "2,600" made "2600"."""
    text = clean_question(text)
    text = _US_DOTTED.sub(" united states ", text)
    text = _US_CAPS.sub(" united states ", text)
    text = _THOUSANDS.sub("", text)
    text = text.translate(_QUOTES).casefold()
    text = text.replace("'s ", " ").replace("s' ", "s ")
    text = _ORDINAL.sub(r"\1", text)
    out: list[str] = []
    for m in islice(_WORD.finditer(text), MAX_TOKENS):
        w = m.group()[:MAX_WORD_CHARS]
        out.extend(SHORTHAND[w].split() if w in SHORTHAND else (w,))
    return _numbers(out[:MAX_TOKENS])


# Numbers written out, read as digits so that "twenty-fourth trip" and "24th trip" are the same number (and
# the engine's rule that a question's numbers must be in the answer applies to both). Numbers below twenty stay
# words: "the two leaders", "the first time", "a third country" are not quantities anyone asks about.
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_TENS = {w: 10 * n for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_TENS_ORD = {w: 10 * n for n, w in enumerate(
    "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split(), 2)}
_UNITS = {w: n for n, w in enumerate("one two three four five six seven eight nine".split(), 1)}
_UNITS_ORD = {w: n for n, w in enumerate("first second third fourth fifth sixth seventh eighth ninth".split(), 1)}
_ORDINAL_WORDS = _TENS_ORD  # "a third country", "the fifth ring road": small ordinals are rarely the number asked


def _numbers(toks: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(toks):
        w = toks[i]
        if w in _TENS:
            nxt = toks[i + 1] if i + 1 < len(toks) else ""
            unit = _UNITS.get(nxt) or _UNITS_ORD.get(nxt)
            out.append(str(_TENS[w] + (unit or 0)))
            i += 2 if unit else 1
            continue
        out.append(str(_ORDINAL_WORDS[w]) if w in _ORDINAL_WORDS else w)
        i += 1
    return out


# Words the Snowball stemmer folds into a different word: "timing" is not "time".
_KEEP = {"timing": "timing", "timings": "timing"}


_SLOT_BYTES = 100  # a dict entry's share of the table, generously


class _StemCache:
    """Stems already computed, bounded by the bytes of their text (cleared when full: a cache, not a store)."""

    def __init__(self, budget: int = STEM_CACHE_BYTES):
        self.budget = budget
        self.size = 0  # bytes held: both strings and the dict slot
        self._stems: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, word: str) -> str | None:
        return self._stems.get(word)

    def put(self, word: str, stemmed: str) -> None:
        cost = sys.getsizeof(word) + sys.getsizeof(stemmed) + _SLOT_BYTES
        with self._lock:
            if self.size + cost > self.budget:
                self._stems.clear()
                self.size = 0
            if word not in self._stems:
                self._stems[word] = stemmed
                self.size += cost

    def __len__(self) -> int:
        return len(self._stems)


STEMS = _StemCache()


def stem(word: str) -> str:
    if word.isdigit() or len(word) <= 2:
        return word
    word = word[:MAX_WORD_CHARS]  # no English word is longer; a longer one would only fill the cache
    cached = STEMS.get(word)
    if cached is None:
        cached = _KEEP.get(word) or _stemmer.stemWord(word)
        STEMS.put(word, cached)
    return cached


_PERSON_TOKENS = _PERSON_WORDS | frozenset(stem(w) for w in _PERSON_WORDS)  # as typed and as read ("presid")


def is_content(word: str) -> bool:
    """A word that can say what a question is about. The brief is in English: a word in another script
    ("пожалуйста", "请问", a gloss in brackets) is not one the brief could contain, so it is set aside."""
    return (word not in STOPWORDS and (len(word) > 1 or word.isdigit())
            and any("a" <= c <= "z" or "0" <= c <= "9" for c in word))


# Words of praise, blame and greeting: a question made of these (and function words) is chit-chat, the bot
# never offers "did you mean" for it, and the report never advises adding it to the knowledge base.
_SOCIAL = frozenset("""good bad great love hate stupid dumb smart wow cute funny boring useless best worst morning
night evening afternoon day welcome sorry test testing ping pong hmm huh rofl lmfao xd gg wp amazing terrible
excellent fantastic brilliant wrong right true false fine hello hi hey yo sup gm gn lol lmao ok okay thanks thank
thx ty cheers bye cool nice""".split())


# thanks that asks nothing: "thanks, that's helpful", "thank you so much, this really helped with my slides!"
_THANKS = re.compile(r"\b(?:thanks|thank\s+you|thx|ty|cheers|appreciate(?:d)?)\b", re.IGNORECASE)


def is_chit_chat(question: str) -> bool:
    """Praise, blame, greetings, thanks, questions about the bot: nothing the knowledge base should learn."""
    toks = words(question)
    content = [w for w in toks if is_content(w)]
    asks = intents(toks)
    return (not content or all(w in _SOCIAL for w in content) or "?you" in asks
            or (bool(_THANKS.search(question)) and "?" not in question and not asks
                and not asked_as_question(clean_question(question))))
