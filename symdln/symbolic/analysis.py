"""Exact analysis of one point: gradient, inertia, kind, order and escape directions (MATH §2).

:func:`analyze_point` works in exact rational arithmetic (python-flint ``fmpq``):

* the gradient by the closed form of :mod:`symdln.symbolic.calculus` (is it critical?);
* the Hessian by the same closed form, its inertia by exact block LDLᵀ (:mod:`.inertia`);
* the *kind*: a negative eigenvalue makes a **strict saddle** (order 2).  Otherwise the
  loss is expanded exactly along lines ``θ + εd`` with ``d`` in the Hessian's kernel
  (``ℒ(θ + εd)`` is a polynomial in ε, interpolated exactly); a direction whose leading
  coefficient is negative *certifies* a **non-strict saddle**, and the lowest such degree is
  its **order**.  A point whose loss equals the global minimum value is a **global
  minimum**; a positive definite Hessian gives a **local minimum**.  When no descent line
  is found and the value is not the global minimum, the kind is ``"unknown"`` with the
  reason (it could be a local minimum or a saddle of higher order along curves): symdln
  never guesses.
* escape directions: for a strict saddle, the exact negative eigenvalues of the Hessian
  (roots of factors of its characteristic polynomial, isolated in certified intervals),
  growth rates ``−λ`` of the linearized flow ``δ' = −Hδ``, and unit eigenvectors (float64);
  for a non-strict saddle, the exact descent direction with its order and coefficient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from fractions import Fraction
from functools import lru_cache

import flint
import numpy as np
import sympy as sp

from ..errors import ModelError, describe
from ..matops import to_fmpq_mat
from ..models.diagonal import DiagonalLinearModel
from ..models.dln import DeepLinearModel
from ..models.init import check_point
from .calculus import diagonal_hessian_entries, dln_gradient, dln_hessian_entries, dln_hessian_float, dln_hessian_fmpq
from .fields import FieldMatrix, NumberField, RationalField
from .inertia import Inertia, charpoly_inertia, field_nullspace, inertia, nullspace, symmetric_charpoly
from .algebraic import exact_sign
from .order import descent_order

__all__ = ["PointAnalysis", "EscapeDirection", "analyze_point", "global_minimum_value"]


@dataclass(frozen=True)
class EscapeDirection:
    """A direction in which the loss decreases from a saddle.

    ``rate`` is the growth rate ``−λ`` of the linearized flow (strict saddles; text of a
    certified interval, and ``rate_exact`` an exact expression when its factor has degree ≤ 2)
    or ``None`` (non-strict saddles, where ``coefficient`` is the exact leading coefficient
    of ``ℒ(θ + εd) − ℒ(θ)``, of degree ``order``; of ``ℒ(θ + εd + ε²e) − ℒ(θ)`` when ``curve`` gives ``e``,
    for saddles no line leaves at that degree).
    """

    direction: tuple
    order: int
    rate: str | None = None
    rate_exact: str | None = None
    multiplicity: int = 1
    coefficient: str | None = None
    #: the second-order term ``e`` of an escape along the curve ``θ + εd + ε²e`` (``None``: along the line ``θ + εd``)
    curve: tuple | None = None

    def as_dict(self) -> dict:
        return {
            "direction": [str(x) for x in self.direction],
            "order": self.order,
            "rate": self.rate,
            "rate_exact": self.rate_exact,
            "multiplicity": self.multiplicity,
            "coefficient": self.coefficient,
            "curve": None if self.curve is None else [str(x) for x in self.curve],
        }


@dataclass(frozen=True)
class PointAnalysis:
    """What :func:`analyze_point` found at one exact point."""

    loss: sp.Expr
    is_critical: bool
    gradient_norm_sq: sp.Expr
    inertia: Inertia
    n_params: int
    kind: str
    order: int | None
    reason: str
    family_dimension: int | None = None
    escape: tuple = field(default_factory=tuple)
    order_at_most: int | None = None
    #: the exact Hessian (``flint.fmpq_mat``) at rational points, kept for later exact work on the same point (e.g.
    #: :func:`symdln.symbolic.dimension.stratum_dimension_bounds`); not pickled
    hessian: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("hessian", None)  # flint matrices do not pickle
        return state

    @property
    def nullity(self) -> int:
        return self.inertia.zero

    @property
    def degenerate(self) -> bool | None:
        """True when the nullity exceeds the family's dimension (Hessian degenerate transversally)."""
        if self.family_dimension is None:
            return None
        return self.nullity > self.family_dimension

    def as_dict(self) -> dict:
        return {
            "loss": str(self.loss),
            "loss_float": float(sp.N(self.loss, 20)),
            "is_critical": self.is_critical,
            "gradient_norm_sq": str(self.gradient_norm_sq),
            "inertia": list(self.inertia.as_tuple()),
            "nullity": self.nullity,
            "family_dimension": self.family_dimension,
            "degenerate": self.degenerate,
            "kind": self.kind,
            "order": self.order,
            "order_at_most": self.order_at_most,
            "reason": self.reason,
            "escape": [e.as_dict() for e in self.escape],
        }


def _sq(E, zero) -> object:
    """``‖E‖_F²`` exactly."""
    return sum((E[i, j] * E[i, j] for i in range(E.nrows()) for j in range(E.ncols())), zero)


def _rational_point(theta):
    """An already checked point as ``fmpq_mat`` layers (a clear error for irrational entries)."""
    for l, W in enumerate(theta, start=1):
        for x in W:
            if not x.is_Rational:
                raise ModelError(
                    f"`theta` layer {l} has the irrational entry {x}; exact analysis takes rational points "
                    f"(inertia is invariant along the symmetry orbit, so a rational point of the same orbit works)"
                )
    return tuple(to_fmpq_mat(W) for W in theta)


class _Loss:
    """Exact loss, gradient and Hessian of one model over a field (ℚ with ``fmpq_mat``, or a number field)."""

    def __init__(self, model, field=None) -> None:
        self.model = model
        self.field = RationalField() if field is None else field
        self.rational = isinstance(self.field, RationalField)
        F = self.field
        if isinstance(model, DeepLinearModel):
            self.kind = "dln"
            self.teacher = model.form == "teacher"
            self.syx = self.mat(model.syx)
            self.sxx = None if self.teacher else self.mat(model.sxx)
            if not self.teacher:
                self.X = self.mat(model.X)
                self.Y = self.mat(model.Y)
                self.N = model.X.shape[1]
            self.lam = F(sp.Rational(model.weight_decay.numerator, model.weight_decay.denominator))
            self.degree = 2 * model.depth
        elif isinstance(model, DiagonalLinearModel):
            self.kind = "diagonal"
            self.X = self.mat(model.X)
            self.y = self.mat(model.y)
            self.n = model.n_samples
            self.degree = 4
        else:
            raise ModelError(f"`model` must be a DeepLinearModel or DiagonalLinearModel, got {describe(model)}")

    def mat(self, M: sp.MatrixBase):
        return to_fmpq_mat(M) if self.rational else FieldMatrix.from_sympy(M, self.field)

    def from_rows(self, rows):
        if self.rational:
            return flint.fmpq_mat(rows) if rows and rows[0] else flint.fmpq_mat(len(rows), 0)
        return FieldMatrix(rows, self.field)

    def _half(self, x, n=1):
        return x * self.field(Fraction(1, 2 * n))

    def value(self, th):
        z = self.field.zero
        if self.kind == "diagonal":
            u, v = th
            d = u.nrows()
            beta = self.from_rows([[u[i, 0] * v[i, 0]] for i in range(d)])
            r = self.X * beta - self.y
            return self._half(_sq(r, z), self.n)
        A = th[0]
        for W in th[1:]:
            A = W * A
        if self.teacher:
            fit = self._half(_sq(A - self.syx, z))
        else:
            fit = self._half(_sq(A * self.X - self.Y, z), self.N)
        if self.lam != self.field.zero:
            fit = fit + self._half(self.lam * sum((_sq(W, z) for W in th), z))
        return fit

    def gradient(self, th) -> list:
        if self.kind == "diagonal":
            u, v = th
            d = u.nrows()
            beta = self.from_rows([[u[i, 0] * v[i, 0]] for i in range(d)])
            g = self.X.transpose() * (self.X * beta - self.y) * self.field(Fraction(1, self.n))
            return [v[i, 0] * g[i, 0] for i in range(d)] + [u[i, 0] * g[i, 0] for i in range(d)]
        lam = self.lam if self.lam != self.field.zero else 0
        grads, _ = dln_gradient(th, self.sxx, self.syx, lam)
        return [g[i, j] for g in grads for i in range(g.nrows()) for j in range(g.ncols())]

    def hessian(self, th) -> list:
        F = self.field
        if self.kind == "diagonal":
            u, v = th
            d = u.nrows()
            us = [F.to_sympy(u[i, 0]) for i in range(d)]
            vs = [F.to_sympy(v[i, 0]) for i in range(d)]
            rows = diagonal_hessian_entries(us, vs, self.model.X, self.model.y, self.n)
        else:
            lam = self.lam if self.lam != F.zero else 0
            if self.rational:  # one fmpq_mat, through matrix products
                return dln_hessian_fmpq(th, self.sxx, self.syx, lam)
            rows = dln_hessian_entries(th, self.sxx, self.syx, lam)
        return [[x if not isinstance(x, (int, sp.Basic)) else F(x) for x in r] for r in rows]

    def shapes(self, th):
        return [(W.nrows(), W.ncols()) for W in th]


@lru_cache(maxsize=32)
def global_minimum_value(model) -> sp.Expr | None:
    """The exact global minimum of the loss when symdln knows it in closed form (λ = 0; with weight decay, the
    teacher form with a known SVD: :func:`~symdln.symbolic.weight_decay.weight_decay_analysis`), else ``None``."""
    if isinstance(model, DiagonalLinearModel):
        X, y = sp.Matrix(model.X), sp.Matrix(model.y)
        beta = X.pinv() * y
        return sp.nsimplify(model.loss_beta(beta)) if all(x.is_Rational for x in beta) else model.loss_beta(beta)
    if model.weight_decay != 0:
        return _weight_decay_minimum(model)
    from .pivots import pivot_families

    return min((f.loss for f in pivot_families(model)), key=lambda x: sp.N(x, 50))


@lru_cache(maxsize=16)
def _weight_decay_minimum(model) -> sp.Expr | None:
    if model.form != "teacher" or model.svd is None:
        return None
    from .weight_decay import weight_decay_analysis

    return weight_decay_analysis(model).global_minimum[1]


def _float_mat(M) -> np.ndarray:
    return np.array([float(x) for x in M.entries()]).reshape(M.nrows(), M.ncols())


def _symmetry_fills_kernel(loss, th, nullity: int) -> str | None:
    """The symmetry group (``"GL"``; ``"orthogonal"`` with weight decay) whose orbit through a DLN critical point has
    the dimension ``nullity`` of the Hessian's kernel, else ``None``.

    ``ℒ`` is invariant under ``W_l ↦ G_l W_l G_{l−1}⁻¹`` on the hidden layers (``G_l`` orthogonal when ``λ > 0``), so
    the orbit lies in the critical set at one loss and its tangent space ``T`` lies in ``ker H``.  ``dim T`` is the
    rank of the action's differential; taken modulo a prime it can only be lower, so ``rank_p = nullity`` proves
    ``T = ker H``: the critical set is then, near the point, a manifold along which the Hessian is nondegenerate
    normally (Morse–Bott), and a positive semidefinite Hessian makes the point a local minimum.  (An audit found
    weight-decay local minima with an O(2) × O(2) orbit called ``unknown``, 2026-12-07.)"""
    if loss.kind != "dln" or not loss.rational or nullity == 0 or len(th) < 2:
        return None
    from .dimension import _PRIMES, _orbit_rank

    Ws = [flint.fmpq_mat(W.nrows(), W.ncols(), [x for row in W.tolist() for x in row]) for W in th]
    skew = loss.lam != 0
    for p in _PRIMES:
        r = _orbit_rank(Ws, p, skew=skew)
        if r is not None:
            return ("orthogonal" if skew else "GL") if r == nullity else None
    return None


def _float_hessian(loss, th, Hq: flint.fmpq_mat) -> np.ndarray:
    """The Hessian in float64 for eigenvectors: the closed form in NumPy at the rounded layers (DLN; ``n²`` entry
    conversions of the exact matrix cost more than the whole float computation), else the exact matrix rounded."""
    if loss.kind == "dln":
        return dln_hessian_float([_float_mat(W) for W in th], None if loss.sxx is None else _float_mat(loss.sxx),
                                 _float_mat(loss.syx), float(loss.lam))
    return _float_mat(Hq)


def _root_float(c: tuple, sign: int) -> float:
    """The root ``−c_0/c_1`` (``sign = 0``) or ``(−c_1 ± √(c_1² − 4c_2c_0)) / (2c_2)`` in float64."""
    if sign == 0:
        return float(-c[0] / c[1])
    return (-float(c[1]) + sign * math.sqrt(float(c[1] ** 2 - 4 * c[2] * c[0]))) / (2 * float(c[2]))


@lru_cache(maxsize=1)
def _small_primes(limit: int = 1 << 15) -> tuple:
    sieve = bytearray([1]) * (limit + 1)
    sieve[:2] = b"\x00\x00"
    for i in range(2, math.isqrt(limit) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(sieve[i * i::i]))
    return tuple(i for i in range(limit + 1) if sieve[i])


def _sqrt_parts(n: int) -> tuple[int, int]:
    """``(a, b)`` with ``√n = a√b``: square factors of primes below 2¹⁵ taken out, and ``b`` itself when it is a
    square (what SymPy's ``sqrt`` extracts; ``b`` may keep a large square factor, the identity is exact)."""
    a, b = 1, n
    for p in _small_primes():
        if p * p > b:
            break
        while b % (p * p) == 0:
            b //= p * p
            a *= p
    r = math.isqrt(b)
    return (a * r, 1) if r * r == b else (a, b)


def _minus_root_text(c: tuple, sign: int) -> str:
    """Minus that root exactly, as a radical SymPy reads back: ``A ± k·sqrt(b)/d`` for the quadratic (``√D = a√b/Q``
    with ``D = P/Q`` the discriminant), ``p/q`` for the linear factor."""
    if sign == 0:
        return str(c[0] / c[1])
    D = c[1] ** 2 - 4 * c[2] * c[0]
    a, b = _sqrt_parts(D.numerator * D.denominator)
    A = c[1] / (2 * c[2])  # −root = A − sign·√D/(2c_2) = A + B√b
    B = -sign * Fraction(a, D.denominator) / (2 * c[2])
    if b == 1:
        return str(A + B)
    k, d = abs(B.numerator), B.denominator
    rad = ("" if k == 1 else f"{k}*") + f"sqrt({b})" + ("" if d == 1 else f"/{d}")
    if A == 0:
        return rad if B > 0 else f"-{rad}"
    return f"{A} {'+' if B > 0 else '-'} {rad}"


def _escape_rates(Hq: flint.fmpq_mat, cp, Hf: np.ndarray, max_report: int = 8):
    """Negative eigenvalues of ``H`` exactly (factors of its characteristic polynomial ``cp``, the one the inertia was
    read from) and float64 eigenvectors (of ``Hf``, the float64 Hessian: :func:`_float_hessian`)."""
    _, factors = cp.factor()
    negs = []
    for f, mult in factors:
        roots = f.numer().complex_roots()  # same roots as the rational factor
        for r, m in roots:
            if r.imag.contains(0) and r.real < 0:
                negs.append((r.real, f, mult * m))
    w, V = np.linalg.eigh(Hf)
    out = []
    for val, f, mult in sorted(negs, key=lambda t: float(t[0].mid())):
        rate = -val
        exact = None
        if f.degree() <= 2:  # exact radicals by the formula (no nsimplify: it may return a nearby number)
            c = tuple(Fraction(int(q.p), int(q.q)) for q in f.coeffs())  # c[k]: coefficient of x^k
            v = float(val.mid())
            for sign in ((0,) if f.degree() == 1 else (1, -1)):
                if abs(_root_float(c, sign) - v) < 1e-6 * (1 + abs(v)):
                    exact = _minus_root_text(c, sign)
        idx = int(np.argmin(np.abs(w - float(val.mid()))))
        vec = V[:, idx]
        out.append(
            EscapeDirection(
                direction=tuple(float(x) for x in vec),
                order=2,
                rate=rate.str(15, radius=False),
                rate_exact=exact,
                multiplicity=mult,
            )
        )
        if len(out) >= max_report:
            break
    return tuple(out)


def analyze_point(model, theta, *, family_dimension: int | None = None, seed: int = 0) -> PointAnalysis:
    """Exact analysis of ``θ``: criticality, inertia ``(neg, zero, pos)``, kind, order and escape directions.

    Parameters
    ----------
    model : DeepLinearModel or DiagonalLinearModel
    theta : sequence of exact matrices
        One per layer (``(u, v)`` columns for a diagonal network): rationals, or real algebraic
        numbers (SymPy expressions), in which case the analysis runs in the number field they generate.
    family_dimension : int, optional
        Dimension of the critical set through ``θ``, compared with the nullity.
    seed : int
        Seed of the random kernel directions tried by the higher-order test.

    Returns
    -------
    PointAnalysis

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> m = deep_linear("2", depth=2, widths=1)
    >>> a = analyze_point(m, ([[0]], [[0]]))
    >>> a.kind, a.inertia.as_tuple(), a.order
    ('strict saddle', (1, 0, 1), 2)
    >>> analyze_point(deep_linear("2", depth=3, widths=1), ([[0]], [[0]], [[0]])).order
    3
    """
    point = check_point(model, theta, name="theta")
    irrational = sorted({x for W in point for x in W if not x.is_Rational}, key=str)
    if not irrational:
        return analyze_exact(_Loss(model), _rational_point(point), family_dimension=family_dimension, seed=seed)
    field = NumberField(irrational)
    loss = _Loss(model, field)
    th = tuple(FieldMatrix.from_sympy(W, field) for W in point)
    gmin = global_minimum_value(model)
    is_global = None
    if gmin is not None:
        try:
            is_global = loss.value(th) == field(gmin)
        except Exception:  # not converted into the point's field: compare the two real algebraic numbers exactly
            is_global = exact_sign(field.to_sympy(loss.value(th)) - gmin) == 0
    return analyze_exact(loss, th, family_dimension=family_dimension, is_global=is_global, seed=seed)


def analyze_exact(loss: _Loss, th, *, family_dimension=None, is_global: bool | None = None, seed: int = 0,
                  hessian=None) -> PointAnalysis:
    """:func:`analyze_point` on a point already in ``loss``'s field (ℚ or a number field).

    ``is_global`` tells, when known structurally, whether the point's value is the global minimum;
    otherwise it is compared with :func:`global_minimum_value` (rational points).  ``hessian``: ``(rows,
    characteristic polynomial)`` already computed at ``th`` by the caller (rational points), not recomputed.
    """
    F = loss.field
    model = loss.model
    value = loss.value(th)
    grad = loss.gradient(th)
    gnorm = sum((g * g for g in grad), F.zero)
    rows, cp = hessian if hessian is not None else (loss.hessian(th), None)
    Hq = None
    if loss.rational:  # exact: Descartes' rule on the characteristic polynomial (real-rooted: H is symmetric)
        Hq = rows if isinstance(rows, flint.fmpq_mat) else flint.fmpq_mat(rows)
        n = Hq.nrows()
        cp = symmetric_charpoly(Hq) if cp is None else cp
        inert = charpoly_inertia(cp)
    else:
        n = len(rows)
        inert = inertia(rows, field=F)
    val = F.to_sympy(value)
    critical = gnorm == F.zero
    if is_global is None:
        gmin = global_minimum_value(model)
        is_global = gmin is not None and exact_sign(val - gmin) == 0
    escape: tuple = ()
    order = order_at_most = None
    if not critical:
        kind, reason = "not critical", "the gradient is nonzero"
    elif inert.negative > 0:
        kind, order, reason = "strict saddle", 2, "the Hessian has a negative eigenvalue"
        order_at_most = 2
        escape = (_escape_rates(Hq, cp, _float_hessian(loss, th, Hq)) if loss.rational
                  else _escape_numeric(rows, F, inert.negative))
    elif is_global:
        kind, reason = "global minimum", "the loss equals the global minimum value"
    elif inert.zero == 0:
        kind, reason = "local minimum", "the Hessian is positive definite"
    elif (group := _symmetry_fills_kernel(loss, th, inert.zero)) is not None:
        kind, reason = "local minimum", (
            f"the Hessian is positive semidefinite and its {inert.zero}-dimensional kernel is the tangent space of the "
            f"hidden layers' {group} symmetry orbit, which keeps the loss and lies in the critical set: a Morse–Bott "
            f"minimum")
    else:
        kernel = nullspace(Hq) if loss.rational else field_nullspace(rows, F)
        blocks, k = [], 0
        for r, c in loss.shapes(th):
            blocks.append((k, k + r * c))
            k += r * c
        found = descent_order(loss, th, kernel, blocks, seed=seed,
                              hessian=_float_hessian(loss, th, Hq) if loss.rational else None)
        order, order_at_most, reason = found.order, found.at_most, f"no negative eigenvalue; {found.reason}"
        if found.direction is not None:
            kind = "non-strict saddle"
            escape = (
                EscapeDirection(
                    direction=tuple(F.to_sympy(x) for x in found.direction),
                    order=found.at_most,
                    coefficient=str(F.to_sympy(found.coefficient)),
                    curve=None if found.curve is None else tuple(F.to_sympy(x) for x in found.curve),
                ),
            )
        else:
            kind = "unknown"
    return PointAnalysis(
        loss=val,
        is_critical=critical,
        gradient_norm_sq=F.to_sympy(gnorm),
        inertia=inert,
        n_params=n,
        kind=kind,
        order=order,
        reason=reason,
        family_dimension=family_dimension,
        escape=escape,
        order_at_most=order_at_most,
        hessian=Hq,
    )


def _escape_numeric(rows, F, negative: int, max_report: int = 8):
    """Escape directions at a point with algebraic coordinates: the ``negative`` (the exact inertia's count) smallest
    float64 eigenpairs of the exact Hessian's value, each rate rounded to the digits Weyl's bound certifies.

    ``|λ_i(H) − λ̂_i| ≤ δ = 4(n + 2)·2⁻⁵³·‖H‖_F`` (entries rounded to float64, then a backward-stable symmetric
    eigensolver), and the ``i``-th smallest eigenvalues pair up, so the exact count picks the directions (a float
    eigenvalue near 0 is never taken for a negative one) and ``−λ̂_i`` has ``⌊log10(|λ̂_i|/δ)⌋`` correct digits."""
    Hf = np.array([[F.to_float(x) for x in r] for r in rows])
    w, V = np.linalg.eigh(Hf)
    delta = 4 * (len(w) + 2) * 2.0 ** -53 * float(np.linalg.norm(Hf))
    out = []
    for i in range(min(max_report, negative)):
        digits = int(math.floor(math.log10(abs(w[i]) / delta))) if abs(w[i]) > delta else 0
        rate = f"{-w[i]:.{min(digits, 15)}g}" if digits >= 1 else None  # negative (exact count), size not resolved
        out.append(EscapeDirection(direction=tuple(float(x) for x in V[:, i]), order=2, rate=rate))
    return tuple(out)
