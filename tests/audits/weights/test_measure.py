"""The Gram-matrix closed forms against the literal per-matrix, per-token sums."""

from __future__ import annotations

import torch

from audits.weights import measure


def _setup(seed=0, d=6, n=3, L=7):
    g = torch.Generator().manual_seed(seed)
    original = {
        f"m{i}.attn2.{kind}.weight": torch.randn(r, d, generator=g, dtype=torch.float64)
        for i, (r, kind) in enumerate([(5, "to_v"), (4, "to_v"), (5, "to_k"), (4, "to_k")])
    }
    new = {
        k: W + 0.3 * torch.randn(W.shape, generator=g, dtype=torch.float64)
        for k, W in list(original.items())[:3]
    }
    emb = torch.randn(n, L, d, generator=g).to(torch.float32)
    return original, new, emb


def test_shift_is_the_literal_ratio():
    original, new, emb = _setup()
    base = measure.Base(original)
    grams = measure.edit_grams(base, new)
    got = measure.relative(
        measure.after_bos(measure.token_forms(emb, grams.gdd)),
        measure.after_bos(measure.token_forms(emb, base.g0)),
    )
    e = emb.to(torch.float64)
    for i in range(emb.shape[0]):
        c = e[i, 1:]
        num = sum(float(((c @ (new.get(n, W) - W).T) ** 2).sum()) for n, W in original.items())
        den = sum(float(((c @ W.T) ** 2).sum()) for W in original.values())
        assert abs(float(got[i]) - (num / den) ** 0.5) < 1e-5


def test_untouched_matrices_and_unchanged_tensors_add_nothing():
    original, new, emb = _setup()
    base = measure.Base(original)
    same = {k: W.clone() for k, W in original.items()}
    grams = measure.edit_grams(base, same)
    assert grams.empty and float(grams.gdd.abs().max()) == 0.0


def test_toward_guide_is_the_literal_tail_distance():
    from audits.erasers.prompts import tail_pair

    original, new, emb = _setup(seed=1)
    base = measure.Base(original)
    grams = measure.edit_grams(base, new)
    last = torch.tensor([2, 3, 2])
    guide = torch.randn(7, 6, generator=torch.Generator().manual_seed(5))
    dd = measure.token_forms(emb, grams.gdd)
    got = measure.toward_guide(emb, last, guide, 0, base, grams, dd)
    e, gd = emb.to(torch.float64), guide.to(torch.float64)
    for i in range(3):
        x, n_ = tail_pair(e[i], int(last[i]), gd, 0)
        num = sum(float(((x @ new.get(k, W).T - n_ @ W.T) ** 2).sum()) for k, W in original.items())
        den = sum(float(((x @ W.T - n_ @ W.T) ** 2).sum()) for W in original.values())
        assert abs(float(got[i]) - (1 - (num / den) ** 0.5)) < 1e-5


def test_recovery_map_and_residual_match_the_attack():
    from audits.attacks.embedding_recovery import recovery_map

    original, new, emb = _setup(seed=2)
    base = measure.Base(original)
    grams = measure.edit_grams(base, new)
    kmap = measure.recovery_map(base, grams, 1e-3)
    edited = {k: new.get(k, W) for k, W in original.items()}
    ref = recovery_map(original, edited, 1e-3, torch.float64)
    assert torch.allclose(kmap, ref, atol=1e-8)
    r = measure.residual_gram(base, grams, kmap)
    c = emb[0, 1:].to(torch.float64)
    literal = sum(
        float(((c @ kmap.T @ edited[k].T - c @ W.T) ** 2).sum()) for k, W in original.items()
    )
    assert abs(float(((c @ r) * c).sum()) - literal) < 1e-6 * max(1.0, literal)


def test_kv_share_sees_only_kv_changes():
    unet = {"a.attn2.to_k.weight": torch.ones(2, 2), "conv.weight": torch.ones(3)}
    share, total, _ = measure.kv_share(
        unet,
        {"a.attn2.to_k.weight": torch.ones(2, 2) * 2, "conv.weight": torch.ones(3) * 2},
        {"a.attn2.to_k.weight"},
    )
    assert total == 7.0 and abs(share - 4 / 7) < 1e-12
    share, _, _ = measure.kv_share(unet, {"conv.weight": torch.zeros(3)}, {"a.attn2.to_k.weight"})
    assert share == 0.0


def test_token_forms_chunks_share_one_buffer_without_mixing_prompts():
    original, new, emb = _setup(seed=3, n=5)
    base = measure.Base(original)
    whole = measure.token_forms(emb, base.g0)
    assert torch.equal(measure.token_forms(emb, base.g0, chunk=2), whole)
    literal = ((emb @ base.g0.to(emb.dtype)) * emb).sum(-1, dtype=torch.float64)
    assert torch.equal(whole, literal)


def test_per_matrix_and_by_kind_are_the_literal_trace_ratios():
    original, new, emb = _setup(seed=4)
    base = measure.Base(original)
    grams = measure.edit_grams(base, new)
    s = measure.second_moment(emb)
    nums, dens = measure.traces(grams.dgrams, s), measure.traces(base.grams, s)
    per = measure.per_matrix(nums, dens)
    kinds = measure.by_kind(nums, dens)
    c = emb[:, 1:].reshape(-1, emb.shape[-1]).to(torch.float64)
    tr = {n: float(((c @ (new.get(n, W) - W).T) ** 2).sum()) for n, W in original.items()}
    tw = {n: float(((c @ W.T) ** 2).sum()) for n, W in original.items()}
    assert set(per) == set(new)
    for n in new:
        assert abs(per[n] - (tr[n] / tw[n]) ** 0.5) < 1e-6
    for kind in ("to_k", "to_v"):
        names = [n for n in original if f".{kind}." in n]
        expect = (sum(tr[n] for n in names) / sum(tw[n] for n in names)) ** 0.5
        assert abs(kinds[kind] - expect) < 1e-6


def test_kv_share_with_the_measurer_caches_equals_the_plain_computation():
    original, new, _ = _setup(seed=5)
    unet = {k: W.to(torch.float32) for k, W in original.items()} | {"conv.weight": torch.ones(3)}
    base = measure.Base({k: W.to(torch.float64) for k, W in unet.items() if "attn2" in k})
    edited = {k: W.to(torch.float32) for k, W in new.items()} | {"conv.weight": torch.ones(3) * 2}
    edited["m3.attn2.to_k.weight"] = unet["m3.attn2.to_k.weight"].clone()  # listed, unchanged
    kv = set(base.original)
    plain = measure.kv_share(unet, edited, kv)
    grams = measure.edit_grams(base, edited)
    cache: dict[str, float] = {}
    assert measure.kv_share(unet, edited, kv, grams.diffs, cache) == plain
    assert set(cache) == set(edited)
    assert measure.kv_share(unet, edited, kv, grams.diffs, cache) == plain  # from the cache


def test_target_prompts_without_a_concept_count_as_erased_content():
    """A target probe that is the erased content as a whole (nudity's I2P prompts carry no
    concept) is measured, not excluded as 'concept not in the erase set'."""
    from audits.metrics.base import MetricInput, MetricParams, Observation
    from audits.metrics.weights import KVCollateral, KVShift

    def data(concepts_values):
        return MetricInput(
            name="kv_shift@t",
            params=MetricParams(),
            method="m",
            erase_set="all",
            erased=frozenset({"nudity"}),
            roles={"nudity": "target", "dog": "retain"},
            probes=("t",),
            observations=[
                Observation("t", i, c, "", 0, {"value": v, "shift": v})
                for i, (c, v) in enumerate(concepts_values)
            ],
            concept_labels={},
            groups={},
        )

    shift = KVShift().compute(data([("", 0.2), ("", 0.4), ("nudity", 0.6), ("dog", 9.0)]))[0]
    assert shift.n == 3 and abs(shift.value - 0.4) < 1e-12
    assert shift.exclusions == {"concept not in the erase set": 1}
    kept = KVCollateral().compute(data([("", 0.2), ("nudity", 0.6), ("dog", 0.4)]))[0]
    assert kept.n == 2 and abs(kept.value - 0.3) < 1e-12
