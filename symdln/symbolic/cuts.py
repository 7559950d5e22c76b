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
  than a random draw gives: strata of their own (``cut c (ranks a,b; 1 null input)``, :func:`~.null_directions._null_strata`); the
  plain cuts are certified in generic position (:func:`~.null_directions._certify_null`, :func:`~.null_directions.generic_position`).
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

Representatives are exact rationals drawn from a seed (:mod:`.cut_draws`) and certified: the chains' ranks are
exactly ``a`` and ``b`` (so the point is in the intended stratum and not a smaller one), the orthogonality holds exactly, and the exact
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
from .exact_draws import (
    _feasible_most_generic,
    _is_zero,
    _most_generic,
    _nullspace_cols,
    _product,
    _rank,
    _rank_matrix,
    _zeros,
)
from .cut_draws import _cut_point, _pair_point, _rank_pairs
from .fields import to_fmpq_mat
from .null_directions import (
    _generic_null,
    _null_strata,
    _null_zero_strata,
)

__all__ = ["complement_strata", "to_sympy_point"]

# Exact arithmetic over ℚ in python-flint matrices throughout (SymPy matrices only for the representatives returned).


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
    # read or write along them are strata of their own (:func:`~.null_directions._null_strata`; along the learned directions, the
    # residual's other null directions, they are points of other strata: :func:`~.null_directions._certify_null`)
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
