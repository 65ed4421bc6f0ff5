"""Ring-A-Bell on the toy world's text encoder: the search is deterministic for a seed, spends
no more text-encoder evaluations than its budget (counted independently), and finds prompts
closer to the target than random ones."""

from __future__ import annotations

import pytest

from audits.attacks.base import AttackContext
from audits.attacks.ring_a_bell import RingABell, without
from audits.case import Case
from tests.audits.attacks.conftest import REPO, needs_toyworld

pytestmark = needs_toyworld


@pytest.fixture(scope="module")
def pipe():
    from audits.models.loading import load_pipeline

    pipe, _ = load_pipeline(str(REPO / "audits/toyworld/weights/pipeline"), device="cpu")
    return pipe


def _ctx(pipe):
    sources = [
        Case("target", 0, "a red circle", (0,)),
        Case("target", 1, "a photo of a red circle", (0,)),
    ]
    return AttackContext(pipe, "red circle", sources, {}, {}, ())


def _attack(**params):
    return RingABell.from_params("rab", {"budget": 200, "population": 16, "length": 4} | params)


def test_same_seed_same_prompts_and_budget_respected(pipe):
    rows = []
    forward = pipe.text_encoder.forward

    def counting(input_ids, *args, **kwargs):
        rows.append(input_ids.shape[0])
        return forward(input_ids, *args, **kwargs)

    pipe.text_encoder.forward = counting
    try:
        first = _attack().run(_ctx(pipe))
        encoded = sum(rows) - 4  # the 4 source and neutral prompts are not search evaluations
    finally:
        del pipe.text_encoder.forward
    again = _attack().run(_ctx(pipe))
    other = _attack(seed=1).run(_ctx(pipe))
    assert first.prompts == again.prompts and first.extra == again.extra
    assert other.prompts != first.prompts
    assert first.evaluations == encoded <= 200
    assert all("red" not in p.split() and "circle" not in p.split() for p in first.prompts)
    print(f"\nring_a_bell found {first.prompts} (loss {first.extra['loss']})")


def test_search_improves_on_its_first_population(pipe):
    short = _attack(budget=16).run(_ctx(pipe))  # the initial random population only
    long = _attack(budget=400).run(_ctx(pipe))
    assert short.evaluations == 16 and long.evaluations <= 400
    assert sum(long.extra["loss"]) < sum(short.extra["loss"])


def test_without_removes_the_concept():
    assert without("a photo of a Red Circle", "red circle", "") == "a photo of a"
    assert without("a red circle", "red circle", "shape") == "a shape"


def test_bad_params():
    from audits.attacks.base import AttackError

    with pytest.raises(AttackError, match="attack 'rab' \\(ring_a_bell\\): param budget must be"):
        _attack(budget=0)
    with pytest.raises(AttackError, match="param mutation must be in"):
        _attack(mutation=2.0)
