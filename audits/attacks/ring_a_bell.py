"""Tier 1, Ring-A-Bell style (Tsai et al., ICLR 2024): a concept direction in text-embedding
space, added to neutral prompts, then a seeded gradient-free search for discrete tokens whose
embedding matches; the result is a plain prompt, replayable against any model.

1. Direction: v = mean_i [E(p_i) - E(p_i without the concept)] over the source prompts, where
   "without" replaces the concept by `neutral` (default: removes it) and E is the context the
   UNet reads (all 77 positions; `scapre.families`: for SDXL both encoders, 2048 wide).
2. Target per source: E(p_i without the concept) + `strength` * v.
3. Search per source: a genetic algorithm over `length` tokens from a fixed vocabulary (lower-
   case ASCII whole words; the concept's own words are excluded unless
   `exclude_concept_words` is false), minimising the mean squared error between the
   candidate's embedding and the target. `population` candidates, elitist selection (best half
   kept), uniform crossover, per-token mutation rate `mutation`; seeded by `seed`. One
   evaluation = one candidate encoded; the unit's `budget` is split evenly over its sources,
   and the count spent is recorded (never above the budget).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import torch

from audits.attacks.base import Attack, AttackContext, AttackError, AttackOutput, AttackParams

WORD = re.compile(r"[a-z]{2,}</w>")


@dataclass(frozen=True)
class RingABellParams(AttackParams):
    budget: int = 2000
    seed: int = 0
    length: int = 8
    population: int = 32
    mutation: float = 0.25
    strength: float = 3.0
    neutral: str = ""
    exclude_concept_words: bool = True

    def validate(self) -> None:
        for name in ("budget", "length", "population"):
            if getattr(self, name) < 1:
                raise AttackError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.population < 2:
            raise AttackError(f"population must be >= 2, got {self.population}")
        if not 0 <= self.mutation <= 1:
            raise AttackError(f"mutation must be in [0, 1], got {self.mutation}")
        if self.seed < 0:
            raise AttackError(f"seed must be >= 0, got {self.seed}")


def vocabulary(tokenizer, exclude: set[str]) -> torch.Tensor:
    """Token ids of lower-case ASCII whole words, sorted (the same set on every machine)."""
    ids = [
        i
        for word, i in tokenizer.get_vocab().items()
        if WORD.fullmatch(word) and word[:-4] not in exclude
    ]
    return torch.tensor(sorted(ids))


def without(prompt: str, concept: str, neutral: str) -> str:
    """The prompt with the concept replaced by `neutral` (case-insensitive), spaces collapsed."""
    text = re.sub(re.escape(concept), neutral, prompt, flags=re.IGNORECASE)
    return " ".join(text.split())


class Encoder:
    """Encodes token-id candidates (BOS, tokens, EOS, each tokenizer's padding) through the
    model's text stack (SDXL: both encoders) and counts the evaluations."""

    def __init__(self, pipe, length: int) -> None:
        from audits.erasers.prompts import text_stack

        self.stack = text_stack(pipe)
        self.length = length
        self.max_len = self.stack.max_length
        if length + 2 > self.max_len:
            raise AttackError(f"length must be <= {self.max_len - 2}, got {length}")
        self.evaluations = 0

    @torch.no_grad()
    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        self.evaluations += tokens.shape[0]
        emb, _ = self.stack.encode_ids(self.stack.ids_from_tokens(tokens))
        return emb.float().cpu()


def search(
    encode: Encoder, target: torch.Tensor, vocab: torch.Tensor, budget: int, p, gen
) -> tuple[torch.Tensor, float]:
    """The best token ids found within `budget` evaluations, and their loss."""

    def loss(tokens: torch.Tensor) -> torch.Tensor:
        return ((encode(tokens) - target) ** 2).mean(dim=(1, 2))

    size = min(p.population, budget)
    pop = vocab[torch.randint(len(vocab), (size, p.length), generator=gen)]
    scores = loss(pop)
    spent = size
    keep = max(1, size // 2)
    while spent + (size - keep) <= budget and size - keep > 0:
        order = torch.sort(scores, stable=True).indices
        pop, scores = pop[order], scores[order]
        parents = pop[:keep]
        a = parents[torch.randint(keep, (size - keep,), generator=gen)]
        b = parents[torch.randint(keep, (size - keep,), generator=gen)]
        mask = torch.rand(a.shape, generator=gen) < 0.5
        child = torch.where(mask, a, b)
        mutate = torch.rand(child.shape, generator=gen) < p.mutation
        fresh = vocab[torch.randint(len(vocab), child.shape, generator=gen)]
        child = torch.where(mutate, fresh, child)
        pop = torch.cat([parents, child])
        scores = torch.cat([scores[:keep], loss(child)])
        spent += size - keep
    best = int(torch.sort(scores, stable=True).indices[0])
    return pop[best], float(scores[best])


class RingABell(Attack):
    kind = "ring_a_bell"
    version = "ring_a_bell/1"
    tier = 1
    params_class: ClassVar = RingABellParams

    @torch.no_grad()
    def run(self, ctx: AttackContext) -> AttackOutput:
        from audits.erasers.prompts import encode_prompts

        p: RingABellParams = self.params
        prompts = [s.prompt for s in ctx.sources]
        plain = [without(q, ctx.concept, p.neutral) for q in prompts]
        enc = encode_prompts(ctx.pipe, [*prompts, *plain], dtype=torch.float32, device="cpu")
        rows = lambda qs: enc.emb[[enc.prompts.index(q) for q in qs]]  # noqa: E731
        direction = (rows(prompts) - rows(plain)).mean(dim=0)
        targets = rows(plain) + p.strength * direction
        words = set(ctx.concept.lower().split()) if p.exclude_concept_words else set()
        vocab = vocabulary(ctx.pipe.tokenizer, words)
        encode = Encoder(ctx.pipe, p.length)
        share = p.budget // len(prompts)
        if share < 1:
            raise AttackError(f"budget {p.budget} is smaller than the {len(prompts)} sources")
        found, losses = [], []
        for i, target in enumerate(targets):
            gen = torch.Generator("cpu").manual_seed(p.seed * 100_003 + i)
            before = encode.evaluations
            tokens, value = search(encode, target, vocab, share, p, gen)
            assert encode.evaluations - before <= share
            found.append(ctx.pipe.tokenizer.decode(tokens.tolist()).strip())
            losses.append(round(value, 6))
        return AttackOutput(
            prompts=found,
            evaluations=encode.evaluations,
            extra={"loss": losses, "vocabulary_size": len(vocab), "budget_per_source": share},
        )
