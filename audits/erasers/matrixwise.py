"""The shape shared by the erasers that edit each K/V matrix on its own from text terms computed
once: read the matrices, encode the text, solve every matrix, report, return an `EraserEdit`.

Subclasses say which projections they edit, what the text stage computes, how one matrix is
solved, and how their variant is labelled; the timing, progress and output format live here once.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import torch

from audits.erasers.base import Eraser, EraserEdit, Progress
from audits.erasers.matrices import DTYPES, Stopwatch, finish, kv_matrices
from audits.erasers.prompts import check_concepts
from audits.erasers.reports import matrix_report


class MatrixwiseEraser(Eraser):
    """An eraser whose edit is `solve(W)` for every matrix, given layer-independent text terms."""

    @abstractmethod
    def kinds(self) -> tuple[str, ...]:
        """The projections edited, e.g. ("to_v", "to_k")."""

    @abstractmethod
    def text_terms(
        self, pipe: Any, concepts: list[str], dtype: torch.dtype, device: torch.device
    ) -> Any:
        """Everything the solve needs from the text encoder, computed once per edit."""

    @abstractmethod
    def solve(self, W: torch.Tensor, terms: Any) -> tuple[torch.Tensor, dict[str, Any]]:
        """The new weight of one matrix, plus extra fields for its report."""

    @abstractmethod
    def variant(self) -> str:
        """The label of the algorithm that produced the weights."""

    def matrix_order(self, pipe: Any, names: list[str]) -> list[str]:
        """The order the matrices are solved in (it matters only when `solve` draws random
        numbers); the default is the official UCE order (every to_v, then every to_k)."""
        return names

    def erase(
        self,
        pipe,
        concepts: Sequence[str],
        *,
        device: torch.device | str | None = None,
        progress: Progress | None = None,
    ) -> EraserEdit:
        concepts = check_concepts(concepts)
        dtype = DTYPES[self.config.dtype]
        mats, out_dtypes, dev = kv_matrices(pipe, self.kinds(), dtype, device)
        by_name = dict(mats)
        mats = [(n, by_name[n]) for n in self.matrix_order(pipe, list(by_name))]
        watch = Stopwatch(dev)
        terms = self.text_terms(pipe, concepts, dtype, dev)
        watch.lap("text_s")
        weights, reports = {}, []
        for name, W in mats:
            weights[name], extra = self.solve(W, terms)
            reports.append(matrix_report(name, W, weights[name]) | extra)
            if progress is not None:
                progress(name)
        watch.lap("solve_s")
        return EraserEdit(finish(weights, out_dtypes), watch.done(), self.variant(), reports)
