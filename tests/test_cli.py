"""The command line: exact parsing, JSON output, the diagonal network against Pesme–Flammarion's worked example."""

import json
import subprocess
import sys

import mpmath
import pytest
import sympy as sp

from symdln.cli import main


def _run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_explore_json(capsys, tmp_path):
    out = _run_json(capsys, ["explore", "--out", str(tmp_path), "--json", "--no-verify"])
    assert [v["label"] for v in out["visits"]] == ["{}", "{1}", "{1,2}", "{1,2,3}"]
    assert (tmp_path / "summary.json").is_file()


def _check_digits(value, exact, ctx):
    """A value printed with k verified significant digits is within half a unit of its k-th digit (plus slack 2)."""
    text, k = value["value"], value["digits"]
    mantissa = text.replace("-", "").split("e")[0].replace(".", "").lstrip("0")
    assert len(mantissa) == k, (text, k)  # printed to exactly the verified digits
    assert abs(ctx.mpf(text) / exact - 1) <= 10 * ctx.mpf(10) ** (-k), (text, k, exact)


def test_flow_balanced_matches_saxe_to_the_verified_digits(capsys):
    out = _run_json(capsys, ["flow", "--init", "balanced", "--scale", "1e-60", "--at", "10,40", "--digits", "28", "--json"])
    assert out["status"] == "success" and out["min_digits"] >= 28
    ctx = mpmath.MPContext()
    ctx.dps = 80
    for point, T in zip(out["points"], (10, 40)):
        exact = sorted((s / (1 + (s / ctx.mpf("1e-60") - 1) * ctx.exp(-2 * s * T)) for s in (3, 2, 1)), reverse=True)
        for value, b in zip(point["singular_values"], exact):
            _check_digits(value, b, ctx)


@pytest.mark.parametrize("tau, beta", [(5, ["4/5", "0", "0", "0"]), (10, ["0", "0", "7/5", "0"]), (20, ["0", "0", "10/7", "-10/49"])])
def test_flow_diagonal_follows_the_published_saddles(capsys, tau, beta):
    """Pesme–Flammarion worked example (MATH §4.1): β(τ log(1/α)) is near the saddle β_k between jump times 2, 8, 552/49."""
    ctx = mpmath.MPContext()
    ctx.dps = 30
    t = ctx.nstr(tau * ctx.log(ctx.mpf(10) ** 40), 25)
    out = _run_json(capsys, ["flow", "--model", "diagonal", "--X", "1,1/2,7/10,0;1/2,1,1/10,7/10", "--y", "1,0",
                             "--alpha", "1e-40", "--at", t, "--json"])
    got = [ctx.mpf(x["value"]) for x in out["points"][0]["beta"]]
    want = [ctx.mpf(__import__("fractions").Fraction(b).numerator) / __import__("fractions").Fraction(b).denominator for b in beta]
    # between jumps the run sits on the saddle up to O(α^c) corrections, plus a slow 1/log(1/α) drift of leaving coordinates
    assert max(abs(a - b) for a, b in zip(got, want)) < 1e-4, (got, want)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["explore", "--bogus"], "unrecognized arguments: --bogus"),
        (["explore", "--sigma", "abc"], "not an exact number"),
        (["explore", "--sigma", "0", "--out", "/nonexistent/x"], "sigma"),
        (["explore", "--depth", "0"], "positive integer"),
        (["explore", "--widths", "2,2"], "widths"),
        (["explore", "--spectrum", "1,2"], "decreasing"),
        (["explore", "--target", "1,2;3"], "different lengths"),
        (["explore", "--target", "1,0;0,1", "--spectrum", "1"], "one of"),
        (["flow", "--model", "diagonal", "--X", "1,0;0,1"], "--y"),
        (["flow", "--init-file", "/nonexistent.json"], "no such file"),
        (["flow", "--at", "1,x"], "not an exact number"),
        (["flow", "--at", ""], "empty list"),
        (["flow", "--cross", " "], "empty list"),
        (["flow", "--cross", "0"], "> 0"),
        (["explore", "--out", "/proc/version"], "not a directory"),
        (["critical", "--widths", "10000"], "60000 parameters"),
        (["critical", "--depth", "500"], "4500 parameters"),
        (["critical", "--target", ";".join([",".join(["1"] * 150)] * 150)], "more than 10000 entries"),
        (["flow", "--depth", "4", "--sigma", "1e-40", "--cross", "1.5"], "--max-time"),
        (["flow", "--mirror", "--at", "1"], "--mirror is for --model diagonal"),
        (["critical", "--spectrum", "1e400"], "magnitude about 1e400"),
        (["explore", "--out", ""], "`out` is empty"),
        (["flow", "--at", "0"], "--at times must be > 0"),
        (["flow", "--loss-below", "0"], "--loss-below must be > 0"),
        (["flow", "--rtol", "1e-400", "--at", "1"], "got 1e-400"),
        (["flow", "--scale", "1e-8", "--at", "1"], "--scale goes with --init balanced"),
        (["flow", "--alpha", "1e-5", "--at", "1"], "--alpha goes with --model diagonal"),
        (["critical", "--model", "diagonal", "--X", "1,2;3,4", "--y", "1,2", "--spectrum", "3,2,1"],
         "--spectrum goes with --model dln"),
        (["critical", "--count", "--tikhonov", "--widths", "1", "--input-dim", "3", "--output-dim", "3",
          "--weight-decay", "1/2"], "do not apply"),
        (["critical", "--count", "--tikhonov", "--widths", "1", "--input-dim", "1", "--output-dim", "1",
          "--weight-decay", "0"], "do not apply"),
        (["critical", "--model", "diagonal", "--X", "1,0;0,1", "--y", "1,1", "--weight-decay", "0"],
         "--weight-decay goes with --model dln"),
        (["analyze", "--point-file", "/tmp"], "--point-file '/tmp' is a folder"),
        (["flow", "--at", "1", "--save", "/proc/t.json"], "not writable"),
        (["graph", "--out", "/proc/g.json"], "not writable"),
        (["limit", "--compare", "--scales", "1e-5", "--plot", "/proc/version/c.png"], "existing folder"),
        (["flow", "--sigma", "1e400", "--at", "1"], "`sigma`"),
        (["flow", "--target", "2,1/3;-1/2,1", "--init", "balanced", "--at", "1"], "--spectrum"),
        (["flow", "--widths", "100000", "--at", "1"], "the limit is 1000"),
        (["explore", "--widths", "100000", "--out", "/nonexistent/never-written"], "the limit is 1000"),
        (["flow", "--widths", "30", "--depth", "3", "--at", "1"], "--max-time"),
        (["explore", "--depth", "4", "--sigma", "1e-40", "--out", "/nonexistent/never-written"], "--max-time"),
        (["flow", "--depth", "500", "--sigma", "1e-3", "--at", "1"], "widths [3, 3, 3, …, 3, 3] (501 dimensions)"),
    ],
)
def test_bad_input_is_a_clear_error(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("symdln: error:") and needle in err


def test_negative_first_entries_need_no_equals_sign(capsys):
    """argparse takes ``-2/3,1`` for an option; the command line joins it to the option before it."""
    out = _run_json(capsys, ["limit", "--model", "diagonal", "--X", "-2/3,1;1,1", "--y", "-1,2", "--json"])
    ref = _run_json(capsys, ["limit", "--model", "diagonal", "--X=-2/3,1;1,1", "--y=-1,2", "--json"])
    assert out == ref and out["saddles"]


def test_init_file_exact(tmp_path, capsys):
    f = tmp_path / "theta0.json"
    f.write_text(json.dumps({"theta": [[["0.001", "0"], ["0", "0.001"]], [["0.001", "0"], ["0", "0.001"]]]}))
    out = _run_json(capsys, ["flow", "--target", "2,0;0,1", "--widths", "2", "--init-file", str(f), "--at", "1", "--json"])
    ctx = mpmath.MPContext()
    ctx.dps = 50
    # aligned init: a' = 2a(s − a) per mode, a(0) = 1e-6
    for x, s in zip(out["points"][0]["singular_values"], (2, 1)):
        exact = s / (1 + (s / ctx.mpf("1e-6") - 1) * ctx.exp(-2 * s))
        _check_digits(x, exact, ctx)
        assert x["digits"] >= 10


def test_python_dash_m():
    r = subprocess.run([sys.executable, "-m", "symdln", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "explore" in r.stdout


def test_critical_table_and_latex(capsys):
    assert main(["critical", "--spectrum", "2,1", "--widths", "2"]) == 0
    text = capsys.readouterr().out
    assert "{1,2}" in text and "global minimum" in text and "(1, 3, 4)" in text
    assert main(["critical", "--spectrum", "2,1", "--widths", "2", "--latex"]) == 0
    tex = capsys.readouterr().out
    assert tex.startswith(r"\begin{tabular}") and r"\{1,2\}" in tex and tex.rstrip().endswith(r"\end{tabular}")


def test_critical_json_matches_the_library(capsys):
    from symdln.models import deep_linear
    from symdln.symbolic.critical import critical_sets

    out = _run_json(capsys, ["critical", "--spectrum", "3,2,1", "--widths", "2", "--depth", "3", "--json"])
    ref = critical_sets(deep_linear(spectrum=[3, 2, 1], widths=2, depth=3))
    assert [(c["label"], c["stratum"], c["inertia"]) for c in out["critical_sets"]] == [
        (c.label, c.stratum, list(c.inertia.as_tuple())) for c in ref
    ]


def test_critical_count_command_line_of_the_issue(capsys):
    out = _run_json(capsys, ["critical", "--count", "--depth", "2", "--widths", "2", "--input-dim", "2", "--output-dim", "2",
                             "--data-points", "1", "--tikhonov", "--seed", "0", "--json"])
    assert out["complex_count"] == 33 and 1 <= out["real_count"] <= 33


def test_critical_weight_decay_lists_spurious_minima(capsys):
    out = _run_json(capsys, ["critical", "--spectrum", "3,2,1/2", "--depth", "3", "--weight-decay", "1/5", "--json"])
    kinds = [c["kind"] for c in out["critical_sets"]]
    assert kinds[0] == "global minimum" and kinds.count("spurious local minimum") == 2
    # only minima are listed: the origin-like saddles are not, and the record says so
    assert out["complete"] and not out["exhaustive"] and "local minima" in out["not_listed"][0]


def test_analyze_point_file(tmp_path, capsys):
    f = tmp_path / "p.json"
    f.write_text(json.dumps([[["0", "0"], ["0", "0"]]] * 3))
    out = _run_json(capsys, ["analyze", "--depth", "3", "--widths", "2", "--spectrum", "2,1", "--point-file", str(f), "--json"])
    assert out["kind"] == "non-strict saddle" and out["order"] == 3 and out["inertia"] == [0, 12, 0]
    assert main(["analyze", "--spectrum", "2,1", "--widths", "2", "--point-file", str(f)]) == 2
    assert "has 3 matrices but the model has 2 layers" in capsys.readouterr().err
    # entries past 1e±300 (a traceback from printing a 5000-digit integer, an audit found 2026-12-07)
    for big in ("1e-5000", "1e5000"):
        f.write_text(json.dumps([[[big, "0"], ["0", "1"]], [["1", "0"], ["0", "1"]]]))
        assert main(["analyze", "--spectrum", "2,1", "--widths", "2", "--point-file", str(f)]) == 2
        assert "`--point-file` holds a number of magnitude about 1e" in capsys.readouterr().err
    assert main(["critical", "--X", "1e-5000,0,1;0,1,1", "--Y", "1,0,1;0,1,1"]) == 2
    assert "magnitude about 1e-5000" in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [
    (["critical", "--count", "--widths", "2", "--input-dim", "2", "--output-dim", "2"], "--tikhonov"),
    (["critical", "--tikhonov"], "--count"),
    (["critical", "--X", "0,0;0,0", "--Y", "1,0", "--widths", "1"], "`X` is zero"),
])
def test_critical_errors(capsys, argv, needle):
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_flow_diagonal_default_horizon_reaches_the_interpolator(capsys):
    """Without --at or --t-end the run lasts ten first-jump times; X is invertible, so β → X⁻¹y = (4/3, −2/3)."""
    out = _run_json(capsys, ["flow", "--model", "diagonal", "--X", "1,1/2;1/2,1", "--y", "1,0", "--alpha", "1e-40", "--json"])
    (point,) = out["points"]
    beta = [float(b["value"]) for b in point["beta"]]
    assert abs(beta[0] - 4 / 3) < 1e-9 and abs(beta[1] + 2 / 3) < 1e-9
    assert abs(float(point["t"]) - 1843) < 1e-9  # ceil(10 · log(1e40) / ‖Xᵀy/n‖_∞), ‖·‖_∞ = 1/2


def test_flow_balanced_uses_the_per_layer_scale(capsys):
    """--init balanced --scale a0: times scale with σ = a0^{1/L} (here 1e-30), like explore; the default horizon is
    3(log(1/σ) + 50)/s_min = 3(30 ln 10 + 50) → 358, not the 565 that log(1/a0) would give."""
    import math

    out = _run_json(capsys, ["flow", "--init", "balanced", "--scale", "1e-60", "--json"])
    assert out["points"][0]["t"] == str(math.ceil(3 * (30 * math.log(10) + 50)))
    assert out["runs"][0]["plan"]["digits"] == 83  # 2·30 + 13 + 10 (NUMERICS: 2 log10(1/σ) + accuracy digits)
    assert out["init"] == {"kind": "balanced", "scale": "1e-60", "layer_scale": "1e-30", "seed": None}


def test_flow_save_round_trip(tmp_path, capsys):
    import symdln

    path = tmp_path / "traj.json"
    out = _run_json(capsys, ["flow", "--init", "balanced", "--scale", "1e-20", "--at", "10", "--save", str(path), "--json"])
    sol = symdln.load_solution(path)
    assert out["saved"] == str(path) and sol.status.name == "SUCCESS"
    assert sol.init == out["init"] == {"kind": "balanced", "scale": "1e-20", "layer_scale": "1e-10", "seed": None}
    with sol.precision.flint():  # the saved (tighter) run reproduces the reported loss to its verified digits
        k = out["points"][0]["loss"]["digits"]
        rel = abs(sol.loss(10) / sol.precision.arb(out["points"][0]["loss"]["value"]) - 1)
        assert rel < sol.precision.arb(10) ** (-k + 1)


def test_count_two_hidden_layers(capsys):
    """--count at depth 3 (msolve when installed, else the exact SymPy path): 17 points for widths 1, 1."""
    out = _run_json(capsys, ["critical", "--count", "--depth", "3", "--widths", "1", "--input-dim", "1",
                             "--output-dim", "1", "--tikhonov", "--json"])
    assert (out["complex_count"], out["distinct_count"]) == (17, 17) and out["setting"]["hidden"] == [1, 1]
    assert out["simple_points"] is True
    assert sum((-1) ** p["inertia"][0] for p in out["real_points"]) == 1
    assert main(["critical", "--count", "--depth", "3", "--widths", "1,2,3", "--input-dim", "1", "--output-dim", "1",
                 "--tikhonov"]) == 2
    assert "give 1 or 2 widths" in capsys.readouterr().err
    assert main(["critical", "--count", "--depth", "4", "--widths", "9", "--input-dim", "9", "--output-dim", "9",
                 "--tikhonov"]) == 2
    assert "--max-count-params" in capsys.readouterr().err
    assert main(["critical", "--count", "--depth", "4", "--widths", "9", "--input-dim", "9", "--output-dim", "9",
                 "--tikhonov", "--method", "plain"]) == 2
    assert "--max-count-params" in capsys.readouterr().err
    assert main(["critical", "--count", "--depth", "2", "--widths", "2", "--input-dim", "1", "--output-dim", "1",
                 "--tikhonov", "--method", "neurons", "--data-points", "2"]) == 2
    assert "--method neurons needs --data-points 1" in capsys.readouterr().err


def test_count_second_draw_disagreeing_exits_3(capsys, monkeypatch):
    """Two draws with different counts: one is degenerate; said, with exit 3 (the counts are stand-ins)."""
    import symdln.symbolic.tikhonov as tk

    monkeypatch.setattr(tk, "count_tikhonov", lambda *a, seed=0, **k: tk.CountResult(9 - seed, 9 - seed, 1, 4, 9,
                                                                                      "msolve", 0.0, "neurons", 4))
    monkeypatch.setattr(tk, "classify_tikhonov", lambda *a, **k: [])
    assert main(["critical", "--count", "--depth", "2", "--widths", "2", "--input-dim", "1", "--output-dim", "1",
                 "--tikhonov", "--method", "plain", "--second-draw", "--engine", "sympy"]) == 3
    assert "the counts differ" in capsys.readouterr().out


def test_count_by_neuron_patterns_text(capsys):
    """The default method on a row the plain system needs ~200 s for: 977 points, the method said."""
    assert main(["critical", "--count", "--depth", "3", "--widths", "3", "--input-dim", "1", "--output-dim", "1",
                 "--tikhonov"]) == 0
    out = capsys.readouterr().out
    assert "977; distinct: 977; real: 1" in out and "50 active-neuron patterns" in out
    assert "second draw (--seed 1): 977 complex, 977 distinct (the same counts" in out


def test_count_says_when_a_draw_has_multiple_points(capsys, monkeypatch):
    """A draw whose points are not all simple is reported as possibly degenerate (not printed as a generic count)."""
    import symdln.symbolic.tikhonov as tk

    monkeypatch.setattr(tk, "count_critical_points", lambda *a, **k: tk.CountResult(6, 4, 2, 2, 6, "msolve"))
    assert main(["critical", "--count", "--depth", "2", "--widths", "1", "--input-dim", "1", "--output-dim", "1",
                 "--tikhonov", "--method", "plain"]) == 0
    out = capsys.readouterr().out
    assert "2 multiple point(s)" in out and "try another --seed" in out


def test_closed_stdout_ends_quietly():
    """A reader that closes the pipe early (``symdln … | head -1``): no traceback, exit 141 (128 + SIGPIPE)."""
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-m", "symdln", "critical", "--depth", "2", "--widths", "2", "--spectrum", "2,1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # before anything is written
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141 and "Traceback" not in err, err


def test_analyze_takes_inputs_without_full_row_rank(tmp_path, capsys):
    """``X = vvᵀ``, ``v = (1, 2)`` (rank 1 < 2 rows), ``Y = I``, ``N = 2``: ``analyze`` was refused (``XXᵀ``
    singular).  Oracle, own SymPy loss ``‖W_2W_1X − Y‖²/2N``: its gradient and Hessian at each point; the best
    rank-1 fit of ``Y`` by ``AX`` has loss ``(‖Y‖² − 1)/4 = 1/4``, attained by the least-norm map ``vvᵀ/25`` and by
    it plus any ``Z`` with ``ZX = 0``, e.g. ``Z`` with rows along ``(2, −1)`` (global minima: loss 1/4, zero
    gradient); at the origin the Hessian's signs are its own exact eigenvalues'."""
    X, Y = sp.Matrix([[1, 2], [2, 4]]), sp.eye(2)
    w = sp.symbols("w0:8")
    W1, W2 = sp.Matrix(2, 2, w[:4]), sp.Matrix(2, 2, w[4:])
    R = W2 * W1 * X - Y
    loss = sum(x ** 2 for x in R) / 4
    H = sp.hessian(loss, w)
    points = {"least norm": ([["1/5", "2/5"], ["0", "0"]], [["1/5", "0"], ["2/5", "0"]]),
              "translated": ([["11/5", "-3/5"], ["2", "-1"]], [["1/5", "0"], ["2/5", "0"]]),
              "origin": ([["0", "0"], ["0", "0"]], [["0", "0"], ["0", "0"]])}
    for name, (a, b) in points.items():
        f = tmp_path / "p.json"
        f.write_text(json.dumps([a, b]))
        out = _run_json(capsys, ["analyze", "--X", "1,2;2,4", "--Y", "1,0;0,1", "--widths", "2", "--point-file", str(f),
                                 "--json"])
        sub = dict(zip(w, [sp.Rational(x) for M in (a, b) for row in M for x in row]))
        assert all(sp.diff(loss, v).subs(sub) == 0 for v in w)
        ev = H.subs(sub).eigenvals()
        inertia = [sum(m for e, m in ev.items() if e < 0), sum(m for e, m in ev.items() if e == 0),
                   sum(m for e, m in ev.items() if e > 0)]
        assert out["inertia"] == inertia, (name, out["inertia"], inertia)
        assert sp.Rational(out["loss"]) == loss.subs(sub)
        if name == "origin":
            assert out["kind"] == "strict saddle"
        else:
            assert loss.subs(sub) == sp.Rational(1, 4) and out["kind"] == "global minimum", (name, out["kind"])
