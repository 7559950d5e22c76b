"""Singular values of end-to-end maps at working precision (private mpmath context)."""

from __future__ import annotations

import flint

from .precision import Precision, arb_to_mpf

__all__ = ["singular_values", "log10_singular_values"]


def _mp_matrix(A: flint.arb_mat, p: Precision):
    mp = p.mp
    return mp.matrix([[arb_to_mpf(A[i, j], mp) for j in range(A.ncols())] for i in range(A.nrows())])


def singular_values(A: flint.arb_mat, p: Precision) -> list:
    """Singular values of ``A`` (decreasing) as mpf of ``p.mp``; exact to about ``p.digits`` digits."""
    mp = p.mp
    S = mp.svd_r(_mp_matrix(A, p), compute_uv=False)
    return sorted((S[i] for i in range(len(S))), reverse=True)


def log10_singular_values(A: flint.arb_mat, p: Precision) -> list[float]:
    """``log10`` of the singular values as floats (no underflow at any scale; ``-inf`` for zeros)."""
    mp = p.mp
    return [float(mp.log10(s)) if s > 0 else float("-inf") for s in singular_values(A, p)]
