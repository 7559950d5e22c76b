"""Runs against the limit path: the saddles a high-precision run visits are the limit path's, in order, and the
jump-time error shrinks as the scale does (MATH §4.1: τ₃ ≈ 10.81, 11.08 at α = 1e-40, 1e-100 against 552/49)."""

import math
from fractions import Fraction

import pytest

from symdln.cli import main
from symdln.errors import OptionError
from symdln.flow.plan import InitSpec
from symdln.flow.verify import verified_flow
from symdln.limits import limit_path
from symdln.limits.compare import compare, convergence_study
from symdln.models import deep_linear, diagonal_linear
from symdln.saddles import detect_visits

X_PF, Y_PF = "1,1/2,7/10,0;1/2,1,1/10,7/10", "1,0"


def test_visits_of_the_worked_example_are_the_limit_saddles_in_order():
    m = diagonal_linear(X_PF, Y_PF)
    p = limit_path(m)
    T = math.ceil(40 * math.log(10) * 15)
    v = verified_flow(m, InitSpec.pf("1e-40"), digits=6, at=[T], t_end=T, coordinates="mirror", progress=False)
    vis = detect_visits(v.solution)
    assert [x.name for x in vis] == ["{}", "{+1}", "{+3}", "{+3,-4}"]
    assert vis[-1].final and vis[-1].is_global
    # arrival times near the limit's jump times, within the measured O(1/log(1/α)) gap
    assert [abs(float(x.tau_arrive.mid()) - float(t)) < 0.5 for x, t in zip(vis[1:], p.jump_times)] == [True] * 3
    c = compare(vis, p)
    assert c.order_matches and all(r.visited for r in c.rows)
    # the landscape as candidates: the same visits, named as the landscape names its strata
    from symdln.symbolic.landscape import landscape

    vis_l = detect_visits(v.solution, landscape(m))
    assert [x.name for x in vis_l] == [x.name for x in vis] and [x.distance for x in vis_l] == [x.distance for x in vis]



def test_a_short_plateau_is_found_whatever_the_run_length():
    """X = [[1,5,-5,-4],[3,-4,0,4],[-5,3,-2,-5]], y = (-4,1,1), α = 1e-12: the run sits near β_{-2} = (0,-21/50,0,0)
    for τ ≈ 0.148 … 0.204 (limit: [1/7, 19/83)) at a relative distance 1.2e-3 (just above tol). An independent
    long-double integration of the mirror flow found the same stretch. Counting it used to require 1% of the run's
    accelerated span, so a run to t = 1100 (the horizon a comparison uses; last jump at τ = 16216/589) dropped it,
    and `compare` called {-2} not visited."""
    m = diagonal_linear("1,5,-5,-4;3,-4,0,4;-5,3,-2,-5", "-4,1,1")
    found = []
    for T in (60, 1100):
        v = verified_flow(m, InitSpec.pf("1e-12"), digits=6, at=[T], t_end=T, coordinates="mirror", progress=False)
        vis = detect_visits(v.solution)
        hit = [x for x in vis if x.name == "{-2}"]
        assert len(hit) == 1 and 1e-3 < hit[0].distance < 2e-3 and not hit[0].near
        found.append((float(hit[0].tau_enter.mid()), float(hit[0].tau_exit.mid())))
        assert 0.14 < found[-1][0] < 0.15 and 0.2 < found[-1][1] < 0.21
    assert found[0] == found[1]
    c = compare(vis, limit_path(m))
    assert next(r for r in c.rows if r.label == "{-2}").visited


def test_compare_refuses_visits_of_another_model_and_empty_visits():
    """Visits of a spectrum-(2, 1) run against the limit path of spectrum (5, 1), or of a diagonal network: the
    comparison used to match saddles by label only (order_matches True, a τ error of +0.3)."""
    from symdln.errors import ModelError
    from symdln.flow import integrate_flow
    from symdln.models import balanced_init

    m = deep_linear(spectrum=[2, 1], widths=2)
    sol = integrate_flow(m, balanced_init(m, "1e-24"), 60, scale="1e-12", progress=False)
    vis = detect_visits(sol)
    assert compare(vis, limit_path(m)).order_matches
    for other in (deep_linear(spectrum=[5, 1], widths=2), diagonal_linear("1,0;0,1", "2,1")):
        with pytest.raises(ModelError, match="another model"):
            compare(vis, limit_path(other))
    with pytest.raises(OptionError, match="empty"):
        compare([], limit_path(m))

@pytest.mark.slow  # 18 s; the depth-2 DLN study below runs the same code in the default run
def test_convergence_study_errors_shrink_with_the_scale():
    m = diagonal_linear(X_PF, Y_PF)
    comp = convergence_study(m, ["1e-40", "1e-100"], digits=6, progress=False)
    a, b = comp.scales
    assert a.scale == Fraction(1, 10**40) and a.status == b.status == "success"
    assert a.order_matches and b.order_matches
    assert all(r.digits >= 6 for s in comp.scales for r in s.rows[1:])
    # the measurements: τ₃ = 10.81 at α = 1e-40, 11.08 at 1e-100 (limit 552/49 = 11.265…)
    assert round(float(a.rows[3].tau_run), 2) == 10.81 and round(float(b.rows[3].tau_run), 2) == 11.08
    for ra, rb in zip(a.rows[1:], b.rows[1:]):
        assert abs(rb.tau_error) < abs(ra.tau_error)
    d = comp.as_dict()
    assert d["scales"][1]["saddles"][3]["tau_limit"] == "552/49"


def test_dln_depth2_study_and_command_line(capsys, tmp_path):
    out, png = tmp_path / "conv.svg", tmp_path / "conv.png"  # --plot repeats (it kept only the last file)
    assert main(["limit", "--spectrum", "5,3,2", "--widths", "3", "--compare", "--scales", "1e-20,1e-40",
                 "--plot", str(out), "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "visits the limit saddles in order" in text and out.read_text().startswith("<?xml")
    assert png.read_bytes().startswith(b"\x89PNG")
    comp = convergence_study(deep_linear(spectrum=[5, 3, 2], widths=3), ["1e-20", "1e-40"], progress=False)
    for ra, rb in zip(comp.scales[0].rows[1:], comp.scales[1].rows[1:]):
        assert abs(rb.tau_error) < abs(ra.tau_error)


def test_bad_requests_are_refused_before_any_run(capsys, tmp_path):
    with pytest.raises(OptionError, match="scale"):
        convergence_study(diagonal_linear(X_PF, Y_PF), ["2"])
    assert main(["limit", "--spectrum", "2,1", "--widths", "2", "--compare", "--plot", str(tmp_path / "a.txt")]) == 2
    assert "extension" in capsys.readouterr().err and not (tmp_path / "a.txt").exists()
    assert main(["limit", "--spectrum", "2,1", "--widths", "2", "--plot", str(tmp_path / "a.png")]) == 2
    capsys.readouterr()
    assert main(["limit", "--spectrum", "2,1", "--widths", "2", "--compare", "--plot", str(tmp_path / "b.png"),
                 "--plot", str(tmp_path / "b.png")]) == 2
    assert "twice" in capsys.readouterr().err and not (tmp_path / "b.png").exists()


def test_ctrl_c_keeps_the_finished_scales(monkeypatch):
    """A run interrupted at the second scale: the first stays, the second is marked, the third is not started."""
    import dataclasses

    import symdln.flow.verify as verify

    real, calls = verify.verified_flow, []

    def fake(*a, **k):
        calls.append(1)
        v = real(*a, **k)
        return dataclasses.replace(v, status="interrupted") if len(calls) == 2 else v

    monkeypatch.setattr(verify, "verified_flow", fake)
    comp = convergence_study(deep_linear(spectrum=[2, 1], widths=2), ["1e-10", "1e-12", "1e-14"], progress=False)
    assert [s.status for s in comp.scales] == ["success", "interrupted"] and len(calls) == 2


def test_an_error_from_unverified_times_is_marked():
    """A run that failed (e.g. non-finite at α = 1e-40) leaves arrival times from one run only: their errors against
    the limit were printed like verified ones beside a "-" for the time; now marked "(?)" and
    ``tau_error_verified: false`` in the JSON."""
    from symdln.limits.compare import Comparison, SaddleComparison, ScaleComparison

    m = diagonal_linear("1,0;0,1", "2,1")
    rows = (SaddleComparison(1, "{+1}", 1, Fraction(1, 2), None, None, 0.00121, 1e-13),
            SaddleComparison(2, "{+1,+2}", 0, Fraction(1), "1.0001", 4, 0.0001, 0.0))
    comp = Comparison(m, limit_path(m), (ScaleComparison("1e-40", rows, True, ("{+1}", "{+1,+2}"), "nonfinite"),))
    _, table = comp.table_rows()
    assert table[0][4] == "+0.00121 (?)" and table[1][4] == "+0.0001"
    saddles = comp.as_dict()["scales"][0]["saddles"]
    assert [s["tau_error_verified"] for s in saddles] == [False, True]
