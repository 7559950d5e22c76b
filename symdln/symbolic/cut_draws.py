"""Exact representatives of one cut and of one vanishing pair of complement layers (:mod:`.cuts` states the
setting and the strata): random integer layers of the named ranks, the orthogonality ``P_>ᵀ T P_<ᵀ = 0`` built in,
and every condition certified exactly (ranks, zero products, generic position or the asked meeting with the
target's null directions).  Exact arithmetic over ℚ in python-flint matrices."""

from __future__ import annotations

from ..errors import ModelError
from .exact_draws import _chain, _is_zero, _nullspace_cols, _pin_index, _product, _rank, _rank_matrix
from .null_directions import _certify_null, _outer_left, _outer_right, generic_position

__all__: list[str] = []


def _rank_pairs(a_max: int, b_of_a, fixed_a: int | None, fixed_b: int | None):
    """Every ``(a, b)`` with ``a ≥ 1``, ``1 ≤ b ≤ b_of_a(a)`` (``a`` or ``b`` fixed when that side is the identity)."""
    avals = [fixed_a] if fixed_a is not None else list(range(1, a_max + 1))
    out = []
    for a in avals:
        top = b_of_a(a)
        for b in ([fixed_b] if fixed_b is not None else range(1, top + 1)):
            if 1 <= b <= top:
                out.append((a, b))
    return out


def _cut_point(rng, T, d, c, k, a, b, tries: int = 64, generic: bool = False, pin=("first", "last"), null=None):
    """Complement layers ``C_1 … C_L`` (exact) with ``C_c`` of rank ``k``, ``rank P_< = a``, ``rank P_> = b``,
    ``C_c P_< = 0``, ``P_> C_c = 0`` and ``P_>ᵀ T P_<ᵀ = 0``, certified exactly.  The chains' ranks are set by the
    layers ``pin`` names (:func:`~.exact_draws._chain`; by default their outer layers); ``generic``: every chain layer of the largest
    rank its constraints allow (a stratum of its own when those products still have ranks ``a`` and ``b``: the ranks
    of the layers inside a chain are invariants).

    ``null = (Σyx, K, jx, K', jy)`` (outer pins only): the row space ``X`` of ``P_<`` meets the target's null inputs
    ``ker Σyx`` (the columns of ``K``) in exactly ``jx`` dimensions and the column space ``Y`` of ``P_>`` its null
    outputs ``ker Σyxᵀ`` (``K'``) in exactly ``jy`` (``None``: not asked), otherwise in generic position
    (:func:`~.null_directions._certify_null`).  Counts above a random draw's are strata of their own (the signature's couplings see
    them), which a random draw lands in only by luck; ``null is None`` (other pins): certified in generic position
    (:func:`~.null_directions.generic_position`)."""
    L = len(d) - 1
    n0, nL = d[0], d[L]
    if generic:
        pin = ("none", "none")
    Syx, K, jx, Kt, jy = null if null is not None else (None, None, None, None, None)
    # whether each chain's rank sits at its outer layer (C_1 on the left, C_L on the right)
    outer = (_pin_index(pin[0], c - 1) == 0, _pin_index(pin[1], L - c) == L - c - 1)
    if (jx is not None and not outer[0]) or (jy is not None and not outer[1]):
        raise ValueError("null-direction counts need the chains' ranks at their outer layers")
    for _ in range(tries):
        C = [None] * L
        C[c - 1] = _rank_matrix(rng, d[c], d[c - 1], k)
        # left chain (layers 1 … c−1): its image inside ker C_c; for c = L, its row space inside ker T
        if c > 1:
            lay, _ = _chain(rng, d[:c], a, pin[0])
            if c == L:
                kerT = _nullspace_cols(T, n0)
                if not outer[0]:
                    lay[0] = _rank_matrix(rng, d[1], kerT.ncols(), min(d[1], kerT.ncols())) * kerT.transpose()
                else:
                    lay[0] = _outer_left(rng, d[1], a, n0, kerT, K, jx)
            elif jx is not None:
                lay[0] = _outer_left(rng, d[1], a, n0, None, K, jx)
            if k > 0:
                N = _nullspace_cols(C[c - 1], d[c - 1])
                lay[-1] = N * N.transpose() * lay[-1]
            C[:c - 1] = lay
        P_lt = _product(C[:c - 1], n0)
        # right chain (layers c+1 … L): its columns in (T X)^⊥, X the row space of P_<; its kernel ⊇ image C_c
        if c < L:
            TX = T * P_lt.transpose()
            perp = _nullspace_cols(TX.transpose(), nL)
            if perp.ncols() == 0:
                continue
            lay, _ = _chain(rng, d[c:], b, pin[1])
            if not outer[1]:
                lay[-1] = perp * _rank_matrix(rng, perp.ncols(), d[L - 1], min(perp.ncols(), d[L - 1]))
            else:
                lay[-1] = _outer_right(rng, perp, b, d[L - 1], Kt, jy)
            if k > 0:
                U = C[c - 1]
                N = _nullspace_cols(U.transpose(), d[c])  # z with zᵀ U = 0
                lay[0] = lay[0] * N * N.transpose()
            C[c:] = lay
        P_gt = _product(C[c:], d[c])
        ok = (_rank(P_lt) == a and _rank(P_gt) == b and _rank(C[c - 1]) == k
              and _is_zero(C[c - 1] * P_lt) and _is_zero(P_gt * C[c - 1])
              and _is_zero(P_gt.transpose() * T * P_lt.transpose()))
        if ok and null is None and c < L:  # (the outer pins certify their counts through null)
            ok = generic_position(T, P_lt, P_gt)
        if ok and _certify_null(Syx, T, P_lt, P_gt, a, b, jx, jy, (c == 1, c == L)):
            return C
    raise ModelError(f"no exact representative of the cut at layer {c} (ranks a = {a}, b = {b}, middle {k}"
                     + ("" if null is None else f", null directions {jx}, {jy}") + f") found in {tries} draws")


def _pair_point(rng, T, d, i, a1, a2, a, b, tries: int = 64, null=None):
    """Complement layers with ``C_{i+1} C_i = 0`` (ranks ``a1``, ``a2``), ``rank P_< = a``, ``rank P_> = b`` and
    ``P_>ᵀ T P_<ᵀ = 0`` (``P_< = C_{i−1}⋯C_1``, ``P_> = C_L⋯C_{i+2}``), certified exactly; ``null``: the chains'
    meeting with the target's null directions, as for :func:`_cut_point`."""
    L = len(d) - 1
    n0, nL = d[0], d[L]
    Syx, K, jx, Kt, jy = null if null is not None else (None, None, None, None, None)
    for _ in range(tries):
        C = [None] * L
        first = _rank_matrix(rng, d[i], d[i - 1], a1)
        N = _nullspace_cols(first.transpose(), d[i])  # z with zᵀ·C_i = 0
        C[i - 1], C[i] = first, _rank_matrix(rng, d[i + 1], N.ncols(), a2) * N.transpose()
        if i > 1:  # left chain (layers 1 … i−1); for i + 1 = L its row space inside ker T
            lay, _ = _chain(rng, d[:i], a, "first")
            if i + 1 == L:
                kerT = _nullspace_cols(T, n0)
                if kerT.ncols() < a:
                    continue
                lay[0] = _outer_left(rng, d[1], a, n0, kerT, K, jx)
            elif jx is not None:
                lay[0] = _outer_left(rng, d[1], a, n0, None, K, jx)
            C[:i - 1] = lay
        P_lt = _product(C[:i - 1], n0)
        if i + 1 < L:  # right chain (layers i+2 … L): its columns in (T X)^⊥, X the row space of P_<
            perp = _nullspace_cols((T * P_lt.transpose()).transpose(), nL)
            if perp.ncols() < b:
                continue
            lay, _ = _chain(rng, d[i + 1:], b, "last")
            lay[-1] = _outer_right(rng, perp, b, d[L - 1], Kt, jy)
            C[i + 1:] = lay
        P_gt = _product(C[i + 1:], d[i + 1])
        ok = (_rank(C[i - 1]) == a1 and _rank(C[i]) == a2 and _is_zero(C[i] * C[i - 1])
              and _rank(P_lt) == a and _rank(P_gt) == b and _is_zero(P_gt.transpose() * T * P_lt.transpose()))
        if ok and null is None and i + 1 < L:  # generic position with respect to T's null directions (a draw along
            ok = generic_position(T, P_lt, P_gt)  # the learned ones is by symmetry another stratum's point)
        if ok and _certify_null(Syx, T, P_lt, P_gt, a, b, jx, jy, (i == 1, i + 1 == L)):
            return C
    raise ModelError(f"no exact representative of the vanishing pair {i},{i + 1} (ranks {a1},{a2}; outer {a},{b}) "
                     f"found in {tries} draws")
