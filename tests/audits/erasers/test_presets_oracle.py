"""Every preset of every baseline eraser against a literal re-implementation of the official
script it names (`oracles.py`), on a seeded float64 tiny model whose text encoder has a
non-trivial final LayerNorm: relative Frobenius error <= 1e-8 for every edited matrix.

Where a preset needs data the official run reads from a file (retain lists, the other artists,
TIMED destinations), a few prompts stand in for it and are passed to both sides.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from audits.erasers.mace_cfr import MACECFREraser
from audits.erasers.mace_templates import TEMPLATES
from audits.erasers.rece import RECEEraser
from audits.erasers.speed import SPEEDEraser
from audits.erasers.time import TIMEEraser
from audits.erasers.uce import UCEEraser

from . import oracles

TOL = 1e-8
OBJECTS = ["tench", "church"]
ARTISTS = ["Van Gogh", "Claude Monet"]
OTHER_ARTISTS = ("Pablo Picasso", "Rembrandt", "Frida Kahlo")
RETAIN = ("golf ball", "a red car", "Hello Kitty", "a dog on the grass", "parachute", "Pikachu")


def worst(edit: dict, ref: dict) -> float:
    assert set(edit) == set(ref), (sorted(edit), sorted(ref))
    out = 0.0
    for name, want in ref.items():
        got = edit[name]
        assert got.dtype == torch.float64
        out = max(out, float((got - want).norm() / want.norm()))
    return out


def run(eraser_cls, preset: str, concepts, **overrides) -> tuple:
    cfg = dataclasses.replace(eraser_cls.preset(preset), **overrides)
    return eraser_cls(cfg), cfg


# ------------------------------------------------------------------------------------------ UCE
UCE_CASES = {
    "2023": (OBJECTS, {"preserve_concepts": ("golf ball",)}),
    "2025": (OBJECTS, {"preserve_concepts": ("golf ball", "parachute")}),
    "art": (ARTISTS, {"preserve_concepts": OTHER_ARTISTS}),
}


@pytest.mark.parametrize("preset", sorted(UCEEraser.presets))
def test_uce_preset_equals_the_official_script(wide_pipe64, preset):
    concepts, overrides = UCE_CASES[preset]
    eraser, cfg = run(UCEEraser, preset, concepts, **overrides)
    edit = eraser.erase(wide_pipe64, concepts)
    if cfg.variant == "2025":
        ref = oracles.oracle_uce2025(
            wide_pipe64,
            concepts,
            guides=list(cfg.guides),
            preserve_concepts=cfg.preserve_concepts,
            lamb=cfg.lamb,
        )
    else:
        ref = oracles.oracle_uce2023(
            wide_pipe64,
            concepts,
            guides=cfg.guides,
            preserve_concepts=cfg.preserve_concepts,
            technique=cfg.technique,
            add_prompts=cfg.add_prompts,
        )
    assert worst(edit.weights, ref) <= TOL


def test_uce_2023_options_equal_the_official_script(wide_pipe64):
    """tensor technique, per-concept guides and the art templates (`--add_prompts`)."""
    eraser, cfg = run(
        UCEEraser,
        "2023",
        OBJECTS,
        technique="tensor",
        guides=("a fish", "a building"),
        add_prompts="object",
        erase_scale=2.0,
    )
    ref = oracles.oracle_uce2023(
        wide_pipe64,
        OBJECTS,
        guides=cfg.guides,
        technique="tensor",
        add_prompts="object",
        erase_scale=2.0,
    )
    assert worst(eraser.erase(wide_pipe64, OBJECTS).weights, ref) <= TOL


@pytest.mark.parametrize("kind", ["art", "object"])
def test_uce_2025_expanded_prompts_equal_the_official_script(wide_pipe64, kind):
    """`--expand_prompts true` at 28c81ed: concepts and guides both get the templates."""
    concepts = ARTISTS if kind == "art" else OBJECTS
    eraser, cfg = run(UCEEraser, "2025", concepts, add_prompts=kind)
    ref = oracles.oracle_uce2025(wide_pipe64, concepts, concept_type=kind, expand_prompts=True)
    assert worst(eraser.erase(wide_pipe64, concepts).weights, ref) <= TOL


# ----------------------------------------------------------------------------------------- TIME
def test_time_timed_preset_equals_the_official_script(wide_pipe64):
    """apply_time.py for one TIMED-style item, augmentations on; the 'an' of 'An image of' and
    the inserted word are aligned by the official walk."""
    eraser, _ = run(TIMEEraser, "timed", ["roses"], destinations=("blue roses",))
    ref = oracles.oracle_time(wide_pipe64, [("roses", "blue roses")])
    assert worst(eraser.erase(wide_pipe64, ["roses"]).weights, ref) <= TOL


def test_time_default_erasure_adaptation_equals_its_oracle(wide_pipe64):
    """The default (not an official command): position alignment to ' ', two concepts in one
    solve, no augmentations."""
    from audits.erasers.time import TIMEConfig

    edit = TIMEEraser(TIMEConfig(with_augs=False)).erase(wide_pipe64, OBJECTS)
    ref = oracles.oracle_time(
        wide_pipe64, [(c, " ") for c in OBJECTS], with_augs=False, alignment="position"
    )
    assert worst(edit.weights, ref) <= TOL


# ----------------------------------------------------------------------------------------- RECE
RECE_CASES = {
    "nudity": (["nudity"], {}, "train.py"),
    "unsafe": (["violence", "nudity", "blood"], {}, "train.py"),
    "art": (ARTISTS[:1], {"preserve_concepts": OTHER_ARTISTS}, "train_artists.py"),
    "object-hard": (["church"], {}, "train_object.py"),
    "object-easy": (["golf ball"], {}, "train_object.py"),
}


@pytest.mark.parametrize("preset", sorted(RECEEraser.presets))
def test_rece_preset_equals_the_official_script(wide_pipe64, preset):
    concepts, overrides, script = RECE_CASES[preset]
    eraser, cfg = run(RECEEraser, preset, concepts, **overrides)
    edit = eraser.erase(wide_pipe64, concepts)
    ref = oracles.oracle_rece(
        wide_pipe64,
        concepts,
        script=script,
        epochs=cfg.epochs,
        regular_scale=cfg.regular_scale,
        guides=cfg.guides if cfg.guides != (" ",) else (),
        preserve_concepts=cfg.preserve_concepts,
    )
    assert worst(edit.weights, ref) <= TOL


def test_rece_unsafe_preserves_the_empty_prompt_once_per_concept(wide_pipe64):
    """The official train.py weighs ' ' by 0.1 m; preserving it once differs measurably."""
    concepts = RECE_CASES["unsafe"][0]
    official = RECEEraser.from_config({"preset": "unsafe"}).erase(wide_pipe64, concepts)
    once = RECEEraser.from_config({"preset": "unsafe", "round_preserve": "once"})
    other = once.erase(wide_pipe64, concepts)
    assert official.variant.endswith("/preserve-per-concept")
    assert worst(other.weights, official.weights) > 1e-4


# ---------------------------------------------------------------------------------------- SPEED
SPEED_CASES = {
    "instance": (["Snoopy", "Mickey"], {"retain_prompts": RETAIN}, {}),
    "style": (["Van Gogh"], {"retain_prompts": OTHER_ARTISTS + RETAIN[:2]}, {}),
    "celebrity": (["Adam Driver", "Amy Adams"], {"retain_prompts": RETAIN}, {}),
    "celebrity-readme": (["Adam Driver", "Amy Adams"], {"retain_prompts": RETAIN}, {}),
    "nudity": (["nudity"], {}, {"all_tokens": True}),
}


def speed_oracle(pipe, concepts, cfg, **extra):
    return oracles.oracle_speed(
        pipe,
        concepts,
        anchors=cfg.anchors,
        retain_texts=cfg.retain_prompts,
        params=cfg.params,
        aug_num=cfg.aug_num,
        threshold=cfg.threshold,
        retain_scale=cfg.retain_scale,
        lamb=cfg.lamb,
        disable_filter=cfg.disable_filter,
        seed=cfg.seed,
        **extra,
    )


@pytest.mark.parametrize("preset", sorted(SPEEDEraser.presets))
def test_speed_preset_equals_the_official_script(wide_pipe64, preset):
    concepts, overrides, extra = SPEED_CASES[preset]
    eraser, cfg = run(SPEEDEraser, preset, concepts, **overrides)
    edit = eraser.erase(wide_pipe64, concepts)
    assert worst(edit.weights, speed_oracle(wide_pipe64, concepts, cfg, **extra)) <= TOL


@pytest.mark.parametrize(
    "overrides",
    [
        {"aug_num": 0, "retain_prompts": RETAIN},  # no filter without augmentation
        # "" among others: its BOS token. BOS is then both retained (P BOS = 0) and an IEC
        # constraint, so with lamb = 0 the 4x4 system is singular; lamb > 0 keeps it well posed
        {"retain_prompts": ("",) + RETAIN, "lamb": 0.5},
        {"params": "KV", "retain_prompts": RETAIN, "lamb": 0.3, "seed": 4},
    ],
    ids=["aug0", "empty-among-others", "kv"],
)
def test_speed_settings_equal_the_official_script(wide_pipe64, overrides):
    eraser, cfg = run(SPEEDEraser, "instance", ["Snoopy"], **overrides)
    edit = eraser.erase(wide_pipe64, ["Snoopy"])
    assert worst(edit.weights, speed_oracle(wide_pipe64, ["Snoopy"], cfg)) <= TOL


def test_speed_dpa_threshold_is_per_chunk_of_128(wide_pipe64):
    """More than 128 retain vectors (the null prompt's 76 tokens are one vector each only when
    the list is exactly [""]; here 150 prompts): the DPA keep-threshold is each chunk's mean."""
    retain = tuple(f"a photo of thing {k}" for k in range(150))
    eraser, cfg = run(
        SPEEDEraser, "instance", ["Snoopy"], retain_prompts=retain, disable_filter=True
    )
    edit = eraser.erase(wide_pipe64, ["Snoopy"])
    assert worst(edit.weights, speed_oracle(wide_pipe64, ["Snoopy"], cfg)) <= TOL


# ------------------------------------------------------------------------------------- MACE-CFR
# With lamb = 0 (every celebrity, art and explicit config) the system is the concepts' context
# Gram plus a preserve cache scaled by beta^2 ~ 1e-8: on a width-128 model a single concept's 30
# prompts leave it ill-conditioned (condition ~1e8, oracle and eraser then differ by ~1e-8 from
# rounding alone), so these tests erase three concepts and give four domain prompts.
MACE_CONCEPTS = {
    "art-100": ["Van Gogh", "Claude Monet", "Frida Kahlo"],
    "explicit": ["nudity", "naked", "erotic"],
}


@pytest.mark.parametrize("preset", sorted(MACECFREraser.presets))
def test_mace_cfr_preset_equals_the_official_scripts(wide_pipe64, preset):
    concepts = MACE_CONCEPTS.get(preset, ["Adam Driver", "Amy Adams", "Anne Hathaway"])
    overrides = {"preserve_prompts": ("a photo of a street", "two cats on a sofa")}
    if preset.startswith(("celebrity", "art")):
        overrides["domain_prompts"] = ("Tom Hanks", "Pablo Picasso", "Meryl Streep", "Rembrandt")
    if preset.startswith("object"):
        concepts, overrides = ["ship"], {"mapping": ("sea",)}
    eraser, cfg = run(MACECFREraser, preset, concepts, **overrides)
    edit = eraser.erase(wide_pipe64, concepts)
    ref = oracles.oracle_mace_cfr(
        wide_pipe64,
        concepts,
        TEMPLATES[cfg.concept_type],
        mapping=cfg.mapping,
        lamb=cfg.lamb,
        train_preserve_scale=cfg.train_preserve_scale,
        fuse_preserve_scale=cfg.fuse_preserve_scale,
        preserve_weight=cfg.preserve_weight,
        preserve_prompts=cfg.preserve_prompts,
        domain_prompts=cfg.domain_prompts,
    )
    assert worst(edit.weights, ref) <= TOL


def test_every_preset_is_covered():
    assert set(UCE_CASES) == set(UCEEraser.presets)
    assert set(RECE_CASES) == set(RECEEraser.presets)
    assert set(SPEED_CASES) == set(SPEEDEraser.presets)
    assert set(TIMEEraser.presets) == {"timed"}
    for eraser in (UCEEraser, TIMEEraser, RECEEraser, SPEEDEraser, MACECFREraser):
        assert set(eraser.preset_sources) == set(eraser.presets), eraser.name
