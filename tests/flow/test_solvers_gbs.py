"""Empirical order of the extrapolated step against a closed form."""

import math

import flint
import pytest

from symdln.flow.solvers.gbs import evaluations_per_step, gbs_step, order_for_tolerance
from symdln.precision import Precision


def _f(y):
    (Y,) = y
    return (-(Y * Y),)


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_local_error_has_order_2k_plus_1(k):
    """y' = −y², y(0) = 1: y(H) = 1/(1+H).  One step's error scales like H^{2k+1}."""
    p = Precision(80)
    with p.flint():
        y0 = (flint.arb_mat([[1]]),)
        errs = []
        for H in (flint.arb("0.05"), flint.arb("0.025")):
            y1, _, nfev = gbs_step(_f, y0, _f(y0), H, k)
            assert nfev == evaluations_per_step(k) - 1
            errs.append(abs(y1[0][0, 0] - 1 / (1 + H)))
        order = math.log2(float((errs[0] / errs[1]).mid()))
    assert abs(order - (2 * k + 1)) < 0.4, order


def test_error_estimate_tracks_the_lower_order_error():
    p = Precision(60)
    with p.flint():
        y0 = (flint.arb_mat([[1]]),)
        H = flint.arb("0.1")
        y1, err, _ = gbs_step(_f, y0, _f(y0), H, 4)
        true_lower = abs((y1[0][0, 0] - err[0][0, 0]) - 1 / (1 + H))
        ratio = float((abs(err[0][0, 0]) / true_lower).mid())
    assert 0.5 < ratio < 2


def test_order_for_tolerance():
    from fractions import Fraction

    assert order_for_tolerance(Fraction(1, 10**12)) == 8
    assert order_for_tolerance(Fraction(1, 10)) == 3
    assert order_for_tolerance(Fraction(1, 10**200)) == 40


@pytest.mark.parametrize("k", [1, 2, 5, 12, 20])
def test_combination_weights_equal_the_aitken_neville_tableau(k):
    """The step's linear combinations of the stages equal the Aitken–Neville tableau run in exact rationals on random
    stage values: T_{k,k} and T_{k,k} − T_{k,k−1}."""
    import random
    from fractions import Fraction

    from symdln.flow.solvers.gbs import _combination

    rnd = random.Random(k)
    T1 = [Fraction(rnd.randint(-10**6, 10**6), rnd.randint(1, 10**3)) for _ in range(k)]
    rows = []
    for j in range(1, k + 1):
        row = [T1[j - 1]]
        for i in range(1, j):
            row.append(row[i - 1] + (row[i - 1] - rows[-1][i - 1]) / (Fraction(j, j - i) ** 2 - 1))
        rows.append(row)
    best, lower = rows[-1][-1], (rows[-1][-2] if k > 1 else rows[-1][-1])
    gamma, delta = _combination(k, 400)
    with flint.ctx.workprec(400):
        got = sum((g * flint.arb(flint.fmpq(t.numerator, t.denominator)) for g, t in zip(gamma, T1)), flint.arb(0))
        got_err = sum((d * flint.arb(flint.fmpq(t.numerator, t.denominator)) for d, t in zip(delta, T1)), flint.arb(0))
        assert got.contains(flint.fmpq(best.numerator, best.denominator)) and got.rad() < 1e-90
        assert got_err.contains(flint.fmpq((best - lower).numerator, (best - lower).denominator))


def test_high_order_run_through_convergence_does_not_crawl_on_its_estimates_rounding():
    """GBS at order 78 (rtol 1e-63, 83 working digits): its error estimate amplifies the stages' roundings by
    Σ|δ_j| ≈ 1e10, which near convergence (the residual below the norm's floor) was read as error: 1,146 steps in 15 s
    and stuck at t = 211.  The residual floor now carries that weight: the run reaches t = 300 in under 400 steps,
    and its loss there is Saxe's (balanced aligned start: each mode a' = 2a(s − a), a(0) = 1e-10, loss ½Σ(s − a)²)."""
    import mpmath

    from symdln.flow.integrate import integrate_flow
    from symdln.flow.plan import InitSpec
    from symdln.flow.solvers.gbs import _estimate_weight
    from symdln.models import deep_linear

    assert 1e9 < _estimate_weight(39) < 1e11 and _estimate_weight(3) < 1
    m = deep_linear(spectrum=["1.7", "0.9", "0.2"], depth=2, widths=3, rotation_seed=19)
    init = InitSpec.balanced("1e-10", 2)
    sol = integrate_flow(m, init.build(m), 300, precision=Precision(digits=83), rtol="1e-63", solver="gbs",
                         stiffness_switch=False, max_steps=400, scale=init.layer_scale, throw=False, progress=False)
    assert sol.status.name == "SUCCESS", sol.status
    with mpmath.workdps(120):
        a0, t = mpmath.mpf("1e-10"), mpmath.mpf(300)
        exact = sum((s - s / (1 + (s / a0 - 1) * mpmath.exp(-2 * s * t))) ** 2 for s in
                    (mpmath.mpf("1.7"), mpmath.mpf("0.9"), mpmath.mpf("0.2"))) / 2
        got = mpmath.mpf(sol.losses[-1].mid().str(40, radius=False))
        assert abs(got - exact) <= mpmath.mpf("1e-20") * exact, (got, exact)
