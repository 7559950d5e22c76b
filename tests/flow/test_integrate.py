"""The integrator against closed forms (Saxe), quadrature, and an independent float64 method in mode coordinates."""

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from symdln.errors import FlowError, OptionError, PrecisionError
from symdln.flow import Status, integrate_flow
from symdln.matops import to_arb_mat
from symdln.models import balanced_init, deep_linear, gaussian_init
from symdln.precision import Precision


def _mode_coefficients(sol, t, m):
    """u_iᵀ A(t) v_i for the exact singular pairs of the target."""
    p = sol.precision
    A = sol.end_to_end(t)
    with p.flint():
        U = to_arb_mat(m.svd.U, p.bits)
        V = to_arb_mat(m.svd.V, p.bits)
        C = U.transpose() * A * V
        return [C[i, i] for i in range(len(m.svd.s))]


def test_saxe_closed_form_depth2_to_30_digits():
    """Balanced aligned init, L = 2, spectrum (3,2,1), a0 = 1e-60: a(t) = s / (1 + (s/a0 − 1) e^{−2st})."""
    m = deep_linear(spectrum=[3, 2, 1], widths=3)
    sol = integrate_flow(m, balanced_init(m, "1e-60"), 40, rtol="1e-36", progress=False)
    p = sol.precision
    for T in (10, 20, 40):
        coeffs = _mode_coefficients(sol, T, m)
        with p.flint():
            a0 = p.arb("1e-60")
            for s, c in zip((3, 2, 1), coeffs):
                exact = flint.arb(s) / (1 + (flint.arb(s) / a0 - 1) * flint.arb(-2 * s * T).exp())
                assert abs(c / exact - 1) < flint.arb("1e-30"), (T, s)


@pytest.mark.slow  # 12 s; the depth-3 quadrature oracle at 10 digits stays (tests/flow/test_verify.py)
def test_depth3_escape_times_match_quadrature_to_20_digits():
    """Depth 3 balanced, a0 = 1e-6: time from a0 to s/2 equals ∫ da / (L a^{2−2/L} (s − a))."""
    L = 3
    m = deep_linear(spectrum=[3, 2, 1], depth=L, widths=3)
    sol = integrate_flow(m, balanced_init(m, "1e-6"), 120, rtol="1e-28", progress=False)
    p = sol.precision
    ctx = mpmath.MPContext()
    ctx.dps = 40
    for i, s in enumerate((3, 2, 1)):
        quad = ctx.quad(lambda a: 1 / (L * a ** (2 - ctx.mpf(2) / L) * (s - a)), [ctx.mpf("1e-6"), ctx.mpf("1e-3"), ctx.mpf(s) / 2])

        def g(t):
            return _mode_coefficients(sol, t, m)[i] - flint.arb(s) / 2

        with p.flint():
            guess = p.arb(str(ctx.nstr(quad, 30)))
        # bracket tightly around the quadrature value, then bisect on the dense output
        lo = Fraction(str(ctx.nstr(quad - ctx.mpf("1e-6"), 30)))
        hi = Fraction(str(ctx.nstr(quad + ctx.mpf("1e-6"), 30)))
        assert g(lo) < 0 < g(hi)
        for _ in range(70):
            mid = (lo + hi) / 2
            if g(mid) < 0:
                lo = mid
            else:
                hi = mid
        assert abs(float(hi) - float(quad)) / float(quad) < 1e-15
        with p.flint():
            assert abs(p.arb(hi) - guess) < flint.arb("1e-19") * abs(guess)


def _float64_mode_coordinates(m, theta0, t_end):
    """An independent method: DOP853 in the target's singular bases, where each entry belongs to one mode (NUMERICS.md)."""
    U = np.array(m.svd.U.tolist(), dtype=float)
    V = np.array(m.svd.V.tolist(), dtype=float)
    s = np.array([float(x) for x in m.svd.s])
    W1 = np.array(theta0[0].tolist(), dtype=float) @ V
    W2 = U.T @ np.array(theta0[1].tolist(), dtype=float)
    n = W1.size

    def f(t, x):
        a, b = x[:n].reshape(W1.shape), x[n:].reshape(W2.shape)
        R = np.diag(s) - b @ a
        return np.concatenate([(b.T @ R).ravel(), (R @ a.T).ravel()])

    sol = solve_ivp(f, (0, t_end), np.concatenate([W1.ravel(), W2.ravel()]), method="DOP853", rtol=1e-13, atol=1e-300, dense_output=True)
    assert sol.success

    def loss(t):
        x = sol.sol(t)
        a, b = x[:n].reshape(W1.shape), x[n:].reshape(W2.shape)
        return 0.5 * np.sum((b @ a - np.diag(s)) ** 2)

    return loss


def test_crossing_times_agree_with_float64_in_mode_coordinates():
    m = deep_linear(spectrum=[3, 2, 1], widths=3, rotation_seed=4)
    th = gaussian_init(m, "1e-30", seed=5)
    sol = integrate_flow(m, th, 90, rtol="1e-12", progress=False)
    ref_loss = _float64_mode_coordinates(m, th, 90)
    ts = sol.times()
    for level in (4.75, 1.5, 0.25):  # midpoints between the plateaus 7, 5/2, 1/2, 0
        t_ref = brentq(lambda t: ref_loss(t) - level, 1, 89, xtol=1e-14)
        i = int(np.argmax(sol.loss_values() < level))
        lo, hi = Fraction(ts[i - 1]), Fraction(ts[i])
        for _ in range(60):
            mid = (lo + hi) / 2
            if float(sol.loss(mid).mid()) < level:
                hi = mid
            else:
                lo = mid
        assert abs(float(hi) - t_ref) / t_ref < 1e-9, (level, float(hi), t_ref)


def test_loss_event_is_located():
    m = deep_linear(spectrum=[2, 1], widths=2)
    sol = integrate_flow(m, gaussian_init(m, "1e-8", 0), 500, loss_below="1e-3", progress=False)
    assert sol.status is Status.EVENT
    with sol.precision.flint():
        assert abs(sol.losses[-1] / sol.precision.arb("1e-3") - 1) < flint.arb("1e-9")
        assert sol.t_event == sol.ts[-1]


def test_dense_output_matches_a_run_that_stops_there():
    m = deep_linear(spectrum=[3, 1], widths=2, depth=3)
    th = gaussian_init(m, "1e-2", 1)
    sol = integrate_flow(m, th, 30, rtol="1e-20", progress=False)
    direct = integrate_flow(m, th, "57/4", rtol="1e-20", precision=sol.precision, progress=False)
    p = sol.precision
    with p.flint():
        a = sol.evaluate("57/4")
        for Wa, Wb in zip(a, direct.states[-1]):
            for i in range(Wa.nrows()):
                for j in range(Wa.ncols()):
                    assert abs(Wa[i, j] - Wb[i, j]) < flint.arb("1e-17") * (1 + abs(Wb[i, j]))


def test_status_and_errors():
    m = deep_linear(spectrum=[1], widths=1)
    th = gaussian_init(m, "1e-3", 0)
    with pytest.raises(FlowError, match="max_steps") as info:
        integrate_flow(m, th, 100, max_steps=3, progress=False)
    assert info.value.solution.status is Status.MAX_STEPS and len(info.value.solution.ts) == 4
    sol = integrate_flow(m, th, 100, max_steps=3, progress=False, throw=False)
    assert not sol.success
    with pytest.raises(OptionError, match="t_end"):
        integrate_flow(m, th, 0)
    with pytest.raises(PrecisionError, match="rtol"):
        integrate_flow(m, th, 1, precision=Precision(20), rtol="1e-30")
    with pytest.raises(FlowError, match="binary float"):
        integrate_flow(m, th, 1, progress=False).evaluate(0.5)
    with pytest.raises(FlowError, match="outside"):
        integrate_flow(m, th, 1, progress=False).evaluate(2)
    with pytest.raises(FlowError, match="zero"):
        integrate_flow(m, ([[0]], [[0]]), 1)


def test_work_budget_default_problem():
    """Cost budget (not a timing): the default depth-2 problem to loss 1e-20 in few steps."""
    m = deep_linear(spectrum=[3, 2, 1], widths=3)
    sol = integrate_flow(m, gaussian_init(m, "1e-30", 0), 300, loss_below="1e-20", progress=False)
    assert sol.status is Status.EVENT
    assert sol.stats.steps < 300 and sol.stats.nfev < 25_000


def test_event_already_satisfied_at_the_start():
    m = deep_linear(spectrum=[1], widths=1)
    sol = integrate_flow(m, ([[1]], [[1]]), 5, loss_below="1e-3", progress=False)  # θ0 is the global minimum
    assert sol.status is Status.EVENT and len(sol.ts) == 1 and sol.t_event == 0


def test_grad_below_stops_a_weight_decay_run_at_its_minimum():
    """λ = 1/10, depth 2: the run stops (CONVERGED) long before the horizon, at the exact global minimum value
    Σ(λs − λ²/2) = 117/200 of the weight-decay analysis (soft threshold a = s − λ, MATH §1.3)."""
    from fractions import Fraction

    from symdln.flow.solution import Status
    from symdln.models import deep_linear, gaussian_init
    from symdln.symbolic.weight_decay import weight_decay_analysis

    m = deep_linear(spectrum=[3, 2, 1], depth=2, widths=3, weight_decay="1/10")
    sol = integrate_flow(m, gaussian_init(m, "1e-3", 0), 100000, grad_below="1e-9", throw=False)
    assert sol.status is Status.CONVERGED and float(sol.t_final.mid()) < 100
    best = weight_decay_analysis(m).global_minimum[1]
    assert best == Fraction(117, 200)
    with sol.precision.flint():
        assert abs(sol.losses[-1] - sol.precision.arb("117/200")) < sol.precision.arb("1e-15")
