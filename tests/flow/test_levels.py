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
