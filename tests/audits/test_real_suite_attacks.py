"""The real-model suites declare the three attack tiers and an `attacks` profile that runs them."""

from __future__ import annotations

import pytest

from audits.suites import load_suite

REAL = ["artists100", "celebrities100", "nudity", "imagenette10"]


@pytest.mark.parametrize("name", REAL)
def test_three_tiers_and_an_attacks_profile(name):
    from audits.run.attack_plan import build_attack
    from audits.run.selection import selected, selected_attacks

    suite = load_suite(name, tokens=False)
    tiers = {build_attack(suite, a).tier for a in suite.attacks}
    assert tiers == {0, 1, 2}
    udiff = build_attack(suite, "unlearndiffatk")
    assert udiff.params.budget == 200
    _, metrics, skipped = selected(suite, "attacks", skip=False)
    assert not skipped and "attack_success_rate" in metrics
    assert selected_attacks(suite, "attacks", skipped) == [
        "adversarial-replay",
        "recover",
        "unlearndiffatk",
    ]
    # the default profile replays the adversarial table only (cheap: those images exist)
    _, _, skipped = selected(suite, suite.default_profile, skip=True)
    assert selected_attacks(suite, suite.default_profile, skipped) == ["adversarial-replay"]
