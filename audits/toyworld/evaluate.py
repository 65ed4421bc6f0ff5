"""Measure how often the generator draws the prompted concept, as judged by the classifier."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from audits.toyworld.classifier import load_classifier, predict
from audits.toyworld.world import COLOURS, CONCEPTS, SHAPES, Concept


@torch.no_grad()
def generate(
    pipe,
    prompts: list[str],
    seeds: list[int],
    steps: int = 20,
    guidance: float = 7.5,
    batch: int = 96,
):
    """One image per (prompt, seed); each image has its own seeded generator."""
    jobs = [(p, s) for p in prompts for s in seeds]
    images = []
    for i in range(0, len(jobs), batch):
        chunk = jobs[i : i + batch]
        gens = [torch.Generator().manual_seed(s) for _, s in chunk]
        out = pipe(
            [p for p, _ in chunk],
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=gens,
            output_type="np",
        )
        images.append((out.images * 255).round().clip(0, 255).astype("uint8"))
    import numpy as np

    return np.concatenate(images)


def concept_rates(
    pipe,
    classifier,
    concepts: list[Concept],
    n: int,
    seed0: int = 1000,
    steps: int = 20,
    guidance: float = 7.5,
) -> dict[str, dict]:
    """Per concept: fraction classified as the concept, its colour, its shape."""
    seeds = list(range(seed0, seed0 + n))
    images = generate(pipe, [c.prompt for c in concepts], seeds, steps, guidance)
    preds = predict(classifier, images)
    out = {}
    for k, concept in enumerate(concepts):
        got = preds[k * n : (k + 1) * n]
        out[concept.name] = {
            "concept": sum(p == concept for p in got) / n,
            "colour": sum(p is not None and p.colour == concept.colour for p in got) / n,
            "shape": sum(p is not None and p.shape == concept.shape for p in got) / n,
        }
    return out


def attribute_prompt_rates(
    pipe, classifier, n: int, seed0: int = 1000, steps: int = 20, guidance: float = 7.5
) -> dict[str, dict]:
    """What a prompt naming one attribute draws: "a yellow" -> counts of each predicted shape,
    "a circle" -> counts of each predicted colour. A closed-form tail edit leaves the other word
    of the prompt in place, so an attribute that implies one concept makes that concept unerasable.
    """
    seeds = list(range(seed0, seed0 + n))
    prompts = [f"a {c}" for c in COLOURS] + [f"a {s}" for s in SHAPES]
    preds = predict(classifier, generate(pipe, prompts, seeds, steps, guidance))
    out = {}
    for k, prompt in enumerate(prompts):
        got = preds[k * n : (k + 1) * n]
        word = prompt[2:]
        if word in COLOURS:
            kept = sum(p is not None and p.colour == word for p in got)
            other = [p.shape if p is not None else "none" for p in got]
        else:
            kept = sum(p is not None and p.shape == word for p in got)
            other = [p.colour if p is not None else "none" for p in got]
        counts = {v: other.count(v) for v in sorted(set(other))}
        out[prompt] = {"attribute_kept": kept / n, "other_attribute": counts}
    return out


def attribute_summary(rates: dict[str, dict]) -> dict[str, float]:
    """Mean share of the most frequent other attribute, for colour-only and shape-only prompts."""

    def top(prompts):
        return sum(max(rates[p]["other_attribute"].values()) for p in prompts) / sum(
            sum(rates[p]["other_attribute"].values()) for p in prompts
        )

    colour_prompts = [p for p in rates if p[2:] in COLOURS]
    shape_prompts = [p for p in rates if p[2:] in SHAPES]
    return {
        "colour_only_top_shape_share": top(colour_prompts),
        "shape_only_top_colour_share": top(shape_prompts),
        "attribute_kept": sum(r["attribute_kept"] for r in rates.values()) / len(rates),
    }


def summarize(rates: dict[str, dict]) -> dict[str, float]:
    keys = ("concept", "colour", "shape")
    mean = {k: sum(r[k] for r in rates.values()) / len(rates) for k in keys}
    mean["min_concept"] = min(r["concept"] for r in rates.values())
    return mean


def main() -> None:
    from audits.toyworld.pipeline import load_toyworld_pipeline

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pipeline", type=Path, default=None)
    p.add_argument("--classifier", type=Path, default=None)
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=7.5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--attributes", action="store_true", help="also colour-only/shape-only prompts")
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    pipe = load_toyworld_pipeline(a.pipeline)
    rates = concept_rates(
        pipe, load_classifier(a.classifier), list(CONCEPTS), a.n, steps=a.steps, guidance=a.guidance
    )
    result = {
        "n_per_concept": a.n,
        "steps": a.steps,
        "guidance": a.guidance,
        "summary": summarize(rates),
        "per_concept": rates,
    }
    if a.attributes:
        attrs = attribute_prompt_rates(pipe, load_classifier(a.classifier), a.n, steps=a.steps)
        result["attribute_prompts"] = {"summary": attribute_summary(attrs), "per_prompt": attrs}
        print(json.dumps(result["attribute_prompts"], indent=2))
    print(json.dumps(result["summary"], indent=2))
    if a.out:
        a.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
