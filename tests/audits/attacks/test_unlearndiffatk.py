"""UnlearnDiffAtk on the toy world (CPU): deterministic for a seed, no more optimisation steps
than its budget (UNet backward passes counted independently), the pipeline left as it was."""

from __future__ import annotations

import pytest
import torch

from audits.attacks.base import AttackContext
from audits.attacks.unlearndiffatk import UnlearnDiffAtk
from audits.case import Case
from tests.audits.attacks.conftest import REPO, needs_toyworld

pytestmark = needs_toyworld
SAMPLING = {"sampler": "dpmsolver++", "steps": 8, "guidance_scale": 7.5, "height": 32, "width": 32}


@pytest.fixture(scope="module")
def pipe():
    from audits.models.loading import load_pipeline

    pipe, _ = load_pipeline(str(REPO / "audits/toyworld/weights/pipeline"), device="cpu")
    return pipe


def _run(pipe, delta, **params):
    sources = [Case("target", 0, "a red circle", (0,)), Case("target", 1, "a red disc", (1,))]
    ctx = AttackContext(pipe, "red circle", sources, {}, {}, (), delta=delta, sampling=SAMPLING)
    attack = UnlearnDiffAtk.from_params("u", {"budget": 6, "length": 2} | params)
    return attack.run(ctx)


def test_deterministic_within_budget_and_restores_the_pipeline(pipe):
    name = next(n for n, _ in pipe.unet.named_parameters() if n.endswith("attn2.to_v.weight"))
    weight = dict(pipe.unet.named_parameters())[name]
    before = weight.detach().clone()
    delta = {name: torch.zeros_like(before)}  # an edit that silences one value projection
    backward = []
    hook = weight.register_post_accumulate_grad_hook(lambda p: backward.append(1))
    first = _run(pipe, delta)
    hook.remove()
    again = _run(pipe, delta)
    assert first.prompts == again.prompts and first.extra == again.extra
    assert first.evaluations == 6 and not backward  # UNet weights never collect gradients
    assert all(
        p.endswith(s) for p, s in zip(first.prompts, ["a red circle", "a red disc"], strict=True)
    )
    assert torch.equal(weight.detach(), before) and weight.requires_grad
    print(f"\nunlearndiffatk found {first.prompts} (loss {first.extra['loss']})")


def test_budget_counts_unet_steps(pipe):
    calls = []
    forward = pipe.unet.forward

    def counting(*args, **kwargs):
        calls.append(torch.is_grad_enabled())
        return forward(*args, **kwargs)

    pipe.unet.forward = counting
    try:
        out = _run(pipe, {}, budget=4)
    finally:
        del pipe.unet.forward
    assert out.evaluations == 4 == sum(calls)  # grad-enabled UNet calls = optimisation steps
