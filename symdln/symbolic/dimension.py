"""Certified bounds on the dimension of a DLN critical stratum at an exact point.

A stratum ``S`` is a set of critical points on which the rank signature (the ranks of every product
``P_ij = W_j⋯W_i`` of consecutive layers, among other invariants) is constant.  At a point ``θ ∈ S``:

* **upper bound**: ``S`` lies in the variety ``V = {∇ℒ = 0} ∩ {rank P_ij ≤ ρ_ij}`` and ``dim_θ S ≤ dim_θ V ≤
  dim T_θV`` (the Zariski tangent space bounds the local dimension).  ``T_θV`` is cut out by the linearizations
  of the generators: the Hessian ``H`` (of ``∇ℒ``) and, at a point where ``rank P_ij = ρ_ij`` exactly, the
  tangent space of the determinantal variety, ``{δP : uᵀ δP v = 0 for u ∈ ker P_ijᵀ, v ∈ ker P_ij}`` with
  ``δP_ij = Σ_{i≤k≤j} W_j⋯W_{k+1} δW_k W_{k−1}⋯W_i``.  So
  ``upper = dim(ker H ∩ {uᵀ δP_ij v = 0})``, an exact rank over ℚ.
* **lower bound**: ``ℒ`` (λ = 0), criticality and every rank of the signature are invariant under
  ``W_l ↦ G_l W_l G_{l−1}⁻¹`` (``G_l ∈ GL(n_l)`` on the hidden layers), so the orbit of ``θ`` lies in ``S``;
  ``lower`` is its dimension, the rank of the infinitesimal action ``δW_l = X_l W_l − W_l X_{l−1}``.

When the two agree the dimension is exact (Morse–Bott-like strata); otherwise the true dimension lies between them.
"""

from __future__ import annotations

import flint

from ..matops import to_fmpq_mat
from .inertia import nullspace

__all__ = ["stratum_dimension_bounds"]


def _eye(n: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])


def _rank(rows: list, n: int) -> int:
    return flint.fmpq_mat(len(rows), n, [x for r in rows for x in r]).rank() if rows else 0


def stratum_dimension_bounds(model, point, hessian_rows=None) -> tuple[int, int]:
    """``(lower, upper)`` (module docstring) for a DLN ``model`` (λ = 0) at an exact critical ``point``.

    ``hessian_rows``: the exact Hessian as rows of ``fmpq`` (computed when not given).

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> from symdln.symbolic.landscape import landscape
    >>> land = landscape(deep_linear(spectrum=[2, 1], depth=3, widths=2))
    >>> z2 = next(s for s in land.strata if s.label.text == "Z{2}")
    >>> stratum_dimension_bounds(land.model, z2.point)  # W_2 = 0, W_1 = γxᵀ, W_3 = yβᵀ with yᵀMx = 0: 3 + 3 − 1
    (4, 5)
    """
    Ws = [to_fmpq_mat(W) for W in point]
    L = len(Ws)
    shapes = [(W.nrows(), W.ncols()) for W in Ws]
    off = [0]
    for r, c in shapes:
        off.append(off[-1] + r * c)
    n = off[-1]
    if hessian_rows is None:
        from .calculus import dln_hessian_entries
        from .landscape import _rational_data

        sxx, syx = _rational_data(model)
        hessian_rows = dln_hessian_entries(Ws, sxx, syx)
    rows = [[flint.fmpq(x) for x in r] for r in hessian_rows]
    # tangent of {rank P_ij ≤ ρ}: for each product, uᵀ (W_j⋯W_{k+1}) δW_k (W_{k−1}⋯W_i) v = 0
    for i in range(L):
        P = _eye(shapes[i][1])
        for j in range(i, L):
            P = Ws[j] * P
            U, V = nullspace(P.transpose()), nullspace(P)
            if not U or not V:
                continue
            Um = flint.fmpq_mat(len(U), P.nrows(), [x for u in U for x in u])
            Vm = flint.fmpq_mat(P.ncols(), len(V), [v[q] for q in range(P.ncols()) for v in V])
            left, right = {}, {}
            a = Um
            for k in range(j, i - 1, -1):  # left[k] = Uᵀ W_j⋯W_{k+1}
                left[k] = a
                a = a * Ws[k]
            b = Vm
            for k in range(i, j + 1):  # right[k] = W_{k−1}⋯W_i V
                right[k] = b
                b = Ws[k] * b
            for s in range(len(U)):
                for t in range(len(V)):
                    row = [flint.fmpq(0)] * n
                    for k in range(i, j + 1):
                        r_k, c_k = shapes[k]
                        A, B = left[k], right[k]
                        for p in range(r_k):
                            ap = A[s, p]
                            if ap == 0:
                                continue
                            base = off[k] + p * c_k
                            for q in range(c_k):
                                row[base + q] += ap * B[q, t]
                    rows.append(row)
    upper = n - _rank(rows, n)
    # the orbit of the hidden-layer GL action
    cols = []
    for l in range(1, L):
        d = shapes[l - 1][0]
        for a in range(d):
            for b in range(d):
                vec = [flint.fmpq(0)] * n
                # X = E_ab: δW_l = E_ab W_l (row a gets row b of W_l), δW_{l+1} = −W_{l+1} E_ab (column b gets
                # minus column a of W_{l+1})
                r, c = shapes[l - 1]
                for q in range(c):
                    vec[off[l - 1] + a * c + q] = Ws[l - 1][b, q]
                r2, c2 = shapes[l]
                for p in range(r2):
                    vec[off[l] + p * c2 + b] -= Ws[l][p, a]
                cols.append(vec)
    lower = _rank(cols, n)
    return lower, upper
