"""Critical sets of a model, each with an exact representative and its exact analysis (MATH §2).

:func:`critical_sets` lists, for an unregularized deep linear network (teacher form, or data
form with ``XXᵀ`` invertible; otherwise the network on ``X``'s row space, lifted: :mod:`.row_space`):

* at depth 2, for every admissible pivot set ``S``, the whole critical set ``C_S`` with
  ``A_θ = A_S``, of dimension :func:`depth2_critical_set_dimension`, at its balanced point;
* at depth ≥ 3, for every admissible pivot set ``S`` (``|S| ≤ r_max``), the **pivot family**
  ``B_S = {θ : A_θ = A_S, every partial product W_l⋯W_1 and W_L⋯W_l has rank |S|}``.
  It contains the balanced critical point.  With ``r = |S|`` its dimension is::

      dim B_S = Σ_{l=1}^{L−1} [2r(n_l − r) + r²] + Σ_{l=2}^{L−1} (n_l − r)(n_{l−1} − r)

  (choose the rank-r ranges and kernels in each hidden layer, the invertible r×r blocks up to
  the product constraint, and the free maps between kernels of consecutive hidden layers).
  Its *balanced* stratum (a point of the orbit of Saxe's balanced point, built by
  :func:`_pivot_point`) and, when hidden widths leave room, its *generic* stratum (free kernel
  maps) are listed separately when their inertias differ.  For ``S = ∅`` the family is ``{W_1 = 0, W_L = 0}`` and the origin is its own stratum.
* for depth ``L ≥ 3``, the **zero-layer families** ``Z_{ij} = {W_i = W_j = 0}`` (a linear
  subspace of critical points with ``A = 0``), at a generic rational point.

For a diagonal network: :mod:`.diagonal_sets`.

Representatives are rational when the pivot eigenvalues are; otherwise their coordinates lie in the
number field ``ℚ(μ_i : i ∈ S)`` of the pivot eigenvalues and the analysis runs there
(:mod:`.fields`).  Each set carries the :class:`~symdln.symbolic.analysis.PointAnalysis` of its
representative (inertia, kind, order, escape directions).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

import flint
import sympy as sp

from ..errors import ModelError, describe
from ..models.diagonal import DiagonalLinearModel
from ..models.dln import DeepLinearModel
from .cuts import complement_strata, to_sympy_point
from .analysis import PointAnalysis, _Loss, analyze_exact, analyze_point
from .fields import FieldMatrix, NumberField, RationalField
from .inertia import charpoly_inertia, symmetric_charpoly
from .pivots import mode_values, pivot_families, tied_eigenvectors

__all__ = ["CriticalSet", "critical_sets", "pivot_family_dimension", "depth2_critical_set_dimension"]


@dataclass(frozen=True)
class CriticalSet:
    """One critical set (or one stratum of it) with an exact representative point.

    Attributes
    ----------
    label : str
        ``"{1,2}"`` (pivot set), ``"Z{1,3}"`` (zero layers), ``"{+1,-3}"`` (diagonal signed support).
    stratum : str
        ``"balanced"``, ``"generic"``, ``"origin"``, ``"all"`` (the whole family).
    point : tuple of sympy.ImmutableMatrix
        Exact representative.
    loss : sympy.Expr
    end_to_end : sympy.ImmutableMatrix
        ``A_θ`` (or ``β`` as a column for a diagonal network).
    dimension : int or None
        ``None`` for a stratum from cuts (:mod:`symdln.symbolic.cuts`) whose dimension is only bounded.
    analysis : PointAnalysis
    dimension_bounds : (int, int) or None
        For the strata from cuts: certified ``(lower, upper)`` bounds on the stratum's dimension
        (:func:`symdln.symbolic.dimension.stratum_dimension_bounds`); ``dimension`` is set when they agree.
    """

    label: str
    stratum: str
    point: tuple
    loss: sp.Expr
    end_to_end: sp.ImmutableMatrix
    dimension: int | None
    analysis: PointAnalysis
    dimension_bounds: tuple | None = None

    @property
    def inertia(self):
        return self.analysis.inertia

    @property
    def kind(self) -> str:
        return self.analysis.kind

    @property
    def order(self):
        return self.analysis.order

    def as_dict(self) -> dict:
        out = {
            "label": self.label,
            "stratum": self.stratum,
            "loss": str(self.loss),
            "loss_float": float(sp.N(self.loss, 20)),
            "dimension": self.dimension,
            "dimension_bounds": list(self.dimension_bounds) if self.dimension_bounds else None,
            "end_to_end": [[_exact_str(x) for x in row] for row in self.end_to_end.tolist()],
            "point": [[[_exact_str(x) for x in row] for row in W.tolist()] for W in self.point],
        }
        a = self.analysis.as_dict()
        a.pop("loss", None)
        a.pop("loss_float", None)
        out.update(a)
        return out


def _exact_str(x) -> str:
    """``str(x)`` for a SymPy number, without the printer for rationals (a width-7 depth-4 table prints 50,000 of
    them: 0.7 s through the printer)."""
    if isinstance(x, sp.Rational):
        return str(x.p) if x.q == 1 else f"{x.p}/{x.q}"
    return str(x)


def pivot_family_dimension(widths, r: int) -> int:
    """``dim B_S`` for ``|S| = r`` (module docstring)."""
    L = len(widths) - 1
    n = widths
    dim = sum(2 * r * (n[l] - r) + r * r for l in range(1, L))
    dim += sum((n[l] - r) * (n[l - 1] - r) for l in range(2, L))
    return dim


def depth2_critical_set_dimension(widths, rank: int, r: int) -> int:
    """Dimension of the whole critical set ``C_S = {∇ℒ = 0, A_θ = A_S}`` of a depth-2 DLN (λ = 0).

    With ``R = rank Σ``, ``k = h − r`` free hidden directions, ``p = n_2 − R`` and ``q = n_0 − R``
    (the null spaces of ``Mᵀ`` and ``M``, after whitening in the data form)::

        dim C_S = (2hr − r²) + max_{0 ≤ s ≤ min(q, k)} [ s(k − s) + q s + p(k − s) ]

    Derivation: criticality is ``U_{S^c}ᵀ W_2 = 0`` and ``W_1 V_{S^c} = 0``, so ``W_2 = U_S X + N_2 Y`` and
    ``W_1 = Z V_Sᵀ + T N_0ᵀ`` with ``XZ = diag(s_S)``, ``XT = 0``, ``YZ = 0``, ``YT = 0``.  The pairs
    ``(X, Z)`` form ``B_S`` (``2hr − r²``); then ``T``'s ``q`` columns lie in ``ker X`` (dimension ``k``)
    and ``Y``'s ``p`` rows in its dual, pairing to zero: choose the ``s``-dimensional span of ``T``'s
    columns.  Every component passes through ``T = Y = 0``, so this is also the local dimension at
    the balanced point.
    """
    n0, h, n2 = widths
    k, p, q = h - r, n2 - rank, n0 - rank
    best = max(s * (k - s) + q * s + p * (k - s) for s in range(0, min(q, k) + 1))
    return 2 * h * r - r * r + best


def _rand_int_matrix(rng, rows, cols, lo=-3, hi=3):
    return sp.Matrix(rows, cols, lambda i, j: rng.randint(lo, hi))


def generic_run_ranks_hold(mats) -> bool:
    """True when every product ``M_j⋯M_i`` of consecutive matrices has the largest rank its shapes allow.

    ``mats[k]`` maps ``ℚ^{d_k}`` to ``ℚ^{d_{k+1}}``; the product ``M_j⋯M_i`` is generic when its rank is
    ``min(d_i, …, d_{j+1})``.  This is the open dense condition that defines the *generic* stratum of a
    run of free layers (the kernel maps of a pivot family, the nonzero layers of a zero-layer family).
    """
    for i in range(len(mats)):
        P = None
        for j in range(i, len(mats)):
            P = mats[j] if P is None else mats[j] * P
            dims = [mats[k].ncols() for k in range(i, j + 1)] + [mats[j].nrows()]
            if P.rank() != min(dims):
                return False
    return True


def _generic_run(rng, dims, what: str, tries: int = 64):
    """Integer matrices ``M_k`` (nested lists of ints) of shapes ``dims[k+1] × dims[k]`` certified generic (:func:`generic_run_ranks_hold`).

    Entries are drawn from ``[−9, 9]``; a draw failing the rank conditions (probability small, never 0
    for small entries) is redrawn, so a representative never lies in a smaller stratum by chance.
    """
    if len(dims) < 2:
        return []
    for _ in range(tries):
        ints = [[[rng.randint(-9, 9) for _ in range(dims[k])] for _ in range(dims[k + 1])] for k in range(len(dims) - 1)]
        mats = [flint.fmpq_mat(M) if dims[k] and dims[k + 1] else flint.fmpq_mat(dims[k + 1], dims[k]) for k, M in enumerate(ints)]
        if generic_run_ranks_hold(mats):
            return ints
    raise ModelError(f"no generic representative of {what} found in {tries} random draws (shapes {dims})")


def _rand_invertible(rng, n):
    while True:
        g = _rand_int_matrix(rng, n, n)
        if g.det() != 0:
            return g


def _rows(W):
    return W.rows if isinstance(W, FieldMatrix) else [[W[i, j] for j in range(W.ncols())] for i in range(W.nrows())]


def _product(mats):
    """``M_k ⋯ M_1`` for ``mats = [M_1, …, M_k]``."""
    P = mats[0]
    for M in mats[1:]:
        P = M * P
    return P


def _pivot_point(model: DeepLinearModel, S: tuple, rng, generic: bool):
    """A point of ``B_S`` with coordinates in ``K = ℚ(μ_i : i ∈ S)`` (ℚ itself when those are rational).

    With ``Σ = Σyx Σxx⁻¹ Σyxᵀ``, ``ũ_i`` an (unnormalized) eigenvector of ``Σ`` for ``μ_i``:
    ``W_L`` has columns ``ũ_i / ‖ũ_i‖²``, ``W_1`` rows ``ũ_iᵀ Σyx Σxx⁻¹``, hidden layers identity blocks,
    so that ``A_θ = P_S Σyx Σxx⁻¹ = A_S``: a point of the orbit of the balanced critical point, with the
    same inertia by Sylvester's law (the symmetry acts linearly).  ``generic=True`` adds random kernel
    maps in the hidden layers and a random symmetry, giving a generic point of ``B_S``.
    """
    mu, _ = mode_values(model)
    gens = [mu[i - 1] for i in S if not mu[i - 1].is_Rational]
    field = NumberField(gens) if gens else RationalField()
    loss = _Loss(model, field)
    L, n = model.depth, model.widths
    r = len(S)
    sigma = sp.Matrix(model.syx) * sp.Matrix(model.sxx).inv() * sp.Matrix(model.syx).T
    B = sp.Matrix(model.syx) * sp.Matrix(model.sxx).inv()
    Bm = FieldMatrix.from_sympy(B, field)
    vecs = []
    spaces = {}  # eigenvalue group → orthogonal eigenvector basis (several vectors when singular values are equal)

    def group(i):  # the first mode (0-based) with the same eigenvalue as mode i (1-based)
        return next(j for j in range(i) if sp.simplify(mu[j] - mu[i - 1]) == 0)

    for i in S:
        g = group(i)
        if g not in spaces:  # the same orthogonal eigenvectors as the family's exact A_S (pivots._tied_end_to_end)
            spaces[g] = tied_eigenvectors(sigma, mu[i - 1], field)
        vecs.append(spaces[g][sum(1 for j in S if j < i and group(j) == g)])
    # the free maps between the kernels of consecutive hidden layers; generic: every product of
    # consecutive ones has full rank (certified, so the point is not in a smaller stratum)
    kernel_maps = _generic_run(rng, [n[l] - r for l in range(1, L)], f"the generic stratum of B_{set(S) or '∅'}") if generic else []
    layers = []
    for l in range(1, L + 1):
        rows = [[field.zero] * n[l - 1] for _ in range(n[l])]
        if l == 1 and L > 1:
            for k, u in enumerate(vecs):
                rows[k] = (FieldMatrix([u], field) * Bm).rows[0]
        elif l == L and L > 1:
            for k, u in enumerate(vecs):
                inv = field.one / sum((x * x for x in u), field.zero)
                for a in range(n[l]):
                    rows[a][k] = u[a] * inv
        elif L > 1:
            for k in range(r):
                rows[k][k] = field.one
            if generic and 2 <= l <= L - 1:
                K = kernel_maps[l - 2]
                for a in range(r, n[l]):
                    for b in range(r, n[l - 1]):
                        rows[a][b] = field(K[a - r][b - r])
        else:
            P = FieldMatrix([[field.zero] * n[1] for _ in range(n[1])], field)
            for u in vecs:
                inv = field.one / sum((x * x for x in u), field.zero)
                P = P + FieldMatrix([[x * y * inv for y in u] for x in u], field)
            rows = (P * Bm).rows
        layers.append(FieldMatrix(rows, field))
    if generic and L >= 2:
        gs = [None] + [_rand_invertible(rng, n[l]) for l in range(1, L)] + [None]
        for l in range(1, L + 1):
            W = layers[l - 1]
            if gs[l] is not None:
                W = FieldMatrix.from_sympy(gs[l], field) * W
            if gs[l - 1] is not None:
                W = W * FieldMatrix.from_sympy(gs[l - 1].inv(), field)
            layers[l - 1] = W
    if loss.rational:
        layers = [loss.from_rows(W.rows) for W in layers]
    return loss, tuple(layers)


def _end_to_end(point):
    A = point[0]
    for W in point[1:]:
        A = W * A
    return sp.ImmutableMatrix(A)


#: Default limits of the exact landscape: parameters (the exact Hessian has P² entries) and strata.
MAX_PARAMS = 400
MAX_STRATA = 2000


def check_landscape_size(model, *, max_params: int = MAX_PARAMS, max_strata: int = MAX_STRATA) -> None:
    """Refuse, before any computation, a landscape past the documented limits, with the estimate.

    The work is one exact ``P × P`` Hessian and LDLᵀ per stratum: about ``strata · P³`` rational operations.
    """
    P = model.n_params if isinstance(model, DeepLinearModel) else 2 * model.dim
    if P > max_params:
        raise ModelError(
            f"the model has {P} parameters: the exact Hessian of each stratum has {P * P} entries and its exact "
            f"LDLᵀ ~{P ** 3:.1e} rational operations; the limit is {max_params} parameters (`max_params`, "
            f"--max-params raises it)"
        )
    if isinstance(model, DeepLinearModel):
        rank = len(mode_values(model)[0])
        r = min(rank, model.r_max)
        strata = sum(math.comb(rank, k) for k in range(r + 1)) * 2 + math.comb(model.depth, 2)
        if strata > max_strata:
            raise ModelError(
                f"about {strata} strata to analyze (pivot sets of {rank} modes, {math.comb(model.depth, 2)} zero-layer "
                f"pairs at depth {model.depth}); the limit is {max_strata} (`max_strata`, --max-strata raises it)"
            )


def critical_sets(model, *, seed: int = 0, max_params: int = MAX_PARAMS, max_strata: int = MAX_STRATA) -> list[CriticalSet]:
    """Every critical set symdln can describe exactly for ``model``: a thin view of
    :func:`symdln.symbolic.landscape.landscape` (``landscape(model).critical_sets()``).

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> [c.label for c in critical_sets(deep_linear(spectrum=[2, 1], widths=2))]
    ['{}', '{1}', '{2}', '{1,2}']
    """
    from .landscape import landscape

    land = landscape(model, seed=seed, max_params=max_params, max_strata=max_strata)
    if not land.complete:
        raise KeyboardInterrupt  # a list cannot say it is partial: use landscape() to keep the finished strata
    return land.critical_sets()


def compute_critical_sets(model, *, seed: int = 0, max_params: int = MAX_PARAMS,
                          max_strata: int = MAX_STRATA, progress: bool | None = None) -> tuple[list[CriticalSet], bool]:
    """The engine behind :func:`~symdln.symbolic.landscape.landscape` (see the module docstring):
    ``(sets, complete)``.

    Models past ``max_params`` parameters or ``max_strata`` strata are refused at once with an estimate
    (:func:`check_landscape_size`).  A tqdm bar counts the families (shown when stderr is a terminal, or with
    ``progress=True``); Ctrl-C stops after the stratum in progress and returns what is done with
    ``complete=False``.

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> sets, complete = compute_critical_sets(deep_linear(spectrum=[2, 1], widths=2))
    >>> [(c.label, c.kind, c.inertia.as_tuple()) for c in sets]  # doctest: +NORMALIZE_WHITESPACE
    [('{}', 'strict saddle', (4, 0, 4)), ('{1}', 'strict saddle', (1, 3, 4)),
     ('{2}', 'strict saddle', (2, 3, 3)), ('{1,2}', 'global minimum', (0, 4, 4))]
    """
    if not isinstance(model, (DiagonalLinearModel, DeepLinearModel)):
        raise ModelError(f"`model` must be a DeepLinearModel or DiagonalLinearModel, got {describe(model)}")
    from .row_space import needs_row_space_reduction

    if needs_row_space_reduction(model):  # X without full row rank: built on X's row space (landscape), then lifted
        from .landscape import landscape

        land = landscape(model, seed=seed, max_params=max_params, max_strata=max_strata, progress=progress)
        return land.critical_sets(), land.complete
    check_landscape_size(model, max_params=max_params, max_strata=max_strata)
    from .._threads import single_blas_thread

    out: list[CriticalSet] = []
    try:
        with single_blas_thread():  # small matrices: BLAS threads cost more than they save
            if isinstance(model, DiagonalLinearModel):
                from .diagonal_sets import diagonal_sets

                out.extend(diagonal_sets(model, seed))
            else:
                _dln_sets(model, seed, out, progress)
    except KeyboardInterrupt:
        return out, False
    return out, True


def _dln_sets(model, seed: int, out: list, progress) -> None:
    """Append the DLN strata to ``out`` as they are analyzed (so an interruption keeps the finished ones)."""
    from tqdm.auto import tqdm

    from .zero_layers import zero_layer_strata

    if model.weight_decay != 0:
        raise ModelError(
            "critical sets with weight decay: use symdln.symbolic.weight_decay.weight_decay_analysis "
            "(per-singular-value analysis, MATH §1.3; `symdln critical --weight-decay ...`)"
        )
    rank = len(mode_values(model)[0])
    rng = random.Random(seed)
    L = model.depth
    families = pivot_families(model)
    pairs = [(i, j) for i, j in itertools.combinations(range(1, L + 1), 2) if (i, j) != (1, L)] if L >= 3 else []
    bar = tqdm(total=len(families) + len(pairs), unit="family", desc="symdln critical", leave=False,
               disable=(not progress) if progress is not None else None)
    try:
        _pivot_strata(model, families, rank, rng, seed, out, bar)
        zero_layer_strata(model, pairs, rng, seed, out, bar)
        if L >= 3:  # B_∅'s generic stratum is W_1 = W_L = 0 with full-rank middle layers; its lower ranks too
            from .zero_layers import _lower_rank_strata

            _lower_rank_strata(model, 1, L, rng, seed, out)
    finally:
        bar.close()


def _pivot_strata(model, families, rank, rng, seed, out, bar) -> None:
    L, n = model.depth, model.widths
    for fam in families:
        S = tuple(sorted(fam.label))
        r = len(S)
        dim = (depth2_critical_set_dimension(n, rank, r) if L == 2 else pivot_family_dimension(n, r)) \
            + fam.orbit_dimension
        # the generic stratum differs from the balanced orbit only through the free kernel maps
        # between consecutive hidden layers (L ≥ 3); at depth ≤ 2, B_S is one symmetry orbit
        names = ["balanced"] + (["generic"] if any((n[l] - r) * (n[l - 1] - r) > 0 for l in range(2, L)) else [])
        analyzed = []
        for nm in names:
            loss, th = _pivot_point(model, S, rng, generic=(nm == "generic"))
            a = analyze_exact(loss, th, family_dimension=dim, is_global=fam.is_global, seed=seed)
            pt = tuple(sp.ImmutableMatrix([[loss.field.to_sympy(x) for x in row] for row in _rows(W)]) for W in th)
            analyzed.append((nm, pt, a))
        if r == 0:
            d0 = dim if L <= 2 else 0
            analyzed[0] = ("origin", analyzed[0][1], analyze_point(model, analyzed[0][1], family_dimension=d0, seed=seed))
        distinct = {(a.inertia.as_tuple(), a.kind, a.order) for _, _, a in analyzed}
        if len(distinct) == 1 and r > 0:
            analyzed = [("all", analyzed[0][1], analyzed[0][2])]
        null = _depth2_null_strata(model, S, analyzed[0][1], rng) if L == 2 else []
        if null:  # the family's rows are its part with no null-direction weights (B_S, one symmetry orbit)
            b_dim = 2 * n[1] * r - r * r
        for name, pt, a in analyzed:
            dim, bounds = a.family_dimension, None
            if null:  # B_S only: the null-direction strata are listed beside it
                dim, name = b_dim, ("balanced" if name == "all" else name)
            if name == "balanced" and L >= 3:
                # the balanced stratum is a proper subset of B_S: its own dimension (certified bounds; not computed
                # at irrational representatives, '?', rather than B_S's)
                dim = None
                if all(x.is_Rational for W in pt for x in W):
                    from .dimension import stratum_dimension_bounds

                    bounds = stratum_dimension_bounds(model, pt, a.hessian, a.inertia.zero)
                    dim = bounds[0] if bounds[0] == bounds[1] else None
            out.append(CriticalSet(fam.name, name, pt, fam.loss, _end_to_end(pt), dim, a, bounds))
        for name, pt, dim in null:
            a = analyze_point(model, pt, family_dimension=dim, seed=seed)
            if not a.is_critical:
                raise ModelError(f"internal error: the {name} representative of {fam.name} is not critical")
            out.append(CriticalSet(fam.name, name, pt, a.loss, _end_to_end(pt), dim, a))
        if L >= 3:
            base = analyzed[0][1] if analyzed[0][0] != "origin" else tuple(sp.zeros(n[l], n[l - 1]) for l in range(1, L + 1))
            from .dimension import stratum_dimension_bounds
            from .landscape import exact_signature

            extra = complement_strata(model, S, base, seed)  # [] where not constructed (e.g. number fields)
            listed = {(exact_signature(model, c.point), c.inertia.as_tuple(), c.kind, c.analysis.order) for c in out
                      if c.label == fam.name} if extra else set()
            qloss = _Loss(model) if extra else None
            for name, layers, sig in extra:
                # the inertia first: a strict saddle's kind and order follow from it, so a candidate whose
                # (signature, inertia) is listed with a negative eigenvalue is the same stratum: no full analysis
                Hq = qloss.hessian(layers)  # an fmpq_mat over ℚ
                cp = symmetric_charpoly(Hq)
                inert = charpoly_inertia(cp)
                if inert.negative > 0 and (sig, inert.as_tuple(), "strict saddle", 2) in listed:
                    continue
                a = analyze_exact(qloss, layers, seed=seed, hessian=(Hq, cp))
                key = (sig, a.inertia.as_tuple(), a.kind, a.order)
                if key in listed:
                    continue  # the same stratum as one listed (e.g. a cut whose extra range lies in the learned one)
                listed.add(key)
                if not a.is_critical:
                    raise ModelError(f"internal error: the {name} representative of {fam.name} is not critical")
                label = fam.name
                if r == 0 and name.startswith("cut") and "middle" not in name:  # A = 0 with one zero layer
                    c = name.split()[1]
                    label, name = f"Z{{{c}}}", "generic" + name[len("cut ") + len(c):]
                elif r == 0 and name.startswith("zero layer"):  # A = 0, one zero layer, a vanishing chain
                    c = name.split()[2].rstrip(",")
                    label, name = f"Z{{{c}}}", name[len(f"zero layer {c}, "):]
                pt = to_sympy_point(layers)
                bounds = stratum_dimension_bounds(model, layers, a.hessian, a.inertia.zero)
                dim = bounds[0] if bounds[0] == bounds[1] else None
                out.append(CriticalSet(label, name, pt, a.loss, _end_to_end(pt), dim, a, bounds))
        bar.update()


def _depth2_null_strata(model, S: tuple, base, rng) -> list:
    """``[(name, exact point, dimension)]``: the strata of ``C_S`` (depth 2) with weights along the null directions
    of ``Σyx`` (``M``): with ``r = |S|``, ``k = h − r`` free hidden units, ``q = n_0 − rank Σyx`` input and
    ``p = n_2 − rank Σyx`` output null directions, ``W_1 = Z V_Sᵀ + T N_0ᵀ``, ``W_2 = U_S X + N_2 Y``
    (:func:`depth2_critical_set_dimension`), the stratum ``(r_1, r_2) = (rank T, rank Y)`` for every
    ``r_1 ≤ min(q, k)``, ``r_2 ≤ min(p, k − r_1)``, ``(r_1, r_2) ≠ (0, 0)``, of dimension
    ``2hr − r² + r_1(k + q − r_1) + r_2(p + k − r_1 − r_2)`` (``T``'s columns span an ``r_1``-space of ``ker X``,
    ``Y``'s rows annihilate it).  Representative: the family's balanced point, ``r_1`` free units with incoming
    weights along random rational combinations of the null input directions (outgoing zero), ``r_2`` others with
    outgoing weights along the null output directions (incoming zero).  In the teacher form every point of the
    stratum is of this form up to ``GL(h)`` and rotations of the null spaces (orthogonal maps fixing ``M``), which keep
    the loss and the inertia.  In the data form (at ``A = 0``, ``Σyx`` for ``M``) the rotations need not keep ``Σxx``:
    the random draw is the generic point, and special null subspaces (e.g. meeting ``ker Σxx``) may have another
    inertia, which ``Landscape.locate`` reports as a special point.  Elsewhere ``[]``."""
    if model.weight_decay != 0 or (model.form != "teacher" and S):
        return []
    if any(not x.is_Rational for W in base for x in W):
        return []
    Syx = sp.Matrix(model.syx)
    N0, N2 = Syx.nullspace(), Syx.T.nullspace()
    q, p = len(N0), len(N2)
    n0, h, n2 = model.widths
    r = len(S)
    k = h - r
    out = []
    for r1 in range(min(q, k) + 1):
        for r2 in range(min(p, k - r1) + 1):
            if r1 == r2 == 0:
                continue
            W1, W2 = sp.Matrix(base[0]), sp.Matrix(base[1])
            for _ in range(20):  # random combinations of full rank (almost always the first draw)
                T = sp.Matrix(r1, q, lambda i, j: sp.Rational(rng.randint(-4, 4), rng.randint(1, 3)))
                Y = sp.Matrix(p, r2, lambda i, j: sp.Rational(rng.randint(-4, 4), rng.randint(1, 3)))
                if T.rank() == r1 and Y.rank() == r2:
                    break
            else:
                raise ModelError("internal error: no full-rank null-direction weights drawn")
            for i in range(r1):
                W1[r + i, :] = sum((T[i, j] * N0[j].T for j in range(q)), sp.zeros(1, n0))
            for i in range(r2):
                W2[:, r + r1 + i] = sum((Y[j, i] * N2[j] for j in range(p)), sp.zeros(n2, 1))
            dim = 2 * h * r - r * r + r1 * (k + q - r1) + r2 * (p + k - r1 - r2)
            out.append((f"null ranks {r1},{r2}", (sp.ImmutableMatrix(W1), sp.ImmutableMatrix(W2)), dim))
    return out
