"""Complement strata held by zero products of consecutive layers (see :mod:`symdln.symbolic.cuts` for the setting).

* **two disjoint zero-product chains** (:func:`zero_segments`): every gradient block has a whole zero chain on one side
  of its layer, so every such point is critical whatever the residual target ``T``;
* **two overlapping zero-product chains** around a nonzero middle (:func:`overlapping_chains`), held by
  ``(C_L⋯C_{j+1})ᵀ T (C_{i−1}⋯C_1)ᵀ = 0``.

Representatives are exact rationals, certified (exact zero products and ranks); :func:`~.cuts.complement_strata`
lists them with the other complement strata.
"""

from __future__ import annotations

import itertools

import flint

from ..errors import ModelError
from .exact_draws import (
    _chain,
    _is_zero,
    _most_generic,
    _nullspace_cols,
    _product,
    _rand,
    _rank,
    _rank_matrix,
    _zeros,
)
from .null_directions import generic_position

__all__ = ["zero_segments", "overlapping_chains"]


def _overlap_point(rng, T, d, i: int, j: int, rb: int, pin: int, a1: int, a2: int, tries: int = 16):
    """Complement layers with ``B = C_j⋯C_i`` of rank ``rb`` set at its layer ``pin`` (0-based; the other middle layers
    of full rank: :func:`~.exact_draws._chain`), ``B C_{i−1} = 0`` (``C_{i−1}`` of rank ``a1``),
    ``C_{j+1} B = 0`` (rank ``a2``), the other layers generic except ``C_L``, whose columns are taken ``T``-orthogonal to
    the left chain: ``(C_L⋯C_{j+1})ᵀ T (C_{i−1}⋯C_1)ᵀ = 0``, the outer chains in generic position with respect to
    ``T``'s null directions (:func:`~.cuts.generic_position`); certified exactly (``None``: no draw met the ranks)."""
    L = len(d) - 1
    for _ in range(tries):
        C = [None] * L
        for l in range(1, L + 1):
            if not (i - 1 <= l <= j + 1):
                C[l - 1] = _rank_matrix(rng, d[l], d[l - 1], min(d[l], d[l - 1]))
        try:
            C[i - 1:j], B = _chain(rng, d[i - 1:j + 1], rb, pin) if isinstance(pin, int) else _drop_pair(rng, d[i - 1:j + 1], *pin, rb)
        except ModelError:
            return None
        K1 = _nullspace_cols(B, d[i - 1])  # ker B
        K2 = _nullspace_cols(B.transpose(), d[j])  # z with zᵀB = 0
        if K1.ncols() < a1 or K2.ncols() < a2 or _is_zero(B):
            return None
        C[i - 2] = K1 * _rank_matrix(rng, K1.ncols(), d[i - 2], a1)
        Lc = _product(C[:i - 1], d[0])  # C_{i−1}⋯C_1
        perp = _nullspace_cols((T * Lc.transpose()).transpose(), d[L])  # columns T-orthogonal to the left chain
        if perp.ncols() == 0:
            return None
        if j + 1 == L:
            if perp.ncols() < a2:
                return None
            C[L - 1] = perp * _rank_matrix(rng, perp.ncols(), K2.ncols(), a2) * K2.transpose()
        else:
            C[j] = _rank_matrix(rng, d[j + 1], K2.ncols(), a2) * K2.transpose()
            C[L - 1] = perp * _rank_matrix(rng, perp.ncols(), d[L - 1], min(perp.ncols(), d[L - 1]))
        R = _product(C[j:], d[j])  # C_L⋯C_{j+1}
        if (_rank(C[i - 2]) == a1 and _rank(C[j]) == a2 and _is_zero(B * C[i - 2]) and _is_zero(C[j] * B)
                and not _is_zero(R) and not _is_zero(Lc) and _is_zero(R.transpose() * T * Lc.transpose())
                and generic_position(T, Lc, R)):  # (a draw along T's null directions is another stratum's point:
            return C  # the listing then depended on the seed, depth 4, widths 2, target [[1, 0], [0, 0]])
    return None


def _drop_pair(rng, dims, r1: int, r2: int, rb: int):
    """Two layers ``dims[0] → dims[1] → dims[2]`` of ranks ``r1``, ``r2`` whose product has rank ``rb`` below
    ``min(r1, r2)`` (the second layer's kernel meets the first one's image in ``r1 − rb`` dimensions: special
    position), certified; ``(layers, product)``."""
    for _ in range(64):
        first = _rank_matrix(rng, dims[1], dims[0], r1)
        kappa, delta = dims[1] - r2, r1 - rb
        img = first * _rand(rng, dims[0], delta)  # vectors in the image of the first layer
        K = flint.fmpq_mat(dims[1], kappa, [0] * (dims[1] * kappa))
        rand = _rand(rng, dims[1], kappa - delta)
        for a in range(dims[1]):
            for b in range(kappa):
                K[a, b] = img[a, b] if b < delta else rand[a, b - delta]
        N = _nullspace_cols(K.transpose(), dims[1])  # the complement of the kernel
        if N.ncols() != r2:
            continue
        second = _rank_matrix(rng, dims[2], r2, r2) * N.transpose()
        P = second * first
        if _rank(first) == r1 and _rank(second) == r2 and _rank(P) == rb:
            return [first, second], P
    raise ModelError(f"no pair of ranks {r1},{r2} with product rank {rb} found in 64 draws")


def overlapping_chains(rng, T, d, L, signature, assemble) -> list:
    """Complements with two overlapping zero-product chains ``C_j⋯C_{i−1} = 0`` and ``C_{j+1}⋯C_i = 0`` around a
    nonzero middle ``B = C_j⋯C_i`` (``2 ≤ i ≤ j ≤ L − 1``), held by ``(C_L⋯C_{j+1})ᵀ T (C_{i−1}⋯C_1)ᵀ = 0``: a layer
    outside ``[i−1, j+1]`` has a whole zero chain on one side, ``C_{i−1}`` has ``C_{j+1} B`` above it, ``C_{j+1}`` has
    ``B C_{i−1}`` below it, and the gradient block of a middle layer ``l`` is
    ``(C_j⋯C_{l+1})ᵀ [(C_L⋯C_{j+1})ᵀ T (C_{i−1}⋯C_1)ᵀ] (C_{l−1}⋯C_i)ᵀ = 0``.  Random-start searches at depth 4, widths
    (3, 3, 2) ended there (``W_3W_2W_1 = 0``, ``W_4W_3W_2 = 0``, ``W_2``, ``W_3`` of rank 2 and ``W_3W_2`` of rank 1).
    One stratum per middle (its rank set at one layer, or for two layers their ranks and the product's below both)
    and pair of ranks ``(rank C_{i−1}, rank C_{j+1})``, the other layers generic (stratum ``zero products i−1..j and
    i..j+1 (…, ranks a,b)``)."""
    out = []
    for i, j in itertools.combinations_with_replacement(range(2, L), 2):
        middles = [(rb, pin) for rb, pin in itertools.product(range(1, min(d[i - 1:j + 1]) + 1), range(j - i + 1))
                   if not (rb == min(d[i - 1:j + 1]) and pin > 0)]  # full rank: one middle
        if j == i + 1:  # two middle layers of ranks above their product's, in special position
            middles += [(rb, (r1, r2)) for r1 in range(2, min(d[i - 1], d[i]) + 1) for r2 in range(2, min(d[i], d[i + 1]) + 1)
                        for rb in range(1, min(r1, r2)) if r1 - rb <= d[i] - r2]
        for rb, pin in middles:
            for a1, a2 in itertools.product(range(1, min(d[i - 1] - rb, d[i - 2]) + 1), range(1, min(d[j] - rb, d[j + 1]) + 1)):
                if _overlap_point(rng, T, d, i, j, rb, pin, a1, a2) is None:
                    continue  # these ranks admit no such point (e.g. no T-orthogonal columns left)

                def draw(i=i, j=j, rb=rb, pin=pin, a1=a1, a2=a2):
                    return _overlap_point(rng, T, d, i, j, rb, pin, a1, a2, tries=64)  # None: skipped

                found = _most_generic(draw, signature)
                mid = (f"C_{i} rank {pin[0]}, C_{i + 1} rank {pin[1]}, product rank {rb}, " if isinstance(pin, tuple)
                       else f"C_{i + pin} rank {rb}, " if rb < min(d[i - 1:j + 1]) else "")
                name = f"zero products {i - 1}..{j} and {i}..{j + 1} ({mid}ranks {a1},{a2})"
                for v, (sg, C) in enumerate(found, start=1):
                    out.append((name + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
    return out


def _segment_ranks(d, i: int, j: int) -> list[tuple[int, ...]]:
    """The Pareto-maximal ranks ``(a_i, …, a_j)`` (each ``≥ 1``) of a chain ``C_j⋯C_i = 0`` of the complement (layer
    ``l``: ``d[l−1] → d[l]``) whose inner layers are in general position: the product of the first ``j − i`` layers
    then has rank ``p = min(a_i … a_{j−1})`` and the last layer kills its image, ``a_j ≤ d[j−1] − p``."""
    box = [range(1, min(d[l - 1], d[l]) + 1) for l in range(i, j + 1)]
    feasible = [a for a in itertools.product(*box) if a[-1] <= d[j - 1] - min(a[:-1])]
    return [a for a in feasible if not any(b != a and all(x >= y for x, y in zip(b, a)) for b in feasible)]


def _segment_draw(rng, d, i: int, j: int, ranks) -> list:
    """Layers ``C_i … C_j`` of the ranks given with ``C_j⋯C_i = 0``: the first ``j − i`` random, the last ``R Kᵀ`` with
    ``K`` spanning the orthogonal complement of the image of their product (``None`` when a draw misses the ranks)."""
    layers = [_rank_matrix(rng, d[l], d[l - 1], a) for l, a in zip(range(i, j), ranks[:-1])]
    P = _product(layers, d[i - 1])
    K = _nullspace_cols(P.transpose(), d[j - 1])  # z with zᵀP = 0
    if K.ncols() < ranks[-1]:
        return None
    layers.append(_rank_matrix(rng, d[j], K.ncols(), ranks[-1]) * K.transpose())
    if _rank(layers[-1]) != ranks[-1] or not _is_zero(layers[-1] * P):
        return None
    return layers


def zero_segments(rng, d, L, signature, assemble) -> list:
    """Complements with two disjoint zero-product segments ``C_{j1}⋯C_{i1} = 0`` and ``C_{j2}⋯C_{i2} = 0`` (``j1 < i2``;
    a segment of one layer is a zero layer): every gradient block ``C_{>l}ᵀ T C_{<l}ᵀ`` has a whole segment on one side
    of ``l``, so every such point is critical, whatever ``T``.  Two zero layers are the ``Z{i,j}`` strata and at depth 3
    a zero end layer beside a two-layer chain is listed above; the rest are listed here (random-start searches end
    there: depth 4, widths (2, 1, 2), ``W_2W_1 = 0`` and ``W_4W_3 = 0``; widths (3, 3, 2), ``S = {1}``, ``C_4 = 0``
    beside ``C_3C_2C_1 = 0``).  Each segment takes its Pareto-maximal ranks with inner layers in general position
    (:func:`_segment_ranks`), at most :data:`~symdln.symbolic.zero_layers.MAX_RANK_CHOICES` choices per pair of
    segments; the other layers are generic.  Each representative is certified: exact zero products, exact ranks."""
    from .zero_layers import MAX_RANK_CHOICES

    segments = [(i, j) for i in range(1, L + 1) for j in range(i, L + 1)]
    out = []
    for (i1, j1), (i2, j2) in itertools.combinations(segments, 2):
        if j1 >= i2 or (i1 == j1 and i2 == j2) or (L == 3 and j1 - i1 + j2 - i2 == 1):
            continue  # overlapping, two zero layers (Z{i,j}), or depth 3's zero layer beside a chain (above)
        choices = list(itertools.product(*[[(0,)] if i == j else _segment_ranks(d, i, j) for i, j in ((i1, j1), (i2, j2))]))
        if not choices or len(choices) > MAX_RANK_CHOICES:
            continue
        for ranks in choices:
            def draw(ranks=ranks):
                for _ in range(64):
                    C = [None] * L
                    ok = True
                    for (i, j), a in zip(((i1, j1), (i2, j2)), ranks):
                        if i == j:
                            C[i - 1] = _zeros(d[i], d[i - 1])
                            continue
                        seg = _segment_draw(rng, d, i, j, a)
                        if seg is None:
                            ok = False
                            break
                        C[i - 1:j] = seg
                    if ok:
                        return [W if W is not None else _rank_matrix(rng, d[l + 1], d[l], min(d[l + 1], d[l]))
                                for l, W in enumerate(C)]
                raise ModelError(f"no exact zero-product segments {i1}..{j1}, {i2}..{j2} of ranks {ranks} in 64 draws")

            found = _most_generic(draw, signature)
            parts = [f"zero layer {i}" if i == j else f"chain {i}..{j} ranks {','.join(map(str, a))} (product 0)"
                     for (i, j), a in zip(((i1, j1), (i2, j2)), ranks)]
            zero = [p for p in parts if p.startswith("zero layer")]
            name = ", ".join(zero + [p for p in parts if not p.startswith("zero layer")])
            for v, (sg, C) in enumerate(found, start=1):
                out.append((name + ("" if len(found) == 1 else f" [variant {v}]"), assemble(C), sg))
    return out
