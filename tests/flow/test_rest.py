"""A run at rest stops early (symdln.flow.rest): checked against closed forms, never at a saddle, and the CLI's
default report at depth 3 no longer asks absolute time of a converged state."""

from fractions import Fraction

import flint
import pytest

from symdln.flow import integrate_flow
from symdln.flow.plan import InitSpec, default_horizon
from symdln.flow.verify import verified_flow
from symdln.matops import to_arb_mat
from symdln.models import balanced_init, deep_linear


def _q(x: Fraction) -> flint.arb:
    return flint.arb(flint.fmpq(x.numerator, x.denominator))


def _modes(sol, t, m):
    p = sol.precision
    A = sol.end_to_end(t)
    with p.flint():
        C = to_arb_mat(m.svd.U, p.bits).transpose() * A * to_arb_mat(m.svd.V, p.bits)
        return [C[i, i] for i in range(len(m.svd.s))]


def test_converged_run_rests_until_a_far_horizon_saxe():
    """Saxe: a(t) = s / (1 + (s/a0 − 1) e^{−2st}).  To t = 1e40 the run rests once the loss is resolved away; at the
    point where it rests the closed form is already within 1e-3·rtol of s (what the rest claims), and every later
    time reports s."""
    m = deep_linear(spectrum=[3, 2, 1], widths=3)
    rtol = Fraction(1, 10**20)
    sol = integrate_flow(m, balanced_init(m, "1e-30"), 10**40, rtol=rtol, progress=False)
    assert sol.success
    k = sol.stats.rest_step
    assert k is not None and k == len(sol.ts) - 2
    p = sol.precision
    with p.flint():
        assert sol.ts[-1] == flint.arb(10) ** 40
        tc = sol.ts[k]
        a0 = p.arb("1e-30")
        for s in (3, 2, 1):
            exact = flint.arb(s) / (1 + (flint.arb(s) / a0 - 1) * (-2 * s * tc).exp())
            assert abs(exact - s) <= flint.arb(s) * _q(rtol) / 1000
    for t in (tc, "1e20", 10**40):
        for s, c in zip((3, 2, 1), _modes(sol, t, m)):
            with p.flint():
                assert abs(c - s) < flint.arb(s) * 10 * _q(rtol)


def test_weight_decay_run_rests_at_the_closed_form_minimum():
    """Depth 2 with L2 weight λ on both layers: the learned singular values are s − λ (MATH §1.3's prox of the
    nuclear norm); the loss settles at ℒ* > 0, and the rest is reached through the excess ℒ − ℒ* instead."""
    m = deep_linear(spectrum=[3, 2, 1], widths=3, weight_decay="1/10")
    rtol = Fraction(1, 10**20)
    sol = integrate_flow(m, balanced_init(m, "1e-30"), 400, rtol=rtol, progress=False)
    assert sol.success and sol.stats.rest_step is not None
    for s, c in zip((Fraction(29, 10), Fraction(19, 10), Fraction(9, 10)), _modes(sol, 400, m)):
        with sol.precision.flint():
            assert abs(c - _q(s)) < _q(s) * 10 * _q(rtol)


def test_never_rests_at_a_saddle():
    """θ0 exactly at the saddle where only the top mode is learned (∇ℒ = 0, ℒ = 5/2 > ℒ* = 0): the state never moves,
    but the loss is not settled at a minimum, so the run is not declared at rest."""
    m = deep_linear(spectrum=[3, 2, 1], widths=3, rotation_seed=None)
    root3 = "1.7320508075688772935274463415058723669428052538103806280558069794519330169088"
    W = [[root3, 0, 0], [0, 0, 0], [0, 0, 0]]
    sol = integrate_flow(m, [W, W], 10**6, rtol="1e-20", progress=False)
    assert sol.success and sol.stats.rest_step is None


@pytest.mark.parametrize("sigma", ["1e-3"])
def test_a_time_past_the_default_horizon_is_not_asked_to_absolute_time(sigma):
    """At depth 3 a value asked at a time t ~ σ^{-1} inside the dynamics needs rtol / σ to resolve t; one asked at the
    default horizon (the CLI's default report, after convergence) does not: its plan keeps digits + 3."""
    m = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    init = InitSpec.gaussian(sigma, 0)
    h = default_horizon(m, init.layer_scale)
    late = verified_flow(m, init, digits=10, at=(h,), t_end=h, max_steps=1)
    early = verified_flow(m, init, digits=10, at=(h / 20,), t_end=h, max_steps=1)
    assert late.runs[0]["plan"]["rtol"] == "1e-13"
    assert early.runs[0]["plan"]["rtol"] == "1e-16"


def test_rest_travels_with_a_saved_solution(tmp_path):
    """``stats.rest_step`` is saved: the loaded solution evaluates inside the rest as the run did (no steps over it)."""
    from symdln import load_solution

    m = deep_linear(spectrum=[2, 1], widths=2)
    sol = integrate_flow(m, balanced_init(m, "1e-20"), 10**30, rtol="1e-16", progress=False)
    assert sol.stats.rest_step is not None
    back = load_solution(sol.save(tmp_path / "traj.json"))
    assert back.stats.rest_step == sol.stats.rest_step
    for t in ("1e25", 10**30):
        a, b = sol.end_to_end(t), back.end_to_end(t)
        with sol.precision.flint():
            assert all(abs(x - y) < flint.arb("1e-30") for x, y in zip(a.entries(), b.entries()))
            assert abs(a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0] - 2) < flint.arb("1e-15")  # det A = 2·1 at the minimum


def test_a_strict_run_at_rest_is_not_stalled_by_its_own_rounding():
    """From a converged state of depth 3 (σ = 1e-30: the state carries ~96 digits), the strict Radau IIA run held to
    rtol = 1e-16 goes on to t = 1e31 without the rest stop.  Its error estimate sums the stages' roundings weighted by
    |e_i| (15.6 at 15 stages); against the residual's floor they made error ratios of 0.01 … 1 whatever the step, and
    the steps stalled near 1e26 (3,000 steps reached t = 3.7e29).  The state stays at the minimum: A's singular values
    are the target's 2 and 1."""
    import json
    from pathlib import Path

    from symdln.spectra import singular_values

    d = json.loads((Path(__file__).parent / "data" / "converged_depth3_sigma1e-30.json").read_text())
    m = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    sol = integrate_flow(m, d["theta"], 10**31, rtol="1e-16", solver="radau", strict=True, stop_at_rest=False,
                         max_steps=1000, progress=False, throw=False, scale="1e-30")
    assert sol.success, (sol.status, float(sol.t_final.mid()))
    s = singular_values(sol.end_to_end(10**31), sol.precision)
    assert abs(s[0] - 2) < 1e-15 and abs(s[1] - 1) < 1e-15
