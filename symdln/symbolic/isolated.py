"""Isolated critical points by Gröbner bases over ℚ: exact complex and real counts (MATH §5).

For models whose critical points are isolated, e.g. a DLN with generic entrywise Tikhonov
weight decay ``ℒ = ½‖W_2 W_1 X − Y‖² + ½ Σ λ^{(l)}_{ij} (W_l)_{ij}²``:

* a Gröbner basis of the gradient ideal ``I`` (SymPy, grevlex) gives the standard monomials;
  their number is ``dim_ℚ ℚ[θ]/I``, the **number of complex critical points counted with
  multiplicity** (finite iff every variable has a pure power among the leading monomials);
* the multiplication matrices ``M_{x_k}`` of the quotient ring give the **Hermite trace
  form** ``T_ij = Tr(M_{b_i b_j})`` on the standard monomials ``b_i``; its rank is the number of
  distinct complex points and its signature ``pos − neg`` the number of distinct **real**
  points (Hermite; Pedersen–Roy–Szpirglas 1993).  The signature is computed with the exact
  inertia of :mod:`.inertia`, so the real count is certified, never thresholded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import flint
import sympy as sp

from ..errors import ModelError
from .inertia import Inertia, inertia

__all__ = [
    "CountResult",
    "RealCriticalPoint",
    "count_critical_points",
    "classify_real_points",
    "classify_real_points_msolve",
]

# the Tikhonov-regularized DLN (its draws, counts and classification) lives in :mod:`.tikhonov`; these names stay
# importable from here
_TIKHONOV = ("TikhonovData", "tikhonov_data", "tikhonov_variables", "tikhonov_problem", "tikhonov_loss",
             "tikhonov_system", "tikhonov_symmetries", "count_tikhonov", "classify_tikhonov")


def __getattr__(name):
    if name in _TIKHONOV:
        from . import tikhonov

        return getattr(tikhonov, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class CountResult:
    """Exact counts of the critical points of a polynomial system: ``complex_count`` (with multiplicity),
    ``distinct_count``, ``real_count``; the ``engine`` and ``method`` (``"plain"``: the system as given;
    ``"neurons"``: summed over ``systems`` active-neuron pattern systems, :mod:`.neurons`)."""

    complex_count: int
    distinct_count: int
    real_count: int
    n_variables: int
    n_basis: int
    engine: str = "sympy"
    seconds: float | None = None
    method: str = "plain"
    systems: int = 1

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _standard_monomials(leading: list[tuple], n: int, cap: int = 20000) -> list[tuple]:
    def divisible(m):
        return any(all(a >= b for a, b in zip(m, lm)) for lm in leading)

    for k in range(n):
        if not any(lm[k] > 0 and sum(lm) == lm[k] for lm in leading):
            raise ModelError("the critical points are not isolated (the gradient ideal is not zero-dimensional)")
    start = (0,) * n
    if divisible(start):
        return []
    seen = {start}
    frontier = [start]
    while frontier:
        nxt = []
        for m in frontier:
            for k in range(n):
                e = list(m)
                e[k] += 1
                e = tuple(e)
                if e not in seen and not divisible(e):
                    seen.add(e)
                    nxt.append(e)
        frontier = nxt
        if len(seen) > cap:
            raise ModelError(f"more than {cap} standard monomials")
    return sorted(seen, key=lambda m: (sum(m), m))


class _Quotient:
    """``ℚ[θ]/I`` for a zero-dimensional ideal: standard monomials and multiplication matrices."""

    def __init__(self, equations, variables) -> None:
        self.gens = list(variables)
        self.n = len(self.gens)
        self.G = sp.groebner(equations, *self.gens, order="grevlex")
        self.empty = list(self.G.exprs) == [1]
        if self.empty:
            self.basis, self.mult = [], []
            return
        polys = [sp.Poly(g, *self.gens) for g in self.G.exprs]
        leading = [p.monoms(order="grevlex")[0] for p in polys]
        self.basis = _standard_monomials(leading, self.n)
        self.index = {m: i for i, m in enumerate(self.basis)}
        N = len(self.basis)
        self.mult = []
        for k in range(self.n):
            cols = []
            for m in self.basis:
                e = list(m)
                e[k] += 1
                e = tuple(e)
                if e in self.index:
                    v = [flint.fmpq(0)] * N
                    v[self.index[e]] = flint.fmpq(1)
                else:
                    v = self._coords(sp.Mul(*[g**a for g, a in zip(self.gens, e)]))
                cols.append(v)
            self.mult.append(flint.fmpq_mat([[cols[j][i] for j in range(N)] for i in range(N)]))

    def _coords(self, expr) -> list:
        _, rem = self.G.reduce(expr)
        vec = [flint.fmpq(0)] * len(self.basis)
        for mon, c in sp.Poly(rem, *self.gens).terms():
            q = sp.Rational(c)
            vec[self.index[mon]] = flint.fmpq(int(q.p), int(q.q))
        return vec

    def hermite_inertia(self):
        """Inertia of the trace form ``T_ij = Tr(M_{b_i b_j})``."""
        N = len(self.basis)
        mats = {self.basis[0]: None}
        for m in self.basis[1:]:
            k = next(i for i, a in enumerate(m) if a > 0)
            prev = list(m)
            prev[k] -= 1
            P = mats[tuple(prev)]
            mats[m] = self.mult[k] if P is None else self.mult[k] * P
        traces = []
        for m in self.basis:
            M = mats[m]
            traces.append(flint.fmpq(N) if M is None else sum((M[i, i] for i in range(N)), flint.fmpq(0)))
        t = flint.fmpq_mat(1, N, traces)
        rows = []
        for m in self.basis:
            M = mats[m]
            row = t if M is None else t * M
            rows.append([row[0, j] for j in range(N)])
        return inertia(rows)


def count_critical_points(equations, variables=None, *, engine: str = "auto",
                          timeout: float | None = None) -> CountResult:
    """Exact complex (with multiplicity), distinct and real counts of the solutions of a zero-dimensional system,
    or of the critical points of a Tikhonov-regularized DLN given as its :class:`~.tikhonov.TikhonovData`
    (``equations``; then :func:`~.tikhonov.count_tikhonov`, by active-neuron patterns when it applies).

    ``engine``: ``"msolve"`` (:mod:`.msolve`, C; seconds where SymPy takes minutes), ``"sympy"`` (this module's
    Gröbner basis and Hermite trace form, pure Python, exact) or ``"auto"`` (msolve when installed).  The result
    records the engine; the tests check both agree on the published rows.

    Examples
    --------
    >>> x, y = sp.symbols("x y")
    >>> r = count_critical_points([x**2 - 2, y**2 + 1], [x, y], engine="sympy")
    >>> r.complex_count, r.distinct_count, r.real_count
    (4, 4, 0)
    >>> count_critical_points([x**2 - 2, y**2 - 1], [x, y]).real_count
    4
    """
    from .tikhonov import TikhonovData, count_tikhonov

    if isinstance(equations, TikhonovData):
        return count_tikhonov(equations, engine=engine, timeout=timeout)
    if variables is None:
        raise ModelError("count_critical_points needs `variables` with a list of equations (or a TikhonovData)")
    if engine not in ("auto", "msolve", "sympy"):
        raise ModelError(f"`engine` must be 'auto', 'msolve' or 'sympy', got {engine!r}")
    if engine != "sympy":
        from .msolve import msolve_count, msolve_path

        if msolve_path() is not None or engine == "msolve":
            c = msolve_count(equations, variables, timeout=timeout)
            if c.with_multiplicity == c.distinct:
                return CountResult(c.with_multiplicity, c.distinct, c.real, len(list(variables)), c.with_multiplicity,
                                   "msolve", round(c.seconds, 3))
            # repeated points: msolve's parametrization may use a linear form that does not separate them (measured:
            # {x³ − x², xy, y³ − y²} gave 2 distinct and 2 real points, not 3 and 3), so its distinct and real counts
            # are not certified; the Hermite trace form below counts them exactly for any zero-dimensional ideal
    Q = _Quotient(equations, variables)
    if Q.empty:
        return CountResult(0, 0, 0, Q.n, 0)
    form = Q.hermite_inertia()
    N = len(Q.basis)
    return CountResult(
        complex_count=N,
        distinct_count=form.negative + form.positive,
        real_count=form.positive - form.negative,
        n_variables=Q.n,
        n_basis=N,
    )


@dataclass(frozen=True)
class RealCriticalPoint:
    """A real isolated critical point: coordinates and loss as certified balls, exact-sign inertia, kind."""

    coordinates: tuple
    loss: str | None
    inertia: Inertia
    kind: str
    lowest: bool = False

    def as_dict(self) -> dict:
        return {
            "coordinates": list(self.coordinates),
            "loss": self.loss,
            "inertia": list(self.inertia.as_tuple()),
            "kind": self.kind,
            "lowest": self.lowest,
        }


def _compile_poly(expr, gens):
    terms = []
    for mon, c in sp.Poly(expr, *gens).terms():
        q = sp.Rational(c)
        terms.append((flint.fmpq(int(q.p), int(q.q)), mon))
    return terms


def _eval_poly(terms, x) -> flint.arb:
    total = flint.arb(0)
    for c, mon in terms:
        v = flint.arb(c)
        for xi, e in zip(x, mon):
            if e:
                v = v * xi**e
        total += v
    return total


def _arb_inertia(H) -> Inertia | None:
    """Inertia of a symmetric arb matrix by LDLᵀ with pivots whose sign is certain; None if undecided."""
    A = [list(r) for r in H]
    active = list(range(len(A)))
    neg = pos = 0
    while active:
        cands = [k for k in active if not A[k][k].contains(0)]
        if not cands:
            return None
        k = max(cands, key=lambda i: abs(float(A[i][i].mid())))
        d = A[k][k]
        if d > 0:
            pos += 1
        else:
            neg += 1
        active.remove(k)
        for i in active:
            f = A[i][k] / d
            for j in active:
                A[i][j] = A[i][j] - f * A[k][j]
    return Inertia(neg, 0, pos)


def classify_real_points(loss, variables, *, digits: int = 30, seed: int = 0,
                         symmetries=None) -> list[RealCriticalPoint]:
    """Every real critical point of a polynomial ``loss`` with isolated, simple critical points, classified.

    The real points are the real roots of the characteristic polynomial of a separating
    multiplication matrix ``M_f``: complex roots are isolated in certified balls and, since the
    number of real points is known exactly (Hermite), the balls that may touch the real axis are
    refined until exactly that many remain.  Each point's coordinates are enclosed by solving
    ``(M_fᵀ − t₀)v = 0`` in ball arithmetic (``v`` is the evaluation vector of the standard
    monomials), its Hessian is evaluated in balls and its inertia read from pivots of certain sign.
    A nondegenerate point with no negative eigenvalue is a local minimum; the one of least loss,
    when its loss ball lies below every other minimum's, is the global minimum (see ``lowest``); ``symmetries``
    (sign vectors over ``variables``) certify ties between symmetric minima, which are then all global minima.

    >>> x, y = sp.symbols("x y")
    >>> [(p.kind, p.lowest) for p in classify_real_points((x**2 - 1)**2 + y**2, [x, y])]
    [('local minimum', True), ('local minimum', True), ('strict saddle', False)]
    >>> [p.kind for p in classify_real_points((x**2 - 1)**2 + y**2, [x, y], symmetries=[(-1, 1)])]
    ['global minimum', 'global minimum', 'strict saddle']
    """
    gens = list(variables)
    eqs = [sp.expand(sp.diff(loss, v)) for v in gens]
    Q = _Quotient(eqs, gens)
    if Q.empty:
        return []
    form = Q.hermite_inertia()
    N = len(Q.basis)
    if form.negative + form.positive != N:
        raise ModelError("some critical points are multiple; classification needs simple (nondegenerate) points")
    n_real = form.positive - form.negative
    rng = random.Random(seed)
    for _ in range(20):
        c = [rng.randint(-9, 9) or 1 for _ in gens]
        Mf = Q.mult[0] * c[0]
        for ck, Mk in zip(c[1:], Q.mult[1:]):
            Mf = Mf + Mk * ck
        chi = Mf.charpoly().numer()
        if chi.gcd(chi.derivative()).degree() == 0:
            break
    else:  # pragma: no cover - a random form separates with probability 1
        raise ModelError("no separating linear form found")
    hess = [[_compile_poly(sp.diff(e, v), gens) for v in gens] for e in eqs]
    loss_terms = _compile_poly(loss, gens)
    col0 = [[Mk[j, 0] for j in range(N)] for Mk in Q.mult]
    bits = max(64, int(digits * 3.33) + 32)
    for _ in range(8):
        with flint.ctx.workprec(bits):
            roots = [r for r, _m in chi.complex_roots() if r.imag.contains(0)]
            out = _points_at(roots, n_real, Mf, N, col0, hess, loss_terms, digits)
        if out is not None:
            return _label_minima(out, symmetries)
        bits *= 2
    raise ModelError("could not certify the real critical points (increase `digits`)")


def classify_real_points_msolve(loss, variables, *, digits: int = 30, symmetries=None) -> list[RealCriticalPoint]:
    """Every real critical point of ``loss``, classified, from msolve's certified isolating boxes.

    Each box contains exactly one real critical point (msolve's real root isolation); the Hessian and the loss
    are evaluated in ball arithmetic on the whole box, so an inertia read from pivots of certain sign holds at the
    point.  When a pivot's sign is not certain the boxes are asked for again at twice the precision.
    ``symmetries`` (sign vectors, e.g. :func:`tikhonov_symmetries`) certify ties between symmetric minima.
    """
    from .msolve import box_to_arb, msolve_count

    gens = list(variables)
    eqs = [sp.expand(sp.diff(loss, v)) for v in gens]

    def boxes(bits):
        c = msolve_count(eqs, gens, precision_bits=bits)
        if c.distinct != c.with_multiplicity:
            raise ModelError("some critical points are multiple; classification needs simple (nondegenerate) points")
        return [box_to_arb(b) for b in c.boxes]

    return _classify_balls(loss, gens, boxes, digits, symmetries)


def _classify_balls(loss, gens, balls, digits, symmetries, bits=None):
    """Classify the real critical points enclosed by ``balls(bits)`` (a list of arb vectors, each ball holding one
    point, computed inside a ``2·bits + 64`` precision context); the precision is doubled until every Hessian
    pivot has a certain sign."""
    hess = [[_compile_poly(sp.diff(loss, v, w), gens) for w in gens] for v in gens]
    loss_terms = _compile_poly(loss, gens)
    bits = bits or max(128, int(digits * 3.33) + 32)
    for _ in range(5):
        out = []
        with flint.ctx.workprec(2 * bits + 64):
            for x in balls(bits):
                inert = _arb_inertia([[_eval_poly(t, x) for t in row] for row in hess])
                if inert is None:
                    break
                out.append((tuple(xi.mid().str(digits, radius=False) for xi in x), _eval_poly(loss_terms, x), inert,
                            x))
            else:
                return _label_minima(out, symmetries)
        bits *= 2
    raise ModelError("could not certify the inertia of every real critical point (boxes too wide)")


def _points_at(roots, n_real, Mf, N, col0, hess, loss_terms, digits):
    if len(roots) != n_real:
        return None
    A0 = flint.arb_mat(N, N, [Mf[j, i] for i in range(N) for j in range(N)])  # M_fᵀ
    out = []
    for r in roots:
        t0 = r.real
        A = A0 - flint.arb_mat(N, N, [t0 if i == j else 0 for i in range(N) for j in range(N)])
        vr = None
        for drop in range(N):  # A has rank N − 1: drop one dependent equation, fix v_0 = 1(p) = 1
            keep = [i for i in range(N) if i != drop]
            sub = flint.arb_mat(N - 1, N - 1, [A[i, j] for i in keep for j in range(1, N)])
            rhs = flint.arb_mat(N - 1, 1, [-A[i, 0] for i in keep])
            try:
                vr = sub.solve(rhs)
                break
            except ZeroDivisionError:
                continue
        if vr is None:
            return None
        v = [flint.arb(1)] + [vr[i, 0] for i in range(N - 1)]
        x = [sum((flint.arb(cj) * vj for cj, vj in zip(col, v)), flint.arb(0)) for col in col0]
        H = [[_eval_poly(t, x) for t in row] for row in hess]
        inert = _arb_inertia(H)
        if inert is None:
            return None
        value = _eval_poly(loss_terms, x)
        out.append((x, value, inert))
    return [(tuple(xi.str(digits, radius=False) for xi in x), value, inert, x) for x, value, inert in out]


def _label_minima(points, symmetries=None):
    """Kinds: strict saddle / local minimum / global minimum.  A minimum whose loss is certified below every
    other minimum's is the global minimum; minima whose loss enclosures meet the least one are ``lowest``, and
    they are all global minima when each is the image of one of them under a symmetry of the loss (a sign vector
    in ``symmetries`` maps its enclosure onto theirs: their losses are then exactly equal); otherwise ties cannot
    be certified equal by enclosures and they stay local minima flagged ``lowest``."""
    mins = [i for i, (_, _, inert, *_r) in enumerate(points) if inert.negative == 0]
    lowest = set()
    glob = set()
    if mins:
        j = min(mins, key=lambda i: float(points[i][1].mid()))
        lowest = {i for i in mins if points[i][1].overlaps(points[j][1])}
        if lowest == {j}:
            glob = {j}
        elif symmetries and all(len(points[i]) > 3 for i in lowest):
            def image(i, sv):
                return [x * sgn for x, sgn in zip(points[i][3], sv)]

            if all(i == j or any(all(a.overlaps(b) for a, b in zip(image(j, sv), points[i][3])) for sv in symmetries)
                   for i in lowest):
                # each tied minimum is a symmetric image of j: exactly the same loss, and the lowest one
                others = [i for i in mins if i not in lowest]
                if all(points[i][1] > points[j][1] for i in others):
                    glob = set(lowest)
    out = []
    for i, (x, value, inert, *_r) in enumerate(points):
        kind = "strict saddle" if inert.negative > 0 else ("global minimum" if i in glob else "local minimum")
        out.append(RealCriticalPoint(x, value.str(15, radius=False), inert, kind, i in lowest))
    return sorted(out, key=lambda p: (p.inertia.negative, not p.lowest, p.coordinates))
