"""The zero-layer families of a deep linear network (depth ≥ 3): ``Z{i,j}``, every point with ``W_i = W_j = 0``.

Every such point is critical (each gradient block passes through a zero layer).  The generic stratum has full-rank
runs of nonzero layers and a generic target coupling; the strata with lower ranks of the free layers are listed
too when there are few choices (:data:`MAX_RANK_CHOICES`), and those with further zero layers (``Z{i,j,l,…}``), with
their exact dimension ``Σ k(m + n − k)``.
"""

from __future__ import annotations

import itertools
import math

import flint
import sympy as sp

from ..errors import ModelError
from .analysis import _Loss, analyze_exact, analyze_point
from .critical import CriticalSet, _end_to_end, _generic_run, _product

__all__ = ["zero_layer_strata", "MAX_RANK_CHOICES"]


def _target_coupling_generic(model, layers, i: int, j: int) -> bool:
    """``rank((W_L⋯W_{j+1})ᵀ Σyx (W_{i−1}⋯W_1)ᵀ) = min(rank W_L⋯W_{j+1}, rank Σyx, rank W_{i−1}⋯W_1)``."""
    L, n = model.depth, model.widths
    left = sp.eye(n[j]) if j == L else _product([layers[l] for l in range(j + 1, L + 1)])
    right = sp.eye(n[0]) if i == 1 else _product([layers[l] for l in range(1, i)])
    S = sp.Matrix(model.syx)
    K = left.T * S * right.T
    return K.rank() == min(left.rank(), S.rank(), right.rank())


def zero_layer_strata(model, pairs, rng, seed, out, bar) -> None:
    L, n = model.depth, model.widths
    for i, j in pairs:  # (1, L) is B_∅ above
        # the nonzero layers form up to three runs (before i, between i and j, after j); each is
        # certified generic, so no representative has an extra zero layer or a rank drop; and the
        # target seen through the outer runs, (W_L⋯W_{j+1})ᵀ Σyx (W_{i−1}⋯W_1)ᵀ, which pairs δW_j with
        # δW_i in the Hessian, has the largest rank its factors allow
        for _ in range(64):
            layers = {i: sp.zeros(n[i], n[i - 1]), j: sp.zeros(n[j], n[j - 1])}
            for lo, hi in ((1, i - 1), (i + 1, j - 1), (j + 1, L)):
                if lo <= hi:
                    run = _generic_run(rng, [n[l] for l in range(lo - 1, hi + 1)], f"Z{{{i},{j}}}")
                    for l, Wm in zip(range(lo, hi + 1), run):
                        layers[l] = sp.Matrix(n[l], n[l - 1], lambda a, b, Wm=Wm: Wm[a][b])
            if _target_coupling_generic(model, layers, i, j):
                break
        else:
            raise ModelError(f"no generic representative of Z{{{i},{j}}} found in 64 random draws")
        pt = tuple(sp.ImmutableMatrix(layers[l]) for l in range(1, L + 1))
        dim = model.n_params - n[i] * n[i - 1] - n[j] * n[j - 1]
        a = analyze_point(model, pt, family_dimension=dim, seed=seed)
        out.append(CriticalSet(f"Z{{{i},{j}}}", "generic", pt, a.loss, _end_to_end(pt), dim, a))
        free = {l: min(n[l], n[l - 1]) for l in range(1, L + 1) if l not in (i, j) and n[l] * n[l - 1]}
        _null_strata(model, i, j, free, "generic", rng, seed, out)
        _lower_rank_strata(model, i, j, rng, seed, out)
        bar.update()


#: the lower-rank strata of a two-zero-layer family (ranks 0 … max of its free layers) are listed when there are at
#: most this many choices
MAX_RANK_CHOICES = 12


def lower_rank_choices(free, caps, j: int):
    """The rank choices ``{layer: rank}`` of the free layers ``free`` (ranks ``1 … caps[k]``, and 0 — a further
    zero layer — only after layer ``j``), without the generic one (every rank at its cap) and the all-zero one;
    ``None`` when there are more than :data:`MAX_RANK_CHOICES`."""
    options = [range(0 if l > j else 1, cap + 1) for l, cap in zip(free, caps)]
    if not free or math.prod(len(o) for o in options) > MAX_RANK_CHOICES:
        return None
    return [dict(zip(free, ranks)) for ranks in itertools.product(*options)
            if not all(k == cap for k, cap in zip(ranks, caps)) and any(ranks)]


def _lower_rank_strata(model, i, j, rng, seed, out) -> None:
    """The strata of ``Z{i,j}`` whose free layers have lower ranks than the generic ones: every point with
    ``W_i = W_j = 0`` is critical, and the ranks of the free layers are invariants of a stratum (random-start
    searches end there often: at widths (3, 2), ``W_2 = W_3 = 0`` with ``W_1`` of rank 1).  One stratum per choice of
    ranks (at most :data:`MAX_RANK_CHOICES` choices; otherwise :func:`~symdln.symbolic.unlisted.not_listed` says so),
    its representative the draw of largest rank signature among several, kept when its (signature, inertia, kind,
    order) is not listed yet."""
    from .dimension import stratum_dimension_bounds
    from .exact_draws import _most_generic, _rank_matrix
    from .landscape import exact_signature, rational_signature

    L, n = model.depth, model.widths
    free = [l for l in range(1, L + 1) if l not in (i, j) and n[l] * n[l - 1]]
    # rank 0 (a further zero layer) only after j, so that (i, j) are the two first zero layers: each set of three
    # or more zero layers is listed once, under its own label Z{i,j,l,…}
    choices = lower_rank_choices(free, [min(n[l], n[l - 1]) for l in free], j)
    if choices is None:
        return
    qloss = _Loss(model)
    listed_by_label: dict = {}  # label → keys of its listed strata (signatures computed once per label)
    for ranks in choices:  # the generic stratum is listed, every layer zero is the origin: neither is a choice
        zeros = sorted({i, j} | {l for l, k in ranks.items() if k == 0})
        label = "Z{" + ",".join(map(str, zeros)) + "}"
        full = {l: k for l, k in ranks.items() if k}
        want = {l: k for l, k in full.items() if k < min(n[l], n[l - 1])}
        if label not in listed_by_label:
            listed_by_label[label] = {(exact_signature(model, c.point), c.inertia.as_tuple(), c.kind,
                                       c.analysis.order) for c in out if c.label == label}
        listed = listed_by_label[label]

        def draw(full=full):
            return [_rank_matrix(rng, n[l], n[l - 1], full[l]) if l in full else flint.fmpq_mat(n[l], n[l - 1])
                    for l in range(1, L + 1)]

        for sig, layers in _most_generic(draw, lambda C: rational_signature(model, C)):
            new = _new_representative(qloss, label, sig, layers, listed, seed)
            if new is None:
                continue
            a, pt = new
            # exact: the points of largest signature are open and dense in the irreducible set
            # {W_z = 0 for the zero layers, rank W_l = k_l}, a product of determinantal varieties of dimensions
            # k(m + n − k)
            dim = sum(k * (n[l] + n[l - 1] - k) for l, k in full.items())
            bounds = stratum_dimension_bounds(model, pt, a.hessian, a.inertia.zero)
            if not bounds[0] <= dim <= bounds[1]:  # pragma: no cover - the closed form and the bounds disagree
                raise ModelError(f"internal error: {label} {full}: dimension {dim} outside the bounds {bounds}")
            name = ", ".join(f"W_{l} rank {k}" for l, k in want.items()) or "generic"
            out.append(CriticalSet(label, name, pt, a.loss, _end_to_end(pt), dim, a))
        _null_strata(model, zeros[0], zeros[-1], full, ", ".join(f"W_{l} rank {k}" for l, k in want.items()) or "generic",
                     rng, seed, out, zeros=zeros)


def _new_representative(qloss, label: str, sig, layers, listed: set, seed):
    """``(analysis, SymPy point)`` of a drawn representative (exact ``fmpq_mat`` layers, rank signature ``sig``), or
    ``None`` when its (signature, inertia, kind, order) is listed already (``listed`` then gains it)."""
    a = analyze_exact(qloss, tuple(layers), seed=seed)
    if not a.is_critical:
        raise ModelError(f"internal error: a {label} representative is not critical")
    key = (sig, a.inertia.as_tuple(), a.kind, a.order)
    if key in listed:
        return None
    listed.add(key)
    return a, tuple(sp.ImmutableMatrix(W.nrows(), W.ncols(), [sp.Rational(int(x.p), int(x.q)) for x in W.entries()])
                    for W in layers)


def _null_strata(model, i: int, j: int, full: dict, base: str, rng, seed, out, zeros=None) -> None:
    """The strata of ``Z{i,…,j}`` (zero layers ``zeros``, free layers of ranks ``full``) whose prefix ``P = W_{i−1}⋯W_1``
    reads along the target's null inputs, or whose suffix ``S = W_L⋯W_{j+1}`` writes along its null outputs, in more
    dimensions than a random draw: the row space ``X`` of ``P`` (dimension ``a``) meets ``ker Σyx`` (dimension ``κ``)
    in ``jx`` dimensions, ``max(0, a + κ − n_0) < jx ≤ min(a, κ)``, and the column space ``Y`` of ``S`` meets
    ``ker Σyxᵀ`` in ``jy`` likewise (an independent exact check found them unlisted: depth 3, widths (2, 1), target
    ``[[1, 1], [1, 1]]``, ``W_1`` of rank 1 along the null input with ``W_2 = W_3 = 0`` has inertia (0, 8, 0) and
    order 3, where ``Z{2,3}, W_1 rank 1`` has (1, 6, 1); at depth 5, widths 1, ``Z{1,2}`` with ``W_5`` along the null
    output, order 3).  Every point with two zero layers is critical; ``jx``, ``jy`` are invariants (the signature's
    couplings see them), certified on each representative by ``rank Σyx Pᵀ = a − jx`` and ``rank Σyxᵀ S = b − jy``.
    The end layers are built by :func:`~.null_directions.end_layer`.  Dimension: when ``P = W_1`` and ``S = W_L``, the free layers'
    determinantal varieties less the Schubert conditions ``j(n − r − κ + j)``, kept when the certified bounds contain
    it; otherwise the bounds'."""
    from .dimension import stratum_dimension_bounds
    from .exact_draws import _most_generic, _nullspace_cols
    from .fields import to_fmpq_mat
    from .landscape import exact_signature, rational_signature
    from .null_directions import null_end_choices

    L, n = model.depth, model.widths
    zeros = zeros or [i, j]
    first, last = zeros[0], zeros[-1]
    pre, suf = list(range(1, first)), list(range(last + 1, L + 1))  # the free layers before and after the zeros
    syx = to_fmpq_mat(sp.Matrix(model.syx))
    K, Kt = _nullspace_cols(syx, n[0]), _nullspace_cols(syx.transpose(), n[L])

    label = "Z{" + ",".join(map(str, zeros)) + "}"
    qloss = listed = None
    for jx, jy, parts, draw in null_end_choices(rng, n, zeros, full, syx, K, Kt):
        if listed is None:
            qloss = _Loss(model)
            listed = {(exact_signature(model, c.point), c.inertia.as_tuple(), c.kind, c.analysis.order) for c in out
                      if c.label == label}
        try:
            found = _most_generic(draw, lambda C: rational_signature(model, C))
        except ModelError:
            continue  # these ranks cannot carry the null directions so (e.g. a chain's widths)
        for sig, layers in found:
            new = _new_representative(qloss, label, sig, layers, listed, seed)
            if new is None:
                continue
            a_, pt = new
            bounds = stratum_dimension_bounds(model, pt, a_.hessian, a_.inertia.zero)
            dim = None
            if pre in ([], [1]) and suf in ([], [L]):
                # the free layers' determinantal varieties, less the Schubert conditions dim(V ∩ K) ≥ j on the row
                # space of W_1 (an r-dimensional V in ℚ^n, K of dimension κ: codimension j(n − r − κ + j)) and the
                # column space of W_L; the points of largest signature are open and dense there
                dim = sum(k * (n[l] + n[l - 1] - k) for l, k in full.items())
                if jx is not None:
                    dim -= jx * (n[0] - full[1] - K.ncols() + jx)
                if jy is not None:
                    dim -= jy * (n[L] - full[L] - Kt.ncols() + jy)
            if dim is None or not bounds[0] <= dim <= bounds[1]:
                dim = bounds[0] if bounds[0] == bounds[1] else None
            out.append(CriticalSet(label, f"{base}; {parts}", pt, a_.loss, _end_to_end(pt), dim, a_, bounds))
