"""Build the real CLIP BPE tokenizer offline from the vocabulary file that open_clip ships.

Stable Diffusion 1.x uses OpenAI's CLIP tokenizer; its 49,408-token BPE vocabulary is inside the
open_clip wheel, so tests and the synthetic world get the exact same token ids as SD 1.5 without
a download.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from functools import lru_cache
from pathlib import Path

from audits.errors import AuditError

MODEL_MAX_LENGTH = 77
_NUM_MERGES = 49152 - 256 - 2  # merges used by CLIP: vocabulary size minus bytes and specials


def _bpe_path() -> Path:
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise AuditError("open_clip is not installed; it ships the CLIP BPE vocabulary")
    path = Path(list(spec.submodule_search_locations)[0]) / "bpe_simple_vocab_16e6.txt.gz"
    if not path.is_file():
        raise AuditError(f"CLIP BPE vocabulary not found at {path}")
    return path


def _byte_chars() -> list[str]:
    """CLIP's reversible byte-to-character table, in vocabulary order (printable bytes first)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    keep += list(range(ord("®"), ord("ÿ") + 1))
    rest = [b for b in range(256) if b not in keep]
    return [chr(b) for b in keep] + [chr(256 + i) for i in range(len(rest))]


def write_clip_vocab(out_dir: Path) -> Path:
    """Write `vocab.json` and `merges.txt` of the CLIP tokenizer into out_dir; return out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(_bpe_path(), "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    merges = [tuple(line.split()) for line in lines[1 : 1 + _NUM_MERGES]]
    chars = _byte_chars()
    vocab_list = chars + [c + "</w>" for c in chars] + ["".join(m) for m in merges]
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {tok: i for i, tok in enumerate(vocab_list)}
    (out_dir / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    merges_txt = "#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n"
    (out_dir / "merges.txt").write_text(merges_txt, encoding="utf-8")
    return out_dir


@lru_cache(maxsize=1)
def _cached_vocab_dir() -> Path:
    import tempfile

    return write_clip_vocab(Path(tempfile.mkdtemp(prefix="clip-bpe-")))


def build_clip_tokenizer(max_length: int = MODEL_MAX_LENGTH, pad_token: str = "<|endoftext|>"):
    """Return a transformers CLIPTokenizer identical to openai/clip-vit-large-patch14's; with
    `pad_token="!"`, identical to SD 2.x's tokenizer and SDXL's `tokenizer_2` (same vocabulary,
    padding with "!", id 0)."""
    from transformers import CLIPTokenizer

    vocab_dir = _cached_vocab_dir()
    tok = CLIPTokenizer(
        vocab=str(vocab_dir / "vocab.json"),
        merges=str(vocab_dir / "merges.txt"),
        unk_token="<|endoftext|>",
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        pad_token=pad_token,
    )
    tok.model_max_length = max_length
    return tok
