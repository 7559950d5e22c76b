"""The front door of the exact landscape: :func:`landscape` returns one :class:`Landscape` record.

A landscape lists the critical strata symdln describes exactly (:mod:`.critical`: pivot families of deep linear
networks with their balanced and generic strata, two-zero-layer families, signed supports of diagonal networks),
each a :class:`Stratum` with a typed :class:`StratumLabel`, its kind, exact inertia, saddle order, dimension,
exact representative and escape directions.  :meth:`Landscape.locate` names the stratum a (numerical) critical
point belongs to: the end-to-end map picks the family (``A_S`` for a pivot set ``S``, ``β`` for a support), and
the *rank signature* — the ranks of every layer and of every product ``W_j⋯W_i`` of consecutive layers, which are
constant on a stratum and tell balanced, generic and zero-layer strata apart (Achour, Malgouyres, Gerchinovitz,
JMLR 2024) — picks the stratum within it.  A point whose signature no listed stratum has is reported as such
(``exact_match=False`` with the nearest), never silently assigned.

Graphs (:func:`symdln.graph.saddle_graph`) take a landscape; nothing below the report computes one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import sympy as sp

from ..errors import ModelError, OptionError, describe
from ..models.diagonal import DiagonalLinearModel
from ..models.dln import DeepLinearModel
from .fields import FieldMatrix, NumberField, RationalField
from .inertia import field_nullspace
from .pointfloat import (  # noqa: F401  (float_* re-exported: the graph builder and tests import them from here)
    _as_float_matrix,
    _balanced,
    _end_to_end,
    _exact_inertia,
    _float_inertia,
    _float_signature,
    _grad_and_loss,
    _residual_float,
    _signature,
    _unit_layers,
    float_data,
    float_gradient,
    float_hessian,
    float_hessian_closed,
)

__all__ = ["StratumLabel", "Stratum", "Location", "Landscape", "landscape"]

_FAMILIES = ("pivots", "zero_layers", "support")


@dataclass(frozen=True, order=True)
class StratumLabel:
    """A typed label.

    Attributes
    ----------
    family : {"pivots", "zero_layers", "support"}
        A pivot set ``S`` of target modes (DLN), a set of zero layers (DLN, ``A = 0``), or the signed support of ``β``
        (diagonal network).
    members : tuple of int
        The pivot indices, the zero layers (1-based), or the signed coordinates (``+i`` / ``−i``), sorted.
    stratum : str
        ``"all"`` (the whole family), ``"balanced"``, ``"generic"`` or ``"origin"``.

    Examples
    --------
    >>> lab = StratumLabel.parse("Z{1,3}", "all")
    >>> lab.family, lab.members, str(lab)
    ('zero_layers', (1, 3), 'Z{1,3}')
    """

    family: str
    members: tuple
    stratum: str = "all"

    def __post_init__(self):
        if self.family not in _FAMILIES:
            raise OptionError(f"`family` must be one of {_FAMILIES}, got {describe(self.family)}")

    @property
    def text(self) -> str:
        """The printed label: ``{1,2}``, ``Z{1,3}``, ``{+1,-3}``."""
        if self.family == "support":
            return "{" + ",".join(("+" if m > 0 else "-") + str(abs(m)) for m in self.members) + "}"
        inner = "{" + ",".join(str(m) for m in self.members) + "}"
        return ("Z" + inner) if self.family == "zero_layers" else inner

    def __str__(self) -> str:
        return self.text

    @property
    def pivots(self) -> frozenset | None:
        return frozenset(self.members) if self.family == "pivots" else None

    @classmethod
    def parse(cls, text: str, stratum: str = "all", *, diagonal: bool = False) -> "StratumLabel":
        """The label of :attr:`text` (a plain regular-expression parse; nothing is evaluated)."""
        t = str(text).strip()
        m = re.fullmatch(r"(Z?)\{([^{}]*)\}", t)
        if m is None:
            raise OptionError(f"not a stratum label: {text!r} (expected e.g. '{{1,2}}', 'Z{{1,3}}', '{{+1,-3}}')")
        items = [x.strip() for x in m.group(2).split(",") if x.strip()]
        if not all(re.fullmatch(r"[+-]?\d+", x) for x in items):
            raise OptionError(f"not a stratum label: {text!r}")
        signed = diagonal or any(x[0] in "+-" for x in items)
        if m.group(1):
            return cls("zero_layers", tuple(sorted(int(x) for x in items)), stratum)
        if signed:
            return cls("support", tuple(sorted((int(x) for x in items), key=abs)), stratum)
        return cls("pivots", tuple(sorted(int(x) for x in items)), stratum)


@dataclass(frozen=True)
class Stratum:
    """One critical stratum with an exact representative.

    Attributes
    ----------
    label : StratumLabel
    kind : str
        ``"global minimum"``, ``"local minimum"``, ``"strict saddle"``, ``"non-strict saddle"``, … (exact).
    inertia : Inertia
        Exact ``(negative, zero, positive)`` eigenvalue counts of the Hessian at the representative.
    order : int or None
        Saddle order (MATH §2); ``order_at_most`` when only an upper bound is certified.
    dimension : int or None (``None``: a stratum from cuts whose dimension is only bounded)
    point : tuple of sympy matrices
    loss : sympy.Expr
    end_to_end : sympy.ImmutableMatrix
    escape : tuple of EscapeDirection
    analysis : PointAnalysis
    """

    label: StratumLabel
    kind: str
    inertia: Any
    order: int | None
    order_at_most: int | None
    dimension: int | None
    point: tuple
    loss: sp.Expr
    end_to_end: sp.ImmutableMatrix
    escape: tuple
    analysis: Any = field(repr=False, compare=False)
    model: Any = field(default=None, repr=False, compare=False)
    dimension_bounds: tuple | None = field(default=None, compare=False)

    @property
    def is_saddle(self) -> bool:
        return "saddle" in self.kind

    @cached_property
    def rank_signature(self) -> tuple:
        """The stratum's invariant ranks (:func:`exact_signature`; computed on first use — in number fields it
        can take seconds — and cached).  Empty for diagonal networks."""
        if self.model is None or isinstance(self.model, DiagonalLinearModel):
            return ()
        return exact_signature(self.model, self.point)

    def as_dict(self) -> dict:
        d = self.analysis.as_dict()
        d.update({"label": self.label.text, "family": self.label.family, "members": list(self.label.members),
                  "stratum": self.label.stratum, "dimension": self.dimension,
                  "dimension_bounds": list(self.dimension_bounds) if self.dimension_bounds else None,
                  "point": [[[str(x) for x in row] for row in sp.Matrix(W).tolist()] for W in self.point]})
        return d


@dataclass(frozen=True)
class Location:
    """Where :meth:`Landscape.locate` put a point.

    ``stratum`` is the listed stratum (``None`` when the landscape is empty); ``exact_match`` says whether its rank
    signature equals the point's (otherwise it is only the nearest listed one and ``reason`` says so);
    ``distance`` is ``‖A_θ − A_stratum‖_F`` (``β`` for diagonal networks); ``gradient_norm`` and ``loss`` are the
    point's, in float64 (for plots and tables).  ``unlisted``: the point is at no listed stratum (no listed end-to-end
    map, rank signature, or inertia at its signature), as opposed to a point too near a smaller stratum for float64 to
    tell or matching several (``exact_match=False`` for those too, ``unlisted=False``).
    """

    stratum: Stratum | None
    exact_match: bool
    distance: float
    gradient_norm: float
    loss: float
    signature: tuple
    reason: str
    unlisted: bool = False

    @property
    def label(self) -> str | None:
        return None if self.stratum is None else self.stratum.label.text


class Landscape:
    """Every critical stratum symdln describes exactly for one model (see the module docstring).

    Iterating yields :class:`Stratum` records in the order of :func:`~symdln.symbolic.critical.critical_sets`;
    ``landscape["{1}"]`` is the first stratum with that label (``landscape["{1}", "generic"]`` a given stratum).
    """

    def __init__(self, model, strata, seed: int, complete: bool = True, not_listed: tuple = (),
                 project=None) -> None:
        self.model = model
        self.strata = tuple(strata)
        self.seed = seed
        self.complete = complete  # False: interrupted (Ctrl-C), ``strata`` holds the finished ones
        self.not_listed = tuple(not_listed)  # kinds of critical points this listing does not construct
        # X without full row rank: the projector B B⁺ onto X's column space, applied to W_1 before locating
        # (:mod:`.row_space`: the loss and its derivatives are the same there)
        self.project = project

    @property
    def exhaustive(self) -> bool:
        """Whether every critical point of the model lies in a listed stratum (not interrupted, nothing unlisted)."""
        return self.complete and not self.not_listed

    def __len__(self) -> int:
        return len(self.strata)

    def __iter__(self):
        return iter(self.strata)

    def __getitem__(self, key) -> Stratum:
        label, stratum = (key if isinstance(key, tuple) else (key, None))
        text = label.text if isinstance(label, StratumLabel) else str(label)
        for s in self.strata:
            if s.label.text == text and (stratum is None or s.label.stratum == stratum):
                return s
        raise KeyError(f"no stratum {text!r}{'' if stratum is None else f' ({stratum})'} in this landscape")

    def __repr__(self) -> str:
        part = "" if self.complete else ", interrupted"
        return f"Landscape({len(self)} strata of {self.model.describe().get('kind', 'model')}{part})"

    @property
    def saddles(self) -> tuple:
        return tuple(s for s in self.strata if s.is_saddle)

    @property
    def minima(self) -> tuple:
        return tuple(s for s in self.strata if "minimum" in s.kind)

    def critical_sets(self) -> list:
        """The landscape as :class:`~symdln.symbolic.critical.CriticalSet` records (the older view)."""
        from .critical import CriticalSet

        return [CriticalSet(s.label.text, s.label.stratum, s.point, s.loss, s.end_to_end, s.dimension, s.analysis,
                            s.dimension_bounds)
                for s in self.strata]

    def as_dict(self) -> dict:
        return {"model": self.model.describe(), "seed": self.seed, "complete": self.complete,
                "exhaustive": self.exhaustive, "not_listed": list(self.not_listed),
                "strata": [s.as_dict() for s in self.strata]}

    def locate(self, theta, *, rtol: float = 1e-8) -> Location:
        """The stratum of the critical point ``theta`` (exact numbers, floats, or arb matrices).

        The family is the one whose end-to-end map is nearest ``A_θ`` (``β``); within the strata tied at that
        distance (``rtol`` relative to the largest), the one with the point's rank signature (ranks counted with
        singular values above ``rtol`` times the largest of each matrix, after the layers are balanced by the scalar
        hidden-layer symmetry and, at a point critical at its own scale, each compared with its own norm: a cone in
        some layers, such as ``W_2W_1 = 0``, ``W_4W_3 = 0`` at any scale of ``W_2``, is not near a smaller stratum
        however small those layers are).  A rank that rests on a singular value
        below ``√rtol`` (relative) leaves the point unlocated (``exact_match=False``): it is too near a smaller
        stratum for float64 to tell.  ``exact_match`` also requires the Hessian at the point (its exact inertia when
        every entry of ``theta`` is an exact rational, else float64 eigenvalues of the closed form) to have the
        stratum's negative and zero counts: a point where they differ is a special point of the stratum or of one not
        listed, and is reported so.  Float layers read as zero but not zero, at a point whose gradient is small even at
        their size (``‖∇ℒ‖ ≤ √rtol`` times their norm), must leave the Hessian's inertia (zero threshold ``1e-14`` of
        the largest eigenvalue) as it is, else the point is unlocated: float64 cannot tell them from a point of a
        larger stratum (resolved down to layers about ``1e-12`` of the largest; exact input is decided exactly at any
        size).  At a point critical only to a coarser level (a run's end, a float solve) they are a residue.

        Examples
        --------
        >>> from symdln.models import deep_linear
        >>> L = landscape(deep_linear(spectrum=[2, 1], widths=2))
        >>> L.locate(L["{1}"].point).label
        '{1}'
        """
        if self.project is not None:
            theta = _project_first_layer(theta, self.project)
        mats = [_as_float_matrix(W) for W in theta]
        if len(mats) != len(self.model.shapes) or any(W.shape != s for W, s in zip(mats, self.model.shapes)):
            raise OptionError(f"`theta` must have the layer shapes {list(self.model.shapes)}, got "
                              f"{[W.shape for W in mats]}")
        A = _end_to_end(self.model, mats)
        grad, loss = _grad_and_loss(self.model, mats)
        if isinstance(self.model, DeepLinearModel) and self.model.weight_decay == 0:
            mats = _balanced(mats, rtol)
        G = _residual_float(self.model, A) if isinstance(self.model, DeepLinearModel) else None
        sig, margin = _float_signature(_unit_layers(mats, rtol, grad, self.model), G, rtol) if G is not None else ((), math.inf)
        exact_layers = _rational_layers(theta) if G is not None else None
        if exact_layers is not None:
            # exact rational input: ranks over ℚ (a layer of size 1e-12 is not zero; float64 read it as zero and put
            # the point at the origin instead of its two-zero-layer stratum)
            sig, margin = rational_signature(self.model, exact_layers), math.inf
        if not self.strata:
            return Location(None, False, math.inf, grad, loss, sig, "the landscape lists no strata")
        dists = [float(np.linalg.norm(A - _as_float_matrix(s.end_to_end))) for s in self.strata]
        best = min(dists)
        scale = max(1.0, float(np.linalg.norm(A)))
        tol_a = math.sqrt(rtol) * scale
        orbit = False
        if best > tol_a and isinstance(self.model, DeepLinearModel):
            # equal singular values: a family is an orbit, and the point may sit on another member than the listed one
            from .pivots import orbit_nearest

            fns = {}
            for k, st in enumerate(self.strata):
                if st.label.family == "pivots":
                    key = st.label.text
                    if key not in fns:
                        fns[key] = orbit_nearest(self.model, st.label.members, _as_float_matrix(st.end_to_end))
                    if fns[key] is not None:
                        dists[k] = float(np.linalg.norm(A - fns[key](A)))
            orbit = min(dists) < best
            best = min(dists)
        near = [s for s, d in zip(self.strata, dists) if d <= best + rtol * scale]
        if best > tol_a:
            s = near[0]
            return Location(s, False, best, grad, loss, sig,
                            f"no listed end-to-end map within {tol_a:.1e} of the point's (nearest: {s.label.text}, at "
                            f"{best:.3g}): not at a listed critical set (its gradient norm: {grad:.3g})", unlisted=True)
        same_map = "on the orbit of equal singular values of the listed map" if orbit else "same end-to-end map"
        if not sig:
            s = near[0]
            return Location(s, True, best, grad, loss, sig, "nearest end-to-end map")
        if margin < math.sqrt(rtol):
            s = next((s for s in near if s.rank_signature == sig), near[0])
            return Location(s, False, best, grad, loss, sig,
                            f"a rank of the signature {sig} rests on a singular value {margin:.1e} relative: the point is "
                            f"too near a smaller stratum to be located (nearest listed: {s.label.text} ({s.label.stratum}))")
        same = [s for s in near if s.rank_signature == sig]
        if len({(s.inertia.as_tuple(), s.kind) for s in same}) > 1:
            return Location(same[0], False, best, grad, loss, sig,
                            "several listed strata have this rank signature with different inertia: "
                            + ", ".join(f"{s.label.text} ({s.label.stratum})" for s in same))
        if same:
            s = same[0]
            exact = _exact_inertia(self.model, theta)  # exact rational input: the exact Hessian's inertia
            if exact is None:
                # layers the signature reads as zero are zero on the stratum: their float residue (a slowly
                # decaying 1e-9, say) would put eigenvalues of that size into the float Hessian
                L = len(mats)
                ranks = [sig[sum(L - k for k in range(i))] for i in range(L)]
                clean = [np.zeros_like(W) if r == 0 else W for W, r in zip(mats, ranks)]
            neg, zero = (exact.negative, exact.zero) if exact is not None else _float_inertia(self.model, clean)
            how = "exact" if exact is not None else "float64"
            if exact is None and any(r == 0 and np.any(W) for W, r in zip(mats, ranks)):
                # counted with a tight zero threshold: the Hessian's eigenvalues from a layer of size δ are O(δ)
                small = max(float(np.linalg.norm(W)) for W, r in zip(mats, ranks) if r == 0)
                raw, ref = _float_inertia(self.model, mats, 1e-14), _float_inertia(self.model, clean, 1e-14)
                # a residue of an approximate critical point (a run's end, a float solve: ‖∇ℒ‖ not small at the
                # layers' own size) is dropped; layers the point is critical with, even at their size, decide
                if raw != ref and grad <= math.sqrt(rtol) * small:
                    # the layers read as zero are not negligible to the Hessian: a point of a larger stratum (a layer
                    # of size 1e-8 beside O(1) ones: the sweep's Z{3} chain point, (2, 7, 2), had been matched to
                    # Z{2,3}, (1, 9, 1), "exactly") or a residue that has not decayed; float64 cannot tell which
                    return Location(s, False, best, grad, loss, sig,
                                    f"{same_map} as {s.label.text} ({s.label.stratum}) when layers of norm up to "
                                    f"{small:.1e} are read as zero, but the Hessian with them (float64) has {raw[0]} "
                                    f"negative and {raw[1]} zero eigenvalues, without them {ref[0]} and {ref[1]}: too near a "
                                    f"smaller stratum for float64 to tell (pass the point exactly to decide)")
            if (neg, zero) != (s.inertia.negative, s.inertia.zero):
                return Location(s, False, best, grad, loss, sig,
                                f"{same_map} and rank signature as {s.label.text} ({s.label.stratum}), but the "
                                f"point's Hessian ({how}) has {neg} negative and {zero} zero eigenvalues (the stratum's "
                                f"representative: {s.inertia.negative}, {s.inertia.zero}): a special point of it, or of "
                                f"a stratum not listed", unlisted=True)
            return Location(s, True, best, grad, loss, sig, f"{same_map}, rank signature and Hessian inertia")
        s = min(near, key=lambda c: sum(abs(a - b) for a, b in zip(c.rank_signature, sig)))
        return Location(s, False, best, grad, loss, sig,
                        f"no listed stratum has the rank signature {sig}; nearest listed: {s.label.text} "
                        f"({s.label.stratum}, signature {s.rank_signature})", unlisted=True)


def landscape(model, *, seed: int = 0, max_params: int | None = None, max_strata: int | None = None,
              progress: bool | None = None) -> Landscape:
    """Every critical stratum symdln describes exactly for ``model``, as one :class:`Landscape`.

    ``max_params`` / ``max_strata`` (defaults :data:`~symdln.symbolic.critical.MAX_PARAMS`,
    :data:`~symdln.symbolic.critical.MAX_STRATA`) refuse larger models at once, with an estimate.  Long work shows a
    tqdm bar (``progress``; default: when stderr is a terminal); Ctrl-C returns the strata finished so far with
    ``complete=False``.

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> L = landscape(deep_linear(spectrum=[2, 1], widths=2))
    >>> [(str(s.label), s.kind) for s in L]
    [('{}', 'strict saddle'), ('{1}', 'strict saddle'), ('{2}', 'strict saddle'), ('{1,2}', 'global minimum')]
    """
    from .critical import MAX_PARAMS, MAX_STRATA, check_landscape_size, compute_critical_sets
    from .row_space import lift_landscape, needs_row_space_reduction, row_space_reduction

    if not isinstance(model, (DeepLinearModel, DiagonalLinearModel)):
        raise ModelError(f"`model` must be a DeepLinearModel or DiagonalLinearModel, got {describe(model)}")
    if needs_row_space_reduction(model):  # X without full row rank: the network on X's row space, lifted
        max_params = MAX_PARAMS if max_params is None else max_params
        max_strata = MAX_STRATA if max_strata is None else max_strata
        check_landscape_size(model, max_params=max_params, max_strata=max_strata)
        reduced, B, Bp = row_space_reduction(model)
        inner = landscape(reduced, seed=seed, max_params=max_params, max_strata=max_strata, progress=progress)
        return Landscape(model, lift_landscape(model, inner, Bp, seed), seed, inner.complete, inner.not_listed,
                         project=sp.ImmutableMatrix(B * Bp))
    sets, complete = compute_critical_sets(model, seed=seed, max_params=MAX_PARAMS if max_params is None else max_params,
                                           max_strata=MAX_STRATA if max_strata is None else max_strata, progress=progress)
    diagonal = isinstance(model, DiagonalLinearModel)
    strata = []
    for c in sets:
        a = c.analysis
        strata.append(Stratum(StratumLabel.parse(c.label, c.stratum, diagonal=diagonal), a.kind, a.inertia, a.order,
                              a.order_at_most, c.dimension, c.point, c.loss, c.end_to_end, tuple(a.escape), a, model,
                              c.dimension_bounds))
    missing = ()
    if not diagonal:
        from .unlisted import not_listed

        missing = not_listed(model, sets)
    return Landscape(model, strata, seed, complete, missing)


def exact_signature(model, point) -> tuple:
    """:func:`_signature` of an exact point of a deep linear network, ranks by Gauss–Jordan over ℚ or over the
    number field of the point's entries (never SymPy's zero tests on algebraic expressions)."""
    mats = [sp.Matrix(W) for W in point]
    sxx, syx = sp.Matrix(model.sxx), sp.Matrix(model.syx)
    irrational = sorted({x for M in (*mats, sxx, syx) for x in M if not x.is_Rational}, key=str)
    if not irrational:  # over ℚ: python-flint matrices throughout
        from .fields import to_fmpq_mat as q

        return rational_signature(model, [q(W) for W in mats])
    field = NumberField(irrational) if irrational else RationalField()
    fm = [FieldMatrix.from_sympy(W, field) for W in mats]
    A = fm[0]
    for W in fm[1:]:
        A = W * A
    G = A * FieldMatrix.from_sympy(sxx, field) - FieldMatrix.from_sympy(syx, field)

    def rank(M):
        if not M.rows or not M.rows[0]:
            return 0
        return M.ncols() - len(field_nullspace(M.rows, field))

    def eye(k):
        return FieldMatrix([[field.one if i == j else field.zero for j in range(k)] for i in range(k)], field)

    return _signature(fm, G, mul=lambda X, Y: X * Y, eye=eye, transpose=lambda X: X.transpose(), rank=rank)


def _project_first_layer(theta, P):
    """``theta`` with ``W_1`` replaced by ``W_1 P`` (exact when every entry is rational, else float64)."""
    exact = _rational_layers(theta)
    if exact is not None:
        W1 = sp.Matrix(exact[0].nrows(), exact[0].ncols(), [sp.Rational(int(x.p), int(x.q)) for x in exact[0].entries()])
        return (W1 * P,) + tuple(theta[1:])
    return (_as_float_matrix(theta[0]) @ np.array(P.tolist(), dtype=float),) + tuple(theta[1:])


@lru_cache(maxsize=32)
def _rational_data(model) -> tuple:
    """``(Σxx, Σyx)`` of a rational model as ``fmpq_mat`` (converted once per model: the cuts sign many draws)."""
    from .fields import to_fmpq_mat as q

    return q(sp.Matrix(model.sxx)), q(sp.Matrix(model.syx))


def _rational_layers(theta):
    """``theta``'s layers as ``fmpq_mat`` when every entry is an exact rational (int, Fraction, SymPy Rational), else
    ``None``."""
    from fractions import Fraction

    import flint

    out = []
    for W in theta:
        rows = W.tolist() if isinstance(W, sp.MatrixBase) else W
        if not isinstance(rows, (list, tuple)) or not all(isinstance(r, (list, tuple)) for r in rows):
            return None
        entries = []
        for r in rows:
            for x in r:
                if isinstance(x, bool) or not isinstance(x, (int, Fraction, sp.Rational)):
                    return None
                entries.append(flint.fmpq(int(x.p), int(x.q)) if isinstance(x, sp.Rational)
                               else flint.fmpq(x.numerator, x.denominator))
        out.append(flint.fmpq_mat(len(rows), len(rows[0]) if rows else 0, entries))
    return out


def rational_signature(model, layers) -> tuple:
    """:func:`exact_signature` of a point given as python-flint ``fmpq_mat`` layers (no SymPy on the way)."""
    import flint

    A = layers[0]
    for W in layers[1:]:
        A = W * A
    sxx, syx = _rational_data(model)
    G = A * sxx - syx

    def eye(k):
        return flint.fmpq_mat(k, k, [1 if i == j else 0 for i in range(k) for j in range(k)])

    return _signature(list(layers), G, mul=lambda X, Y: X * Y, eye=eye, transpose=lambda X: X.transpose(),
                      rank=lambda X: X.rank() if X.nrows() and X.ncols() else 0)
