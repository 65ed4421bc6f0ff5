"""SPEED: retained directions and the invariant (BOS / null-text) constraints hold exactly; only
to_v changes by default; filters and the k-means behave as specified."""

from __future__ import annotations

import pytest
import torch

from audits.erasers.errors import EraserError
from audits.erasers.kmeans import kmeans, kmeans_start
from audits.erasers.speed import (
    SPEEDConfig,
    SPEEDEraser,
    drop_retains_naming_targets,
    null_space_projector,
    retained_set,
    speed_delta,
    speed_inputs,
)

RETAIN = ("church", "a dog on the grass", "golf ball", "a red car")


def _replay(pipe, concepts, cfg):
    """(name, W, R, P, Delta) per matrix, consuming the DPA noise in the eraser's order."""
    from audits.erasers.matrices import kv_matrices

    mats, _, dev = kv_matrices(pipe, ("to_v",), torch.float64, None)
    gen = torch.Generator().manual_seed(cfg.seed)
    inputs = speed_inputs(pipe, concepts, cfg, torch.float64, dev, gen)
    out = []
    for name, W in mats:
        R = retained_set(W, inputs, cfg, gen)
        P = null_space_projector(R, cfg.threshold)
        out.append((name, W, R, P, speed_delta(W, inputs, P, cfg)))
    return inputs, out


@pytest.fixture(scope="module")
def speed_run(wide_pipe):
    cfg = SPEEDConfig(retain_prompts=RETAIN)
    edit = SPEEDEraser(cfg).erase(wide_pipe, ["tench", "parachute"])
    inputs, replay = _replay(wide_pipe, ["tench", "parachute"], cfg)
    return cfg, edit, inputs, replay


def test_retained_directions_are_untouched(speed_run):
    cfg, _, _, replay = speed_run
    for _, W, R, _, delta in replay:
        sigma = R.T @ R / R.shape[0]
        vals, vecs = torch.linalg.eigh(sigma)
        kept = vecs[:, vals >= cfg.threshold]
        assert kept.shape[1] >= 1
        assert ((delta @ kept).norm() / W.norm()).item() < 1e-10
        assert ((delta @ R.T).norm() / (W @ R.T).norm()).item() < 1e-3  # R itself: near-exact


def test_bos_and_null_text_constraints_hold_with_lamb_zero(speed_run):
    _, _, inputs, replay = speed_run
    for _, W, _, _, delta in replay:
        assert ((delta @ inputs.K2).norm() / (W @ inputs.K2).norm()).item() < 1e-10


def test_eraser_writes_w_plus_delta_on_to_v_only(speed_run, wide_pipe):
    _, edit, inputs, replay = speed_run
    assert len(edit.weights) == 4 and all(".to_v." in n for n in edit.weights)
    assert edit.variant == "speed/V/last-token"
    bos = inputs.K2[:, 0]
    params = dict(wide_pipe.unet.named_parameters())
    for name, W, _, _, delta in replay:
        new = edit.weights[name].double()
        assert ((new - (W + delta)).norm() / W.norm()).item() < 1e-6
        old_bos = params[name].detach().double() @ bos
        assert ((new @ bos - old_bos).norm() / old_bos.norm()).item() < 1e-5  # float32 storage
        assert (new - W).norm().item() > 1e-3 * W.norm().item()


def test_lamb_relaxes_the_invariant_constraint(wide_pipe):
    cfg = SPEEDConfig(retain_prompts=RETAIN, lamb=10.0)
    inputs, replay = _replay(wide_pipe, ["tench"], cfg)
    _, W, _, _, delta = replay[0]
    assert ((delta @ inputs.K2).norm() / (W @ inputs.K2).norm()).item() > 1e-8


def test_params_and_all_token_targets(tiny_pipe):
    kv = SPEEDEraser(SPEEDConfig(params="KV")).erase(tiny_pipe, ["tench"])
    assert len(kv.weights) == 8
    nude = SPEEDEraser.from_config({"preset": "nudity"}).erase(tiny_pipe, ["nudity"])
    assert nude.variant == "speed/V/all-token" and len(nude.weights) == 4


def test_retain_prompts_naming_a_target_are_dropped():
    kept = drop_retains_naming_targets(
        ["a tench in a lake", "tenches", "Tench", "a carp"], ["tench"]
    )
    assert kept == ["tenches", "a carp"]


def test_seeded_kmeans():
    import numpy as np

    g = torch.Generator().manual_seed(0)
    X = torch.cat([torch.randn(20, 4, generator=g) + 10 * k for k in range(3)]).double()
    a, b = kmeans(X, 3, seed=5), kmeans(X, 3, seed=5)
    assert torch.equal(a, b)
    assign = torch.cdist(X, a).argmin(1)
    for k in range(3):
        assert torch.allclose(a[k], X[assign == k].mean(0))
    with pytest.raises(ValueError, match="k-means needs"):
        kmeans(X[:2], 3)
    # the start is kmeans_pytorch's: np.random.choice after np.random.seed(seed)
    state = np.random.get_state()
    try:
        np.random.seed(5)
        assert list(np.random.choice(len(X), 3, replace=False)) == list(kmeans_start(60, 3, 5))
    finally:
        np.random.set_state(state)


def test_config_round_trip_and_bad_input(tiny_pipe):
    for name in SPEEDEraser.presets:
        e = SPEEDEraser.from_config({"preset": name})
        assert SPEEDEraser.from_config(e.to_config()) == e
    with pytest.raises(EraserError, match="retain_scale must be > 0"):
        SPEEDConfig(retain_scale=0.0)
    with pytest.raises(EraserError, match="params must be one of"):
        SPEEDConfig(params="Q")
    with pytest.raises(EraserError, match="every retain prompt names a target"):
        SPEEDEraser(SPEEDConfig(retain_prompts=("a tench",))).erase(tiny_pipe, ["tench"])
    with pytest.raises(EraserError, match="one anchor or one per target"):
        SPEEDEraser(SPEEDConfig(anchors=("a", "b"))).erase(tiny_pipe, ["x", "y", "z"])
