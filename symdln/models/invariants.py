"""Conserved quantities of the DLN gradient flow (MATH §1.1).

``D_l = W_{l+1}ᵀ W_{l+1} − W_l W_lᵀ`` (``l = 1 … L−1``) obeys ``D_l(t) = e^{−2λt} D_l(0)``.
"""

from __future__ import annotations

from ..matops import transpose

__all__ = ["balancedness"]


def balancedness(theta) -> tuple:
    """``(D_1, …, D_{L−1})`` with ``D_l = W_{l+1}ᵀW_{l+1} − W_l W_lᵀ``, in the matrices' own arithmetic.

    Works on SymPy matrices (exact), flint ``fmpq_mat`` or ``arb_mat``.

    >>> import sympy as sp
    >>> W1 = sp.Matrix([[1, 2]]); W2 = sp.Matrix([[3]])
    >>> balancedness((W1, W2))[0]
    Matrix([[4]])
    """
    return tuple(
        transpose(theta[l + 1]) * theta[l + 1] - theta[l] * transpose(theta[l]) for l in range(len(theta) - 1)
    )
