"""The diagonal network's dual (mirror) form against its (u, v) form: the same numbers to the digits both verify."""

from fractions import Fraction

import mpmath
import pytest

from symdln.errors import ModelError, OptionError
from symdln.flow.integrate import integrate_flow
from symdln.flow.plan import InitSpec
from symdln.flow.store import load_solution
from symdln.flow.verify import verified_flow
from symdln.models import deep_linear, diagonal_linear, pf_init
from symdln.precision import Precision

X, Y = "1,1/2,7/10,0;1/2,1,1/10,7/10", "1,0"  # MATH §4.1's worked example


def _agree(a, b):
    """Two verified numbers agree to the digits both claim (one unit of the last for rounding)."""
    k = min(a.digits, b.digits)
    x, y = mpmath.mpf(a.text), mpmath.mpf(b.text)
    return abs(x - y) <= abs(y) * mpmath.mpf(10) ** (1 - k)


def test_mirror_and_primal_forms_agree_to_their_verified_digits():
    """α = 1e-40: values through the three plateaus and two crossings, each verified to ≥ 15 digits in both forms."""
    m = diagonal_linear(X, Y)
    kw = dict(digits=15, at=["150", "400", "1200"], cross=["0.2", "0.01"])
    with mpmath.workdps(80):
        p = verified_flow(m, InitSpec.pf("1e-40"), **kw)
        q = verified_flow(m, InitSpec.pf("1e-40"), coordinates="mirror", **kw)
        assert p.status == q.status == "success"
        assert q.solution.coordinates == "mirror"
        for a, b in zip(p.points, q.points):
            assert _agree(a["loss"], b["loss"])
            assert all(_agree(x, y) for x, y in zip(a["values"], b["values"]))
        for a, b in zip(p.crossings, q.crossings):
            assert _agree(a["t"], b["t"])


def test_mirror_state_maps_to_the_primal_state(tmp_path):
    """u = √2α cosh r, v = √2α sinh r (so u² − v² = 2α² exactly); a saved mirror run reloads in its coordinates."""
    m = diagonal_linear(X, Y)
    th = pf_init(m, "1e-3")
    a = integrate_flow(m, th, 20, rtol="1e-25", precision=Precision(45), progress=False)
    b = integrate_flow(m, th, 20, rtol="1e-25", precision=Precision(45), coordinates="mirror", progress=False)
    with a.precision.flint():
        ua, va = a.evaluate("20")
        ub, vb = b.flow.primal(b.evaluate("20"))
        for i in range(4):
            assert abs(ua[i, 0] - ub[i, 0]) <= abs(ua[i, 0]) * 1e-20
            assert abs(va[i, 0] - vb[i, 0]) <= abs(va[i, 0]) * 1e-20 + 1e-40
    c = load_solution(b.save(tmp_path / "m.json"))
    assert c.coordinates == "mirror" and c.alpha2 == b.alpha2
    with c.precision.flint():
        assert abs(c.loss("13") - b.loss("13")) <= abs(b.loss("13")) * 1e-20


def test_mirror_refuses_what_it_cannot_represent():
    m = diagonal_linear(X, Y)
    with pytest.raises(ModelError, match="v\\(0\\) = 0"):
        integrate_flow(m, (pf_init(m, "1e-3")[0], [[1], [0], [0], [0]]), 1, coordinates="mirror", progress=False)
    with pytest.raises(OptionError, match="diagonal network"):
        verified_flow(deep_linear(spectrum=[1], depth=2, widths=1), InitSpec.gaussian("1e-3"), at=["1"],
                      coordinates="mirror")
    with pytest.raises(OptionError, match="coordinates"):
        integrate_flow(m, pf_init(m, "1e-3"), 1, coordinates="dual", progress=False)


def _beta_at(t, y, n, alpha2, dps=80):
    """β(t) of one coordinate of a diagonal network with X = I (n samples = d) from the Pesme–Flammarion init:
    β' = (2/n)·√(α⁴ + β²)·(y − β), β(0) = 0, whose time to reach β is (n/2R)·log((h² + yβ + R√(β² + h²))/(y − β))
    from 0 (h = α², R = √(y² + h²)); inverted by findroot."""
    ctx = mpmath.MPContext()
    ctx.dps = dps
    y, h = ctx.mpf(y), ctx.mpf(alpha2)
    R = ctx.sqrt(y * y + h * h)

    def F(b):
        return (n / (2 * R)) * ctx.log((h * h + y * b + R * ctx.sqrt(b * b + h * h)) / (y - b))

    return ctx, ctx.findroot(lambda b: F(b) - F(0) - ctx.mpf(t), y * ctx.mpf("0.3318"))


@pytest.mark.parametrize("solver", ["auto", "radau"])
def test_mirror_digits_hold_against_the_closed_form_at_an_escape(solver):
    """X = I, y = (1, −1/3), α = 1e-40, t = 184.2 (β_1 mid-escape): two Radau IIA runs in mirror coordinates agreed
    on 20 digits of a β_1 right to 18 (an independent sweep's find).  Every claimed digit must hold against the closed
    form, whatever the solver asked for."""
    m = diagonal_linear("1,0;0,1", "1,-1/3")
    r = verified_flow(m, InitSpec.pf("1e-40"), digits=15, at=["184.2"], coordinates="mirror", solver=solver)
    ctx, b1 = _beta_at("184.2", 1, 2, "1e-80")
    got = r.points[0]["values"][0]
    assert r.status == "success" and got.digits >= 15
    assert abs(ctx.mpf(got.text) - b1) <= abs(b1) * ctx.mpf(10) ** (1 - got.digits), (got.text, got.digits)


def test_strict_radau_meets_its_tolerance_on_the_mirror_form(tmp_path):
    """Radau IIA with its estimate held to rtol (``strict``, what verification runs use) reaches the closed form to
    about rtol on the mirror form, where RADAU5's relaxation left an error near 3e-22 at rtol 1e-25; the flag travels
    with a saved solution (its dense output is rebuilt with it)."""
    m = diagonal_linear("1,0;0,1", "1,-1/3")
    sol = integrate_flow(m, pf_init(m, "1e-40"), Fraction("184.2"), precision=Precision(80), rtol="1e-25",
                         solver="radau", coordinates="mirror", strict=True, progress=False)
    ctx, b1 = _beta_at("184.2", 1, 2, "1e-80")
    got = ctx.mpf(sol.end_to_end(Fraction("184.2"))[0, 0].mid().str(60, radius=False))
    assert abs(got - b1) <= abs(b1) * ctx.mpf("1e-23")
    assert sol.stats.strict and load_solution(sol.save(tmp_path / "s.json")).stats.strict


def test_a_step_that_raises_the_loss_is_rejected():
    """Mirror form, α = 1e-40, rtol 1e-9, switched to Radau IIA in its third plateau (loss 2/3): a step of H = 125
    over the escape at t ≈ 559 had an error ratio of 8e-7 and took the loss to 1e115; the run then ended
    non-finite (found by an independent check, 2026-12-07).  The loss never increases along gradient flow (mirror
    coordinates too: dL/dt = −∇Lᵀ diag(2α² cosh 2r) ∇L ≤ 0), so such a step is rejected: the run reaches its end with
    the loss non-increasing at every accepted step, and ends where the rtol 1e-12 run ends (the last saddle
    interpolates: loss below 1e-150 in both)."""
    m = diagonal_linear("1/3,1/3,-1,1/3;0,1/3,-1,0;1/3,-2/3,-1,-1", "-3,2,1/2")
    init = InitSpec.pf("1e-40")
    runs = [integrate_flow(m, init.build(m), 1900, precision=Precision(digits=dg), rtol=rt, coordinates="mirror",
                           scale=init.layer_scale, throw=False, progress=False, solver="gbs", stiffness_switch=True)
            for rt, dg in (("1e-9", 100), ("1e-12", 113))]
    for sol in runs:
        assert sol.status.name == "SUCCESS", sol.status
        losses = [float(lo.mid()) for lo in sol.losses]
        assert all(b <= a * (1 + 1e-8) for a, b in zip(losses, losses[1:]))
        assert losses[-1] < 1e-150
    assert runs[0].stats.switch_step is not None  # the Radau IIA part is exercised


def _crossing_time(x, y, n, alpha2, level, dps=60):
    """The first time the loss of a diagonal network with ``X = diag(x_1, x_2)`` from the Pesme–Flammarion init falls
    below ``level``, once the first coordinate is fitted (its loss then ``e^{-O(t)}``, far below any level here): the
    second coordinate alone, ``β' = (2x²/n)·√(α⁴ + β²)·(b − β)`` with ``b = y/x`` (``_beta_at``'s equation with ``n/x²``
    samples), reaching ``|β − b| = √(2n·level)/x``, in closed form (by the symmetry ``β → −β`` for ``b < 0``)."""
    ctx = mpmath.MPContext()
    ctx.dps = dps
    x, y, h, level = (ctx.mpf(q.numerator) / q.denominator for q in (x, y, alpha2, level))
    b = abs(y / x)
    ne = n / (x * x)
    R = ctx.sqrt(b * b + h * h)
    beta = b - ctx.sqrt(2 * n * level) / x

    def F(v):
        return (ne / (2 * R)) * ctx.log((h * h + b * v + R * ctx.sqrt(v * v + h * h)) / (b - v))

    return ctx, F(beta) - F(0)


CASES = [  # (X, y, α, level, the second coordinate's x, y): an independent check's case first (2026-12-08)
    ("1,0;0,1/2", "1,-1/3", "1e-40", "0.02", "1/2", "-1/3"),
    ("1,0;0,1/3", "1,1/4", "1e-30", "0.01", "1/3", "1/4"),
]


@pytest.mark.parametrize("X2, y2, alpha, level, x, y", CASES)
def test_radau_does_not_step_over_an_escape_in_mirror_coordinates(X2, y2, alpha, level, x, y):
    """A GBS run switched to Radau IIA in the last plateau took a step of H = 918 across the escape: its Newton
    matrices, from a predicted stage past the escape (‖J‖ ~ 1e33), made corrections of −2.98e-35 in the escaping
    coordinate at every iteration, the error norm (led by the other coordinate) called that converged, and the run
    ended at its horizon on the plateau's loss, "success"; the verified run then said the level was not reached.
    The run must cross the level where the closed form does, and the verified run must say so."""
    m = diagonal_linear(X2, y2)
    init = InitSpec.pf(alpha)
    ctx, tc = _crossing_time(Fraction(x), Fraction(y), 2, Fraction(alpha) ** 2, Fraction(level))
    sol = integrate_flow(m, init.build(m), int(tc * 1.7), precision=Precision(digits=101), rtol="1e-11",
                         coordinates="mirror", scale=init.layer_scale, solver="gbs", stiffness_switch=True,
                         loss_below=level, throw=False, progress=False)
    assert sol.status.name == "EVENT", (sol.status, float(sol.losses[-1].mid()))
    assert abs(ctx.mpf(sol.t_event.mid().str(30, radius=False)) - tc) <= tc * ctx.mpf("1e-8")
    r = verified_flow(m, init, digits=8, cross=[level], coordinates="mirror", t_end=int(tc * 1.2))
    got = r.crossings[0]["t"]
    assert r.status == "success" and got.digits >= 8, r.message
    assert abs(ctx.mpf(got.text) - tc) <= tc * ctx.mpf(10) ** (1 - got.digits), (got.text, tc)


def test_runs_that_disagree_on_a_crossing_are_not_reported_as_not_reached(monkeypatch):
    """With the Newton stagnation check taken out (the defect above put back), the first run steps over the escape
    and sees no crossing by its horizon while the verification run crosses at t ≈ 1096.6: the crossing has no verified
    digit (status "unverified", or a third run settles it), never "did not fall below 0.02 by the end of the run"."""
    from symdln.flow.solvers import radau_newton

    monkeypatch.setattr(radau_newton, "unresolved", lambda *a: False)
    m = diagonal_linear("1,0;0,1/2", "1,-1/3")
    r = verified_flow(m, InitSpec.pf("1e-40"), digits=8, cross=["0.02"], coordinates="mirror", retries=0)
    assert r.status == "unverified" and r.crossings[0]["t"].digits == 0, r.message
    r = verified_flow(m, InitSpec.pf("1e-40"), digits=8, cross=["0.02"], coordinates="mirror")
    ctx, tc = _crossing_time(Fraction(1, 2), Fraction(-1, 3), 2, Fraction(1, 10**80), Fraction(1, 50))
    got = r.crossings[0]["t"]
    assert r.status == "success" and abs(ctx.mpf(got.text) - tc) <= tc * ctx.mpf(10) ** (1 - got.digits)


def test_an_implicit_euler_run_is_verified_by_the_other_method():
    """``--solver implicit --mirror``, X = 2, y = 1/7, α = 1e-50: the first run (extrapolated linearly implicit Euler)
    and a tighter run of the same method agreed on 16 digits of a crossing time right to 12.8, status success (an
    independent check, 2026-12-08).  The verification run is now GBS; every printed digit must hold against the closed
    form (one coordinate: ``_crossing_time`` with x = 2, y = 1/7, n = 1; truth 396.30832060087770790…)."""
    m = diagonal_linear("2", "1/7")
    r = verified_flow(m, InitSpec.pf("1e-50"), digits=12, cross=["0.007621"], coordinates="mirror", solver="implicit")
    ctx, tc = _crossing_time(Fraction(2), Fraction(1, 7), 1, Fraction(1, 10**100), Fraction("0.007621"))
    got = r.crossings[0]["t"]
    assert r.status == "success" and got.digits >= 12, r.message
    assert abs(ctx.mpf(got.text) - tc) <= tc * ctx.mpf(10) ** (1 - got.digits) / 2, (got.text, got.digits, tc)
