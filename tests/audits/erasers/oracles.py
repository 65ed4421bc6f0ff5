"""Slow, literal references ("oracles") for the baseline erasers, one per official script.

Each function follows the official code's arithmetic step by step and in its order, written here
from reading the code (no code copied): it tokenizes and encodes each prompt the way the official
script does, walks the cross-attention modules the way it does, builds `mat1`/`mat2` with explicit
per-prompt loops and per-token outer products, and inverts with `torch.inverse` as the official
code does. Nothing is vectorised for speed and nothing is imported from `audits.erasers`, so an
eraser and its oracle share no code beyond torch and the pipeline.

Sources (commit, file):
- UCE-2023: rohitgandikota/unified-concept-editing 35e91e2, train-scripts/train_erase.py
  (`edit_model`, called with lamb=0.5)
- UCE-2025: rohitgandikota/unified-concept-editing 28c81ed, trainscripts/uce_sd_erase.py (`UCE`)
- TIME: bahjat-kawar/time-diffusion 1d6784a, apply_time.py and train_funcs.py
  (`train_closed_form`)
- RECE: CharlesGong12/RECE 403a67f, train.py / train_artists.py / train_object.py,
  utils/embedding_calculation/close_form_emb.py (`close_form_emb_regzero`),
  erase_methods/uce.py (`edit_model_adversarial`)
- SPEED: Ouxiang-Li/SPEED 6d3df0c, train_erase_null.py (`edit_model`,
  `generate_perturbed_embs`); k-means: subhadarship/kmeans_pytorch (`kmeans`)
- MACE: Shilin-LU/MACE 057e7a6, src/cfr_utils.py (`find_matching_indices`, `prepare_k_v`,
  `closed_form_refinement`, `prompt_augmentation`), src/cfr_lora_training.py (stage 1),
  src/fuse_lora_close_form.py (stage 3)

Conventions: `pipe` is a float64 pipeline; every function returns {UNet parameter name: new
weight} for the matrices it edits.
"""

from __future__ import annotations

import re

import numpy as np
import torch


# ---------------------------------------------------------------------------------------------
# What every official script does the same way
# ---------------------------------------------------------------------------------------------
def tokens(pipe, text: str):
    return pipe.tokenizer(
        text,
        padding="max_length",
        max_length=pipe.tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    )


@torch.no_grad()
def embed(pipe, text: str) -> torch.Tensor:
    """(77, d) last hidden state of one prompt."""
    return pipe.text_encoder(tokens(pipe, text).input_ids)[0][0]


def last_index(pipe, text: str) -> int:
    return int(tokens(pipe, text).attention_mask[0].sum().item()) - 2


def ca_modules(unet) -> list:
    """The attn2 modules in UCE/RECE/MACE order: named_children, down/up blocks whose class name
    has 'Cross', then the mid block."""
    layers = []
    for name, net in unet.named_children():
        if "up" in name or "down" in name:
            for block in net:
                if "Cross" in block.__class__.__name__:
                    for attn in block.attentions:
                        for transformer in attn.transformer_blocks:
                            layers.append(transformer.attn2)
        if "mid" in name:
            for attn in net.attentions:
                for transformer in attn.transformer_blocks:
                    layers.append(transformer.attn2)
    return layers


def kv_list(unet, with_to_k: bool = True) -> list[tuple[str, torch.Tensor]]:
    """(parameter name, weight copy): every to_v, then every to_k, in `ca_modules` order."""
    names = {id(m): n for n, m in unet.named_modules()}
    layers = ca_modules(unet)
    mods = [layer.to_v for layer in layers]
    if with_to_k:
        mods += [layer.to_k for layer in layers]
    return [(names[id(m)] + ".weight", m.weight.detach().clone()) for m in mods]


def outer(values: torch.Tensor, contexts: torch.Tensor) -> torch.Tensor:
    """sum_t values_t contexts_t^T for one prompt, formed as the official scripts form it: a
    batch of per-token outer products (T, p, 1) @ (T, 1, q), summed over tokens."""
    v = values.reshape(values.shape[0], values.shape[1], 1)
    c = contexts.reshape(contexts.shape[0], 1, contexts.shape[1])
    return (v @ c).sum(dim=0)


# ---------------------------------------------------------------------------------------------
# UCE
# ---------------------------------------------------------------------------------------------
def uce2023_tails(pipe, old_text: str, new_text: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The concept's and the guide's tails, cut to equal length as `edit_model` cuts them."""
    if new_text == "":
        new_text = " "
    f_old, f_new = last_index(pipe, old_text), last_index(pipe, new_text)
    far = max(f_old, f_new)
    old = embed(pipe, old_text)
    new = embed(pipe, new_text)
    old = old[f_old : len(old) - max(0, far - f_old)]
    new = new[f_new : len(new) - max(0, far - f_new)]
    return old, new


def uce2023_matrix(W, pairs, preserve_embs, *, lamb, erase_scale, preserve_scale, technique):
    """One matrix of `edit_model`: `pairs` are (concept tail, guide tail), values from W."""
    mat1 = lamb * W
    mat2 = lamb * torch.eye(W.shape[1], dtype=W.dtype)
    for old, new in pairs:
        if technique == "tensor":
            u = old @ W.T
            u = u / u.norm()
            new_out = new @ W.T
            values = new_out - (u * new_out).sum() * u
        else:
            values = new @ W.T
        mat1 = mat1 + erase_scale * outer(values, old)
        mat2 = mat2 + erase_scale * outer(old, old)
    for emb in preserve_embs:
        mat1 = mat1 + preserve_scale * outer(emb @ W.T, emb)
        mat2 = mat2 + preserve_scale * outer(emb, emb)
    return mat1 @ torch.inverse(mat2)


def uce2023_texts(concepts, guides, add_prompts):
    """`train_erase.py`'s old/new texts: each concept then its templates (`--add_prompts`)."""
    templates = {
        "art": [
            "painting by {c}",
            "art by {c}",
            "artwork by {c}",
            "picture by {c}",
            "style of {c}",
        ],
        "object": [
            "image of {c}",
            "photo of {c}",
            "portrait of {c}",
            "picture of {c}",
            "painting of {c}",
        ],
    }.get(add_prompts, [])
    old_texts = []
    for c in concepts:
        old_texts.append(c)
        old_texts += [t.format(c=c) for t in templates]
    length = 1 + len(templates)
    if not guides:
        new_texts = [" " for _ in old_texts]
    elif len(guides) == 1:
        new_texts = [guides[0] for _ in old_texts]
    else:
        new_texts = [g for g in guides for _ in range(length)]
    return old_texts, new_texts


def oracle_uce2023(
    pipe,
    concepts,
    *,
    guides=(),
    preserve_concepts=(),
    lamb=0.5,
    erase_scale=1.0,
    preserve_scale=None,
    technique="replace",
    add_prompts="none",
    with_to_k=True,
    weights=None,
):
    """`train_erase.py` then `edit_model(lamb=0.5)`. `weights` (name -> W) replaces the UNet's
    weights as the starting point (RECE's stage 0 starts from the original)."""
    old_texts, new_texts = uce2023_texts(list(concepts), list(guides), add_prompts)
    retain = [""] + list(preserve_concepts)
    if preserve_scale is None:
        preserve_scale = max(0.1, 1 / len(retain))
    pairs = [uce2023_tails(pipe, o, n) for o, n in zip(old_texts, new_texts, strict=True)]
    preserve_embs = [embed(pipe, r) for r in retain]
    out = {}
    for name, W in kv_list(pipe.unet, with_to_k):
        W = weights[name] if weights is not None else W
        out[name] = uce2023_matrix(
            W,
            pairs,
            preserve_embs,
            lamb=lamb,
            erase_scale=erase_scale,
            preserve_scale=preserve_scale,
            technique=technique,
        )
    return out


def oracle_uce2025(
    pipe,
    concepts,
    *,
    guides=None,
    preserve_concepts=(),
    lamb=0.5,
    erase_scale=1.0,
    preserve_scale=1.0,
    concept_type="object",
    expand_prompts=False,
):
    """`uce_sd_erase.py`: last-token vectors only; `expand_prompts` appends the five templates
    of every (concept, guide) pair to both lists."""
    if not guides:
        guides = ["art"] if concept_type == "art" else [""]
    guides, concepts = list(guides), list(concepts)
    if len(guides) == 1:
        guides = guides * len(concepts)
    if expand_prompts:
        if concept_type == "art":
            forms = ["painting by {}", "art by {}", "artwork by {}", "picture by {}", "style of {}"]
        else:
            forms = [
                "image of {}",
                "photo of {}",
                "portrait of {}",
                "picture of {}",
                "painting of {}",
            ]
        for concept, guide in zip(list(concepts), list(guides), strict=True):
            concepts += [f.format(concept) for f in forms]
            guides += [f.format(guide) for f in forms]
    vec = {}
    for text in list(concepts) + guides + list(preserve_concepts):
        vec[text] = embed(pipe, text)[last_index(pipe, text)]
    out = {}
    for name, module in pipe.unet.named_modules():
        if "attn2" in name and (name.endswith("to_v") or name.endswith("to_k")):
            w_old = module.weight.detach().clone()
            mat1 = lamb * w_old
            mat2 = lamb * torch.eye(w_old.shape[1], dtype=w_old.dtype)
            for e, g in zip(concepts, guides, strict=True):
                c = vec[e][:, None]
                v = w_old @ vec[g][:, None]
                mat1 = mat1 + erase_scale * (v @ c.T)
                mat2 = mat2 + erase_scale * (c @ c.T)
            for p in preserve_concepts:
                c = vec[p][:, None]
                v = w_old @ c
                mat1 = mat1 + preserve_scale * (v @ c.T)
                mat2 = mat2 + preserve_scale * (c @ c.T)
            out[name + ".weight"] = mat1 @ torch.inverse(mat2)
    return out


# ---------------------------------------------------------------------------------------------
# TIME
# ---------------------------------------------------------------------------------------------
def time_texts(old: str, new: str, with_augs: bool):
    old_texts, new_texts = [old], [new]
    if with_augs:
        base = old if old[0:1] != "A" else "a" + old[1:]
        old_texts += ["A photo of " + base, "An image of " + base, "A picture of " + base]
        base = new if new[0:1] != "A" else "a" + new[1:]
        new_texts += ["A photo of " + base, "An image of " + base, "A picture of " + base]
    return old_texts, new_texts


def time_indices(tokenizer, old_text: str, new_text: str) -> list[int]:
    a_id = tokenizer.encode("a ")[1]
    tokens_a = [a_id if tokenizer.decode(t) == "an" else t for t in tokenizer(old_text).input_ids]
    tokens_b = [a_id if tokenizer.decode(t) == "an" else t for t in tokenizer(new_text).input_ids]
    idxs, j = [], 0
    for i in range(len(tokens_a)):
        while tokens_b[j] != tokens_a[i]:
            j += 1
        idxs.append(j)
        j += 1
    while j < 77:
        idxs.append(j)
        j += 1
    while len(idxs) < 77:
        idxs.append(76)
    return idxs


def oracle_time(pipe, items, *, with_augs=True, with_to_k=True, lamb=0.1, alignment="time"):
    """`apply_time.py` + `train_closed_form` for the (old, new) `items` in one solve (the official
    script solves one item at a time; with one item this is exactly it). `alignment="position"`
    replaces the token walk by the identity (the project's erasure adaptation)."""
    contexts, sources = [], []
    for old, new in items:
        olds, news = time_texts(old, new, with_augs)
        for o, n in zip(olds, news, strict=True):
            idx = time_indices(pipe.tokenizer, o, n) if alignment == "time" else list(range(77))
            contexts.append(embed(pipe, o))
            sources.append(embed(pipe, n)[idx])
    out = {}
    for name, W in kv_list(pipe.unet, with_to_k):
        mat1 = lamb * W
        mat2 = lamb * torch.eye(W.shape[1], dtype=W.dtype)
        for context, new_emb in zip(contexts, sources, strict=True):
            mat1 = mat1 + outer(new_emb @ W.T, context)
            mat2 = mat2 + outer(context, context)
        out[name] = mat1 @ torch.inverse(mat2)
    return out


# ---------------------------------------------------------------------------------------------
# RECE
# ---------------------------------------------------------------------------------------------
def oracle_rece(
    pipe,
    concepts,
    *,
    script,  # "train.py" (nudity, unsafe) or "train_object.py" / "train_artists.py"
    epochs,
    regular_scale,
    guides=(),
    preserve_concepts=(),
    lamb=0.1,
    erase_scale=1.0,
    preserve_scale=0.1,
    technique="replace",
):
    """Stage 0 (UCE-2023 of the same concepts, guide and preserve set), then `epochs` rounds of
    close_form_emb_regzero + edit_model_adversarial."""
    original = dict(kv_list(pipe.unet))
    current = oracle_uce2023(
        pipe, concepts, guides=guides, preserve_concepts=preserve_concepts, technique=technique
    )
    if not guides:
        new_texts = [" " for _ in concepts]
    elif len(guides) == 1:
        new_texts = [guides[0] for _ in concepts]
    else:
        new_texts = list(guides)
    if script == "train.py":
        retain_texts = [" " for _ in concepts]
    else:
        retain_texts = [""] + list(preserve_concepts)
    names = list(original)
    for _ in range(epochs):
        adv_list, new_list = [], []
        for concept, new_text in zip(concepts, new_texts, strict=True):
            new_list.append(embed(pipe, new_text))
            c = embed(pipe, concept)
            d = c.shape[1]
            mat1 = torch.eye(d, dtype=c.dtype) * regular_scale
            mat2 = torch.zeros(d, d, dtype=c.dtype)
            for name in names:
                mat1 = mat1 + current[name].T @ current[name]
                mat2 = mat2 + current[name].T @ original[name]
            coefficient = torch.inverse(mat1) @ mat2
            adv_list.append(c @ coefficient.T)
        retain_embs = [embed(pipe, t) for t in retain_texts]
        edited = {}
        for name in names:
            W = current[name]
            mat1 = lamb * W
            mat2 = lamb * torch.eye(W.shape[1], dtype=W.dtype)
            for old, new in zip(adv_list, new_list, strict=True):
                if technique == "tensor":
                    u = old @ W.T
                    u = u / u.norm()
                    new_out = new @ W.T
                    values = new_out - (u * new_out).sum() * u
                else:
                    values = new @ W.T
                mat1 = mat1 + erase_scale * outer(values, old)
                mat2 = mat2 + erase_scale * outer(old, old)
            for emb in retain_embs:
                mat1 = mat1 + preserve_scale * outer(emb @ W.T, emb)
                mat2 = mat2 + preserve_scale * outer(emb, emb)
            edited[name] = mat1 @ torch.inverse(mat2)
        current = edited
    return current


# ---------------------------------------------------------------------------------------------
# SPEED
# ---------------------------------------------------------------------------------------------
def kmeans_pytorch(X: torch.Tensor, k: int, seed: int, tol: float = 1e-4) -> torch.Tensor:
    """kmeans_pytorch.kmeans (euclidean) after `np.random.seed(seed)`; no empty-cluster case is
    expected on these inputs (it raises if one occurs)."""
    state = np.random.RandomState(seed)
    centers = X[state.choice(len(X), k, replace=False)].clone()
    while True:
        dis = ((X.unsqueeze(1) - centers.unsqueeze(0)) ** 2.0).sum(dim=-1)
        choice = torch.argmin(dis, dim=1)
        previous = centers.clone()
        for index in range(k):
            selected = X[choice == index]
            if selected.shape[0] == 0:
                raise AssertionError("empty k-means cluster; pick other test inputs")
            centers[index] = selected.mean(dim=0)
        shift = torch.sum(torch.sqrt(torch.sum((centers - previous) ** 2, dim=1)))
        if shift**2 < tol:
            return centers


def oracle_speed(
    pipe,
    targets,
    *,
    anchors=("",),
    retain_texts=("",),
    params="V",
    aug_num=10,
    threshold=0.1,
    retain_scale=1.0,
    lamb=0.0,
    disable_filter=False,
    all_tokens=False,
    seed=0,
):
    """`edit_model` of train_erase_null.py. `all_tokens` stands for the official
    `target_concepts == ['nudity']` switch. Random numbers come from one CPU generator seeded
    with `seed`: the shuffle's randperm first, then the DPA noise in the official loop order."""
    gen = torch.Generator().manual_seed(seed)
    targets, anchors = list(targets), list(anchors)
    if len(anchors) == 1:
        anchors = anchors * len(targets)
    d = pipe.text_encoder.config.hidden_size
    eye = torch.eye(d, dtype=torch.float64)
    wanted = {"V": ("attn2.to_v",), "K": ("attn2.to_k",), "KV": ("attn2.to_k", "attn2.to_v")}
    edit = {
        k: v.detach().clone()
        for k, v in pipe.unet.state_dict().items()
        if any(w in k for w in wanted[params])
    }
    null = embed(pipe, "")
    centers = kmeans_pytorch(null[1:], 3, seed)
    K2 = torch.cat([null[[0], :], centers], dim=0).T
    I2 = torch.eye(K2.shape[1], dtype=torch.float64)

    tt, at = [], []
    for target, anchor in zip(targets, anchors, strict=True):
        t_emb, a_emb = embed(pipe, target), embed(pipe, anchor)
        if all_tokens:
            t_emb, a_emb = t_emb[1:, :], a_emb[1:, :]
        else:
            t_emb = t_emb[[last_index(pipe, target)], :]
            a_emb = a_emb[[last_index(pipe, anchor)], :]
        tt.append(t_emb.T @ t_emb)
        at.append(a_emb.T @ t_emb)
    C_t, C_at = torch.stack(tt).mean(0), torch.stack(at).mean(0)

    keep = []
    for text in retain_texts:
        named = [re.search(r"\b" + re.escape(c.lower()) + r"\b", text.lower()) for c in targets]
        if not any(named):
            keep.append(text)
    assert len(keep) + len(targets) == len(set(keep + targets))
    if keep == [""]:
        R = embed(pipe, "")[1:, :][:, None, :]
    else:
        R = torch.stack([embed(pipe, t)[last_index(pipe, t)] for t in keep])[:, None, :]
    R = R[torch.randperm(R.shape[0], generator=gen)]

    out = {}
    for name, W in edit.items():
        E = W @ (C_at - C_t) @ torch.inverse(eye + C_t)
        _, _, V0 = torch.svd(W)
        P0 = V0[:, -1:] @ V0[:, -1:].T
        if aug_num > 0 and not disable_filter:
            norms = (R.squeeze(1) @ E.T).norm(dim=1)
            layer_R = R[norms > norms.mean()]
        else:
            layer_R = R
        sums, count = [], 0
        for j in range(0, len(layer_R), 128):
            chunk = layer_R[j : j + 128]
            if aug_num > 0:
                flat = chunk.squeeze(1)
                outs, norms = [], []
                for i in range(0, flat.shape[0], 8):
                    mini = flat[i : i + 8]
                    for _ in range(aug_num):
                        noise = torch.randn(mini.shape, generator=gen, dtype=torch.float64)
                        p = mini + noise @ P0
                        outs.append(p)
                        norms.append((p @ E.T).norm(dim=1))
                outs, norms = torch.cat(outs), torch.cat(norms)
                chunk = torch.cat([chunk, outs[norms > norms.mean()].unsqueeze(1)], dim=0)
            count += chunk.shape[0]
            sums.append((chunk.transpose(1, 2) @ chunk).sum(0))
        sigma = torch.stack(sums).sum(0) / count
        U, S, _ = torch.svd(sigma)
        P = U[:, S < threshold] @ U[:, S < threshold].T
        M = torch.inverse(C_t @ P + retain_scale * eye)
        inner = torch.inverse(K2.T @ P @ M @ K2 + lamb * I2)
        delta = W @ (C_at - C_t) @ P @ (eye - M @ K2 @ inner @ K2.T @ P) @ M
        out[name] = W + delta
    return out


# ---------------------------------------------------------------------------------------------
# MACE (closed-form stages; zero LoRA deltas)
# ---------------------------------------------------------------------------------------------
def matching_indices(old, new):
    start = 0
    for i, j in zip(old, new, strict=False):
        if i == j:
            start += 1
        else:
            break
    end_old, end_new = len(old) - 1, len(new) - 1
    while end_old >= start and end_new >= start:
        if old[end_old] == new[end_new]:
            end_old -= 1
            end_new -= 1
        else:
            break
    return (
        list(range(start)) + list(range(end_old + 1, len(old))),
        list(range(start)) + list(range(end_new + 1, len(new))),
    )


def oracle_mace_cfr(
    pipe,
    concepts,
    templates,
    *,
    mapping,
    lamb,
    train_preserve_scale,
    fuse_preserve_scale,
    preserve_weight,
    preserve_prompts=(),
    domain_prompts=(),
    fusion=True,
):
    """Stage 1 (CFR, all_words=False) then stage 3 (fusion with W_i = W_cfr), at most
    `max_memory` concepts: the CFR cache holds s (Q + g D) and is scaled by s again."""
    mapping = list(mapping) * (len(concepts) if len(mapping) == 1 else 1)
    items = []
    for concept, target in zip(concepts, mapping, strict=True):
        items.append([(t.format(concept), t.format(target)) for t in templates])
    original = dict(kv_list(pipe.unet))
    names = list(original)

    def cache(prompts):
        mats = {}
        for name in names:
            m1 = torch.zeros_like(original[name])
            m2 = torch.zeros(m1.shape[1], m1.shape[1], dtype=m1.dtype)
            for p in prompts:
                e = embed(pipe, p)
                m1 = m1 + outer(e @ original[name].T, e)
                m2 = m2 + outer(e, e)
            mats[name] = (m1, m2)
        return mats

    prior, domain = cache(preserve_prompts), cache(domain_prompts)

    pairs = []
    for item in items:
        for old_text, new_text in item:
            o_idx, n_idx = matching_indices(
                pipe.tokenizer(old_text).input_ids, pipe.tokenizer(new_text).input_ids
            )
            if o_idx[-1] >= n_idx[-1]:
                o_ext = o_idx + list(range(o_idx[-1] + 1, 77))
                n_ext = n_idx + list(range(n_idx[-1] + 1, 77 - (o_idx[-1] - n_idx[-1])))
            else:
                n_ext = n_idx + list(range(n_idx[-1] + 1, 77))
                o_ext = o_idx + list(range(o_idx[-1] + 1, 77 - (n_idx[-1] - o_idx[-1])))
            pairs.append((embed(pipe, old_text)[o_ext], embed(pipe, new_text)[n_ext]))

    cfr = {}
    for name in names:
        W0 = original[name]
        c1 = train_preserve_scale * (prior[name][0] + preserve_weight * domain[name][0])
        c2 = train_preserve_scale * (prior[name][1] + preserve_weight * domain[name][1])
        t1, t2 = torch.zeros_like(W0), torch.zeros_like(c2)
        for context, new in pairs:
            t1 = t1 + outer(new @ W0.T, context)
            t2 = t2 + outer(context, context)
        t1 = t1 + train_preserve_scale * c1 + lamb * W0
        t2 = t2 + train_preserve_scale * c2 + lamb * torch.eye(W0.shape[1], dtype=W0.dtype)
        cfr[name] = t1 @ torch.inverse(t2)
    if not fusion:
        return cfr

    fused = {}
    contexts = [embed(pipe, old_text) for item in items for old_text, _ in item]
    for name in names:
        W = cfr[name]
        t1, t2 = torch.zeros_like(W), torch.zeros(W.shape[1], W.shape[1], dtype=W.dtype)
        for e in contexts:
            t1 = t1 + outer(e @ W.T, e)  # W_i = W_cfr + 0 (no LoRA stage)
            t2 = t2 + outer(e, e)
        c1 = prior[name][0] + preserve_weight * domain[name][0]
        c2 = prior[name][1] + preserve_weight * domain[name][1]
        t1 = t1 + fuse_preserve_scale * c1 + lamb * W
        t2 = t2 + fuse_preserve_scale * c2 + lamb * torch.eye(W.shape[1], dtype=W.dtype)
        fused[name] = t1 @ torch.inverse(t2)
    return fused
