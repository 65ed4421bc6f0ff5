"""Planning attacks: one unit per (attack, edit, erased concept) that has source prompts.

A unit's identity is what determines its artifact: the attack kind, version and full params
(budget and seed included), the edit, the concept and the source prompts with their seeds (for
replays of saved embeddings, each row's sha256, never its path). The reference edit `none` is
not attacked: its renders of every unit's inputs are the base rate beside each result.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from audits.attacks.base import Attack, AttackError
from audits.case import Case
from audits.errors import AuditError
from audits.run.identity import identity_hash, short

REFERENCE = "none"


@dataclass(frozen=True)
class AttackUnit:
    unit_id: str
    attack: str  # the suite's attack name
    kind: str
    version: str
    tier: int
    params: dict[str, Any]
    probes: tuple[str, ...]
    edit_id: str
    method: str
    concept: str
    sources: tuple[Case, ...]

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return out | {
            "params": dict(self.params),
            "probes": list(self.probes),
            "sources": [s.to_source() for s in self.sources],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AttackUnit:
        sources = tuple(Case.from_json(s) for s in data["sources"])
        return cls(**{**data, "probes": tuple(data["probes"]), "sources": sources})


def build_attack(suite, name: str) -> Attack:
    """The suite's attack `name`, its kind looked up (did-you-mean on a typo), params checked."""
    from audits.registry import ATTACKS

    spec = suite.attacks[name]
    return ATTACKS.get(spec.kind).from_params(name, dict(spec.params))


def capped(attack: Attack, budget: int | None) -> Attack:
    """`attack` with its budget lowered to `budget` (--attack-budget); unchanged when it has no
    budget (closed-form and replay attacks) or a smaller one."""
    if not budget or attack.budget is None or attack.budget <= budget:
        return attack
    return type(attack).from_params(attack.name, {**attack.params.to_dict(), "budget": budget})


def attack_identity(attack: Attack, edit_id: str, concept: str, sources) -> str:
    return identity_hash(
        "attack",
        {
            "attack": attack.kind,
            "version": attack.version,
            "params": attack.params.to_dict(),
            "edit": edit_id,
            "concept": concept,
            "sources": [s.identity() for s in sources],
        },
    )


def plan_attacks(
    suite,
    profile_name: str,
    names,
    edits,
    probes,
    limit,
    cap: int | None = None,
    budget: int | None = None,
) -> list[AttackUnit]:
    """Every attack unit of the run, in a fixed order (attack, edit, concept in erase order);
    `cap` (--seeds) keeps the first N seeds of every source, wherever it came from; `budget`
    (--attack-budget) lowers every searching attack's budget to at most N (its params, and so
    its identity and every row it gives, carry the budget it ran with)."""
    from dataclasses import replace

    from audits.run.plan import first_seeds, plan_probe

    seeds = first_seeds(suite.profile(profile_name).generation.seeds, cap)
    units: list[AttackUnit] = []
    for name in names:
        spec = suite.attacks[name]
        attack = capped(build_attack(suite, name), budget)
        cases = {
            p: (probes[p] if p in probes else plan_probe(suite, p, profile_name, limit, cap)).cases
            for p in spec.probes
        }
        try:
            sources = attack.sources(suite, cases, spec.probes, limit, seeds)
        except AttackError as err:
            raise AuditError(f"attack '{name}': {err}") from None
        if not any(sources.values()):
            raise AuditError(
                f"attack '{name}' has no source prompts: give it probes (or a csv / artifacts)"
            )
        for edit in edits:
            if edit.kind == REFERENCE:
                continue
            for concept in edit.concepts:
                found = tuple(
                    replace(s, seeds=first_seeds(s.seeds, cap)) for s in sources.get(concept, ())
                )
                if not found:
                    continue
                if budget and attack.budget is not None and attack.budget < len(found):
                    raise AuditError(
                        f"--attack-budget {budget} is smaller than the {len(found)} source"
                        f" prompt(s) of attack '{name}' on {concept!r}: each needs at least one"
                        " evaluation (raise it, or lower --limit)"
                    )
                unit_id = short(attack_identity(attack, edit.edit_id, concept, found))
                units.append(
                    AttackUnit(
                        unit_id,
                        name,
                        attack.kind,
                        attack.version,
                        attack.tier,
                        attack.params.to_dict(),
                        tuple(spec.probes),
                        edit.edit_id,
                        edit.method,
                        concept,
                        found,
                    )
                )
    return units
