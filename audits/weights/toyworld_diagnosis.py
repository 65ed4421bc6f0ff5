"""Why default ScaPre leaves red circle intact on the toy world while UCE removes it: one
component of the official configuration switched at a time, each edit measured in weight space
(the `--stages weights` quantities) and, as a check, in images (the world's exact classifier).

    PYTHONPATH=. python -m audits.weights.toyworld_diagnosis --seeds 8 --out diagnosis.json

Nothing here changes the world or the suite: it measures the published configuration and its
ablations on the unchanged model.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import torch

CONCEPT = "red circle"
PROMPTS = ("a red circle", "a photo of a red circle")

# (label, eraser kind, config): the default, then one component at a time
VARIANTS = (
    ("scapre default (scale)", "scapre", {}),
    ("  Bures step off", "scapre", {"enable_bures": False}),
    ("  bures_iters 1", "scapre", {"bures_iters": 1}),
    ("  mu = 0.1 (no entropy factor)", "scapre", {"mu_from_entropy": False}),
    ("  lamb 0.05", "scapre", {"lamb": 0.05}),
    ("  lamb 5", "scapre", {"lamb": 5.0}),
    ("  erase_scale 3", "scapre", {"erase_scale": 3.0}),
    ("  ASED prior on", "scapre", {"enable_ased": True}),
    ("  Informax masks on", "scapre", {"use_mi_softmask": True}),
    ("  Bures off, mu = 0.1", "scapre", {"enable_bures": False, "mu_from_entropy": False}),
    ("scapre large-scale preset", "scapre", {"preset": "large-scale"}),
    ("scapre erase variant (rollback alpha_min 0.1)", "scapre", {"variant": "erase"}),
    ("  rollback off (alpha_min 1)", "scapre", {"variant": "erase", "alpha_min": 1.0}),
    ("uce default", "uce", {}),
)


def _kv_values(measurer, edit_unit, new, probes):
    out = measurer.edit(edit_unit, new)
    vals = {}
    for name, probe in probes.items():
        v = out["probes"][name]["values"]
        mine = [i for i, c in enumerate(probe.cases) if (c.concept == CONCEPT) == (name == "t")]
        for key, series in v.items():
            xs = [series[i] for i in mine if series[i] is not None]
            if xs:
                vals[f"{key}@{name}"] = sum(xs) / len(xs)
    return vals


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--images",
        nargs="*",
        default=None,
        help="only these variants (labels)",
    )
    args = parser.parse_args(argv)

    import scapre
    from audits.case import Case
    from audits.registry import ERASERS
    from audits.run.plan import EditUnit, ProbePlan, RunPlan
    from audits.toyworld.classifier import load_classifier
    from audits.toyworld.evaluate import concept_rates
    from audits.toyworld.pipeline import load_toyworld_pipeline
    from audits.toyworld.world import CONCEPTS, concept_by_prompt
    from audits.weights.features import encode
    from audits.weights.stage import Measurer

    pipe = load_toyworld_pipeline()
    clf = load_classifier()
    target = concept_by_prompt(CONCEPT)
    neighbours = [c for c in target.neighbours() if c.name not in ("red cross", "green circle")]
    retained = [c for c in CONCEPTS if c.name not in TARGETS]
    t_cases = tuple(Case("t", i, p, (0,), CONCEPT, "") for i, p in enumerate(PROMPTS))
    n_cases = tuple(
        Case("n", i, f"{tpl}{c.name}", (0,), c.name, "")
        for i, (c, tpl) in enumerate((c, tpl) for c in retained for tpl in ("a ", "a photo of a "))
    )
    probes = {
        "t": ProbePlan("t", "target", t_cases, "", "suite"),
        "n": ProbePlan("n", "neighbor", n_cases, "", "suite"),
    }
    plan = RunPlan([], probes, [], {})
    prompts = [c.prompt for p in probes.values() for c in p.cases] + [" "]
    features = encode(pipe, prompts)
    measurer = Measurer(pipe, plan, features, 1e-3)

    # feature scale against lamb: the concept tail's second moment (what the solve weighs
    # against lamb + mu) and the mean squared token norm
    from audits.erasers.prompts import encode_prompts, tail_pair

    enc = encode_prompts(pipe, [CONCEPT, " "], dtype=torch.float64)
    x, _ = tail_pair(enc.emb[0], int(enc.last[0]), enc.emb[1], int(enc.last[1]))
    eig = torch.linalg.eigvalsh(x.T @ x)
    scale = {
        "tail_tokens": int(x.shape[0]),
        "tail_gram_top_eigenvalue": float(eig[-1]),
        "tail_gram_trace": float(eig.sum()),
        "mean_token_sq_norm": float((x**2).sum(1).mean()),
        "concept_vector_sq_norm": float((enc.last_vectors()[0] ** 2).sum()),
    }

    base_rates = concept_rates(pipe, clf, [target, *neighbours], args.seeds) if args.seeds else None
    rows = []
    for label, kind, config in VARIANTS:
        if args.images is not None and label.strip() not in args.images:
            continue  # only the variants checked in images
        started = time.perf_counter()
        eraser = ERASERS.get(kind).from_config(config)
        edit = eraser.erase(pipe, [CONCEPT])
        unit = EditUnit("x", kind, kind, "", eraser.to_config(), (CONCEPT,))
        kv = _kv_values(measurer, unit, edit.weights, probes)
        rates = None
        if args.seeds:
            edited = copy.copy(pipe)
            edited.unet = copy.deepcopy(pipe.unet)
            scapre.apply_edit(edited, edit.weights)
            rates = concept_rates(edited, clf, [target, *neighbours], args.seeds)
        mus = [r["mu"] for r in edit.reports if isinstance(r, dict) and r.get("mu") is not None]
        rb = [r["rollback_mean"] for r in edit.reports if r.get("rollback_mean") is not None]
        rows.append(
            {
                "variant": label.strip(),
                "kind": kind,
                "config": config,
                "kv": {k: round(v, 4) for k, v in kv.items()},
                "mean_mu": round(sum(mus) / len(mus), 4) if mus else None,
                "mean_rollback": round(sum(rb) / len(rb), 4) if rb else None,
                "red_circle_rate": rates[CONCEPT]["concept"] if rates else None,
                "neighbour_rate": sum(rates[c.name]["concept"] for c in neighbours)
                / len(neighbours)
                if rates
                else None,
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
        r = rows[-1]
        print(
            f"{label:48s} shift {kv.get('shift@t', 0):.3f} toward {kv.get('toward_guide@t', 0):.3f}"
            f" resid {kv.get('recovery_residual@t', 0):.3f} coll {kv.get('shift@n', 0):.3f}"
            f" mu {r['mean_mu']} rollback {r['mean_rollback']}"
            f" | red circle {r['red_circle_rate']} neighbours {r['neighbour_rate']}",
            flush=True,
        )
    result = {
        "concept": CONCEPT,
        "seeds": args.seeds,
        "neighbours": [c.name for c in neighbours],
        "feature_scale": scale,
        "unedited": {
            "red_circle_rate": base_rates[CONCEPT]["concept"],
            "neighbour_rate": sum(base_rates[c.name]["concept"] for c in neighbours)
            / len(neighbours),
        }
        if base_rates
        else None,
        "variants": rows,
    }
    print(json.dumps({"feature_scale": scale, "unedited": result["unedited"]}, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return result


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

if __name__ == "__main__":
    main()
