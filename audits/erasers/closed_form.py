"""The ridge closed form shared by TIME, UCE, RECE and MACE, vectorised over tokens and concepts.

For one matrix W (d_out x d_in), concept token rows x (targets v*) and preserve rows p:

    W_new = (lamb A + eta sum v* x^T + ps sum W_p p p^T) (lamb I + eta sum x x^T + ps sum p p^T)^-1

which minimises eta sum ||W x - v*||^2 + ps sum ||W p - W_p p||^2 + lamb ||W - A||_F^2. The token
sums are layer independent, so they are formed once per edit as d_in x d_in Gram matrices and
every matrix then costs two products and one solve (never an explicit inverse).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from audits.erasers.errors import EraserError


@dataclass
class TokenTerms:
    """Layer-independent sums. X and N are (m, T, d) zero-padded token blocks (concept k's rows
    and the aligned guide rows whose outputs are its targets); `PP` is the preserve Gram."""

    X: torch.Tensor
    N: torch.Tensor
    XX: torch.Tensor  # sum_k X_k^T X_k
    NX: torch.Tensor  # sum_k N_k^T X_k
    PP: torch.Tensor  # sum_p p p^T (zeros when nothing is preserved)

    @classmethod
    def build(cls, X: torch.Tensor, N: torch.Tensor, P: torch.Tensor | None = None) -> TokenTerms:
        if X.shape != N.shape:
            raise EraserError(f"concept rows {tuple(X.shape)} and targets {tuple(N.shape)} differ")
        d = X.shape[-1]
        flat_x, flat_n = X.reshape(-1, d), N.reshape(-1, d)
        PP = X.new_zeros(d, d) if P is None else P.reshape(-1, d).T @ P.reshape(-1, d)
        return cls(X, N, flat_x.T @ flat_x, flat_n.T @ flat_x, PP)


def ridge_solve(mat1: torch.Tensor, mat2: torch.Tensor) -> torch.Tensor:
    """W = mat1 mat2^-1 for a symmetric mat2, by an LU solve: mat2 W^T = mat1^T."""
    try:
        return torch.linalg.solve(mat2, mat1.T).T
    except RuntimeError as err:  # torch raises a LinAlgError (a RuntimeError) when singular
        raise EraserError(
            "the closed-form system is singular; use lamb > 0 or more preserve prompts"
        ) from err


def tensor_coefficients(W: torch.Tensor, X: torch.Tensor, N: torch.Tensor) -> torch.Tensor:
    """UCE's 'tensor' technique, per concept k: beta_k = <W X_k, W N_k>_F / ||W X_k||_F^2.

    The official code subtracts the Frobenius projection of the guide outputs on the normalised
    concept outputs (one scalar over all tokens), so sum_t v*_t x_t^T = W (N^T - beta X^T) X.
    """
    WX, WN = X @ W.T, N @ W.T
    norm2 = (WX * WX).sum(dim=(1, 2))
    if (norm2 == 0).any():
        raise EraserError("a concept's key/value outputs are all zero; 'tensor' is undefined")
    return (WX * WN).sum(dim=(1, 2)) / norm2


def uce_weight(
    W: torch.Tensor,
    terms: TokenTerms,
    *,
    lamb: float,
    erase_scale: float,
    preserve_scale: float,
    technique: str = "replace",
) -> torch.Tensor:
    """One matrix's UCE edit. Targets, preserve values and the lamb anchor all use W (the weights
    the values are read from: the original for UCE/TIME, the current ones for RECE)."""
    d = W.shape[1]
    eye = torch.eye(d, dtype=W.dtype, device=W.device)
    inner = terms.NX
    if technique == "tensor":
        beta = tensor_coefficients(W, terms.X, terms.N)
        flat = terms.X.reshape(terms.X.shape[0], -1, d)
        inner = terms.NX - (flat * beta[:, None, None]).reshape(-1, d).T @ flat.reshape(-1, d)
    elif technique != "replace":
        raise EraserError(f"unknown technique {technique!r}; use replace or tensor")
    mat1 = lamb * W + W @ (erase_scale * inner + preserve_scale * terms.PP)
    mat2 = lamb * eye + erase_scale * terms.XX + preserve_scale * terms.PP
    return ridge_solve(mat1, mat2)
