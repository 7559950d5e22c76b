import json
from pathlib import Path
from fractions import Fraction

import networkx as nx
import pytest

from symdln.graph import read_graph
from symdln.models import deep_linear
from symdln.report import explore, format_visits


@pytest.fixture(scope="module")
def default_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("explore")
    return explore(out=out, progress=False), out


def test_default_explore_writes_every_file(default_report):
    res, out = default_report
    for name in ("summary.json", "loss.png", "singular_values.png", "saddle_graph.png", "saddle_graph.graphml"):
        f = out / name
        assert f.is_file() and f.stat().st_size > 0, name
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    # every file in the folder is listed (the .svg and .pdf figures were not, an audit found 2026-12-07)
    assert {Path(f).name for f in summary["files"].values()} | {"summary.json"} == {f.name for f in out.iterdir()}
    assert [v["label"] for v in summary["visits"]] == ["{}", "{1}", "{1,2}", "{1,2,3}"]
    assert [v["loss"] for v in summary["visits"]] == ["7", "5/2", "1/2", "0"]
    # exact landscape at the visited families (depth 2: index = swaps + (h − r)(R − r), Baldi–Hornik)
    assert [(v["kind"], v["index"]) for v in summary["visits"]] == [("strict saddle", 9), ("strict saddle", 4), ("strict saddle", 1), ("global minimum", 0)]
    assert summary["init"] == {"kind": "gaussian", "sigma": "1e-30", "seed": 0}
    assert summary["precision"]["digits"] >= 80
    assert summary["status"] == "event"
    assert float(summary["final_loss"]) <= 1e-20 * (1 + 1e-9)
    # the run stops where the loss crosses loss_below = 1e-20: its final loss is printed to the digits the second run
    # confirmed (no more), and those digits are right
    k = summary["final_loss_digits"]
    mantissa = summary["final_loss"].split("e")[0].replace(".", "").lstrip("0")
    assert k >= 10 and len(mantissa) == k
    assert abs(Fraction(summary["final_loss"]) - Fraction(1, 10**20)) <= Fraction(1, 10**20) * Fraction(1, 10 ** (k - 1))
    assert summary["verification"]["same_visits"] is True
    assert summary["verification"]["agreeing_digits"] >= 10
    G = read_graph(out / "saddle_graph.graphml")
    observed = G.edge_subgraph([e for e, src in nx.get_edge_attributes(G, "source").items() if "observed" in src])
    assert list(nx.topological_sort(observed)) == ["{}", "{1}", "{1,2}", "{1,2,3}"]
    assert G.graph["sources"] == "limit,observed,theory" and G.edges["{}", "{1}"]["source"] == "limit,observed,theory"
    # the limit path (best rank-k fits, τ_k = 1/s_k) is the visited one, within O(1/log(1/σ)) in time
    assert summary["limit"]["order_matches"] and [r["tau_limit"] for r in summary["limit"]["saddles"]] == \
        [None, "1/3", "1/2", "1"]
    assert all(abs(r["tau_error"]) < 0.05 for r in summary["limit"]["saddles"][1:])
    for name in ("loss.pdf", "loss.svg", "saddle_graph.html", "saddle_graph.pdf"):
        assert (out / name).stat().st_size > 0


def test_summary_times_print_only_their_verified_digits(default_report):
    """Every visit time in summary.json carries the digits the two runs agree on (capped by the tighter run's
    tolerance) and prints no more (they were printed with 20 digits, 7 of them wrong); the arrival at {1} (the loss
    crossing 4.75) against a separate 20-digit verified run, rounded to the claimed digits."""
    from decimal import Decimal

    from symdln.flow.plan import InitSpec
    from symdln.flow.verify import verified_flow

    res, out = default_report
    summary = json.loads((out / "summary.json").read_text())
    for v in summary["visits"]:
        for name in ("t_enter", "t_exit", "t_arrive"):
            if v[name] is None or v[name] == "0":
                continue
            k = v[f"{name}_digits"]
            assert 1 <= k <= 15 and len(v[name].replace(".", "").lstrip("0")) <= k, (name, v[name], k)
    arrive = summary["visits"][1]
    ref = verified_flow(res.solution.model, InitSpec.gaussian("1e-30", 0), digits=20, cross=["4.75"]).crossings[0]["t"]
    assert ref.digits >= 20
    k = arrive["t_arrive_digits"]
    assert k >= 10
    assert Decimal(arrive["t_arrive"]) == round(Decimal(ref.full), k - 2)  # 23.1…: two digits before the point


def test_table_lists_visits(default_report):
    res, _ = default_report
    table = format_visits(res.visits)
    assert "{1,2,3}" in table and "5/2" in table and "tau_arrive" in table


def test_explore_other_model(tmp_path):
    m = deep_linear(spectrum=[2, 1], widths=3, depth=2, rotation_seed=3)
    res = explore(m, sigma="1e-10", seed=2, out=tmp_path, verify=False, progress=False)
    assert [v.name for v in res.visits] == ["{}", "{1}", "{1,2}"]
    assert res.summary["verification"] is None
    assert res.summary["landscape"].startswith("exact")


def test_inputs_without_full_row_rank_explore(tmp_path):
    """``X`` (3 × 2) of rank 2 < 3 rows: explore used to run the flow and then fail building the landscape (the
    critical strata needed ``XXᵀ`` invertible).  Now the run, its visits, the limit path (least-norm reduced-rank
    regressions, losses: own closed forms below) and the landscape (on X's row space, lifted) are reported."""
    m = deep_linear(X="1,0;0,1;1,1", Y="3,0;0,1;1,1", widths=2)
    res = explore(m, sigma="1e-10", seed=2, out=tmp_path, verify=False, progress=False)
    assert [v.name for v in res.visits] == ["{}", "{1}", "{1,2}"]
    assert res.summary["landscape"].startswith("exact")
    # each saddle's loss, own oracle: ½/N (‖Y‖² − Σ_{i≤k} σ_i²), σ_i the singular values of Y V (X = U S Vᵀ thin)
    import numpy as np

    X = np.array([[1.0, 0], [0, 1], [1, 1]])
    Y = np.array([[3.0, 0], [0, 1], [1, 1]])
    sv = np.linalg.svd(Y @ np.linalg.svd(X, full_matrices=False)[2].T, compute_uv=False)
    want = [(np.sum(Y ** 2) - np.sum(sv[:k] ** 2)) / 4 for k in range(3)]
    got = [r["loss_float"] for r in res.summary["visits"]]
    assert all(abs(g - w) < 1e-9 for g, w in zip(got, want)), (got, want)


def test_interrupted_verification_is_kept_and_marked(monkeypatch, tmp_path, capsys):
    """Ctrl-C during the verification run: the first run's report is written, marked interrupted; exit 130."""
    from dataclasses import replace

    import importlib

    ex = importlib.import_module("symdln.report.explore")
    from symdln.cli import main
    from symdln.flow.solution import Status

    real = ex.integrate_flow

    def flaky(*args, **kwargs):  # the verification run (held strictly to its tolerance) is interrupted
        sol = real(*args, **kwargs)
        return replace(sol, status=Status.INTERRUPTED) if kwargs.get("strict") else sol

    monkeypatch.setattr(ex, "integrate_flow", flaky)
    # in this process after the first run (--serial), and in a second process beside it (the default with two cores)
    assert main(["explore", "--out", str(tmp_path / "serial"), "--sigma", "1e-10", "--serial"]) == 130
    assert main(["explore", "--out", str(tmp_path), "--sigma", "1e-10"]) == 130
    import json

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["verification"]["status"] == "interrupted"
    assert [v["label"] for v in summary["visits"]] == ["{}", "{1}", "{1,2}", "{1,2,3}"]


def test_horizon_ending_a_plateau_is_incomplete_not_success(tmp_path):
    """A given ``t_end`` between the two escapes (depth 2, s = (2, 1), σ = 1e-10: near ln(1/σ²)/s_k ≈ 11.5 and 23)
    ends the run on the plateau of {1} (loss 1/2 > 0 = the global minimum): status incomplete, CLI exit 4."""
    from symdln.cli import main

    m = deep_linear(spectrum=[2, 1], widths=2, depth=2, rotation_seed=3)
    res = explore(m, sigma="1e-10", seed=2, t_end=16, out=tmp_path / "a", verify=False, progress=False)
    assert [v.name for v in res.visits] == ["{}", "{1}"]
    assert res.summary["status"] == "incomplete" and "raise --t-end" in res.summary["message"]
    assert abs(float(res.summary["final_loss"]) - 0.5) < 1e-3
    code = main(["explore", "--spectrum", "2,1", "--widths", "2", "--rotation-seed", "3", "--sigma", "1e-10",
                 "--seed", "2", "--t-end", "16", "--no-verify", "--no-progress", "--out", str(tmp_path / "b")])
    assert code == 4


def test_converged_rank_deficient_run_is_not_incomplete(tmp_path):
    """Width 1 under s = (2, 1): the global minimum is the best rank-1 fit, loss 1/2 > 0 (never below
    ``loss_below``); a run that reaches the horizon there has finished: status success, not incomplete."""
    m = deep_linear(spectrum=[2, 1], widths=1, depth=2, rotation_seed=3)
    res = explore(m, sigma="1e-10", seed=2, out=tmp_path, verify=False, progress=False)
    assert res.summary["status"] == "success", res.summary["message"]
    assert abs(float(res.summary["final_loss"]) - 0.5) < 1e-12


@pytest.mark.slow
def test_default_deep_horizon_reaches_a_late_escape(tmp_path):
    """Depth 4, σ = 1e-15, seed 3: the second escape is at t ≈ 4.2583e31, past 10σ^{−2}/s_min = 1e31 (the old
    default horizon, which ended this run on the plateau of {1} and called it a success)."""
    m = deep_linear(spectrum=[2, 1], depth=4, widths=2, rotation_seed=1)
    res = explore(m, sigma="1e-15", seed=3, out=tmp_path, progress=False)
    assert res.summary["status"] == "event"
    assert [v.name for v in res.visits] == ["{}", "{1}", "{1,2}"]
    assert abs(float(res.summary["t_final"]) / 4.2583033e31 - 1) < 1e-6


def test_sizes_and_the_output_folder_are_refused_before_the_initialization_is_built(monkeypatch, tmp_path):
    """A layer of width 100000 was refused only after building θ0 (600,000 exact entries, 25 s), and with a given
    horizon not at all until the run; an unwritable folder after it too.  Both are checked first now."""
    from symdln.errors import OptionError
    from symdln.flow.plan import InitSpec

    def never(*_a, **_k):
        raise AssertionError("θ0 was built before the checks")

    monkeypatch.setattr(InitSpec, "build", never)
    wide = deep_linear(spectrum=[3, 2, 1], widths=100000)
    for kw in ({}, {"t_end": 5}):
        with pytest.raises(OptionError, match="the limit is 1000"):
            explore(wide, out=tmp_path / "r", **kw)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OptionError, match="is not a writable folder"):
        explore(deep_linear(spectrum=[2, 1], widths=2), out=blocker / "r")
    assert list(tmp_path.iterdir()) == [blocker]


def test_ctrl_c_in_the_theory_graph_makes_the_report_interrupted(tmp_path, monkeypatch):
    """landscape_graph stops on Ctrl-C keeping what finished (graph attribute complete = False); explore reported
    success and exit status 0 over it (an independent audit, 2026-12-07).  Now: interrupted, exit 130."""
    import symdln.graph.sources as sources
    from symdln.cli import _explore_exit

    real = sources.landscape_graph

    def cut_short(*args, **kwargs):
        G = real(*args, **kwargs)
        G.graph["complete"] = False  # as after a Ctrl-C inside it
        return G

    monkeypatch.setattr(sources, "landscape_graph", cut_short)
    m = deep_linear(spectrum=[2, 1], widths=2, depth=2, rotation_seed=3)
    res = explore(m, sigma="1e-8", out=tmp_path, verify=False, progress=False)
    assert res.summary["status"] == "interrupted" and _explore_exit(res.summary) == 130
