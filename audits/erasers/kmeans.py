"""A seeded, vectorised CPU k-means (Lloyd's algorithm), replacing SPEED's CUDA-only
`kmeans_pytorch` call so the invariant-constraint centroids are reproducible anywhere."""

from __future__ import annotations

import torch


def kmeans(
    X: torch.Tensor, k: int, *, seed: int = 0, iters: int = 100, tol: float = 1e-4
) -> torch.Tensor:
    """(k, d) centroids of the rows of X: random distinct rows as the start (as kmeans_pytorch),
    then Lloyd steps until the centroids move less than `tol` in total squared shift."""
    n = X.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"k-means needs 1 <= k <= {n} rows, got k={k}")
    gen = torch.Generator(device="cpu").manual_seed(seed)
    centers = X[torch.randperm(n, generator=gen)[:k].to(X.device)].clone()
    for _ in range(iters):
        assign = torch.cdist(X, centers).argmin(dim=1)
        sums = torch.zeros_like(centers).index_add_(0, assign, X)
        counts = torch.bincount(assign, minlength=k).to(X.dtype)[:, None]
        new = torch.where(counts > 0, sums / counts.clamp_min(1), centers)
        shift = ((new - centers) ** 2).sum()
        centers = new
        if shift < tol:
            break
    return centers
