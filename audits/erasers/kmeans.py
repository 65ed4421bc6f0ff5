"""A seeded CPU k-means that follows `kmeans_pytorch.kmeans` (the package SPEED calls, CUDA-only
there) step by step, so the invariant-constraint centroids are reproducible anywhere.

`kmeans_pytorch`: the start is `np.random.choice(n, k, replace=False)` rows of X (numpy's global
generator, which SPEED seeds with `seed_everything(seed)` and has not used before the call); then
assign each row to its nearest centre (squared Euclidean distance, first index on ties), replace
each centre by the mean of its rows (a random row when a centre has none), and stop once
`(sum_k ||c_k - c_k_prev||)^2 < tol`; there is no iteration limit. Here the start is drawn from
`numpy.random.RandomState(seed)`, which gives the same indices; an empty centre takes a row drawn
from a seeded torch generator (the official draw is from the CUDA generator, which cannot be
replayed on a CPU); and a safety cap of `max_iters` steps raises instead of looping forever.
"""

from __future__ import annotations

import numpy as np
import torch


def kmeans_start(n: int, k: int, seed: int) -> np.ndarray:
    """The official start: `np.random.choice(n, k, replace=False)` after `np.random.seed(seed)`."""
    return np.random.RandomState(seed).choice(n, k, replace=False)


def kmeans(
    X: torch.Tensor, k: int, *, seed: int = 0, tol: float = 1e-4, max_iters: int = 10_000
) -> torch.Tensor:
    """(k, d) centroids of the rows of X."""
    n = X.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"k-means needs 1 <= k <= {n} rows, got k={k}")
    start = kmeans_start(n, k, seed)
    centers = X[torch.as_tensor(start, dtype=torch.long, device=X.device)].clone()
    gen = torch.Generator(device="cpu").manual_seed(seed)
    for _ in range(max_iters):
        dist = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(dim=-1)
        assign = dist.argmin(dim=1)
        previous = centers.clone()
        for c in range(k):
            rows = X[assign == c]
            if rows.shape[0] == 0:
                rows = X[torch.randint(n, (1,), generator=gen).to(X.device)]
            centers[c] = rows.mean(dim=0)
        shift = (centers - previous).pow(2).sum(dim=1).sqrt().sum()
        if shift**2 < tol:
            return centers
    raise ValueError(f"k-means did not converge in {max_iters} steps")
