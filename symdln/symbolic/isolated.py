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
from .inertia import inertia

__all__ = ["CountResult", "tikhonov_system", "count_critical_points"]


@dataclass(frozen=True)
class CountResult:
    """Exact counts of the critical points of a polynomial system."""

    complex_count: int
    distinct_count: int
    real_count: int
    n_variables: int
    n_basis: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _rational(rng: random.Random) -> sp.Rational:
    """A seeded random rational in (0, 1]."""
    q = rng.randint(2, 1000)
    return sp.Rational(rng.randint(1, q), q)


def tikhonov_system(hidden: int, input_dim: int, output_dim: int, data_points: int = 1, *, seed: int = 0):
    """Gradient equations of a one-hidden-layer DLN with entrywise Tikhonov decay and random rational data.

    ``ℒ = ½‖W_2 W_1 X − Y‖_F² + ½ Σ λ¹_ij (W_1)_ij² + ½ Σ λ²_ij (W_2)_ij²`` with ``X`` (input_dim × N),
    ``Y`` (output_dim × N) and every ``λ`` drawn as seeded random rationals in (0, 1].

    Returns ``(equations, variables)``.
    """
    for name, v in (("hidden", hidden), ("input_dim", input_dim), ("output_dim", output_dim), ("data_points", data_points)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ModelError(f"`{name}` must be a positive int, got {v!r}")
    rng = random.Random(seed)
    X = sp.Matrix(input_dim, data_points, lambda i, j: _rational(rng))
    Y = sp.Matrix(output_dim, data_points, lambda i, j: _rational(rng))
    L1 = sp.Matrix(hidden, input_dim, lambda i, j: _rational(rng))
    L2 = sp.Matrix(output_dim, hidden, lambda i, j: _rational(rng))
    W1 = sp.Matrix(hidden, input_dim, lambda i, j: sp.Symbol(f"a{i}_{j}"))
    W2 = sp.Matrix(output_dim, hidden, lambda i, j: sp.Symbol(f"b{i}_{j}"))
    R = W2 * W1 * X - Y
    loss = sum(e**2 for e in R) / 2
    loss += sum(L1[i, j] * W1[i, j] ** 2 for i in range(hidden) for j in range(input_dim)) / 2
    loss += sum(L2[i, j] * W2[i, j] ** 2 for i in range(output_dim) for j in range(hidden)) / 2
    variables = list(W1) + list(W2)
    return [sp.expand(sp.diff(loss, v)) for v in variables], variables


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


def count_critical_points(equations, variables) -> CountResult:
    """Exact complex (with multiplicity), distinct and real counts of the solutions of a zero-dimensional system.

    Examples
    --------
    >>> x, y = sp.symbols("x y")
    >>> count_critical_points([x**2 - 2, y**2 + 1], [x, y]).as_dict()
    {'complex_count': 4, 'distinct_count': 4, 'real_count': 0, 'n_variables': 2, 'n_basis': 4}
    >>> count_critical_points([x**2 - 2, y**2 - 1], [x, y]).real_count
    4
    """
    gens = list(variables)
    n = len(gens)
    G = sp.groebner(equations, *gens, order="grevlex")
    if list(G.exprs) == [1]:
        return CountResult(0, 0, 0, n, 0)
    polys = [sp.Poly(g, *gens) for g in G.exprs]
    leading = [p.monoms(order="grevlex")[0] for p in polys]
    basis = _standard_monomials(leading, n)
    index = {m: i for i, m in enumerate(basis)}
    N = len(basis)

    def coords(expr) -> list:
        _, rem = G.reduce(expr)
        vec = [flint.fmpq(0)] * N
        for mon, c in sp.Poly(rem, *gens).terms():
            q = sp.Rational(c)
            vec[index[mon]] = flint.fmpq(int(q.p), int(q.q))
        return vec

    mult = []
    for k in range(n):
        cols = []
        for m in basis:
            e = list(m)
            e[k] += 1
            e = tuple(e)
            if e in index:
                v = [flint.fmpq(0)] * N
                v[index[e]] = flint.fmpq(1)
            else:
                v = coords(sp.Mul(*[g**a for g, a in zip(gens, e)]))
            cols.append(v)
        mult.append(flint.fmpq_mat([[cols[j][i] for j in range(N)] for i in range(N)]))
    # M_b for every standard monomial b, built by multiplying variable matrices along the monomial order
    mats = {basis[0]: None}
    for m in basis[1:]:
        k = next(i for i, a in enumerate(m) if a > 0)
        prev = list(m)
        prev[k] -= 1
        P = mats[tuple(prev)]
        mats[m] = mult[k] if P is None else mult[k] * P
    traces = []
    for m in basis:
        M = mats[m]
        traces.append(flint.fmpq(N) if M is None else sum((M[i, i] for i in range(N)), flint.fmpq(0)))
    t = flint.fmpq_mat(1, N, traces)
    rows = []
    for m in basis:
        M = mats[m]
        row = t if M is None else t * M
        rows.append([row[0, j] for j in range(N)])
    form = inertia(rows)
    return CountResult(
        complex_count=N,
        distinct_count=form.negative + form.positive,
        real_count=form.positive - form.negative,
        n_variables=n,
        n_basis=N,
    )
