"""Load the knowledge folder and validate it; refuse anything that would let the bot cite what the brief doesn't say.

Every problem is reported with its file, line and entry id, all at once, so a curator can fix a file in one go.
Files are read with ``yaml.safe_load`` semantics only (SafeLoader), after a size check and with anchors/aliases
refused, so a hostile file cannot make loading hang or blow up memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .models import (
    FACT_PREFIX,
    Brief,
    BriefMeta,
    Citation,
    Fact,
    Knowledge,
    Paragraph,
    QAEntry,
    Section,
    Topic,
)
from .limits import ITEM_ID
from .text import normalise_for_quote, sentences

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2_000_000
MAX_QUOTE_CHARS = 300
MAX_ANSWER_CHARS = 600
MAX_FACT_CHARS = 300
MAX_QUESTION_CHARS = 200
MIN_PHRASINGS = 5
# The safe loader only (what yaml.safe_load uses), in its C build when PyYAML has one: it is ~10x faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_ANSWER_SENTENCES = 3
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# the ids ride in the custom ids of the Discord buttons, which Discord caps at 100 characters
ID_TOO_LONG = f"id is longer than {ITEM_ID} characters, too long for the Discord buttons that carry it"

BRIEF_FILE = "brief.yaml"
TOPICS_FILE = "topics.yaml"
ALIASES_FILE = "aliases.yaml"
FACTS_FILE = "facts.yaml"
NEAR_MISSES_FILE = "near_misses.yaml"  # optional
QA_DIR = "qa"


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    item: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        item = f" [{self.item}]" if self.item else ""
        return f"{where}{item}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge folder is missing or invalid; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = [f"The knowledge base has {len(self.problems)} problem(s):"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class LoadReport:
    knowledge: Knowledge
    uncited: tuple[Paragraph, ...]  # paragraphs nothing cites (coverage)
    files: tuple[str, ...]


class _Doc:
    """One parsed YAML file: its data and the line of every node, addressed by a path of keys/indices."""

    def __init__(self, rel: str, data: Any, lines: dict[tuple, int]):
        self.rel = rel
        self.data = data
        self._lines = lines

    def line(self, *path: Any) -> int:
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), 1)


def _index_lines(node: yaml.Node, path: tuple, out: dict[tuple, int], dups: list[tuple[int, str, int]]) -> None:
    """Record the line of every key and item; collect duplicate keys (line, key, first line), which plain YAML
    loading would silently resolve by keeping the last one."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        first: dict[object, int] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            line = key.start_mark.line + 1
            if name is not None and name in first:
                dups.append((line, str(name), first[name]))
            first.setdefault(name, line)
            out[path + (name,)] = line
            _index_lines(value, path + (name,), out, dups)
            out[path + (name,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), out, dups)


class _Collector:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.declared: set[str] = set()  # every entry id seen, valid or not, so one error does not cascade
        self.raw: dict[Path, bytes] = {}  # each file's bytes, read once: parsed and hashed into the version
        self.unreadable: set[str] = set()  # files that could not be read or parsed: checks that need them wait
        self.unreadable_topics = False  # topics.yaml is broken: "unknown topic" would be a knock-on error
        self.unreadable_ids = False  # a Q&A file or facts.yaml is broken: "no entry with id" would be too

    def add(self, doc: _Doc | str, path: tuple, item: str, message: str) -> None:
        if isinstance(doc, _Doc):
            self.problems.append(Problem(doc.rel, doc.line(*path), item, message))
        else:
            self.problems.append(Problem(doc, 0, item, message))

    def read(self, path: Path) -> _Doc | None:
        rel = _rel(path, self.root)
        doc = self._read(path, rel)
        if doc is None:
            self.unreadable.add(rel)
        return doc

    def _read(self, path: Path, rel: str) -> _Doc | None:
        try:
            inside = path.resolve().is_relative_to(self.root.resolve())
        except (OSError, RuntimeError) as exc:  # a loop of links
            self.add(rel, (), "", f"cannot read: {exc}")
            return None
        if not inside:
            self.add(rel, (), "", "is a link to a file outside the knowledge folder; refused")
            return None
        try:  # read once, and at most one byte past the limit: what is checked is what is parsed
            with path.open("rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.add(rel, (), "", f"cannot read: {exc.strerror or exc}")
            return None
        if len(raw) > MAX_FILE_BYTES:
            self.add(rel, (), "", f"file is over {MAX_FILE_BYTES} bytes; the limit is {MAX_FILE_BYTES}")
            return None
        self.raw[path] = raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.add(rel, (), "", f"cannot read as UTF-8 text: {exc}")
            return None
        try:
            for event in yaml.parse(text, Loader=_SafeLoader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    line = event.start_mark.line + 1
                    self.problems.append(Problem(rel, line, "", "YAML anchors and aliases are not allowed"))
                    return None
            loader = _SafeLoader(text)
            try:
                node = loader.get_single_node()
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 0
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problems.append(Problem(rel, line, "", f"not valid YAML: {problem}"))
            return None
        lines: dict[tuple, int] = {}
        dups: list[tuple[int, str, int]] = []
        if node is not None:
            _index_lines(node, (), lines, dups)
        for line, name, first in dups:
            self.problems.append(Problem(rel, line, "", f"duplicate key '{name}' (first on line {first}): "
                                                        "YAML would silently keep only the last one"))
        if dups:
            return None
        return _Doc(rel, data, lines)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _check_keys(c: _Collector, doc: _Doc, path: tuple, item: str, obj: Any, required: set[str],
                optional: frozenset[str] = frozenset()) -> bool:
    if not isinstance(obj, dict):
        c.add(doc, path, item, f"expected a mapping, got {type(obj).__name__}")
        return False
    keys = set(obj)
    for k in sorted(required - keys, key=str):
        c.add(doc, path, item, f"missing key '{k}'")
    for k in sorted(keys - required - optional, key=str):
        c.add(doc, path + (k,), item, f"unknown key '{k}'")
    return required <= keys


def _str(c: _Collector, doc: _Doc, path: tuple, item: str, value: Any, what: str, limit: int = 0) -> str | None:
    if not isinstance(value, str) or not value.strip():
        c.add(doc, path, item, f"'{what}' must be a non-empty string")
        return None
    if limit and len(value) > limit:
        c.add(doc, path, item, f"'{what}' is {len(value)} characters; the limit is {limit}")
    return value.strip()


def _str_list(c: _Collector, doc: _Doc, path: tuple, item: str, value: Any, what: str,
              minimum: int = 1, limit: int = 0) -> tuple[str, ...]:
    if not isinstance(value, list):
        c.add(doc, path, item, f"'{what}' must be a list")
        return ()
    out = []
    for i, v in enumerate(value):
        s = _str(c, doc, path + (i,), item, v, f"{what}[{i}]", limit)
        if s is not None:
            out.append(s)
    if len(value) < minimum:
        c.add(doc, path, item, f"'{what}' needs at least {minimum} item(s), has {len(value)}")
    return tuple(out)


def _load_brief(c: _Collector, doc: _Doc) -> Brief | None:
    data = doc.data
    if not _check_keys(c, doc, (), "brief", data, {"meta", "sections"}):
        return None
    meta = data["meta"]
    meta_keys = {"title", "series", "volume", "number", "year", "author", "contact", "publisher", "keywords", "source"}
    if not _check_keys(c, doc, ("meta",), "meta", meta, meta_keys):
        return None
    for k in ("volume", "number", "year"):
        if not isinstance(meta[k], int) or isinstance(meta[k], bool):
            c.add(doc, ("meta", k), "meta", f"'{k}' must be an integer")
            return None
    strs = {k: _str(c, doc, ("meta", k), "meta", meta[k], k) for k in meta_keys - {"volume", "number", "year", "keywords"}}
    keywords = _str_list(c, doc, ("meta", "keywords"), "meta", meta["keywords"], "keywords")
    if any(v is None for v in strs.values()):
        return None
    bm = BriefMeta(keywords=keywords, volume=meta["volume"], number=meta["number"], year=meta["year"], **strs)
    sections = []
    seen: set[str] = set()
    if not isinstance(data["sections"], list) or not data["sections"]:
        c.add(doc, ("sections",), "brief", "'sections' must be a non-empty list")
        return None
    for i, s in enumerate(data["sections"]):
        path = ("sections", i)
        if not _check_keys(c, doc, path, f"section {i + 1}", s, {"id", "title", "paragraphs"}):
            continue
        sid = s["id"]
        if not isinstance(sid, str) or not ID_RE.match(sid):
            c.add(doc, path + ("id",), str(sid), "section id must be lowercase words joined by hyphens")
            continue
        if sid in seen:
            c.add(doc, path + ("id",), sid, "duplicate section id")
        seen.add(sid)
        title = _str(c, doc, path + ("title",), sid, s["title"], "title")
        texts = _str_list(c, doc, path + ("paragraphs",), sid, s["paragraphs"], "paragraphs")
        if title is None:
            continue
        paras = tuple(Paragraph(f"{sid}.{n}", sid, title, n, " ".join(t.split())) for n, t in enumerate(texts, 1))
        sections.append(Section(sid, title, paras))
    return Brief(bm, tuple(sections))


def _load_topics(c: _Collector, doc: _Doc) -> list[Topic]:
    if not _check_keys(c, doc, (), "topics", doc.data, {"topics"}):
        return []
    items = doc.data["topics"]
    if not isinstance(items, list) or not items:
        c.add(doc, ("topics",), "topics", "'topics' must be a non-empty list")
        return []
    out: list[Topic] = []
    seen: set[str] = set()
    for i, t in enumerate(items):
        path = ("topics", i)
        if not _check_keys(c, doc, path, f"topic {i + 1}", t, {"id", "title", "description"}):
            continue
        tid = t["id"]
        if not isinstance(tid, str) or not ID_RE.match(tid):
            c.add(doc, path + ("id",), str(tid), "topic id must be lowercase words joined by hyphens")
            continue
        if tid in seen:
            c.add(doc, path + ("id",), tid, "duplicate topic id")
        seen.add(tid)
        title = _str(c, doc, path + ("title",), tid, t["title"], "title", 80)
        desc = _str(c, doc, path + ("description",), tid, t["description"], "description", 200)
        if title and desc:
            out.append(Topic(tid, title, desc))
    return out


def _mapping(c: _Collector, doc: _Doc, key: str, what: str) -> dict | None:
    """The mapping under a file's single top-level ``key`` (aliases.yaml, near_misses.yaml), or None after
    reporting why not."""
    if not _check_keys(c, doc, (), key, doc.data, {key}):
        return None
    items = doc.data[key]
    if not isinstance(items, dict):
        c.add(doc, (key,), key, f"'{key}' must map {what}")
        return None
    return items


def _load_aliases(c: _Collector, doc: _Doc) -> list[tuple[str, tuple[str, ...]]]:
    items = _mapping(c, doc, "aliases", "a canonical phrase to a list of variants")
    if items is None:
        return []
    out = []
    owner: dict[str, str] = {}
    for canonical, variants in items.items():
        path = ("aliases", canonical)
        if not isinstance(canonical, str) or not canonical.strip():
            c.add(doc, path, str(canonical), "alias key must be a non-empty string")
            continue
        vs = _str_list(c, doc, path, canonical, variants, "variants")
        for v in vs:
            key = " ".join(v.casefold().split())
            if key in owner and owner[key] != canonical:
                c.add(doc, path, canonical, f"variant '{v}' is also a variant of '{owner[key]}'")
            owner[key] = canonical
        out.append((canonical.strip(), vs))
    return out


def _load_near_misses(c: _Collector, doc: _Doc, entries: list[QAEntry],
                      facts: list[Fact]) -> list[tuple[str, tuple[str, ...]]]:
    """Questions that sound like an entry (key: its id) or a fact (key: ``fact:`` and its id) but ask what the
    brief does not say: the engine abstains on them."""
    items = _mapping(c, doc, "near_misses", "an entry id (or fact:<fact id>) to a list of questions")
    if items is None:
        return []
    phrasings = {" ".join(q.casefold().split()): e.id for e in entries for q in e.questions}
    known = {e.id for e in entries} | c.declared | {f"{FACT_PREFIX}{f.id}" for f in facts}
    out = []
    for entry_id, questions in items.items():
        path = ("near_misses", entry_id)
        if entry_id not in known:
            if c.unreadable_ids:
                continue  # the id may be in the file that could not be read: that problem is the one to fix
            what = "fact" if str(entry_id).startswith(FACT_PREFIX) else "entry"
            c.add(doc, path, str(entry_id), f"no {what} with id '{str(entry_id).removeprefix(FACT_PREFIX)}'")
            continue
        qs = _str_list(c, doc, path, entry_id, questions, "near misses", 1, MAX_QUESTION_CHARS)
        for q in qs:
            owner = phrasings.get(" ".join(q.casefold().split()))
            if owner is not None:
                c.add(doc, path, entry_id, f"'{q}' is also a phrasing of entry '{owner}': it cannot be both")
        out.append((entry_id, qs))
    return out


def _citation(c: _Collector, doc: _Doc, path: tuple, item: str, obj: Any,
              paragraphs: dict[str, Paragraph]) -> Citation | None:
    if not _check_keys(c, doc, path, item, obj, {"paragraph", "quote"}):
        return None
    pid = obj["paragraph"]
    quote = _str(c, doc, path + ("quote",), item, obj["quote"], "quote", MAX_QUOTE_CHARS)
    if not isinstance(pid, str) or pid not in paragraphs:
        c.add(doc, path + ("paragraph",), item, f"citation points at paragraph '{pid}', which does not exist")
        return None
    if quote is None:
        return None
    para = paragraphs[pid]
    if normalise_for_quote(quote) not in normalise_for_quote(para.text):
        c.add(doc, path + ("quote",), item, f"quote is not verbatim in {pid} ({para.ref}): \"{quote[:80]}\"")
        return None
    return Citation(pid, quote, para.ref, para.section_title, para.number)


def _load_entries(c: _Collector, doc: _Doc, paragraphs: dict[str, Paragraph], topics: set[str]) -> list[QAEntry]:
    if not _check_keys(c, doc, (), "qa", doc.data, {"entries"}):
        return []
    items = doc.data["entries"]
    if not isinstance(items, list):
        c.add(doc, ("entries",), "qa", "'entries' must be a list")
        return []
    out = []
    for i, e in enumerate(items):
        path = ("entries", i)
        label = e.get("id") if isinstance(e, dict) and isinstance(e.get("id"), str) else f"entry {i + 1}"
        entry = _guarded(c, doc, path, label, _load_entry, c, doc, path, label, e, paragraphs, topics)
        if entry is not None:
            out.append(entry)
    return out


def _guarded(c: _Collector, doc: _Doc, path: tuple, label: str, load, *args):
    """``load(*args)``; any exception a malformed item still provokes becomes a file:line [id] problem."""
    try:
        return load(*args)
    except Exception as exc:  # a bug must not turn a bad file into a traceback (or kill --watch)
        log.debug("loading %s %s failed", doc.rel, label, exc_info=True)
        c.add(doc, path, label, f"cannot be read ({type(exc).__name__}: {exc})")
        return None


def _topic_ok(c: _Collector, doc: _Doc, path: tuple, label: str, topic: Any, topics: set[str]) -> bool:
    if not isinstance(topic, str):
        c.add(doc, path + ("topic",), label, f"'topic' must be a topic id, got {type(topic).__name__}")
        return False
    if topic not in topics and not c.unreadable_topics:  # with topics.yaml broken, that is the one problem
        c.add(doc, path + ("topic",), label, f"unknown topic '{topic}'")
        return False
    return True


def _load_entry(c: _Collector, doc: _Doc, path: tuple, label: str, e: Any, paragraphs: dict[str, Paragraph],
                topics: set[str]) -> QAEntry | None:
    keys = {"id", "topic", "questions", "answer", "citations", "related"}
    if not _check_keys(c, doc, path, label, e, keys, frozenset({"opens_with_polarity"})):
        return None
    ok = True
    polarity = e.get("opens_with_polarity", False)
    if not isinstance(polarity, bool):
        c.add(doc, path + ("opens_with_polarity",), label, "'opens_with_polarity' must be true or false")
        ok = False
    if not isinstance(e["id"], str) or not ID_RE.match(e["id"]):
        c.add(doc, path + ("id",), label, "id must be lowercase letters/digits joined by hyphens")
        ok = False
    else:
        c.declared.add(e["id"])
    if isinstance(e["id"], str) and len(e["id"]) > ITEM_ID:
        c.add(doc, path + ("id",), label, ID_TOO_LONG)
        ok = False
    ok = _topic_ok(c, doc, path, label, e["topic"], topics) and ok
    questions = _str_list(c, doc, path + ("questions",), label, e["questions"], "questions",
                          MIN_PHRASINGS, MAX_QUESTION_CHARS)
    answer = _str(c, doc, path + ("answer",), label, e["answer"], "answer", MAX_ANSWER_CHARS)
    if answer and len(sentences(answer)) > MAX_ANSWER_SENTENCES:
        c.add(doc, path + ("answer",), label, f"the answer has more than {MAX_ANSWER_SENTENCES} sentences")
    cits = []
    if not isinstance(e["citations"], list) or not e["citations"]:
        c.add(doc, path + ("citations",), label, "'citations' must be a non-empty list")
        ok = False
    else:
        for j, raw in enumerate(e["citations"]):
            cit = _citation(c, doc, path + ("citations", j), label, raw, paragraphs)
            ok = ok and cit is not None
            if cit:
                cits.append(cit)
    related = e["related"] if e["related"] is not None else []
    related = _str_list(c, doc, path + ("related",), label, related, "related", 0)
    if ok and answer and len(questions) >= MIN_PHRASINGS:
        return QAEntry(e["id"], e["topic"], questions, answer, tuple(cits), related,
                       f"{doc.rel}:{doc.line(*path)}", polarity)
    return None


def _load_facts(c: _Collector, doc: _Doc, paragraphs: dict[str, Paragraph], topics: set[str]) -> list[Fact]:
    if not _check_keys(c, doc, (), "facts", doc.data, {"facts"}):
        return []
    items = doc.data["facts"]
    if not isinstance(items, list):
        c.add(doc, ("facts",), "facts", "'facts' must be a list")
        return []
    out = []
    for i, f in enumerate(items):
        path = ("facts", i)
        label = f.get("id") if isinstance(f, dict) and isinstance(f.get("id"), str) else f"fact {i + 1}"
        fact = _guarded(c, doc, path, label, _load_fact, c, doc, path, label, f, paragraphs, topics)
        if fact is not None:
            out.append(fact)
    return out


def _load_fact(c: _Collector, doc: _Doc, path: tuple, label: str, f: Any, paragraphs: dict[str, Paragraph],
               topics: set[str]) -> Fact | None:
    if not _check_keys(c, doc, path, label, f, {"id", "topic", "text", "keywords", "citation"}):
        return None
    ok = True
    if not isinstance(f["id"], str) or not ID_RE.match(f["id"]):
        c.add(doc, path + ("id",), label, "id must be lowercase letters/digits joined by hyphens")
        ok = False
    elif len(f["id"]) > ITEM_ID:
        c.add(doc, path + ("id",), label, ID_TOO_LONG)
        ok = False
    ok = _topic_ok(c, doc, path, label, f["topic"], topics) and ok
    text = _str(c, doc, path + ("text",), label, f["text"], "text", MAX_FACT_CHARS)
    keywords = _str_list(c, doc, path + ("keywords",), label, f["keywords"], "keywords", 1, 60)
    cit = _citation(c, doc, path + ("citation",), label, f["citation"], paragraphs)
    if ok and text and cit:
        return Fact(f["id"], f["topic"], text, keywords, cit, f"{doc.rel}:{doc.line(*path)}")
    return None


def _cross_checks(c: _Collector, docs: dict[str, _Doc], entries: list[QAEntry], facts: list[Fact]) -> None:
    def where(source: str) -> tuple[str, int]:
        file, _, line = source.rpartition(":")
        return file, int(line or 0)

    seen: dict[str, QAEntry] = {}
    for e in entries:
        if e.id in seen:
            file, line = where(e.source)
            c.problems.append(Problem(file, line, e.id, f"duplicate entry id (also at {seen[e.id].source})"))
        seen[e.id] = e
    seen_f: dict[str, Fact] = {}
    for f in facts:
        if f.id in seen_f:
            file, line = where(f.source)
            c.problems.append(Problem(file, line, f.id, f"duplicate fact id (also at {seen_f[f.id].source})"))
        seen_f[f.id] = f
    phrasing_owner: dict[str, str] = {}
    for e in entries:
        file, line = where(e.source)
        for r in e.related:
            if r not in seen and r not in c.declared:
                if c.unreadable_ids:
                    continue
                c.problems.append(Problem(file, line, e.id, f"related id '{r}' does not exist"))
            elif r == e.id:
                c.problems.append(Problem(file, line, e.id, "an entry cannot be related to itself"))
        local: set[str] = set()
        for q in e.questions:
            key = " ".join(q.casefold().split())
            if key in local:
                c.problems.append(Problem(file, line, e.id, f"phrasing '{q}' appears twice in this entry"))
            local.add(key)
            other = phrasing_owner.get(key)
            if other is not None and other != e.id:
                c.problems.append(Problem(file, line, e.id, f"phrasing '{q}' also appears in entry '{other}'"))
            phrasing_owner.setdefault(key, e.id)


def _version(raw: dict[Path, bytes], root: Path) -> str:
    """A short hash of the bytes that were loaded (each file read once: what is hashed is what was parsed)."""
    h = hashlib.sha256()
    for f in raw:  # in load order
        h.update(str(f.relative_to(root)).encode())
        h.update(b"\0")
        h.update(raw[f])
        h.update(b"\0")
    return h.hexdigest()[:12]


def knowledge_files(root: Path) -> list[Path]:
    """The files that make up a knowledge folder, in load order (an unreadable qa/ folder lists none of its
    files; ``load_report`` says why)."""
    files = [root / BRIEF_FILE, root / TOPICS_FILE, root / ALIASES_FILE, root / FACTS_FILE]
    if (root / NEAR_MISSES_FILE).is_file():
        files.append(root / NEAR_MISSES_FILE)
    qa = root / QA_DIR
    try:
        if qa.is_dir():
            files += sorted(p for p in qa.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    except OSError:
        pass
    return files


def knowledge_stamp(root: Path) -> tuple:
    """What ``--watch`` compares: each file's path, mtime and size (None when it cannot be read). Never raises.
    Take it *before* loading, so that an edit made while the knowledge loads is seen as a change."""
    stamp = []
    for f in knowledge_files(root):
        try:
            st = f.stat()
            stamp.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            stamp.append((str(f), None, None))
    return tuple(stamp)


def load_report(root: str | Path) -> LoadReport:
    """Load and validate the knowledge folder; raise KnowledgeError listing every problem, and nothing else."""
    root = Path(root)
    try:
        return _load_report(root)
    except KnowledgeError:
        raise
    except Exception as exc:  # whatever the folder holds, the caller gets a problem report, never a traceback
        log.debug("loading %s failed", root, exc_info=True)
        raise KnowledgeError([Problem(str(root), 0, "", f"cannot be loaded ({type(exc).__name__}: {exc})")]) from exc


def _load_report(root: Path) -> LoadReport:
    c = _Collector(root)
    try:
        if not root.is_dir():
            raise KnowledgeError([Problem(str(root), 0, "", "knowledge folder not found")])
        os.listdir(root)  # both folders must be readable: say so here, not as a traceback later
        if (root / QA_DIR).is_dir():
            os.listdir(root / QA_DIR)
    except OSError as exc:
        where = exc.filename or root
        raise KnowledgeError([Problem(_rel(Path(where), root), 0, "", f"cannot read the folder: {exc.strerror or exc}")]) from exc
    files = knowledge_files(root)
    docs: dict[str, _Doc] = {}
    for f in files:
        if not f.is_file():
            if f.parent == root:
                c.add(_rel(f, root), (), "", "required file is missing")
            continue
        d = c.read(f)
        if d is not None:
            docs[str(f)] = d
    if not (root / QA_DIR).is_dir():
        c.add(_rel(root / QA_DIR, root), (), "", "the folder of Q&A files is missing")
    c.unreadable_topics = _rel(root / TOPICS_FILE, root) in c.unreadable
    c.unreadable_ids = any(r == _rel(root / FACTS_FILE, root) or Path(r).parent.name == QA_DIR
                           for r in c.unreadable)

    brief_doc = docs.get(str(root / BRIEF_FILE))
    brief = _load_brief(c, brief_doc) if brief_doc else None
    topics_doc = docs.get(str(root / TOPICS_FILE))
    topics = _load_topics(c, topics_doc) if topics_doc else []
    aliases_doc = docs.get(str(root / ALIASES_FILE))
    aliases = _load_aliases(c, aliases_doc) if aliases_doc else []
    if brief is None:
        raise KnowledgeError(c.problems or [Problem(BRIEF_FILE, 0, "", "the brief could not be loaded")])
    paragraphs = {p.id: p for p in brief.paragraphs()}
    topic_ids = {t.id for t in topics}
    facts_doc = docs.get(str(root / FACTS_FILE))
    facts = _load_facts(c, facts_doc, paragraphs, topic_ids) if facts_doc else []
    entries: list[QAEntry] = []
    for f in files:
        if f.parent != root / QA_DIR:
            continue
        d = docs.get(str(f))
        if d is not None:
            entries += _load_entries(c, d, paragraphs, topic_ids)
    _cross_checks(c, docs, entries, facts)
    near_doc = docs.get(str(root / NEAR_MISSES_FILE))
    near_misses = _load_near_misses(c, near_doc, entries, facts) if near_doc else []
    if not entries and not c.problems:
        c.add(_rel(root / QA_DIR, root), (), "", "no Q&A entries found")
    if c.problems:
        raise KnowledgeError(c.problems)
    knowledge = Knowledge(brief, tuple(topics), tuple(entries), tuple(facts), tuple(aliases), _version(c.raw, root),
                          tuple(near_misses))
    cited = {cit.paragraph_id for e in entries for cit in e.citations} | {f.citation.paragraph_id for f in facts}
    uncited = tuple(p for p in brief.paragraphs() if p.id not in cited)
    log.info("loaded knowledge %s: %d entries, %d facts, %d paragraphs",
             knowledge.version, len(entries), len(facts), len(paragraphs))
    return LoadReport(knowledge, uncited, tuple(_rel(f, root) for f in files if f in c.raw))


def load_knowledge(root: str | Path) -> Knowledge:
    return load_report(root).knowledge
