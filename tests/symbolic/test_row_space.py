"""Data-form landscapes whose inputs ``X`` lack full row rank (fewer samples than inputs, dependent rows), checked with
own losses: SymPy's exact Hessians at the representatives and at random translates of them (``W_1 + Z``, ``ZX = 0``),
and critical points from Levenberg–Marquardt on ``∇ℒ = 0`` (float64, own numpy gradient) located with the inertia of
an own finite-difference Hessian."""

import numpy as np
import pytest
import sympy as sp

from symdln.errors import ModelError
from symdln.models import deep_linear
from symdln.symbolic.landscape import landscape

from ..oracles import descartes_inertia, dln_gradient, fd_hessian, lm_critical_points

CASES = {  # rational representatives throughout (the irrational ones are analyzed in number fields: not checked here)
    "fewer samples": ("1,0;0,1;1,1", "3,0;0,1;0,0"),  # n_0 = 3 inputs, N = 2 samples
    "dependent rows": ("1,1,0,0;2,2,0,0;0,0,1,1", "2,2,0,0;0,0,1,1"),  # rank 2 < 3 rows, N = 4
}
IRRATIONAL = {  # Σyx Σxx⁺ Σyxᵀ with irrational eigenvalues: located by float searches only
    "fewer samples": ("1,0;0,1;1,1", "3,0;0,1;1,1"),
    "dependent rows": ("1,2,0,1;2,4,0,2;0,1,1,0", "1,0,2,1;0,1,1,0"),
}


def _sympy_loss(m):
    X, Y = sp.Matrix(m.X), sp.Matrix(m.Y)
    ws, layers = [], []
    for r, c in m.shapes:
        w = sp.symbols(f"w{len(ws)}_0:{r * c}")
        ws += w
        layers.append(sp.Matrix(r, c, w))
    A = layers[0]
    for W in layers[1:]:
        A = W * A
    R = A * X - Y
    return sum(x ** 2 for x in R) / (2 * X.shape[1]), ws


def _inertia(H):
    """Exact ``(negative, zero, positive)`` of a rational symmetric matrix: Descartes' rule on its characteristic
    polynomial (exact for real-rooted polynomials; the polynomial from FLINT's ``fmpq_mat``)."""
    import flint

    Hq = flint.fmpq_mat(H.rows, H.cols, [flint.fmpq(int(x.p), int(x.q)) for x in H])
    return descartes_inertia([sp.Rational(int(c.p), int(c.q)) for c in reversed(Hq.charpoly().coeffs())])


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("depth", [2, 3])
def test_strata_hold_at_their_representatives_and_translates(case, depth):
    """At every listed representative: zero gradient, the listed loss and inertia (own SymPy Hessian); at a random
    translate ``W_1 + Z`` (``Z X = 0``, rational) the same, and ``locate`` names the same stratum exactly: the
    strata are the preimages of the reduced network's."""
    Xs, Ys = CASES[case]
    m = deep_linear(X=Xs, Y=Ys, widths=2, depth=depth)
    L = landscape(m)
    loss, ws = _sympy_loss(m)
    # exact evaluation through lambdify (SymPy arithmetic on Rationals; subs on the symbolic Hessian took minutes), of
    # 2Nℒ, whose integer coefficients lambdify does not turn into floats (same critical points and inertia)
    N2 = 2 * sp.Matrix(m.X).shape[1]
    scaled = sp.expand(loss * N2)
    H = sp.lambdify(ws, sp.hessian(scaled, ws), "sympy")
    grad = sp.lambdify(ws, [sp.diff(scaled, w) for w in ws], "sympy")
    loss_at = sp.lambdify(ws, scaled, "sympy")
    null = sp.Matrix(m.X).T.nullspace()  # z with zᵀX = 0
    assert null
    rng = np.random.default_rng(depth)
    n1 = m.shapes[0][0]
    checked = 0
    for s in L:
        Z = sp.zeros(n1, m.shapes[0][1])
        for z in null:
            Z += sp.Matrix(n1, 1, [sp.Rational(int(v), 3) for v in rng.integers(-4, 5, n1)]) * z.T
        assert Z * sp.Matrix(m.X) == sp.zeros(n1, sp.Matrix(m.X).shape[1])
        for pt in (s.point, (sp.Matrix(s.point[0]) + Z,) + tuple(s.point[1:])):
            vals = [sp.Rational(x) for W in pt for x in sp.Matrix(W)]
            assert all(g == 0 for g in grad(*vals)), s.label.text
            assert sp.simplify(loss_at(*vals) / N2 - s.loss) == 0
            assert _inertia(sp.Matrix(H(*vals))) == s.inertia.as_tuple(), (s.label.text, s.label.stratum)
        loc = L.locate(pt)
        assert loc.exact_match and (loc.stratum is s or (loc.stratum.inertia.as_tuple() == s.inertia.as_tuple()
                                                          and loc.stratum.kind == s.kind)), (s.label, loc.reason)
        checked += 1
    assert checked == len(L) >= 4
    # the lifted strata add n_1 (n_0 − r) flat directions to the dimension of each
    r = sp.Matrix(m.X).rank()
    assert all(s.dimension is None or s.dimension >= n1 * (m.shapes[0][1] - r) for s in L)


def _numpy_grad(m):
    X = np.array(sp.Matrix(m.X).evalf(20).tolist(), dtype=float)
    Y = np.array(sp.Matrix(m.Y).evalf(20).tolist(), dtype=float)
    unpack, grad, _ = dln_gradient(m.shapes, X=X, Y=Y)
    return unpack, grad, lambda x: fd_hessian(grad, x)


@pytest.mark.parametrize("cases", [CASES, IRRATIONAL])
@pytest.mark.parametrize("case", sorted(CASES))
def test_random_start_critical_points_are_located_with_their_inertia(case, cases):
    """Levenberg–Marquardt on ∇ℒ = 0 from random starts (depth 2; W_1's part along X's null directions stays where the
    start put it): each point is located with the index and nullity of an own finite-difference Hessian, or refused
    with a reason."""
    Xs, Ys = cases[case]
    m = deep_linear(X=Xs, Y=Ys, widths=2, depth=2)
    L = landscape(m)
    unpack, grad, hess = _numpy_grad(m)
    located = 0
    for x, inertia in lm_critical_points(grad, hess, sum(r * c for r, c in m.shapes), seed=5, starts=12):
        loc = L.locate(unpack(x), rtol=1e-7)
        if loc.exact_match:
            located += 1
            assert inertia == (loc.stratum.inertia.negative, loc.stratum.inertia.zero), (loc.label, inertia)
        elif "no listed stratum" in loc.reason:  # only what the listing says it does not list
            assert any("null directions" in t for t in L.not_listed), (loc.reason, L.not_listed)
        else:
            assert loc.reason
    assert located >= 4


def test_zero_inputs_and_weight_decay_are_refused():
    with pytest.raises(ModelError, match="`X` is zero"):
        deep_linear(X="0,0;0,0", Y="1,0", widths=1)
    with pytest.raises(ModelError, match="weight decay"):  # the data form's strata with weight decay: not built
        landscape(deep_linear(X="1,0;0,1;1,1", Y="3,0;0,1;1,1", widths=2, weight_decay="1/2"))
