"""Reading a question by meaning: static word-piece vectors distilled from a sentence model.

Words alone are precise but brittle with long, paraphrased questions ("Who is the analyst behind this piece?").
The engine therefore also finds candidates by meaning, and the learned decision weighs each candidate's
closeness in meaning to the question and to the curator's near misses (docs/matching.md). Running a transformer
per question would cost milliseconds and a large dependency; instead ``scripts/distill_static.py`` ran
all-MiniLM-L6-v2 (Apache-2.0) once over each of its 30,522 word pieces and kept the output vectors, reduced to 256
dimensions and stored as int8 in ``bot/core/data/minilm_static.npz`` (6.8 MB). A text's vector is the mean of its
word pieces' vectors: tens of microseconds per question, NumPy only.

The word-piece tokenizer is BERT's (uncased), written out here; a test checks it against Hugging Face's
``tokenizers`` on thousands of strings.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
VECTORS_FILE = DATA_DIR / "minilm_static.npz"
VOCAB_FILE = DATA_DIR / "minilm_vocab.txt"
# sha256 of the shipped table: a truncated or altered file is refused, not silently used
VECTORS_SHA256 = "05002519aa94a37f51058fb53dacaaec7f169fe6b4b9c2d17ddf65e56cf7eb7f"
MAX_PIECES = 256  # word pieces read per text: bounds the time for an essay pasted as a question
_MAX_WORD_CHARS = 100  # BERT's limit: a longer "word" is one unknown piece
WORD_CACHE = 50_000  # words whose pieces are kept (at most about 10 MB)
_CLS, _SEP, _UNK = "[CLS]", "[SEP]", "[UNK]"


class SemanticDataError(RuntimeError):
    """The shipped vector table or vocabulary is missing or damaged."""


class Encoder(Protocol):
    """Anything that turns texts into unit-length vectors, one row per text (tests pass small fakes)."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


# ------------------------------------------------------------------------------------------------ tokenizer

def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


_SPACES = " \t\n\r\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"  # the white space BERT splits on (Zs)
_CHUNK = re.compile(f"[^{_SPACES}]+")


# An ASCII chunk, the usual case, in two regular expressions: its control characters are dropped (joining what
# they separate); every other character is a letter, a digit or punctuation (33-47, 58-64, 91-96, 123-126), and
# nothing is accented, CJK or white space (chunks are split on it)
_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")
_ASCII_WORD = re.compile("[a-z0-9]+|[^a-z0-9]")


def basic_words(text: str, limit: int | None = None) -> list[str]:
    """BERT's uncased normalisation and pre-tokenization: control characters dropped, CJK ideographs and
    punctuation split off, accents stripped, lower case, split on white space. With ``limit``, reading stops
    once that many words are out: the rest of a long text is never looked at."""
    out: list[str] = []
    for m in _CHUNK.finditer(text):
        chunk = m.group()
        if chunk.isascii():
            out += _ASCII_WORD.findall(_ASCII_CONTROL.sub("", chunk).lower())
        else:
            out += _chunk_words(chunk)
        if limit is not None and len(out) >= limit:
            break
    return out if limit is None else out[:limit]


def _chunk_words(chunk: str) -> list[str]:
    """The words of one chunk of text (no white space in it), in general."""
    out: list[str] = []
    chars: list[str] = []
    for ch in chunk:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or unicodedata.category(ch).startswith("C"):
            continue
        chars.append(f" {ch} " if _is_cjk(cp) else ch)
    chunk = unicodedata.normalize("NFD", "".join(chars))
    chunk = "".join(ch for ch in chunk if unicodedata.category(ch) != "Mn").lower()
    for piece in chunk.split():
        word: list[str] = []
        for ch in piece:
            if _is_punct(ch):
                if word:
                    out.append("".join(word))
                    word = []
                out.append(ch)
            else:
                word.append(ch)
        if word:
            out.append("".join(word))
    return out


class WordPiece:
    """Greedy longest-match-first word pieces over a BERT vocabulary ("##" marks a piece inside a word)."""

    def __init__(self, vocab: Sequence[str]):
        self.vocab = {piece: i for i, piece in enumerate(vocab)}
        self._pieces: dict[str, tuple[int, ...]] = {}  # a word's pieces, once found (cleared when full)
        if _UNK not in self.vocab:
            raise SemanticDataError("the vocabulary has no [UNK] piece")
        self.unk = self.vocab[_UNK]
        self.special = frozenset(self.vocab[p] for p in (_CLS, _SEP) if p in self.vocab)

    def ids(self, text: str, limit: int = MAX_PIECES) -> list[int]:
        out: list[int] = []
        cache = self._pieces
        for word in basic_words(text, limit):  # every word gives at least one piece
            if len(out) >= limit:
                break
            pieces = cache.get(word)
            if pieces is None:
                if len(cache) >= WORD_CACHE:
                    cache.clear()
                pieces = cache[word] = tuple(self._word(word))
            out.extend(pieces)
        return out[:limit]

    def _word(self, word: str) -> list[int]:
        if len(word) > _MAX_WORD_CHARS:
            return [self.unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces


# ------------------------------------------------------------------------------------------------- encoder

class StaticEncoder:
    """A text's vector: the mean of its word pieces' distilled vectors, unit length (zero for no pieces)."""

    def __init__(self, vectors: np.ndarray, scale: np.ndarray, vocab: Sequence[str], name: str = "static"):
        if vectors.ndim != 2 or len(vectors) != len(vocab) or scale.shape != (len(vocab),):
            raise SemanticDataError(f"vector table {vectors.shape} does not match the vocabulary ({len(vocab)})")
        self._vectors = vectors
        self._scale = scale.astype(np.float32)
        self.tokenizer = WordPiece(vocab)
        self.dim = vectors.shape[1]
        self.name = name

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for n, text in enumerate(texts):
            ids = self.tokenizer.ids(text)
            if not ids:
                continue
            rows = self._vectors[ids].astype(np.float32) * self._scale[ids, None]
            v = rows.mean(axis=0)
            norm = float(np.linalg.norm(v))
            if norm > 0:
                out[n] = v / norm
        return out


def load_static_encoder(vectors_file: Path = VECTORS_FILE, vocab_file: Path = VOCAB_FILE) -> StaticEncoder:
    """The shipped encoder. Raises SemanticDataError when its files are missing or not the pinned bytes
    (VECTORS_SHA256). The table is read once: the bytes that are checked are the bytes that are loaded."""
    try:
        raw = vectors_file.read_bytes()
        vocab = vocab_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SemanticDataError(f"cannot read the semantic data: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != VECTORS_SHA256:
        raise SemanticDataError(f"{vectors_file}: sha256 {digest[:12]}... is not the pinned {VECTORS_SHA256[:12]}...")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            vectors, scale = data["vectors"], data["scale"]
    except (OSError, ValueError, KeyError) as exc:
        raise SemanticDataError(f"{vectors_file}: {exc}") from exc
    return StaticEncoder(vectors, scale, vocab, name=f"all-MiniLM-L6-v2 static, {vectors.shape[1]} dims")


COARSE_ABOVE = 20_000  # texts; an index this large scores units in two stages (SemanticIndex.scores)
COARSE_UNITS = 64  # ... the units whose centroid is closest to the question, scored exactly


class SemanticIndex:
    """Vectors of texts that each belong to a unit (an entry or a fact); scores a question per unit by the
    closest of its texts."""

    def __init__(self, encoder: Encoder, texts: Sequence[str], owners: Sequence[int], n_units: int,
                 coarse_above: int = 0, vectors: np.ndarray | None = None):
        """``vectors``: the texts' vectors, when the caller has encoded them (``encoder.encode(texts)``)."""
        self.n_units = n_units
        self._owners = np.asarray(owners, dtype=np.int64)
        # runs of texts with one owner: a unit's maximum is taken per run (np.maximum.reduceat), then per unit
        change = np.flatnonzero(np.diff(self._owners)) + 1 if len(self._owners) else np.zeros(0, dtype=np.int64)
        self._starts = np.concatenate([[0], change]).astype(np.int64) if len(self._owners) else change
        self._run_owner = self._owners[self._starts] if len(self._owners) else self._owners
        if not len(texts):
            self.vectors = np.zeros((0, 1), dtype=np.float32)
        else:
            self.vectors = encoder.encode(list(texts)) if vectors is None else vectors
        # above COARSE_ABOVE texts, a question is compared first with each unit's centroid, then exactly with the
        # texts of the COARSE_UNITS closest units only (the rest score -1): at 100k phrasings the full product
        # reads 100 MB per question; the shipped knowledge (a few thousand) is always scored in full
        self._centroids: np.ndarray | None = None
        if len(self._owners) > (coarse_above or COARSE_ABOVE):
            sums = np.zeros((n_units, self.vectors.shape[1]), dtype=np.float32)
            np.add.at(sums, self._owners, self.vectors)
            norms = np.linalg.norm(sums, axis=1)
            self._centroids = sums / np.where(norms > 0, norms, 1.0)[:, None]
            self._texts_of = np.argsort(self._owners, kind="stable")  # text indices grouped by unit
            self._first = np.searchsorted(self._owners[self._texts_of], np.arange(n_units + 1))

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """The cosine of ``query`` with each text, in the order given."""
        return self.vectors @ query if len(self._owners) else np.zeros(0, dtype=np.float32)

    def scores_of(self, sims: np.ndarray) -> np.ndarray:
        """Per unit, the highest of ``sims`` (one per text, as ``similarities`` gives) among its texts."""
        out = np.full(self.n_units, -1.0, dtype=np.float32)
        if len(self._owners):
            np.maximum.at(out, self._run_owner, np.maximum.reduceat(sims, self._starts))
        return out

    def scores(self, query: np.ndarray, drop: np.ndarray | None = None) -> np.ndarray:
        """Per unit, the cosine of ``query`` with the closest of its texts (-1 for a unit with none); the texts
        at the indices ``drop`` are left out (training asks a labeled question as if it were not a phrasing).
        Above COARSE_ABOVE texts, only the COARSE_UNITS units whose centroid is closest are scored."""
        out = np.full(self.n_units, -1.0, dtype=np.float32)
        if not len(self._owners):
            return out
        if self._centroids is not None:
            near = self._centroids @ query
            k = min(COARSE_UNITS, self.n_units)
            units = np.argpartition(-near, k - 1)[:k]
            rows = np.concatenate([self._texts_of[self._first[u]:self._first[u + 1]] for u in units])
            sims = self.vectors[rows] @ query
            if drop is not None and len(drop):
                sims[np.isin(rows, drop)] = -1.0
            np.maximum.at(out, self._owners[rows], sims)
            return out
        return self.scores_from(self.vectors @ query, drop)

    @property
    def coarse(self) -> bool:
        """Whether a question is scored in two stages (centroids first: above COARSE_ABOVE texts)."""
        return self._centroids is not None

    def scores_from(self, sims: np.ndarray, drop: np.ndarray | None = None) -> np.ndarray:
        """``scores`` from the cosines with every text (``similarities``), the texts at ``drop`` left out."""
        if not len(self._owners):
            return np.full(self.n_units, -1.0, dtype=np.float32)
        if drop is not None and len(drop):
            sims = sims.copy()
            sims[drop] = -1.0
        return self.scores_of(sims)


# ------------------------------------------------------------------------------------------------- the product

def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on every platform
        return os.cpu_count() or 1


HANDOFF_S = 0.0005  # a worker that has not taken the product by then (its core is busy) does not get it


class Product:
    """``matrix @ vector`` for one question, computed on a worker thread while the caller goes on: NumPy
    releases the GIL for the product, which is bound by reading the matrix from memory (a few MB), so on two
    cores the caller ranks the question by its words meanwhile. The result is the same array, to the bit, as the
    product in the caller's thread. With one core (or ``background=False``) the product is computed in place.

    ``start`` returns only once the worker holds the job: a worker woken while the caller runs Python would
    otherwise wait for the GIL until the caller waits for it, and nothing would overlap. A worker that has not
    taken it within HANDOFF_S (another question's product, or the other core busy) is skipped: the product is
    then computed in place, as with one core. The worker is made
    when first needed, and again in a process forked after it was made (a fork keeps no threads)."""

    def __init__(self, matrix: np.ndarray, background: bool | None = None):
        self.matrix = matrix
        self.background = _cores() >= 2 if background is None else background
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def start(self, vector: np.ndarray) -> Callable[[], np.ndarray]:
        """Start the product; returns the function that waits for it and returns it."""
        matrix = self.matrix
        if not self.background:
            result = matrix @ vector
            return lambda: result
        taken = threading.Event()

        def job() -> np.ndarray:
            taken.set()
            return matrix @ vector

        future = self._worker().submit(job)
        if not taken.wait(HANDOFF_S) and future.cancel():  # the worker is busy, or its core is: in place
            result = matrix @ vector
            return lambda: result
        taken.wait()
        return future.result

    def _worker(self) -> ThreadPoolExecutor:
        pid = os.getpid()
        with self._lock:
            if self._pool is None or self._pid != pid:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefbot-meaning")
                self._pid = pid
            return self._pool


class Cosines:
    """A question's cosines with the phrasings (``SemanticIndex`` ``texts``) and with the near misses (``near``),
    as one reading of it needs them; the texts at ``drop_texts`` and ``drop_near`` are left out (-1), as
    training asks a labeled question as if it were not in the knowledge base. With a ``product`` over both
    tables' rows (the texts', then the near misses': the two indexes' vectors are views into its matrix), the cosines are computed in the background from the start
    and waited for on first use; without one (an index that scores in two stages), on first use."""

    def __init__(self, vector: np.ndarray, texts: SemanticIndex, near: SemanticIndex, product: Product | None,
                 drop_texts: np.ndarray | None = None, drop_near: Sequence[int] = ()):
        self._vector = vector
        self._texts, self._near = texts, near
        self._drop_texts, self._drop_near = drop_texts, drop_near
        self._wait = product.start(vector) if product is not None else None
        self._result: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Waited for and computed on the first call: per unit, the cosine with its closest phrasing (or its fact's
        text); per near miss, its cosine; per unit, the cosine with its closest near miss; the units, closest in
        meaning first."""
        if self._result is None:
            if self._wait is not None:
                sims = self._wait()
                split = len(self._texts.vectors)
                meaning = self._texts.scores_from(sims[:split], self._drop_texts)
                near = sims[split:]
            else:
                meaning = self._texts.scores(self._vector, self._drop_texts)
                near = self._near.similarities(self._vector)
            if self._drop_near:
                near = near.copy()
                near[list(self._drop_near)] = -1.0
            self._result = (meaning, near, self._near.scores_of(near), np.argsort(-meaning))
        return self._result

    def first(self, k: int) -> list[int]:
        """The ``k`` units closest in meaning, closest first."""
        return self.result()[3][:k].tolist()
