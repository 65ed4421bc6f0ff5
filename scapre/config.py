"""ScaPre's configuration: every component of the official code as a named, validated field.

Defaults are the official command-line defaults of `edit/erase_scale.py`; `PRESETS` pin the
published commands. `lamb` (hard-coded to 0.5 in the official scripts) and the Informax constants
are fields here so nothing is hidden. Every number has documented bounds in its field definition
(`bounded(default, low, high)`), checked with its type before any work: a non-finite or absurd
value (`lamb=nan`, `entropy_samples=99999999999`) is one line naming the field and the bounds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar, Literal

from scapre.errors import ScaPreError
from scapre.fields import TypedConfig, bounded

Variant = Literal["scale", "erase"]


@dataclass(frozen=True)
class ScaPreConfig(TypedConfig):
    """How to compute one ScaPre edit (see docs/solver.md for each field's role)."""

    variant: Variant = "scale"  # "scale" = edit/erase_scale.py, "erase" = edit/erase.py
    # eta: weight of the UCE terms (and of alpha in "scale")
    erase_scale: float = bounded(1.0, 0.0, 1e3)
    lamb: float = bounded(0.5, 0.0, 1e6, above=True)  # lambda: anchor to the original weights
    p: float = bounded(2.0, 0.0, 100.0)  # exponent of the Informax soft mask sigmoid(z / T) ** p
    alpha_min: float = bounded(0.1, 0.0, 1.0)  # "erase": entropy rollback floor (1: no rollback)
    # noisy copies of each concept vector for the entropy factor
    entropy_samples: int = bounded(20, 1, 1_000)
    entropy_bins: int = bounded(20, 1, 10_000)
    noise_sigma: float = bounded(0.01, 0.0, 1e3)  # std of the pseudo-sample noise
    T_sigma: float = bounded(1.0, 0.0, 1e3)  # temperature of the singular-value gate
    p_sigma: float = bounded(1.0, 0.0, 100.0)  # power of the singular-value gate
    use_mi_softmask: bool = False  # "scale": Informax masks for alpha and the V terms
    enable_ased: bool = False  # "scale": spectral regulariser R
    enable_egbr: bool = False  # "scale": entropy-guided row blend after the Bures step
    # "scale": iterations of the row-wise Bures proximal step (the official code runs >= 1;
    # enable_bures=false skips the step)
    bures_iters: int = bounded(2, 1, 1_000)
    enable_bures: bool = True  # "scale": the Bures step (an ablation switch; always on officially)
    svd: bool = False  # "erase": spectral residual push (SSA-SVD)
    res_scale: float | None = bounded(None, 0.0, 1e3)  # "erase": residual strength (None = eta)
    technique: Literal["replace", "tensor"] = "replace"  # UCE target construction
    guide: str = " "  # prompt whose tokens give the target values ("" means " ")
    seed: int = bounded(0, 0, 2**63 - 1)  # seeds every pseudo-sample draw (official: unseeded)
    mi_arithmetic: Literal["official", "exact"] = "official"  # float32 replica or float64 exact
    mi_form: Literal["softmask", "paper"] = "softmask"  # code's soft mask or paper's MI/max MI
    mi_temperature: float = bounded(0.7, 0.0, 1e3, above=True)
    # positives (and as many negatives) per Informax estimate
    mi_samples: int = bounded(5, 1, 1_000)
    mu_from_entropy: bool = True  # "scale": mu = mean row entropy (official); else mu = 0.1
    with_to_k: bool = True  # edit to_k as well as to_v
    preserve_concepts: tuple[str, ...] = ()  # extension (off in every official command)
    # None = max(0.1, 1 / (1 + len(preserve_concepts)))
    preserve_scale: float | None = bounded(None, 0.0, 1e3)
    dtype: Literal["float64", "float32"] = "float64"  # solver arithmetic

    label: ClassVar[str] = "ScaPre"
    error: ClassVar[type[Exception]] = ScaPreError
    prefix_fields: ClassVar[bool] = False

    def validate(self) -> None:  # types and `bounded` ranges are checked by TypedConfig
        if any(not c.strip() for c in self.preserve_concepts):
            raise self.fail("preserve_concepts", "preserve_concepts must not contain empty prompts")

    @property
    def effective_preserve_scale(self) -> float:
        if self.preserve_scale is not None:
            return self.preserve_scale
        return max(0.1, 1.0 / (1 + len(self.preserve_concepts)))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


# The published commands (official README and script/erase.sh), named.
PRESETS: dict[str, ScaPreConfig] = {
    # Imagenette-10 headline (0.8%): erase.py --p 2 --alpha_min 0.8 --entropy_samples 20
    "imagenette": ScaPreConfig(variant="erase", p=2.0, alpha_min=0.8, entropy_samples=20),
    # README "large-scale object/style" command (also listed for Confuse and Art-50)
    "large-scale": ScaPreConfig(
        variant="scale",
        use_mi_softmask=True,
        erase_scale=2.0,
        p=8.0,
        bures_iters=1,
        enable_ased=True,
        entropy_samples=30,
        entropy_bins=20,
    ),
    # ImageNet-Diversi50: erase_scale.py --use_mi_softmask --erase_scale 3 --p 5 --bures_iters 1
    "diversi50": ScaPreConfig(
        variant="scale", use_mi_softmask=True, erase_scale=3.0, p=5.0, bures_iters=1
    ),
    # NSFW: erase_scale.py --erase_scale 2 --p 3 --bures_iters 1 (MI off, so p has no effect)
    "nsfw": ScaPreConfig(variant="scale", erase_scale=2.0, p=3.0, bures_iters=1),
    # Confuse, erase.py line: --p 2 --alpha_min 1 --svd --T_sigma 1 --p_sigma 1
    "confuse-erase": ScaPreConfig(
        variant="erase", p=2.0, alpha_min=1.0, svd=True, T_sigma=1.0, p_sigma=1.0
    ),
    # Art-50, erase.py line: --guided_concept 'art' --p 2 --alpha_min 0.5
    "art50-erase": ScaPreConfig(variant="erase", p=2.0, alpha_min=0.5, guide="art"),
}
PRESET_SOURCES: dict[str, str] = {
    "imagenette": "script/erase.sh, Imagenette (erase.py); paper Table 1",
    "large-scale": "README large-scale object/style command (erase_scale.py)",
    "diversi50": "script/erase.sh, ImageNet-Diversi50 (erase_scale.py line)",
    "nsfw": "script/erase.sh, NSFW multi-keyword line (erase_scale.py)",
    "confuse-erase": "script/erase.sh, ImageNet-Confuse (erase.py line)",
    "art50-erase": "script/erase.sh, Art-50 (erase.py line)",
}


def preset(name: str) -> ScaPreConfig:
    """Return a published configuration by name, with a helpful error for unknown names."""
    if name not in PRESETS:
        import difflib

        close = difflib.get_close_matches(name, PRESETS, n=1)
        hint = f" Did you mean: {close[0]}?" if close else ""
        raise ScaPreError(f"unknown preset {name!r}.{hint} Available: {', '.join(PRESETS)}")
    return PRESETS[name]


__all__ = ["ScaPreConfig", "PRESETS", "PRESET_SOURCES", "preset"]
