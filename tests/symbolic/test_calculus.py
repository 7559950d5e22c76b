"""The closed-form gradient and Hessian against sympy.diff of the loss written independently."""

import itertools

import flint
import pytest
import sympy as sp

from symdln.models import deep_linear, diagonal_linear
from symdln.precision import Precision
from symdln.symbolic import compile_flow, gradient, hessian, loss_expr, parameter_index, weight_symbols

MODELS = {
    "teacher-depth1": lambda: deep_linear("1,2;0,1", depth=1),
    "teacher-depth2": lambda: deep_linear("1,2,0;0,1,1", depth=2, widths=2),
    "teacher-depth3-decay": lambda: deep_linear("2,1;1/2,1", depth=3, widths=[1, 2], weight_decay="1/3"),
    "data-depth2": lambda: deep_linear(X=[[1, 0, 2], [0, 1, 1]], Y=[[1, 2, 0], [0, 1, 1]], widths=2),
    "data-depth3-decay": lambda: deep_linear(X=[[1, 2, 0], [0, 1, 1]], Y=[[1, 0, 2]], depth=3, widths=[2, 1], weight_decay="1/7"),
}


def _independent_loss(model, W):
    """ℒ written from MATH §1.1 directly: ½‖A − M‖² or (1/2N)‖AX − Y‖², plus (λ/2)Σ‖W‖²."""
    A = W[0]
    for Wl in W[1:]:
        A = Wl * A
    lam = sp.Rational(model.weight_decay.numerator, model.weight_decay.denominator)
    if model.form == "teacher":
        R = A - model.target
        fit = sum(r**2 for r in R) / 2
    else:
        R = A * model.X - model.Y
        fit = sum(r**2 for r in R) / (2 * model.X.shape[1])
    return fit + lam / 2 * sum(w**2 for Wl in W for w in Wl)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_gradient_and_hessian_match_sympy_diff(name):
    model = MODELS[name]()
    W = weight_symbols(model)
    L = _independent_loss(model, W)
    assert sp.expand(loss_expr(model) - L) == 0
    flat = [w for Wl in W for w in Wl]
    grads = gradient(model)
    g_flat = [g for G in grads for g in G]
    for gi, wi in zip(g_flat, flat):
        assert sp.expand(gi - sp.diff(L, wi)) == 0
    H = hessian(model)
    H_ref = sp.hessian(L, flat)
    assert (H - H_ref).applyfunc(sp.expand) == sp.zeros(len(flat), len(flat))
    assert len(parameter_index(model)) == len(flat)


def test_diagonal_gradient_and_hessian_match_sympy_diff():
    model = diagonal_linear("1,1/2,7/10;1/2,1,1/10", "1,0")
    u, v = weight_symbols(model)
    beta = [u[i] * v[i] for i in range(3)]
    r = model.X * sp.Matrix(beta) - model.y
    L = sum(x**2 for x in r) / 4
    flat = list(u) + list(v)
    g = gradient(model)
    assert all(sp.expand(a - sp.diff(L, w)) == 0 for a, w in zip(list(g[0]) + list(g[1]), flat))
    assert (hessian(model) - sp.hessian(L, flat)).applyfunc(sp.expand) == sp.zeros(6, 6)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_compiled_field_matches_exact_gradient(name):
    """The arb vector field equals −∇ℒ computed exactly (sympy.diff at a rational point) to the working precision."""
    model = MODELS[name]()
    W = weight_symbols(model)
    L = _independent_loss(model, W)
    point = []
    vals = itertools.cycle([sp.Rational(1, 3), sp.Rational(-2, 5), sp.Rational(3, 7), sp.Rational(1, 2), -1])
    subs = {}
    for Wl in W:
        M = sp.Matrix(Wl.shape[0], Wl.shape[1], lambda i, j: next(vals))
        point.append(M)
        subs.update({Wl[i, j]: M[i, j] for i in range(Wl.shape[0]) for j in range(Wl.shape[1])})
    p = Precision(60)
    flow = compile_flow(model, p)
    y = flow.state(point)
    c = sp.Rational(-3, 7)  # the scaled field c·(−∇ℒ) the explicit steps use
    with p.flint():
        f = flow.field(y)
        fc = flow.field(y, p.arb(c))
        for Wl, fl, flc in zip(W, f, fc):
            for i in range(Wl.shape[0]):
                for j in range(Wl.shape[1]):
                    exact = -sp.diff(L, Wl[i, j]).subs(subs)
                    err = fl[i, j] - p.arb(exact)
                    assert abs(err) < flint.arb(2) ** (-p.bits + 8)
                    assert abs(flc[i, j] - p.arb(c * exact)) < flint.arb(2) ** (-p.bits + 8)
        assert abs(flow.loss(y) - p.arb(L.subs(subs))) < flint.arb(2) ** (-p.bits + 8)


MORE = dict(MODELS, **{
    "teacher-depth4-uneven": lambda: deep_linear("2,1;0,1", depth=4, widths=[2, 1, 2]),
    "data-depth4-decay": lambda: deep_linear(X=[[1, 2, 0], [0, 1, 1]], Y=[[1, 0, 2]], depth=4, widths=[1, 2, 2],
                                             weight_decay="2/5"),
})


@pytest.mark.parametrize("name", sorted(MORE))
def test_product_form_hessian_matches_sympy_diff_at_rational_points(name):
    """The exact Hessian through matrix products (the one analyses use at rational points) against sympy.hessian of
    the independently written loss, at random rational points and at a point with zero layers."""
    import random

    from symdln.symbolic.analysis import _Loss

    model = MORE[name]()
    W = weight_symbols(model)
    flat = [w for Wl in W for w in Wl]
    H_ref = sp.hessian(_independent_loss(model, W), flat)
    loss = _Loss(model)
    rnd = random.Random(name)
    for trial in range(3):
        point = [sp.Matrix(Wl.shape[0], Wl.shape[1], lambda i, j: 0 if trial == 2 and l % 2 else
                           sp.Rational(rnd.randint(-4, 4), rnd.randint(1, 3))) for l, Wl in enumerate(W)]
        subs = {Wl[i, j]: P[i, j] for Wl, P in zip(W, point) for i in range(Wl.shape[0]) for j in range(Wl.shape[1])}
        expect = H_ref.xreplace(subs)
        got = loss.hessian([flint.fmpq_mat(P.rows, P.cols, [flint.fmpq(int(x.p), int(x.q)) for x in P]) for P in point])
        assert isinstance(got, flint.fmpq_mat)
        assert [[sp.Rational(int(x.p), int(x.q)) for x in row] for row in got.tolist()] == expect.tolist()
        # the float64 closed form (eigenvectors of escape directions) against the same exact values
        import numpy as np

        from symdln.symbolic.calculus import dln_hessian_float

        fl = [np.array(P.evalf(20).tolist(), dtype=float) for P in point]
        sxx = None if model.form == "teacher" else np.array(sp.Matrix(model.sxx).evalf(20).tolist(), dtype=float)
        Hf = dln_hessian_float(fl, sxx, np.array(sp.Matrix(model.syx).evalf(20).tolist(), dtype=float),
                               float(model.weight_decay))
        ref = np.array(expect.evalf(20).tolist(), dtype=float)
        assert np.abs(Hf - ref).max() <= 1e-12 * max(1.0, np.abs(ref).max())


def test_compiled_diagonal_field_and_its_scaled_form_match_sympy_diff():
    model = diagonal_linear("1,1/2,7/10;1/2,1,1/10", "1,0")
    u, v = weight_symbols(model)
    r = model.X * sp.Matrix([u[i] * v[i] for i in range(3)]) - model.y
    L = sum(x**2 for x in r) / 4
    point = (sp.Matrix([sp.Rational(1, 3), -2, sp.Rational(5, 4)]), sp.Matrix([sp.Rational(-1, 2), 1, sp.Rational(2, 9)]))
    subs = {**dict(zip(u, point[0])), **dict(zip(v, point[1]))}
    p = Precision(60)
    flow = compile_flow(model, p)
    y = flow.state(point)
    c = sp.Rational(5, 3)
    with p.flint():
        for scale, factor in ((None, 1), (p.arb(c), c)):
            f = flow.field(y, scale)
            for sym, col in zip((u, v), f):
                for i in range(3):
                    exact = -factor * sp.diff(L, sym[i]).subs(subs)
                    assert abs(col[i, 0] - p.arb(exact)) < flint.arb(2) ** (-p.bits + 8)


@pytest.mark.parametrize("name", sorted(MORE))
def test_flat_float_gradient_matches_sympy_diff(name):
    """The float64 gradient closure of the theory graph's follows (flat states, row-major layers) against sympy.diff of
    the independently written loss at a rational point: agreement to float64 rounding."""
    import numpy as np

    from symdln.symbolic.pointfloat import flat_gradient

    model = MORE[name]()
    W = weight_symbols(model)
    L = _independent_loss(model, W)
    vals = itertools.cycle([sp.Rational(1, 3), sp.Rational(-2, 5), sp.Rational(3, 7), sp.Rational(1, 2), -1, sp.Rational(5, 4)])
    subs = {w: next(vals) for Wl in W for w in Wl}
    flat = [w for Wl in W for w in Wl]  # sympy matrices iterate row-major, as the flat state
    exact = np.array([float(sp.diff(L, w).subs(subs)) for w in flat])
    got = flat_gradient(model)(np.array([float(subs[w]) for w in flat]))
    assert got.shape == exact.shape
    assert np.max(np.abs(got - exact)) <= 1e-13 * max(1.0, np.max(np.abs(exact)))


def test_flat_float_gradient_of_a_diagonal_network_matches_sympy_diff():
    import numpy as np

    from symdln.symbolic.pointfloat import flat_gradient

    model = diagonal_linear("1,1/2,7/10;1/2,1,1/10", "1,0")
    u, v = weight_symbols(model)
    r = model.X * sp.Matrix([u[i] * v[i] for i in range(3)]) - model.y
    L = sum(x**2 for x in r) / 4
    flat = list(u) + list(v)
    point = dict(zip(flat, [sp.Rational(1, 3), sp.Rational(-2, 5), sp.Rational(3, 7), sp.Rational(1, 2), -1, sp.Rational(5, 4)]))
    exact = np.array([float(sp.diff(L, w).subs(point)) for w in flat])
    got = flat_gradient(model)(np.array([float(point[w]) for w in flat]))
    assert np.max(np.abs(got - exact)) <= 1e-14 * max(1.0, np.max(np.abs(exact)))


@pytest.mark.parametrize("name", sorted(MORE))
def test_float_loss_matches_the_independent_loss(name):
    """The float64 loss the theory graph's follows compare plateaus with (symdln.symbolic.pointfloat.float_loss, from
    Σxx, Σyx and the loss constant) against MATH §1.1's loss written directly, at a rational point."""
    import numpy as np

    from symdln.symbolic.pointfloat import float_loss

    model = MORE[name]()
    W = weight_symbols(model)
    vals = itertools.cycle([sp.Rational(1, 3), sp.Rational(-2, 5), sp.Rational(3, 7), sp.Rational(1, 2), -1, sp.Rational(5, 4)])
    subs = {w: next(vals) for Wl in W for w in Wl}
    exact = float(_independent_loss(model, W).subs(subs))
    mats = [np.array([[float(subs[w]) for w in Wl.row(i)] for i in range(Wl.rows)]) for Wl in W]
    assert abs(float_loss(model, mats) - exact) <= 1e-13 * max(1.0, abs(exact))
