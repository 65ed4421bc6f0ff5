"""Measure the issue's erasure criterion on the toy world: erase 8 concepts at once with ScaPre;
report each target's rate (should fall below 15%) and its non-erased neighbours' rates (should
stay within 10 points of the unedited model), as judged by the classifier."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import torch

from audits.toyworld.classifier import load_classifier
from audits.toyworld.evaluate import concept_rates
from audits.toyworld.pipeline import load_toyworld_pipeline
from audits.toyworld.world import CONCEPTS, concept_by_prompt

TARGETS = (
    "red circle",
    "yellow square",
    "green triangle",
    "cyan cross",
    "blue square",
    "purple triangle",
    "red cross",
    "green circle",
)


def measure(
    n: int,
    config_kwargs: dict,
    targets=TARGETS,
    preserve_others: bool = True,
    seed0: int = 1000,
    pipeline: Path | None = None,
) -> dict:
    import scapre

    pipe = load_toyworld_pipeline(pipeline)
    clf = load_classifier()
    erased = copy.copy(pipe)
    erased.unet = copy.deepcopy(pipe.unet)
    target_set = {concept_by_prompt(t) for t in targets}
    if preserve_others:
        keep = tuple(c.prompt for c in CONCEPTS if c not in target_set)
        config_kwargs = {**config_kwargs, "preserve_concepts": keep}
    cfg = scapre.ScaPreConfig(**config_kwargs)
    prompts = [concept_by_prompt(t).prompt for t in targets]
    scapre.apply_edit(erased, scapre.erase_concepts(erased, prompts, cfg))
    concepts = list(CONCEPTS)
    before = concept_rates(pipe, clf, concepts, n, seed0=seed0)
    after = concept_rates(erased, clf, concepts, n, seed0=seed0)
    neighbours = {nb for t in target_set for nb in t.neighbours()} - target_set
    others = set(concepts) - target_set - neighbours

    def mean(group, table):
        return sum(table[c.name]["concept"] for c in group) / max(1, len(group))

    rows = {
        c.name: {
            "before": before[c.name]["concept"],
            "after": after[c.name]["concept"],
            "role": "target" if c in target_set else "neighbour" if c in neighbours else "other",
        }
        for c in concepts
    }
    drops = [rows[c.name]["before"] - rows[c.name]["after"] for c in neighbours]
    return {
        "config": {k: v for k, v in config_kwargs.items() if k != "preserve_concepts"},
        "targets": [concept_by_prompt(t).name for t in targets],
        "preserve_others": preserve_others,
        "n_per_concept": n,
        "seed0": seed0,
        "targets_before": mean(target_set, before),
        "targets_after": mean(target_set, after),
        "targets_max_after": max(after[c.name]["concept"] for c in target_set),
        "neighbours_before": mean(neighbours, before),
        "neighbours_after": mean(neighbours, after),
        "neighbours_max_drop": max(drops),
        "others_before": mean(others, before),
        "others_after": mean(others, after),
        "per_concept": rows,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--config", default="{}", help="ScaPreConfig fields as JSON")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-preserve", action="store_true", help="do not preserve the non-targets")
    p.add_argument("--targets", default=",".join(TARGETS), help="comma-separated concept names")
    p.add_argument("--seed0", type=int, default=1000)
    p.add_argument("--pipeline", type=Path, default=None, help="default: the committed weights")
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    targets = tuple(t.strip() for t in a.targets.split(","))
    result = measure(
        a.n,
        json.loads(a.config),
        targets,
        preserve_others=not a.no_preserve,
        seed0=a.seed0,
        pipeline=a.pipeline,
    )
    print(json.dumps({k: v for k, v in result.items() if k != "per_concept"}, indent=2))
    if a.out:
        a.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
