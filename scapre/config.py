"""ScaPre's configuration: every component of the official code as a named, validated field.

Defaults are the official command-line defaults of `edit/erase_scale.py`; `PRESETS` pin the
published commands. `lamb` (hard-coded to 0.5 in the official scripts) and the Informax constants
are fields here so nothing is hidden.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar, Literal

from scapre.errors import ScaPreError
from scapre.fields import TypedConfig

Variant = Literal["scale", "erase"]


@dataclass(frozen=True)
class ScaPreConfig(TypedConfig):
    """How to compute one ScaPre edit (see docs/solver.md for each field's role)."""

    variant: Variant = "scale"  # "scale" = edit/erase_scale.py, "erase" = edit/erase.py
    erase_scale: float = 1.0  # eta: weight of the UCE terms (and of alpha in "scale")
    lamb: float = 0.5  # lambda: anchor to the original weights
    p: float = 2.0  # exponent of the Informax soft mask sigmoid(z / T) ** p
    alpha_min: float = 0.1  # "erase": entropy rollback floor (1 disables rollback)
    entropy_samples: int = 20  # noisy copies of each concept vector for the entropy factor
    entropy_bins: int = 20
    noise_sigma: float = 0.01  # std of the pseudo-sample noise (entropy and Informax)
    T_sigma: float = 1.0  # temperature of the singular-value gate (ASED / SVD residual)
    p_sigma: float = 1.0  # power of the singular-value gate
    use_mi_softmask: bool = False  # "scale": Informax masks for alpha and the V terms
    enable_ased: bool = False  # "scale": spectral regulariser R
    enable_egbr: bool = False  # "scale": entropy-guided row blend after the Bures step
    bures_iters: int = 2  # "scale": iterations of the row-wise Bures proximal step (>= 1)
    enable_bures: bool = True  # "scale": the Bures step (an ablation switch; always on officially)
    svd: bool = False  # "erase": spectral residual push (SSA-SVD)
    res_scale: float | None = None  # "erase": residual strength (None = erase_scale)
    technique: Literal["replace", "tensor"] = "replace"  # UCE target construction
    guide: str = " "  # prompt whose tokens give the target values ("" means " ")
    seed: int = 0  # seeds every pseudo-sample draw (the official code is unseeded)
    mi_arithmetic: Literal["official", "exact"] = "official"  # float32 replica or float64 exact
    mi_form: Literal["softmask", "paper"] = "softmask"  # code's soft mask or paper's MI/max MI
    mi_temperature: float = 0.7
    mi_samples: int = 5  # positives (and as many negatives) per Informax estimate
    mu_from_entropy: bool = True  # "scale": mu = mean row entropy (official); else mu = 0.1
    with_to_k: bool = True  # edit to_k as well as to_v
    preserve_concepts: tuple[str, ...] = ()  # extension (off in every official command)
    preserve_scale: float | None = None  # None = max(0.1, 1 / (1 + len(preserve_concepts)))
    dtype: Literal["float64", "float32"] = "float64"  # solver arithmetic

    label: ClassVar[str] = "ScaPre"
    error: ClassVar[type[Exception]] = ScaPreError
    prefix_fields: ClassVar[bool] = False

    def validate(self) -> None:
        if any(not c.strip() for c in self.preserve_concepts):
            raise self.fail("preserve_concepts", "preserve_concepts must not contain empty prompts")
        positive = ("lamb", "entropy_bins", "mi_temperature", "mi_samples", "entropy_samples")
        for name in positive:
            if getattr(self, name) <= 0:
                raise self.fail(name, f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("erase_scale", "noise_sigma", "p", "T_sigma", "p_sigma"):
            if getattr(self, name) < 0:
                raise self.fail(name, f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.alpha_min <= 1.0:
            raise self.fail("alpha_min", f"alpha_min must lie in [0, 1], got {self.alpha_min}")
        if self.bures_iters < 1:
            raise self.fail(
                "bures_iters",
                f"bures_iters must be >= 1, got {self.bures_iters} (the official code always "
                "runs at least one iteration; use enable_bures=false to skip the step)",
            )
        if self.preserve_scale is not None and self.preserve_scale < 0:
            raise self.fail(
                "preserve_scale", f"preserve_scale must be >= 0, got {self.preserve_scale}"
            )

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
