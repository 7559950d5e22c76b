"""Strata along the target's null directions (a rank-deficient or non-square ``Σyx``), and generic position.

A chain whose row space ``X`` meets ``ker Σyx`` (or whose column space ``Y`` meets ``ker Σyxᵀ``) in more dimensions
than a random draw gives a stratum of its own (the rank signature's couplings see it); a draw that lands there by
luck must not stand for the generic stratum.  Here: the end layers that put ``jx`` (``jy``) null directions into
``X`` (``Y``), the certificates, the generic counts, and the strata of cuts, vanishing pairs and zero-layer
complements along them (:mod:`.cuts` lists them; :mod:`.zero_layers` does the same for ``S = ∅``)."""

from __future__ import annotations

import itertools

import flint

from ..errors import ModelError
from .exact_draws import (
    _most_generic,
    _nullspace_cols,
    _product,
    _rand,
    _rank,
    _rank_matrix,
    _stack_rows,
    _zeros,
)

__all__ = ["generic_position", "end_layer", "null_end_choices"]


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


def null_end_choices(rng, widths, zeros, full, syx, K, Kt):
    """The null-direction variants of a point with zero layers ``zeros`` and free layers of ranks ``full`` (layer
    ``l``: ``widths[l] × widths[l−1]``): yields ``(jx, jy, parts, draw)`` for each choice where the prefix ``P``
    (before the first zero layer) reads along ``ker Σyx`` (``K``'s columns) in ``jx`` dimensions or the suffix ``S``
    (after the last) writes along ``ker Σyxᵀ`` in ``jy``, at least one above a random draw's ``max(0, a + κ − n_0)``
    (``a = rank P``, generic: the largest over six draws — one small-integer draw with ``W_2 W_1 = 0`` made a
    listing seed-dependent).  ``draw()`` builds such a point (the end layers by :func:`end_layer`), certified by the
    layer ranks, ``rank Σyx Pᵀ = a − jx`` and ``rank Σyxᵀ S = b − jy``; ``parts`` names the counts above the random
    ones (``"1 null input"``).  Shared by :func:`symdln.symbolic.zero_layers._null_strata` (``S = ∅``) and
    :func:`_null_zero_strata` (complements)."""
    L = len(widths) - 1
    first, last = zeros[0], zeros[-1]
    pre, suf = list(range(1, first)), list(range(last + 1, L + 1))  # the free layers before and after the zeros
    if not all(l in full for l in pre + suf):
        return

    def plain():
        return [_rank_matrix(rng, widths[l], widths[l - 1], full[l]) if l in full else _zeros(widths[l], widths[l - 1])
                for l in range(1, L + 1)]

    def product(C, ls, n_in):
        return _product([C[l - 1] for l in ls], n_in)

    probes = [plain() for _ in range(6)]
    a = max(_rank(product(P, pre, widths[0])) for P in probes) if pre else None
    b = max(_rank(product(P, suf, widths[last])) for P in probes) if suf else None
    xs = [None] if a is None or not K.ncols() else range(max(0, a + K.ncols() - widths[0]), min(a, K.ncols()) + 1)
    ys = [None] if b is None or not Kt.ncols() else range(max(0, b + Kt.ncols() - widths[L]), min(b, Kt.ncols()) + 1)
    gx, gy = xs[0], ys[0]
    for jx, jy in itertools.product(xs, ys):
        if not ((jx is not None and jx > gx) or (jy is not None and jy > gy)):
            continue

        def draw(jx=jx, jy=jy):
            for _ in range(64):
                C = plain()
                if jx is not None:  # W_1ᵀ maps the row space of W_{first−1}⋯W_2 onto X (the chain read backwards)
                    C[0] = end_layer(rng, _col_basis(product(C, pre[1:], widths[1]).transpose()), full[1], widths[0],
                                     K, jx).transpose()
                if jy is not None:  # W_L maps the range of W_{L−1}⋯W_{last+1} onto Y
                    C[-1] = end_layer(rng, _col_basis(product(C, suf[:-1], widths[last])), full[L], widths[L], Kt, jy)
                P = product(C, pre, widths[0]) if pre else None
                S = product(C, suf, widths[last]) if suf else None
                if (all(_rank(C[l - 1]) == k for l, k in full.items())
                        and (jx is None or (_rank(P) == a and _rank(syx * P.transpose()) == a - jx))
                        and (jy is None or (_rank(S) == b and _rank(syx.transpose() * S) == b - jy))):
                    return C
            raise ModelError(f"no representative with {jx}, {jy} null directions found in 64 draws")

        parts = ", ".join(f"{c} null {w}{'s' if c > 1 else ''}" for c, g, w in ((jx, gx, "input"), (jy, gy, "output"))
                          if c is not None and c > g)
        yield jx, jy, parts, draw


def _null_zero_strata(rng, d, L, zeros, full, nulls, signature, assemble, base) -> list:
    """Complements with zero layers ``zeros`` and free layers of ranks ``full`` whose prefix ``C_{i−1}⋯C_1`` (before
    the first zero layer) reads along the target's null inputs, or whose suffix ``C_L⋯C_{j+1}`` (after the last) writes
    along its null outputs, in more dimensions than a random draw (:func:`null_end_choices`; as
    :func:`symdln.symbolic.zero_layers._null_strata` for ``S = ∅``: every such point is critical)."""
    syx, K, Kt = nulls
    out = []
    for _, _, parts, draw in null_end_choices(rng, d, zeros, full, syx, K, Kt):
        try:
            found = _most_generic(draw, signature)
        except ModelError:
            continue  # these ranks cannot carry the null directions so
        for v, (sg, C) in enumerate(found, start=1):
            out.append((f"{base}; {parts}" + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
    return out


def end_layer(rng, V: flint.fmpq_mat, r: int, n_out: int, K: flint.fmpq_mat, j: int) -> flint.fmpq_mat:
    """An ``n_out × m`` matrix ``E`` of rank ``r`` (generic otherwise) whose image of the subspace ``V`` (spanned by
    the ``b`` independent columns of ``V``, in ``ℚ^m``) contains ``j`` random directions of the span of ``K``'s
    columns: ``E = A Bᵀ`` with ``A = [K R_0, R_1]`` (``j`` columns from ``span K``, ``r − j`` random) and ``Bᵀ`` solving
    ``Bᵀ V = diag(I_j, R_2)`` plus random rows on ``V^⊥`` (so ``E V ∋ A e_1 … A e_j``).  The last layer of a chain
    whose earlier layers map onto ``V`` (or, transposed, the first layer of a chain read backwards)."""
    m, b = V.nrows(), V.ncols()
    A = flint.fmpq_mat(n_out, r, [0] * (n_out * r))
    KR, R1 = K * _rand(rng, K.ncols(), j), _rand(rng, n_out, r - j)
    for a in range(n_out):
        for c in range(r):
            A[a, c] = KR[a, c] if c < j else R1[a, c - j]
    Cb = flint.fmpq_mat(r, b, [0] * (r * b))
    R2 = _rand(rng, r - j, b - j)
    for a in range(r):
        for c in range(b):
            Cb[a, c] = (1 if a == c else 0) if a < j or c < j else R2[a - j, c - j]
    perp = _nullspace_cols(V.transpose(), m)  # V^⊥
    Bt = Cb * (V.transpose() * V).inv() * V.transpose() + _rand(rng, r, perp.ncols()) * perp.transpose()
    return A * Bt


def _col_basis(M: flint.fmpq_mat) -> flint.fmpq_mat:
    """A basis (columns) of the column space of ``M``: its pivot columns."""
    cols, rank = [], 0
    for c in range(M.ncols()):
        trial = cols + [c]
        sub = flint.fmpq_mat(M.nrows(), len(trial), [M[a, k] for a in range(M.nrows()) for k in trial])
        if _rank(sub) > rank:
            cols, rank = trial, rank + 1
    return flint.fmpq_mat(M.nrows(), len(cols), [M[a, k] for a in range(M.nrows()) for k in cols])
