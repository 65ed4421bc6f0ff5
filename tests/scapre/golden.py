"""Loader for the official-code golden vectors (``shared/data/golden``) and a noise replayer.

The golden file holds float32 inputs and outputs of the official ScaPre scripts and of UCE-2023
on a tiny random model; ``index.json`` holds each variant's keyword arguments, the matrix order
and the order of the random draws.  Everything is returned as plain tensors and dicts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

GOLDEN_FILE = "scapre-official.safetensors"
VARIANTS = ("scale_mi_ased", "scale_plain", "erase_rollback", "erase_svd", "uce2023")

# Keyword defaults of the official ``edit_model`` functions, used where a variant's kwargs are
# silent (the function signature applies, not the CLI's argparse defaults).
_SCALE_FN_DEFAULTS = {
    "lamb": 0.1,
    "erase_scale": 0.1,
    "technique": "tensor",
    "p": 2.0,
    "entropy_samples": 50,
    "entropy_bins": 20,
    "noise_sigma": 0.01,
    "T_sigma": 1.0,
    "p_sigma": 1.0,
    "enable_ased": False,
    "enable_egbr": False,
    "bures_mu_from_entropy": True,
    "use_mi_softmask": True,
    "bures_iters": 2,
}
_ERASE_FN_DEFAULTS = {
    "lamb": 0.1,
    "erase_scale": 0.1,
    "technique": "tensor",
    "svd": False,
    "p": 2.0,
    "res_scale": None,
    "alpha_min": 0.1,
    "entropy_samples": 50,
    "entropy_bins": 20,
    "noise_sigma": 0.01,
    "T_sigma": 1.0,
    "p_sigma": 1.0,
}
_NOT_PARAMS = {"old_text_", "new_text_", "retain_text_", "add"}


def golden_dir() -> Path | None:
    """The golden folder: ``$SCAPRE_GOLDEN_DIR``, else ``shared/data/golden`` in or next to the
    repository root.  ``None`` when no candidate holds the golden file."""
    repo = Path(__file__).resolve().parents[2]
    candidates = []
    if os.environ.get("SCAPRE_GOLDEN_DIR"):
        candidates.append(Path(os.environ["SCAPRE_GOLDEN_DIR"]))
    candidates += [
        Path(__file__).resolve().parent / "data/golden",  # vendored copy, so CI never skips
        repo / "shared/data/golden",
        repo.parent / "shared/data/golden",
    ]
    for cand in candidates:
        if (cand / GOLDEN_FILE).is_file() and (cand / "index.json").is_file():
            return cand
    return None


@dataclass
class GoldenVariant:
    """One variant: official kwargs, oracle params, outputs per matrix, recorded noise."""

    name: str
    kwargs: dict
    params: dict
    W: dict[str, torch.Tensor]
    noise: list[torch.Tensor]
    draw_order: str


@dataclass
class Golden:
    """Text features, original weights and all variants of the golden file."""

    C: torch.Tensor
    X: list[torch.Tensor]
    N: list[torch.Tensor]
    e0: torch.Tensor
    P_empty: torch.Tensor
    input_ids: list[torch.Tensor]
    W0: dict[str, torch.Tensor]
    matrix_order: list[str]
    variants: dict[str, GoldenVariant] = field(default_factory=dict)
    index: dict = field(default_factory=dict)


def oracle_params(name: str, kwargs: dict) -> dict:
    """Translate a variant's official kwargs into ``oracle_edit_matrix`` params.

    Official MI arithmetic; ``bures_mu_from_entropy`` becomes ``mu_from_entropy``; the rest keeps
    its name.  Fields the kwargs leave out take the official function's keyword default.
    """
    if name == "uce2023":
        return {k: v for k, v in kwargs.items() if k not in _NOT_PARAMS}
    scale = name.startswith("scale")
    merged = dict(_SCALE_FN_DEFAULTS if scale else _ERASE_FN_DEFAULTS)
    merged.update({k: v for k, v in kwargs.items() if k not in _NOT_PARAMS})
    if "bures_mu_from_entropy" in merged:
        merged["mu_from_entropy"] = merged.pop("bures_mu_from_entropy")
    merged["variant"] = "scale" if scale else "erase"
    merged["mi_arithmetic"] = "official"
    merged["mi_form"] = "softmask"
    return merged


def load_golden(path: Path | str | None = None) -> Golden:
    """Read the golden safetensors file and ``index.json`` into a :class:`Golden`."""
    from safetensors.torch import load_file

    folder = Path(path) if path is not None else golden_dir()
    if folder is None:
        raise FileNotFoundError(f"golden vectors ({GOLDEN_FILE}) not found")
    tensors = load_file(str(folder / GOLDEN_FILE))
    index = json.loads((folder / "index.json").read_text())
    m = len(index["concepts"])
    g = Golden(
        C=tensors["text/C"],
        X=[tensors[f"text/X/{k}"] for k in range(m)],
        N=[tensors[f"text/N/{k}"] for k in range(m)],
        e0=tensors["text/e0"],
        P_empty=tensors["text/P_empty"],
        input_ids=[tensors[f"text/input_ids/{k}"] for k in range(m)],
        W0={name: tensors[f"W0/{name}"] for name in index["matrix_order"]},
        matrix_order=list(index["matrix_order"]),
        index=index,
    )
    for name, info in index["variants"].items():
        count = int(info["noise_draws"])
        noise = [tensors[f"{name}/noise/{i:05d}"] for i in range(count)]
        if f"{name}/noise/{count:05d}" in tensors:
            raise ValueError(f"{name}: more noise tensors stored than noise_draws={count}")
        g.variants[name] = GoldenVariant(
            name=name,
            kwargs=dict(info["kwargs"]),
            params=oracle_params(name, info["kwargs"]),
            W={mat: tensors[f"{name}/W/{mat}"] for mat in index["matrix_order"]},
            noise=noise,
            draw_order=info["draw_order"],
        )
    return g


class ReplayNoise:
    """Callable ``randn(shape)`` that hands out recorded draws in order.

    Raises ``ValueError`` on a shape mismatch and ``IndexError`` when the draws run out;
    :meth:`assert_exhausted` raises if draws are left over.  ``remaining`` counts the rest.
    """

    def __init__(self, draws: list[torch.Tensor]):
        self._draws = list(draws)
        self._next = 0

    @property
    def remaining(self) -> int:
        return len(self._draws) - self._next

    @property
    def consumed(self) -> int:
        return self._next

    def __call__(self, shape) -> torch.Tensor:
        shape = tuple(int(s) for s in shape)
        if self._next >= len(self._draws):
            raise IndexError(f"noise replay exhausted after {len(self._draws)} draws")
        draw = self._draws[self._next]
        if tuple(draw.shape) != shape:
            raise ValueError(
                f"draw {self._next}: recorded shape {tuple(draw.shape)}, requested {shape}"
            )
        self._next += 1
        return draw.clone()

    def assert_exhausted(self) -> None:
        if self.remaining:
            raise AssertionError(f"{self.remaining} recorded draws were not consumed")
