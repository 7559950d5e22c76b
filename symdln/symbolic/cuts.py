"""Strata of deep linear networks beyond the pivot families' balanced and generic ones: cuts in the complement.

Teacher form, λ = 0, depth ``L ≥ 3``.  In the hidden bases of the balanced point of a pivot set ``S`` (``r = |S|``
learned coordinates first), write every layer as its learned block plus a *complement* block ``C_l`` on the other
coordinates (``C_1``: input → hidden extras, ``C_l``: extras → extras, ``C_L``: extras → output).  Then
``A_θ = A_S + C_L⋯C_1`` and the gradient's only block that can be nonzero is ``C_{>l}ᵀ T C_{<l}ᵀ`` with the
residual target ``T = M − A_S`` (the learned blocks' ranges are orthogonal to ``T``'s).  So ``θ`` is critical with
end-to-end map ``A_S`` exactly when the complement ``(C_1, …, C_L)`` is a critical point of the network with
widths ``(n_0, n_1 − r, …, n_{L−1} − r, n_L)`` and target ``T`` at which its product vanishes.  Those include:

* **one zero layer** ``C_c = 0``: the other conditions hold at once and the one left is
  ``P_>ᵀ T P_<ᵀ = 0`` with ``P_< = C_{c−1}⋯C_1`` and ``P_> = C_L⋯C_{c+1}``: the row space ``X`` of ``P_<`` and the
  column space ``Y`` of ``P_>`` are ``T``-orthogonal.  One stratum for each Pareto-maximal pair of ranks
  ``(a, b) = (dim X, dim Y)`` (``a ≤`` the left chain's widths, ``b ≤ n_L − rank(T|_X)`` and the right chain's
  widths); label ``{S}`` with stratum ``cut c`` (``S = ∅``: ``Z{c}``, the ``A = 0`` points with one zero layer).
  With a rank-deficient or non-square target, ``X`` may meet ``ker Σyx`` and ``Y`` ``ker Σyxᵀ`` in more dimensions
  than a random draw gives: strata of their own (``cut c (ranks a,b; 1 null input)``, :func:`_null_strata`); the
  plain cuts are certified in generic position (:func:`_certify_null`, :func:`generic_position`).
  A chain's rank is set at one of its layers, the others of full rank: at the outer layers (``C_1``, ``C_L``), at
  inner ones (stratum ``cut c …, C_l rank a, C_m rank b``: random-start searches at depth 4, widths (3, 3, 2) ended
  there), or at none (``generic chains``, where full-rank chains keep the products' ranks);
* **two zero layers** ``C_i = C_j = 0`` (every condition holds), other complement layers generic: stratum
  ``Z{i,j}`` of ``{S}`` (``(1, L)`` is the generic stratum listed with the family); with free complement layers of
  lower ranks, ``Z{i,j}, C_l rank k`` (further zero layers: ``Z{i,j,l}``), when there are at most
  :data:`~symdln.symbolic.zero_layers.MAX_RANK_CHOICES` choices of ranks;
* **a vanishing pair** ``C_{i+1} C_i = 0`` (both nonzero, no zero layer) with ``P_>ᵀ T P_<ᵀ = 0`` for
  ``P_< = C_{i−1}⋯C_1`` and ``P_> = C_L⋯C_{i+2}``: the gradient blocks of the other layers pass through the zero
  product and the pair's own are ``C_{i+1}ᵀ K`` and ``K C_iᵀ`` with ``K = P_>ᵀ T P_<ᵀ = 0``.  One stratum for each
  ``(rank C_i, rank C_{i+1})`` with sum at most the middle width and each Pareto-maximal ``(rank P_<, rank P_>)``
  (stratum ``vanishing pair i,i+1 (ranks a_1,a_2; outer a,b)``; ``S = ∅``: ``A = 0`` points with no zero layer);
* **a zero end layer beside a vanishing two-layer chain** (depth 3): ``C_3 = 0`` with ``C_2 C_1 = 0`` (or ``C_1 = 0``
  with ``C_3 C_2 = 0``), both chain layers nonzero: every gradient block passes through the zero layer or the zero
  product.  One stratum for each pair of chain ranks ``(a_1, a_2)``, ``a_1 + a_2 ≤`` the chain's middle width
  (``S = ∅``: label ``Z{c}``);
* **two disjoint zero-product chains** ``C_{j1}⋯C_{i1} = 0`` and ``C_{j2}⋯C_{i2} = 0`` (``j1 < i2``; a chain of one
  layer is a zero layer): every gradient block has a whole chain on one side of its layer, so every such point is
  critical whatever ``T``.  One stratum per Pareto-maximal choice of the chains' layer ranks, inner layers in general
  position (stratum ``chain i..j ranks … (product 0)``, after ``zero layer c,`` when one chain is a zero layer;
  ``S = ∅``: label ``Z{c}``);
* **two overlapping zero-product chains** ``C_j⋯C_{i−1} = 0`` and ``C_{j+1}⋯C_i = 0`` around a nonzero middle
  ``C_j⋯C_i`` whose rank is set at one of its layers (or, for two middle layers, drops below both their ranks in
  special position), held by ``(C_L⋯C_{j+1})ᵀ T (C_{i−1}⋯C_1)ᵀ = 0`` (:func:`~.zero_chains.overlapping_chains`; stratum
  ``zero products i−1..j and i..j+1 (…)``);
* **an empty complement layer** (a hidden width equal to ``|S|``): every product through it is the zero map of an
  empty space, every gradient condition on the complement is vacuous and all complement layers are free; the
  generic (full-rank) draw is listed as ``{S} free complement (empty layer c)``.  With non-uniform widths this is
  where gradient descent usually ends: at widths ``(3, 2)`` the global minima with ``W_1`` of rank 3.

Representatives are exact rationals drawn from a seed and certified: the chains' ranks are exactly ``a`` and ``b``
(so the point is in the intended stratum and not a smaller one), the orthogonality holds exactly, and the exact
analysis checks ``∇ℒ = 0``.  Complements whose product vanishes otherwise (e.g. at depth 5 overlapping chains around
a three-layer middle in special position) are not listed yet (:func:`not_listed`);
:meth:`symdln.symbolic.landscape.Landscape.locate` reports such points as unlisted.
"""

from __future__ import annotations

import itertools
import random

import flint
import sympy as sp

from ..errors import ModelError
from .fields import to_fmpq_mat
from .inertia import nullspace

__all__ = ["complement_strata", "to_sympy_point"]

# Exact arithmetic over ℚ in python-flint matrices throughout (SymPy matrices only for the representatives returned).


def _zeros(rows: int, cols: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(rows, cols)


def _eye(n: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])


def _rank(M: flint.fmpq_mat) -> int:
    """Exact rank over ℚ."""
    if M.nrows() == 0 or M.ncols() == 0:
        return 0
    return M.rank()


def _is_zero(M: flint.fmpq_mat) -> bool:
    return all(x == 0 for x in M.entries())


def _rand(rng, rows, cols, lo=-3, hi=3) -> flint.fmpq_mat:
    return flint.fmpq_mat(rows, cols, rng.choices(range(lo, hi + 1), k=rows * cols))


def _rank_matrix(rng, rows, cols, rank) -> flint.fmpq_mat:
    """A random integer matrix of exactly ``rank`` (retried until it is)."""
    for _ in range(64):
        if rank == 0:
            return _zeros(rows, cols)
        M = _rand(rng, rows, rank) * _rand(rng, rank, cols)
        if _rank(M) == rank:
            return M
    raise ModelError(f"no random {rows}×{cols} matrix of rank {rank} found in 64 draws")


def _chain(rng, dims, rank, first_rank_at):
    """Random layers for the chain ``dims[0] → … → dims[-1]`` whose product has exactly ``rank``; the rank is set
    by the first layer (``first_rank_at="first"``), the last one (``"last"``) or layer ``k`` (an int, 0-based), the
    others full rank; ``"none"``: every layer full rank (the generic chain, when its product's rank is ``rank``)."""
    n = len(dims) - 1
    at = _pin_index(first_rank_at, n)
    for _ in range(64):
        layers = []
        for k in range(n):
            rows, cols = dims[k + 1], dims[k]
            pinned = k == at
            layers.append(_rank_matrix(rng, rows, cols, rank) if pinned else _rank_matrix(rng, rows, cols, min(rows, cols)))
        P = _product(layers, dims[0])
        if _rank(P) == rank:
            return layers, P
    raise ModelError(f"no chain {dims} of rank {rank} found in 64 draws")


def _pin_index(pin, n: int):
    """The 0-based layer of a chain of ``n`` layers that ``pin`` (:func:`_chain`) names, ``None`` for ``"none"``."""
    return {"first": 0, "last": n - 1, "none": None}.get(pin, pin)


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


def _nullspace_cols(M: flint.fmpq_mat, n: int) -> flint.fmpq_mat:
    """Columns spanning ``{x : M x = 0}`` in ``ℚ^n`` (``n × 0`` when trivial): the reduced-row-echelon basis of
    :func:`~symdln.symbolic.inertia.nullspace` (small entries, whatever the scale of ``M``)."""
    if M.nrows() == 0:
        return _eye(n)
    basis = nullspace(M)
    return flint.fmpq_mat(n, len(basis), [v[i] for i in range(n) for v in basis])


def _stack_rows(A: flint.fmpq_mat, B: flint.fmpq_mat) -> flint.fmpq_mat:
    """``[A; B]`` (the rows of ``A`` above those of ``B``)."""
    return flint.fmpq_mat(A.nrows() + B.nrows(), A.ncols(), A.entries() + B.entries())


def _outer_left(rng, rows, a, n0, kerT, K, jx) -> flint.fmpq_mat:
    """A first layer (``rows × n0``) of rank ``a`` whose row space ``X`` lies in the span of ``kerT``'s columns (all of
    ``ℚ^{n0}`` when ``kerT`` is None) and holds ``jx`` random directions of ``ker Σyx`` (``K``'s columns; ``jx`` None:
    none chosen on purpose)."""
    amb = kerT.transpose() if kerT is not None else None
    if jx is None:
        basis = _rank_matrix(rng, a, kerT.ncols(), a) * amb if kerT is not None else _rank_matrix(rng, a, n0, a)
    else:
        rest = _rand(rng, a - jx, kerT.ncols()) * amb if kerT is not None else _rand(rng, a - jx, n0)
        basis = _stack_rows(_rand(rng, jx, K.ncols()) * K.transpose(), rest)
    return _rank_matrix(rng, rows, a, a) * basis


def _outer_right(rng, perp, b, cols, Kt, jy) -> flint.fmpq_mat:
    """A last layer (``n_L × cols``) of rank ``b`` whose column space ``Y`` lies in the span of ``perp``'s columns and
    holds ``jy`` random directions of ``ker Σyxᵀ`` (``Kt``'s columns, inside that span; ``jy`` None: none on purpose)."""
    if jy is None:
        basis = perp * _rank_matrix(rng, perp.ncols(), b, b)
    else:
        basis = _stack_rows((Kt * _rand(rng, Kt.ncols(), jy)).transpose(),
                            (perp * _rand(rng, perp.ncols(), b - jy)).transpose()).transpose()
    return basis * _rank_matrix(rng, b, cols, b)


def _certify_null(Syx, T, P_lt, P_gt, a, b, jx, jy, ends) -> bool:
    """Where asked: ``X`` (row space of ``P_<``) meets ``ker Σyx`` in exactly ``jx`` dimensions (``rank Σyx P_<ᵀ =
    a − jx``) and is otherwise in generic position with respect to ``ker T ⊇ ker Σyx`` (``rank T P_<ᵀ = min(a − jx,
    rank T)``, unless ``P_> = I`` puts ``X`` inside ``ker T``); ``Y`` (column space of ``P_>``, inside ``(T X)^⊥`` of
    dimension ``p``) meets ``ker Σyxᵀ`` in exactly ``jy`` and ``ker Tᵀ`` in ``jy + max(0, b − jy + κ'_T − p)``
    (``κ'_T = n_L − rank T``).  The residual's other null directions are the learned ones: a chain along them is, by a
    symmetry of the hidden layers, a point with a zero or lower-rank complement layer, listed under that name.
    ``ends``: whether ``P_<``, ``P_>`` is the identity."""
    rT = _rank(T)
    t = _rank(T * P_lt.transpose())
    if jx is not None:
        if _rank(Syx * P_lt.transpose()) != a - jx or (not ends[1] and t != min(a - jx, rT)):
            return False
    if jy is not None:
        nL = T.nrows()
        if _rank(Syx.transpose() * P_gt) != b - jy:
            return False
        if b - _rank(T.transpose() * P_gt) != jy + max(0, b - jy + (nL - rT) - (nL - t)):
            return False
    return True


def generic_position(T, P_lt, P_gt) -> bool:
    """Whether the row space ``X`` of ``P_<`` and the column space ``Y`` of ``P_>`` (``Y ⊆ (T X)^⊥``) meet ``ker T`` and
    ``ker Tᵀ`` in the dimensions random ones do: ``rank T P_<ᵀ = min(a, rank T)`` and ``b − rank Tᵀ P_> =
    max(0, b + κ' − p)`` (``a``, ``b`` their ranks, ``κ' = n_L − rank T``, ``p = n_L − rank T P_<ᵀ``).  A draw that
    lands in special position is a point of another stratum (:func:`_null_strata`), not a representative of this one."""
    rT = _rank(T)
    a, b = _rank(P_lt), _rank(P_gt)
    t = _rank(T * P_lt.transpose())
    nL = T.nrows()
    return t == min(a, rT) and b - _rank(T.transpose() * P_gt) == max(0, b + (nL - rT) - (nL - t))


def _product(layers, n_in):
    P = _eye(n_in)
    for W in layers:
        P = W * P
    return P


def _cut_point(rng, T, d, c, k, a, b, tries: int = 64, generic: bool = False, pin=("first", "last"), null=None):
    """Complement layers ``C_1 … C_L`` (exact) with ``C_c`` of rank ``k``, ``rank P_< = a``, ``rank P_> = b``,
    ``C_c P_< = 0``, ``P_> C_c = 0`` and ``P_>ᵀ T P_<ᵀ = 0``, certified exactly.  The chains' ranks are set by the
    layers ``pin`` names (:func:`_chain`; by default their outer layers); ``generic``: every chain layer of the largest
    rank its constraints allow (a stratum of its own when those products still have ranks ``a`` and ``b``: the ranks
    of the layers inside a chain are invariants).

    ``null = (Σyx, K, jx, K', jy)`` (outer pins only): the row space ``X`` of ``P_<`` meets the target's null inputs
    ``ker Σyx`` (the columns of ``K``) in exactly ``jx`` dimensions and the column space ``Y`` of ``P_>`` its null
    outputs ``ker Σyxᵀ`` (``K'``) in exactly ``jy`` (``None``: not asked), otherwise in generic position
    (:func:`_certify_null`).  Counts above a random draw's are strata of their own (the signature's couplings see
    them), which a random draw lands in only by luck; ``null is None`` (other pins): certified in generic position
    (:func:`generic_position`)."""
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


def _generic_null(d, a, b, jx, nulls, rankT, ends):
    """``(jx, jy, p)``: how many null inputs a random ``X`` of dimension ``a`` meets (``jx`` when given: ``X`` then holds
    ``jx`` of them), how many null outputs a random ``Y`` of dimension ``b`` in ``(T X)^⊥`` meets, and that space's
    dimension ``p`` (:func:`_null_strata`); ``None`` where a chain is the identity (``ends = (left, right)``: whether
    ``P_<``, ``P_>`` is the identity; with ``P_> = I``, ``X`` lies in ``ker T``).  ``b = None``: ``jy`` not asked."""
    _, K, Kt = nulls
    L = len(d) - 1
    n0, nL = d[0], d[L]
    kap, kapt = K.ncols(), Kt.ncols()
    if not ends[0] and jx is None:
        jx = max(0, a + kap - (n0 - rankT if ends[1] else n0))
    if ends[1]:
        return jx, None, None
    p = nL - (rankT if ends[0] else min(a - jx, rankT))
    return jx, (None if b is None else max(0, b + kapt - p)), p


def _null_strata(d, a, nulls, rankT, ends, b_cap, draw, name, signature, assemble) -> list:
    """The strata of a cut or vanishing pair (left chain of rank ``a``) whose chains meet the target's null directions
    in more dimensions than a random draw does: ``X`` (row space of ``P_<``) meets ``ker Σyx`` (dimension ``κ``) in
    ``jx`` and ``Y`` (column space of ``P_>``) meets ``ker Σyxᵀ`` (``κ'``) in ``jy`` dimensions, at least one above its
    generic value (:func:`_generic_null`).  ``X`` is drawn from ``ℝ^{n_0}`` (from ``ker T`` when ``P_> = I``):
    generic ``jx = max(0, a + κ − dim)``; ``Y`` from ``(T X)^⊥`` of dimension ``p = n_L − rank T X`` with
    ``rank T X = min(a − jx, rank T)``: generic ``jy = max(0, b + κ' − p)``, and ``b ≤ min(b_cap, p)`` (a smaller
    ``T X`` admits a larger ``b`` than the generic points).  ``draw(b, null)`` draws a point, ``name(b, parts)`` names
    it.  Found by an independent exact check: at depth 3, widths (2, 1), target ``[[1, 1], [1, 1]]``, the cut at
    layer 2 whose ``C_1`` reads the null input (inertia (2, 4, 2)) was listed only when small-integer draws happened
    to land there.  Returns ``[(name, layers, signature)]``."""
    syx, K, Kt = nulls
    nL = d[-1]
    kap, kapt = K.ncols(), Kt.ncols()
    if (kap == 0 and kapt == 0) or (ends[0] and kapt == 0) or (ends[1] and kap == 0):
        return []
    out = []
    jx_gen = _generic_null(d, a, None, None, nulls, rankT, ends)[0]
    for jx in ([None] if ends[0] else range(jx_gen, min(a, kap) + 1)):
        if ends[1]:
            combos = [(nL, None, None)] if jx != jx_gen else []
        else:
            p = _generic_null(d, a, None, jx, nulls, rankT, ends)[2]
            combos = []
            for b in range(1, min(b_cap, p) + 1):
                jy_gen = _generic_null(d, a, b, jx, nulls, rankT, ends)[1]
                combos += [(b, jy, jy_gen) for jy in range(jy_gen, min(b, kapt) + 1) if jx != jx_gen or jy != jy_gen]
        for b, jy, jy_gen in combos:
            try:
                found = _most_generic(lambda: draw(b, (syx, K, jx, Kt, jy)), signature)
            except ModelError:
                continue  # these ranks cannot meet the null directions so (e.g. a chain's widths)
            parts = [f"{j} null {w}{'s' if j > 1 else ''}" for j, g, w in ((jx, jx_gen, "input"), (jy, jy_gen, "output"))
                     if j is not None and j != g]
            for v, (sg, C) in enumerate(found, start=1):
                out.append((name(b, ", ".join(parts)) + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
    return out


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


def _most_generic(draw, signature, draws: int = 6, rounds: int = 3) -> list:
    """Draws whose invariant ranks (``signature``: :func:`symdln.symbolic.landscape.rational_signature` of the
    assembled point) are maximal: ranks only drop on special draws, so a draw with the entrywise-largest signature is
    generic for its stratum (the listing then does not depend on the luck of one draw, nor on the target's
    orientation).  When the draws show several Pareto-maximal signatures (the rank conditions given do not pin one
    stratum), one draw of each is returned: each is a stratum of its own.  Returns ``[(signature, draw)]``."""
    seen = {}
    for _ in range(rounds):
        for _ in range(draws):
            C = draw()
            if C is not None:  # a draw may miss its ranks (rare constructions): the others decide
                seen.setdefault(signature(C), C)
        if not seen:
            return []
        top = tuple(max(col) for col in zip(*seen))
        if top in seen:
            return [(top, seen[top])]
    maximal = [sg for sg in seen if not any(o != sg and all(a >= b for a, b in zip(o, sg)) for o in seen)]
    return [(sg, seen[sg]) for sg in sorted(maximal)]


def _feasible_most_generic(draw, signature, probe_tries: int = 24, tries: int = 4) -> list:
    """:func:`_most_generic` over ``draw(tries)`` for constructions that may be infeasible: one probe with
    ``probe_tries`` attempts decides feasibility (``[]`` when it fails), then every draw that misses within ``tries``
    counts as no draw (before, one miss of a 4-attempt draw dropped the stratum: with the generic-position
    certification a feasible inner-rank cut was missed for one seed in four at depth 4, widths 3, spectrum (2, 1, 0),
    and listed under another name)."""
    try:
        draw(probe_tries)
    except ModelError:
        return []

    def one():
        try:
            return draw(tries)
        except ModelError:
            return None

    return _most_generic(one, signature)


def _to_sympy(M: flint.fmpq_mat) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(M.nrows(), M.ncols(), [sp.Rational(int(x.p), int(x.q)) for x in M.entries()])


def to_sympy_point(layers) -> tuple:
    """Exact ``fmpq_mat`` layers as a tuple of SymPy matrices (a critical set's representative)."""
    return tuple(_to_sympy(W) for W in layers)


def complement_strata(model, S: tuple, balanced_point, seed: int):
    """``[(stratum name, its layers as fmpq_mat, its rank signature)]`` of the complement strata of pivot set ``S``
    (module docstring); :func:`to_sympy_point` gives the SymPy representative of the strata kept."""
    from .landscape import rational_signature

    L, n = model.depth, model.widths
    r = len(S)
    # the data form at A = 0 (S = ∅): the gradient blocks are P_>ᵀ (−Σyx) P_<ᵀ, the teacher form's with M = Σyx;
    # beside learned modes the residual mixes Σxx in, not constructed here
    if L < 3 or (model.form != "teacher" and r > 0) or model.weight_decay != 0:
        return []
    base = [sp.Matrix(W) for W in balanced_point]
    if any(not x.is_Rational for W in base for x in W):
        return []  # irrational representatives (number fields): not constructed here yet
    base_q = [to_fmpq_mat(W) for W in base]
    T = to_fmpq_mat(sp.Matrix(model.syx)) - _product(base_q, n[0])  # Σyx = M in the teacher form
    rankT = _rank(T)
    d = [n[0]] + [n[l] - r for l in range(1, L)] + [n[L]]
    rng = random.Random(f"cut{seed}{S}")
    out = []
    base_rows = [W.tolist() for W in base_q]

    def assemble(C):
        """The full layers (``fmpq_mat``): the balanced point's learned blocks with the complement blocks ``C``."""
        layers = []
        for l in range(1, L + 1):
            rows = [list(row) for row in base_rows[l - 1]]
            Cl = C[l - 1].tolist()
            if l == 1:
                rows[r:] = [list(row) for row in Cl]
            elif l == L:
                for a, row in enumerate(rows):
                    row[r:] = Cl[a]
            else:
                for a in range(r, len(rows)):
                    rows[a][r:] = Cl[a - r]
            shape = (base_q[l - 1].nrows(), base_q[l - 1].ncols())
            layers.append(flint.fmpq_mat(*shape, [x for row in rows for x in row]))
        return layers

    def signature(C):
        return rational_signature(model, assemble(C))

    # an empty complement layer (a hidden width equal to |S|): every product through it is an empty (zero) map, so
    # every gradient condition on the complement is vacuous and all complement layers are free; the most generic
    # draw (full-rank layers) is the open part of this component
    if r > 0 and any(d[c] == 0 for c in range(1, L)):
        def draw_free():
            return [_rank_matrix(rng, d[l], d[l - 1], min(d[l], d[l - 1])) if d[l] * d[l - 1] else
                    _zeros(d[l], d[l - 1]) for l in range(1, L + 1)]

        if any(d[l] * d[l - 1] for l in range(1, L + 1)):
            empty = ",".join(str(c) for c in range(1, L) if d[c] == 0)
            found = _most_generic(draw_free, signature)
            for v, (sg, C) in enumerate(found, start=1):
                out.append((f"free complement (empty layer {empty})" + ("" if len(found) == 1 else f" [variant {v}]"),
                            assemble(C), sg))
            # free complement layers of lower ranks (0: a zero complement layer): every such point is critical too,
            # and the ranks are invariants (a second independent check found a global minimum at depth 4, widths
            # (2, 2, 1), target diag(1, 0), with C_1 = 0 and C_2 ≠ 0, unlisted), when there are at most
            # MAX_RANK_CHOICES choices; the all-zero complement is the balanced point
            from .zero_layers import lower_rank_choices

            free = [l for l in range(1, L + 1) if d[l] * d[l - 1]]
            caps = [min(d[l], d[l - 1]) for l in free]
            for ranks in lower_rank_choices(free, caps, 0) or ():
                def draw_low(ranks=ranks):
                    return [_rank_matrix(rng, d[l], d[l - 1], ranks.get(l, 0)) if d[l] * d[l - 1] else
                            _zeros(d[l], d[l - 1]) for l in range(1, L + 1)]

                low = ", ".join(f"C_{l} rank {k}" for l, k in ranks.items() if k < min(d[l], d[l - 1]))
                found = _most_generic(draw_low, signature)
                for v, (sg, C) in enumerate(found, start=1):
                    if any(_rank(C[l - 1]) != k for l, k in ranks.items()):
                        raise ModelError(f"internal error: a free complement draw does not have the ranks {ranks}")
                    out.append((f"free complement (empty layer {empty}), {low}"
                                + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
    # the target's null inputs and outputs (a rank-deficient or non-square Σyx): cuts and vanishing pairs whose chains
    # read or write along them are strata of their own (:func:`_null_strata`; along the learned directions, the
    # residual's other null directions, they are points of other strata: :func:`_certify_null`)
    syx = to_fmpq_mat(sp.Matrix(model.syx))
    nulls = (syx, _nullspace_cols(syx, n[0]), _nullspace_cols(syx.transpose(), n[L]))
    # one cut at layer c: C_c of rank k with C_c P_< = 0 and P_> C_c = 0 (k = 0: a zero layer)
    for c in range(1, L + 1):
        left, right = d[:c], d[c:]  # P_<: d_0 → … → d_{c−1};  P_>: d_c → … → d_L
        if any(x == 0 for x in left[1:]) or any(x == 0 for x in right[:-1]):
            continue
        ks = [0] if c in (1, L) else range(0, min(d[c - 1], d[c]))
        for k in ks:
            a_max = min(min(left), d[c - 1] - k) if c > 1 else n[0]
            fixed = n[0] if c == 1 else None
            if c == L:
                def b_of_a(a):
                    return n[L] if a <= n[0] - rankT else 0
            else:
                def b_of_a(a, right=right, k=k):
                    return min(min(right), d[c] - k, n[L] - min(a, rankT))
            pairs = _rank_pairs(a_max, b_of_a, fixed, n[L] if c == L else None)
            for a, b in pairs:
                # a random draw meets the null directions in their generic dimensions: held there (and certified),
                # so that a draw in special position does not stand for this stratum (those are _null_cuts')
                gx, gy, _ = _generic_null(d, a, b, None, nulls, rankT, (c == 1, c == L))
                gen_null = (*nulls[:2], gx, nulls[2], gy) if nulls[1].ncols() or nulls[2].ncols() else None
                found = _most_generic(lambda: _cut_point(rng, T, d, c, k, a, b, null=gen_null), signature)
                tag = "" if k == 0 else f", middle rank {k}"
                name = f"cut {c}" + ("" if len(pairs) == 1 and k == 0 else f" (ranks {a},{b}{tag})")
                for v, (sg, C) in enumerate(found, start=1):
                    out.append((name + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
                if b == 1 or (a, b - 1) not in pairs:  # once per a, before its smallest b: every b the null
                    # directions allow, which may exceed the generic ones (T X is smaller)
                    out += _null_strata(
                        d, a, nulls, rankT, (c == 1, c == L), min(min(right), d[c] - k),
                        lambda b, null: _cut_point(rng, T, d, c, k, a, b, null=null),
                        lambda b, parts: f"cut {c} (ranks {a},{b}{tag}; {parts})", signature, assemble)
                # the chains with every layer of full rank, where their products keep the ranks a, b (random-start
                # searches at depth 4, widths (3, 2, 2) ended there: C_1 of rank 2 before a width-1 layer)
                gen = _feasible_most_generic(lambda tries: _cut_point(rng, T, d, c, k, a, b, tries=tries, generic=True),
                                             signature)  # [] : the products of full-rank chains have other ranks
                seen = {sg for sg, _ in found}
                gen = [(sg, C) for sg, C in gen if sg not in seen]
                for v, (sg, C) in enumerate(gen, start=1):
                    out.append((name + ", generic chains" + ("" if len(gen) == 1 else f" [variant {v}]"),
                                assemble(C), sg))
                seen |= {sg for sg, _ in gen}
                # the chains' ranks set at inner layers, the others of full rank (random-start searches at depth 4,
                # widths (3, 3, 2) ended there: S = {2}, C_3 = 0 beside C_2 C_1 with C_1 of rank 2 and C_2 of rank 1)
                for pl, pr in itertools.product(range(max(c - 1, 1)), range(max(L - c, 1))):
                    if (pl, pr) == (0, max(L - c, 1) - 1):
                        continue  # the outer layers: listed above
                    inner = _feasible_most_generic(
                        lambda tries: _cut_point(rng, T, d, c, k, a, b, tries=tries, pin=(pl, pr)), signature)
                    if not inner:
                        continue  # these layer ranks cannot give the products' ranks a, b
                    inner = [(sg, C) for sg, C in inner if sg not in seen]
                    seen |= {sg for sg, _ in inner}
                    where = ", ".join(f"C_{l} rank {x}" for l, x in ((pl + 1, a), (c + 1 + pr, b)) if 1 <= l <= L and l != c
                                      and (l < c and c > 1 or l > c and c < L))
                    for v, (sg, C) in enumerate(inner, start=1):
                        out.append((name + f", {where}" + ("" if len(inner) == 1 else f" [variant {v}]"),
                                    assemble(C), sg))
    # a vanishing pair: C_{i+1} C_i = 0 with both nonzero, no zero layer, and P_>ᵀ T P_<ᵀ = 0 (every gradient block
    # of a layer outside the pair passes through the pair's zero product; the pair's own two are C_{i+1}ᵀ K and K C_iᵀ
    # with K = P_>ᵀ T P_<ᵀ = 0).  Found by random-start searches at depth 4, widths (2, 3, 2), where the table
    # omitted it (all four layers of rank 2, A = A_S).
    for i in range(1, L):
        if any(x == 0 for x in d[1:L]):
            break  # an empty complement layer: the free complement above
        left, right = d[:i], d[i + 1:]  # P_<: d_0 → … → d_{i−1};  P_>: d_{i+1} → … → d_L
        a_max = min(left) if i > 1 else n[0]
        fixed = n[0] if i == 1 else None
        if i + 1 == L:
            def b_of_a(a):
                return n[L] if a <= n[0] - rankT else 0
        else:
            def b_of_a(a, right=right):
                return min(min(right), n[L] - min(a, rankT))
        pairs = _rank_pairs(a_max, b_of_a, fixed, n[L] if i + 1 == L else None)
        for a1 in range(1, min(d[i - 1], d[i]) + 1):
            for a2 in range(1, min(d[i + 1], d[i] - a1) + 1):
                for a, b in pairs:
                    gx, gy, _ = _generic_null(d, a, b, None, nulls, rankT, (i == 1, i + 1 == L))
                    gen_null = (*nulls[:2], gx, nulls[2], gy) if nulls[1].ncols() or nulls[2].ncols() else None
                    found = _most_generic(lambda: _pair_point(rng, T, d, i, a1, a2, a, b, null=gen_null), signature)
                    name = f"vanishing pair {i},{i + 1} (ranks {a1},{a2}; outer {a},{b})"
                    for v, (sg, C) in enumerate(found, start=1):
                        out.append((name + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
                    if b == 1 or (a, b - 1) not in pairs:  # once per a: the null directions (as for the cuts)
                        out += _null_strata(
                            d, a, nulls, rankT, (i == 1, i + 1 == L), min(right),
                            lambda b, null: _pair_point(rng, T, d, i, a1, a2, a, b, null=null),
                            lambda b, parts: f"vanishing pair {i},{i + 1} (ranks {a1},{a2}; outer {a},{b}; {parts})",
                            signature, assemble)
    # depth 3: a zero end layer beside a two-layer chain whose product vanishes (C_3 = 0, C_2 C_1 = 0, or C_1 = 0,
    # C_3 C_2 = 0; both chain layers nonzero: otherwise two zero layers, listed below or as Z{i,j})
    if L == 3:
        for c in (3, 1):
            lo = 1 if c == 3 else 2  # the chain C_lo, C_lo+1
            dims = d[lo - 1: lo + 2]  # its widths: in → middle → out
            if d[c] * d[c - 1] == 0 or any(x == 0 for x in dims):
                continue  # an empty zero layer or chain layer: the free complement or a smaller set
            for a1 in range(1, min(dims[0], dims[1]) + 1):
                for a2 in range(1, min(dims[2], dims[1] - a1) + 1):
                    def draw(c=c, lo=lo, dims=dims, a1=a1, a2=a2):
                        first = _rank_matrix(rng, dims[1], dims[0], a1)
                        N = _nullspace_cols(first.transpose(), dims[1])  # z with zᵀ·first = 0
                        second = _rank_matrix(rng, dims[2], N.ncols(), a2) * N.transpose()
                        C = [None] * L
                        C[c - 1] = _zeros(d[c], d[c - 1])
                        C[lo - 1], C[lo] = first, second
                        return C

                    found = _most_generic(draw, signature)
                    for v, (sg, C) in enumerate(found, start=1):
                        if not (_rank(C[lo - 1]) == a1 and _rank(C[lo]) == a2 and _is_zero(C[lo] * C[lo - 1])):
                            raise ModelError(f"internal error: a zero-product chain of ranks {a1},{a2} is not exact")
                        out.append((f"zero layer {c}, chain ranks {a1},{a2} (product 0)"
                                    + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
    # two zero layers other than (1, L), S ≠ ∅ (for S = ∅ they are the Z{i,j} families)
    if r > 0:
        for i, j in itertools.combinations(range(1, L + 1), 2):
            if (i, j) == (1, L):
                continue
            if any(d[l] == 0 for l in range(1, L) if l not in (i, j)) or d[i] * d[i - 1] == 0 or d[j] * d[j - 1] == 0:
                continue  # an empty layer cannot be a zero layer: the same set as one with fewer
            def draw(i=i, j=j):
                return [_zeros(d[l], d[l - 1]) if l in (i, j) else _rank_matrix(rng, d[l], d[l - 1], min(d[l], d[l - 1]))
                        for l in range(1, L + 1)]

            found = _most_generic(draw, signature)
            for v, (sg, C) in enumerate(found, start=1):
                out.append((f"Z{{{i},{j}}}" + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
            full = {l: min(d[l], d[l - 1]) for l in range(1, L + 1) if l not in (i, j) and d[l] * d[l - 1]}
            out += _null_zero_strata(rng, d, L, [i, j], full, nulls, signature, assemble, f"Z{{{i},{j}}}")
        out += _lower_rank_zero_pairs(rng, d, L, signature, assemble, nulls)
    if all(d[l] for l in range(1, L)):
        from .zero_chains import overlapping_chains, zero_segments

        out += zero_segments(rng, d, L, signature, assemble)
        out += overlapping_chains(rng, T, d, L, signature, assemble)
    return out


def _null_zero_strata(rng, d, L, zeros, full, nulls, signature, assemble, base) -> list:
    """Complements with zero layers ``zeros`` and free layers of ranks ``full`` whose prefix ``C_{i−1}⋯C_1`` (before
    the first zero layer) reads along the target's null inputs, or whose suffix ``C_L⋯C_{j+1}`` (after the last) writes
    along its null outputs, in more dimensions than a random draw: as
    :func:`symdln.symbolic.zero_layers._null_strata` for ``S = ∅`` (every such point is critical; the meeting
    dimensions are invariants, certified by ``rank Σyx Pᵀ`` and ``rank Σyxᵀ S``)."""
    from .zero_layers import _col_basis, end_layer

    syx, K, Kt = nulls
    first, last = zeros[0], zeros[-1]
    pre, suf = list(range(1, first)), list(range(last + 1, L + 1))
    if not all(l in full for l in pre + suf):
        return []

    def plain():
        return [_rank_matrix(rng, d[l], d[l - 1], full[l]) if l in full else _zeros(d[l], d[l - 1])
                for l in range(1, L + 1)]

    def product(C, ls, n_in):
        return _product([C[l - 1] for l in ls], n_in)

    probes = [plain() for _ in range(6)]  # generic ranks: the largest over a few draws (as zero_layers._null_strata)
    a = max(_rank(product(P, pre, d[0])) for P in probes) if pre else None
    b = max(_rank(product(P, suf, d[last])) for P in probes) if suf else None
    xs = [None] if a is None or not K.ncols() else range(max(0, a + K.ncols() - d[0]), min(a, K.ncols()) + 1)
    ys = [None] if b is None or not Kt.ncols() else range(max(0, b + Kt.ncols() - d[L]), min(b, Kt.ncols()) + 1)
    gx, gy = xs[0], ys[0]
    out = []
    for jx, jy in itertools.product(xs, ys):
        if not ((jx is not None and jx > gx) or (jy is not None and jy > gy)):
            continue

        def draw(jx=jx, jy=jy):
            for _ in range(64):
                C = plain()
                if jx is not None:
                    C[0] = end_layer(rng, _col_basis(product(C, pre[1:], d[1]).transpose()), full[1], d[0], K,
                                     jx).transpose()
                if jy is not None:
                    C[-1] = end_layer(rng, _col_basis(product(C, suf[:-1], d[last])), full[L], d[L], Kt, jy)
                P = product(C, pre, d[0]) if pre else None
                S = product(C, suf, d[last]) if suf else None
                if (all(_rank(C[l - 1]) == k for l, k in full.items())
                        and (jx is None or (_rank(P) == a and _rank(syx * P.transpose()) == a - jx))
                        and (jy is None or (_rank(S) == b and _rank(syx.transpose() * S) == b - jy))):
                    return C
            raise ModelError(f"no {base} representative with {jx}, {jy} null directions found in 64 draws")

        try:
            found = _most_generic(draw, signature)
        except ModelError:
            continue  # these ranks cannot carry the null directions so
        parts = [f"{c} null {w}{'s' if c > 1 else ''}" for c, g, w in ((jx, gx, "input"), (jy, gy, "output"))
                 if c is not None and c > g]
        for v, (sg, C) in enumerate(found, start=1):
            out.append((f"{base}; {', '.join(parts)}" + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
    return out


def _lower_rank_zero_pairs(rng, d, L, signature, assemble, nulls=None) -> list:
    """Two zero complement layers ``C_i = C_j = 0`` (``S ≠ ∅``) with free complement layers of lower ranks than the
    generic ones: every such point is critical and the free layers' ranks are invariants of the stratum (random-start
    searches end there: depth 3, widths (3, 2), ``S = {1}``, ``C_2 = C_3 = 0`` with ``C_1`` of rank 1).  As
    :func:`~symdln.symbolic.zero_layers._lower_rank_strata` for ``S = ∅``: one candidate per choice of ranks (rank 0,
    a further zero layer, only after ``j``; the all-zero complement is the balanced point) when there are at most
    :data:`~symdln.symbolic.zero_layers.MAX_RANK_CHOICES` choices; the pair ``(1, L)`` included (its generic stratum
    is the family's own).  Each representative is certified to have exactly the ranks it names."""
    from .zero_layers import lower_rank_choices

    out = []
    for i, j in itertools.combinations(range(1, L + 1), 2):
        if any(d[l] == 0 for l in range(1, L) if l not in (i, j)) or d[i] * d[i - 1] == 0 or d[j] * d[j - 1] == 0:
            continue
        free = [l for l in range(1, L + 1) if l not in (i, j)]
        # neither the generic ranks (listed above or with the family) nor the all-zero complement (the balanced point)
        for ranks in lower_rank_choices(free, [min(d[l], d[l - 1]) for l in free], j) or ():
            zeros = sorted({i, j} | {l for l, k in ranks.items() if k == 0})
            full = {l: k for l, k in ranks.items() if k}

            def draw(full=full):
                return [_rank_matrix(rng, d[l], d[l - 1], full[l]) if l in full else _zeros(d[l], d[l - 1])
                        for l in range(1, L + 1)]

            found = _most_generic(draw, signature)
            low = ", ".join(f"C_{l} rank {k}" for l, k in full.items() if k < min(d[l], d[l - 1]))
            name = "Z{" + ",".join(map(str, zeros)) + "}" + (f", {low}" if low else "")
            for v, (sg, C) in enumerate(found, start=1):
                if any(_rank(C[l - 1]) != k for l, k in full.items()) or any(not _is_zero(C[z - 1]) for z in zeros):
                    raise ModelError(f"internal error: the representative of {name} does not have its ranks")
                out.append((name + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
            if nulls is not None:
                out += _null_zero_strata(rng, d, L, zeros, full, nulls, signature, assemble, name)
    return out
