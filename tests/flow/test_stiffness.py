"""Stiffness detection: GBS's stability boundary, the spectral radius, and the switch to Radau IIA."""

import pickle

import flint
import mpmath
import pytest
import sympy as sp

from symdln.flow.integrate import integrate_flow
from symdln.flow.plan import InitSpec, plan_run
from symdln.flow.solvers.gbs import gbs_step
from symdln.flow.stiffness import StiffnessDetector, stability_boundary
from symdln.flow.store import load_solution
from symdln.models import deep_linear, gaussian_init
from symdln.precision import Precision
from symdln.symbolic.compile import compile_flow


def test_boundary_of_the_low_degree_taylor_polynomials():
    # 1 + z + z²/2 at z = −x: |1 − x + x²/2| ≤ 1 ⇔ x ≤ 2; degree 4: 2.7853 (Hairer & Wanner I, Fig. IV.2.1)
    assert stability_boundary(1) == 2.0
    assert abs(stability_boundary(2) - 2.785293) < 1e-5


@pytest.mark.parametrize("k", [3, 9, 18])
def test_boundary_is_that_of_the_gbs_step(k):
    """The GBS step itself on y' = λy (a second computation: the solver's recursion, not the Taylor polynomial)
    is stable just inside the boundary and unstable just outside."""
    c = stability_boundary(k)
    with Precision(60).flint():
        for x, stable in ((0.99 * c, True), (1.01 * c, False)):
            lam = flint.arb(-1)

            def f(y):
                return (y[0] * lam,)

            y0 = (flint.arb_mat([[1]]),)
            y1, _, _ = gbs_step(f, y0, f(y0), flint.arb(x), k)
            assert (abs(float(y1[0][0, 0].mid())) <= 1) is stable, (k, x)


def test_spectral_radius_against_the_exact_hessian():
    """Power iteration on J = −∇²ℒ against SymPy's exact Hessian of the loss at a rational point (mpmath's
    symmetric eigenvalues)."""
    m = deep_linear(spectrum=[2, 1], depth=2, widths=2, rotation_seed=3)
    theta = [sp.Matrix([[sp.Rational(3, 4), sp.Rational(-1, 5)], [sp.Rational(1, 3), sp.Rational(1, 2)]]),
             sp.Matrix([[sp.Rational(-2, 7), sp.Rational(5, 6)], [sp.Rational(1, 9), sp.Rational(-1, 2)]])]
    ws = sp.symbols("w0:8")
    W1, W2 = sp.Matrix(2, 2, ws[:4]), sp.Matrix(2, 2, ws[4:])
    E = W2 * W1 - m.syx
    loss = sum(e**2 for e in E) / 2
    H = sp.hessian(loss, ws).subs(dict(zip(ws, list(theta[0]) + list(theta[1]))))
    ctx = mpmath.MPContext()
    ctx.dps = 30
    E_vals, _ = ctx.eigsy(ctx.matrix([[ctx.mpf(int(x.p)) / int(x.q) for x in H.row(i)] for i in range(8)]))
    exact = max(abs(float(v)) for v in E_vals)
    flow = compile_flow(m, Precision(40))
    y = flow.state(theta)
    with flow.precision.flint():
        rho = StiffnessDetector(flow, 5, None).spectral_radius(y, iterations=300)
    assert abs(rho - exact) < 1e-8 * exact


def _stiff_model():
    # inputs with condition number 30: the learned mode relaxes 900 times faster than the slow one is learned
    return deep_linear(X="1,0;0,1/30", Y="1,0;1/2,1/30", depth=2, widths=2)


def test_auto_switches_on_stiff_data_and_agrees_with_gbs():
    m = _stiff_model()
    init = InitSpec.gaussian("1e-8", 0)
    plan = plan_run(m, init, digits=10, t_end=3000)
    assert plan.solver == "gbs" and plan.stiffness_switch
    th = init.build(m)
    auto = integrate_flow(m, th, 3000, precision=plan.precision, rtol=plan.rtol, solver="auto")
    gbs = integrate_flow(m, th, 3000, precision=plan.precision, rtol=plan.rtol, solver="gbs")
    assert auto.stats.switch_step is not None and auto.stats.solver == "radau"
    assert gbs.stats.switch_step is None and gbs.stats.solver == "gbs"
    assert auto.stats.steps < gbs.stats.steps / 5
    t_switch = auto.ts[auto.stats.switch_step]
    times = ["1/2", format(float(t_switch.mid()) / 2, ".6f"), format(float(t_switch.mid()) * 1.5, ".6f"), "2999"]
    with plan.precision.flint():
        for t in times:  # before and after the switch: dense output by GBS, then by Radau
            a, b = auto.loss(t), gbs.loss(t)
            assert abs(a - b) <= abs(b) * flint.arb("1e-10"), t
    # the switched solution travels: its dense output is rebuilt with both solvers
    back = pickle.loads(pickle.dumps(auto))
    assert back.stats.switch_step == auto.stats.switch_step
    with plan.precision.flint():
        for t in times:
            assert abs(back.loss(t) - auto.loss(t)) <= abs(auto.loss(t)) * flint.arb("1e-11"), t


def test_explicit_solver_never_switches(tmp_path):
    m = _stiff_model()
    th = gaussian_init(m, "1e-8", 0)
    sol = integrate_flow(m, th, 200, precision=Precision(40), rtol="1e-10", solver="gbs")
    assert sol.stats.switch_step is None
    sol.save(tmp_path / "s.json")
    assert load_solution(tmp_path / "s.json").stats.switch_step is None
    with pytest.raises(Exception, match="stiffness_switch"):
        integrate_flow(m, th, 1, precision=Precision(40), rtol="1e-10", stiffness_switch="yes")
