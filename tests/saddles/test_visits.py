"""Saddle visits against closed forms: plateau losses ½Σ_{i∉S}s_i², Saxe crossing times, 1/s_k in accelerated time."""

from fractions import Fraction

import flint
import mpmath
import pytest
import sympy as sp

from symdln.errors import ModelError, OptionError
from symdln.flow import integrate_flow
from symdln.models import balanced_init, deep_linear, diagonal_linear, gaussian_init, pf_init
from symdln.saddles import accelerated_time, detect_visits


@pytest.fixture(scope="module")
def default_run():
    m = deep_linear(spectrum=[3, 2, 1], widths=3)
    sol = integrate_flow(m, gaussian_init(m, "1e-30", 0), 300, loss_below="1e-20", scale="1e-30", progress=False)
    return m, sol, detect_visits(sol)


def test_default_run_visits_the_greedy_sequence(default_run):
    m, sol, visits = default_run
    assert [v.name for v in visits] == ["{}", "{1}", "{1,2}", "{1,2,3}"]
    s = (3, 2, 1)
    for v in visits:
        assert v.loss == sp.Rational(sum(s[i] ** 2 for i in range(3) if i + 1 not in v.label), 2)
    assert visits[-1].final and visits[-1].is_global
    for a, b in zip(visits, visits[1:]):
        assert a.t_exit < b.t_arrive < b.t_enter < b.t_exit or b.final


def test_accelerated_arrivals_approach_one_over_s(default_run):
    """L = 2: mode k is learned at t ≈ log(1/σ)/s_k + O(1), so τ_k = 1/s_k + O(1/log(1/σ)) (MATH §3)."""
    _, _, visits = default_run
    for v, s in zip(visits[1:], (3, 2, 1)):
        assert abs(float(v.tau_arrive.mid()) - 1 / s) < 3 / 69  # O(1)/log(1e30)


def test_balanced_run_arrival_times_match_saxe_closed_form():
    """Balanced aligned init: ℒ(t) = ½Σ(s_i − a_i(t))² with Saxe's a_i(t); the midpoint crossings solved by findroot."""
    s = (3, 2, 1)
    m = deep_linear(spectrum=list(s), widths=3)
    sol = integrate_flow(m, balanced_init(m, "1e-20"), 60, rtol="1e-20", scale="1e-10", progress=False)
    visits = detect_visits(sol)
    assert [v.name for v in visits] == ["{}", "{1}", "{1,2}", "{1,2,3}"]
    ctx = mpmath.MPContext()
    ctx.dps = 40

    def loss(t):
        return sum((si - si / (1 + (si / ctx.mpf("1e-20") - 1) * ctx.exp(-2 * si * t))) ** 2 for si in s) / 2

    plateaus = [7, sp.Rational(5, 2), sp.Rational(1, 2), 0]
    for k, v in enumerate(visits[1:], start=1):
        level = ctx.mpf(float(plateaus[k - 1] + plateaus[k]) / 2)
        guess = ctx.log(s[k - 1] / ctx.mpf("1e-20")) / (2 * s[k - 1])  # a_k(t) = s_k/2 there
        t_star = ctx.findroot(lambda t: loss(t) - level, (guess - 2, guess + 2), solver="anderson")
        assert abs(float(v.t_arrive.mid()) - float(t_star)) < 1e-12 * float(t_star)


def test_accelerated_time_conventions():
    with flint.ctx.workprec(100):
        t = flint.arb(10)
        assert abs(accelerated_time(t, Fraction(1, 10**10), 2) - 10 / flint.arb(10**10).log()) < flint.arb("1e-25")
        assert abs(accelerated_time(t, Fraction(1, 100), 4) - flint.arb("1e-3")) < flint.arb("1e-28")


def test_visits_need_candidates_and_a_sane_tol():
    m = diagonal_linear("1,0;0,1", "1,1")
    sol = integrate_flow(m, pf_init(m, "1e-3"), 1, progress=False)
    with pytest.raises(ModelError, match="empty"):
        detect_visits(sol, families=[])
    m2 = deep_linear(spectrum=[1], widths=1)
    sol2 = integrate_flow(m2, gaussian_init(m2, "1e-3"), 1, progress=False)
    with pytest.raises(OptionError, match="tol"):
        detect_visits(sol2, tol=2)


def _remainders(exponent):
    m = deep_linear(spectrum=[3, 2, 1], widths=3)
    sigma = f"1e-{exponent}"
    sol = integrate_flow(m, gaussian_init(m, sigma, 0), 10 * exponent, loss_below="1e-20", scale=sigma, progress=False)
    visits = detect_visits(sol)
    assert [v.name for v in visits] == ["{}", "{1}", "{1,2}", "{1,2,3}"]
    log_inv = float(exponent * mpmath.log(10))
    return [float(v.t_arrive.mid()) - log_inv / s for v, s in zip(visits[1:], (3, 2, 1))]


def test_arrival_times_scale_exactly_as_log_over_s():
    """W(0) = σG with the same G: t_k(σ) − log(1/σ)/s_k tends to a constant c_k(G) (MATH §3); from σ = 1e-30 to
    1e-100 the remainders agree far below the O(1) size of c_k, to the integrator's accuracy (rtol 1e-12)."""
    a, b = _remainders(30), _remainders(100)
    for x, y in zip(a, b):
        assert abs(x) < 2 and abs(x - y) < 1e-8


def test_visits_located_in_a_landscape_carry_distance_and_gradient_norm():
    from symdln.symbolic.landscape import landscape

    m = deep_linear(spectrum=[2, 1], widths=2)
    sol = integrate_flow(m, balanced_init(m, "1e-12"), 40, scale="1e-6", progress=False)
    L = landscape(m)
    vis = detect_visits(sol, L)
    assert [v.name for v in vis] == ["{}", "{1}", "{1,2}"]
    # plateaus: the field is small where the run is closest to the critical point (≈ distance × curvature)
    assert all(v.gradient_norm < 0.1 for v in vis) and vis[-1].gradient_norm < 1e-12
    with pytest.raises(ModelError, match="another model"):
        detect_visits(sol, landscape(deep_linear(spectrum=[3, 1], widths=2)))


def test_distance_is_the_closest_approach_on_the_dense_output():
    """Data form X = [[1,2,0],[0,1,1]], Y = [[1,0,2],[3,1,1],[0,1,0]], σ = 1e-6: the run passes {1} at a relative
    distance about 2.63e-6 (an independent long-double integration agrees); the best of the samples said 2.74e-6.
    The reported distance is now the minimum over the dense output: no larger than a fine scan of it, and the scan
    finds nothing much smaller."""
    import numpy as np

    from symdln.models import gaussian_init
    from symdln.symbolic.landscape import _as_float_matrix

    m = deep_linear(X=[[1, 2, 0], [0, 1, 1]], Y=[[1, 0, 2], [3, 1, 1], [0, 1, 0]], widths=2)
    sol = integrate_flow(m, gaussian_init(m, "1e-6", seed=3), 60, scale="1e-6", progress=False)
    vis = detect_visits(sol)
    v1 = next(v for v in vis if v.name == "{1}")
    from symdln.symbolic.landscape import landscape

    st = next(s for s in landscape(m).strata if s.label.text == "{1}")  # data form: A_{1} exactly from the landscape
    A1 = np.array(sp.Matrix(st.end_to_end).evalf(30).tolist(), dtype=float).ravel()
    ref = float(np.linalg.norm(np.array(m.syx.tolist(), dtype=float)))
    lo, hi = float(v1.t_enter.mid()) - 1, float(v1.t_exit.mid()) + 1
    scan = min(float(np.linalg.norm(_as_float_matrix(sol.flow.end_to_end(sol.evaluate(repr(float(t))))).ravel() - A1))
               for t in np.linspace(lo, hi, 3001)) / ref
    assert v1.distance <= scan * (1 + 1e-6)
    assert v1.distance >= scan * (1 - 1e-2)
    assert 2.5e-6 < v1.distance < 2.7e-6


@pytest.mark.slow  # 17 s
def test_a_jump_sweeping_past_a_higher_loss_saddle_is_not_a_visit():
    """Loss never increases along gradient flow: after the plateau at {-1,+3} (loss 418609/102936 ≈ 4.0667) the run
    cannot plateau again at {+3} (11573/2808 ≈ 4.1214).  Between {-1,+3} and {+2,+3} this run passes within 0.1% of
    ‖β*‖ of β_{+3} (β ≈ (−0.11, 0.08, 0.38) at τ ≈ 8.87, loss 4.055 by an independent RK4), and a loose pass there was
    reported as a second visit to {+3}.  The visits are the limit path's saddles (exact Algorithm 1: {}, {+3},
    {-1,+3}, {+2,+3}, {+1,+2,+3}), with strictly decreasing exact losses."""
    m = diagonal_linear("1/2,5/2,-2;-4,-3,5;-5/2,4,-1/2", "-5,1/2,2")
    sol = integrate_flow(m, pf_init(m, "1e-30"), 1900, coordinates="mirror", rtol="1e-8", scale="1e-30",
                         progress=False)
    visits = detect_visits(sol)
    assert [v.name for v in visits] == ["{}", "{+3}", "{-1,+3}", "{+2,+3}", "{+1,+2,+3}"]
    losses = [sp.Rational(v.loss) for v in visits]
    assert all(b < a for a, b in zip(losses, losses[1:]))
    # the limit path's saddles as candidates (docs/limits.md's way past d = 12), exact and float mode, as a path
    # or as its saddles: the same visits (this raised AttributeError: no numeric_end_to_end)
    from symdln.limits import limit_path

    for fams in (limit_path(m), limit_path(m).saddles):
        assert [(v.name, v.loss) for v in detect_visits(sol, fams)] == [(v.name, v.loss) for v in visits]
    floats = detect_visits(sol, limit_path(m, exact=False).saddles)  # float64 saddles, read exactly: names agree
    assert [v.name for v in floats] == [v.name for v in visits]
    with pytest.raises(OptionError, match="families"):
        detect_visits(sol, "x")


@pytest.mark.parametrize("X, y, expected", [
    # a loose pass at {-1,+3} (β_3 ≈ 1e-20 where the candidate has 26/349) before the near visit at {-1}, whose loss
    # is higher (the loss would rise), and one at {+1,+2} (457/1640 ≈ 0.279) while the run's loss was 0.243 … 0.236
    ("1/3,0,3;3/2,-1/2,-3;-1,1/2,-3;-2/3,1/3,3/2", "2,-2,3,1", ["{}", "{-1}", "{-1,+3}", "{+2,+3}", "{+1,+2,+3}"]),
    # a loose pass at {-1,+4} (β_1 ≈ +7e-62 where the candidate has −0.004)
    ("3/2,-3,0,-3;3,2,-2,3;1,2,-2,3/2;-1/2,-1,-2,1", "-1,2,-3,1/2",
     ["{}", "{+4}", "{+3,+4}", "{-2,+3,+4}", "{+1,-2,+3,+4}"]),
])
def test_loose_passes_the_flow_does_not_make_are_not_visits(X, y, expected):
    """Found by an independent check (2026-12-07, own exact Algorithm 1 and own high-precision mirror flow at
    α = 1e-10, 1e-20, 1e-40): visits reported that the flow never makes, within 10·tol of ‖β*‖ of a candidate but
    not at it.  The visits are the limit path's saddles, in order, with strictly decreasing exact losses."""
    from symdln.flow.plan import InitSpec
    from symdln.flow.verify import verified_flow
    from symdln.limits import limit_path

    m = diagonal_linear(X, y)
    v = verified_flow(m, InitSpec.pf("1e-20"), digits=6, t_end=1000, at=[1000], coordinates="mirror", progress=False)
    visits = detect_visits(v.solution)
    assert [s.name for s in visits] == expected
    assert [tuple(sorted(s.label)) for s in visits] == [tuple(i + 1 for i in sd.support)
                                                        for sd in limit_path(m).saddles]
    losses = [sp.Rational(s.loss) for s in visits]
    assert all(b < a for a, b in zip(losses, losses[1:]))


@pytest.mark.parametrize("spectrum, widths, rot", [([2, 2, 1], 1, 0), ([3, 3, 3], 2, 4)])
def test_a_run_ending_anywhere_on_an_orbit_of_equal_singular_values_visits_it(spectrum, widths, rot):
    """Equal singular values make a family an orbit: the canonical member A = s·u_1v_1ᵀ is one point of
    {s·U_G Q V_Gᵀ : Q a rank-k projector}.  A Gaussian run ends at another point of it (its u is a mix of u_1 and
    u_2), and was reported as not visiting {1}.  Oracle: the run's end-to-end map at the end, A, has exactly the
    plateau loss ½(Σs² − k·s²) and A·Aᵀ's nonzero eigenvalues are s² (k times): it is on the orbit, at a float
    distance from the canonical member; the visits are {} then the orbit's family, final, within 1e-10."""
    import numpy as np

    m = deep_linear(spectrum=spectrum, widths=widths, rotation_seed=rot)
    sol = integrate_flow(m, gaussian_init(m, "1e-20", 1), 80, scale="1e-20", progress=False)
    visits = detect_visits(sol)
    k, s = widths, spectrum[0]
    A = np.array([[float(x.mid()) for x in row] for row in sol.flow.end_to_end(sol.states[-1]).tolist()])
    M = np.array(m.syx.tolist(), dtype=float)
    assert np.allclose(np.sort(np.linalg.eigvalsh(A @ A.T))[::-1][:k], s * s, rtol=1e-9)
    assert abs(0.5 * np.linalg.norm(A - M) ** 2 - (sum(x * x for x in spectrum) - k * s * s) / 2) < 1e-9
    from symdln.symbolic.pivots import pivot_families

    canon = np.array(next(f for f in pivot_families(m) if f.rank == k).end_to_end.tolist(), dtype=float)
    assert np.linalg.norm(A - canon) > 1e-3  # elsewhere on the orbit than the canonical member
    assert [v.name for v in visits] == ["{}", "{" + ",".join(str(i) for i in range(1, k + 1)) + "}"]
    assert visits[-1].final and visits[-1].near and visits[-1].distance < 1e-10
