"""Crossing levels the loss can never reach: at or below the exact global minimum, a certified "never"."""

from symdln.cli import main
from symdln.flow.plan import InitSpec
from symdln.flow.verify import verified_flow
from symdln.models import deep_linear, diagonal_linear


def test_level_below_the_best_rank_one_fit_is_never():
    """Width 1 under s = (2, 1): the global minimum is ½·1² = 1/2 (Eckart–Young); 1 is crossed, 1/10 and 1/2 never
    (the loss tends to 1/2 from above), and the run is a success, not incomplete."""
    m = deep_linear(spectrum=[2, 1], depth=2, widths=1, rotation_seed=2)
    r = verified_flow(m, InitSpec.gaussian("1e-10", 0), digits=8, cross=("1", "1/10", "1/2"))
    assert r.status == "success", r.message
    c1, c2, c3 = r.crossings
    assert c1["t"] is not None and c1["t"].digits >= 8 and "never" not in c1
    for c in (c2, c3):
        assert c["t"] is None and "global minimum of the loss is 1/2" in c["never"]


def test_level_above_the_minimum_is_not_never(capsys):
    """Just above 1/2 the level is reached (no false "never")."""
    code = main(["flow", "--spectrum", "2,1", "--widths", "1", "--rotation-seed", "2", "--sigma", "1e-10",
                 "--cross", "0.5000001", "--digits", "6", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0 and "never" not in out and "loss < 0.5000001 first at t = " in out


def test_only_unreachable_levels_diagonal():
    """Diagonal network with an overdetermined design (two samples x = 1, targets 1 and 0): the minimum loss is the
    least-squares residual, β* = 1/2 and ½·mean((1 − β*)², β*²) = 1/8; a level there is never crossed, and with no
    other number asked the run is a success."""
    m = diagonal_linear("1;1", "1,0")  # n = 2 samples, d = 1: β* = 1/2, loss ½·mean((1 − β)², β²) = 1/8
    r = verified_flow(m, InitSpec.pf("1e-10"), digits=6, cross=("1/8",))
    assert r.status == "success" and r.crossings[0]["t"] is None and "1/8" in r.crossings[0]["never"]


def test_a_level_near_zero_gets_the_digits_it_needs_or_is_named_below_resolution():
    """Depth 2, s = (3, 1), balanced a0 = 1e-80: the loss ½Σ(s − a)² crosses 1e-300 at t ≈ 264.6 (Saxe's logistic).
    The plan's 137 working digits resolve losses down to ~1e-214 only, and the run said "give a larger t_end",
    which never helps (found by an independent audit with a 200-digit oracle).  Now a run without
    `working_digits` takes the digits the level needs and finds the crossing to its claimed digits; one held to
    137 working digits names the level as below its resolution and says what to raise."""
    import math

    import mpmath

    m = deep_linear(spectrum=[3, 1], depth=2, widths=2)
    init = InitSpec.balanced("1e-80", 2)
    low = verified_flow(m, init, digits=10, cross=("1e-200", "1e-300"), working_digits=137)
    assert low.status == "incomplete" and low.crossings[0]["t"] is not None and low.crossings[1]["t"] is None
    assert "1e-300 lies below the smallest loss this run resolves" in low.message and "t_end" in low.message
    assert "--working-digits" in low.message and "give a larger" not in low.message
    r = verified_flow(m, init, digits=10, cross=("1e-200", "1e-300"))
    assert r.status == "success", r.message
    ctx = mpmath.MPContext()
    ctx.dps = 400
    a0 = ctx.mpf("1e-80")

    def loss(t):
        return sum((s - s / (1 + (s / a0 - 1) * ctx.exp(-2 * s * t))) ** 2 for s in (3, 1)) / 2

    for c, level, guess in zip(r.crossings, ("1e-200", "1e-300"), (207, 264)):
        t_star = ctx.findroot(lambda t: ctx.log(loss(t)) - ctx.log(ctx.mpf(level)), guess)
        got = c["t"]
        assert got.digits >= 10
        assert abs(ctx.mpf(got.text) / t_star - 1) < ctx.mpf(10) ** (1 - got.digits), (got.text, t_star)
    assert math.isclose(float(t_star), 264.623998899, rel_tol=1e-9)


def test_never_travels_in_the_json():
    """The certified "never" of a level at or below the global minimum is in ``as_dict()`` (the JSON of ``symdln flow
    --json``), not only in the text: ``"t": null`` alone could not be told from a level not reached (found by an
    independent check, 2026-12-07)."""
    m = deep_linear(spectrum=[2, 1], depth=2, widths=1, rotation_seed=2)
    r = verified_flow(m, InitSpec.gaussian("1e-10", 0), digits=8, cross=("1", "1/2"))
    c1, c2 = r.as_dict()["crossings"]
    assert "never" not in c1 and c1["t"]["digits"] >= 8
    assert c2["t"] is None and "global minimum of the loss is 1/2" in c2["never"]


def test_times_and_levels_together_stop_after_both():
    """Values at times and crossings asked together: the runs stop once the last time is passed and the lowest level
    crossed, not at the default horizon (a 60-digit depth-2 run crawled for minutes through its converged phase).
    Oracle: Saxe's logistic, one mode s = 2 from a0 = 1e-10 (balanced, depth 2), a(t) = s/(1 + (s/a0 − 1)e^{−2st});
    the loss ½(s − a)² falls below 1e-6 at t = log((s/a0 − 1)·a/(s − a))/(2s) with a = s − √(2·1e-6), after the
    last time asked (t = 7), and below 1 before it."""
    import mpmath

    m = deep_linear(spectrum=[2], depth=2, widths=1)
    r = verified_flow(m, InitSpec.balanced("1e-10", 2), digits=20, at=("4", "7"), cross=("1", "1e-6"))
    assert r.status == "success", r.message
    with mpmath.workdps(60):
        s, a0 = mpmath.mpf(2), mpmath.mpf("1e-10")

        def a(t):
            return s / (1 + (s / a0 - 1) * mpmath.exp(-2 * s * t))

        def t_of(level):
            x = s - mpmath.sqrt(2 * mpmath.mpf(level))
            return mpmath.log((s / a0 - 1) * x / (s - x)) / (2 * s)

        for p, t in zip(r.points, ("4", "7")):
            v = p["values"][0]
            assert abs(mpmath.mpf(v.text) - a(mpmath.mpf(t))) <= mpmath.mpf(10) ** (mpmath.floor(
                mpmath.log10(abs(a(mpmath.mpf(t))))) - v.digits + 1) / 2
        for c, level in zip(r.crossings, ("1", "1e-6")):
            exact = t_of(level)
            assert c["t"].digits >= 20
            assert abs(mpmath.mpf(c["t"].text) - exact) <= mpmath.mpf(10) ** (mpmath.floor(mpmath.log10(exact))
                                                                              - c["t"].digits + 1) / 2
        assert t_of("1e-6") > 7
    horizon = float(mpmath.mpf(r.runs[0]["plan"]["horizon"]))
    for run in r.runs:  # each run stopped at the crossing of 1e-6 (t ≈ 7.2), far short of the horizon
        assert run["status"] == "event" and float(run["t_final"]) < min(10.0, horizon / 10)


def test_a_level_equal_to_the_initial_loss_is_crossed_at_exactly_zero():
    """A level equal to the exact initial loss (‖y‖²/2n = 5/4 at β = 0) is left at once: t = 0 exactly, not a located
    `0 [16]` (an audit, 2026-12-07); a level just below it is a measured time > 0."""
    m = diagonal_linear([[1, 0], [0, 1]], [1, 2])
    r = verified_flow(m, InitSpec.pf("1e-10"), digits=8, cross=("5/4", "1.2499"), progress=False)
    at, below = r.crossings
    assert at["t"].exact and at["t"].text == "0"
    assert not below["t"].exact and float(below["t"].text) > 0


def test_an_incomplete_run_also_says_when_numbers_fell_short_of_the_digits():
    """A level not reached makes the status `incomplete`; numbers with fewer digits than asked are said too (the
    message named only the level: an audit, 2026-12-07)."""
    m = diagonal_linear([[1, 0], [0, 1]], [1, 2])
    r = verified_flow(m, InitSpec.pf("1e-10"), digits=30, at=("10",), cross=("1e-30",), t_end="20", rtol="1e-8",
                      retries=0, progress=False)
    assert r.status == "incomplete" and r.min_digits < 30
    assert f"only {r.min_digits} verified digits (wanted 30)" in r.message
