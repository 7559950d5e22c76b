"""The DLN greedy rank-incremental limit against independent oracles: NumPy's SVD (best rank-k fits), NumPy's
reduced-rank regression in the data form, and verified flows at two small scales (accelerated times → 1/s_k)."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from symdln.errors import ModelError
from symdln.limits import limit_path
from symdln.models import deep_linear


@pytest.mark.parametrize("depth, widths", [(2, 3), (2, 2), (3, 2), (4, 1)])
def test_teacher_saddles_are_best_rank_k_fits(depth, widths):
    m = deep_linear(spectrum=[5, 3, 2], depth=depth, widths=widths)
    p = limit_path(m)
    M = np.array(sp.Matrix(m.target).evalf(30).tolist(), dtype=float)
    U, s, Vt = np.linalg.svd(M)
    K = min(3, widths)
    assert [x.rank for x in p.saddles] == list(range(K + 1))
    for x in p.saddles:
        k = x.rank
        best = (U[:, :k] * s[:k]) @ Vt[:k]
        assert np.allclose(np.array(x.end_to_end.tolist(), dtype=float), best, atol=1e-12)
        assert x.loss == sp.Rational(sum(v * v for v in [5, 3, 2][k:]), 2)
    if depth == 2:
        assert p.jump_times == tuple(sp.Rational(1, v) for v in [5, 3, 2][:K])
    else:
        assert all(t is None for t in p.jump_times) and "sigma^-(L-2)" in p.time_reason


def test_data_form_saddles_are_reduced_rank_regressions():
    Xs, Ys = "1,0,1,2;0,1,1,-1;1,1,0,1", "2,0,1,1;0,1,0,3"
    m = deep_linear(X=Xs, Y=Ys, widths=2)
    X = np.array([[float(sp.Rational(v)) for v in r.split(",")] for r in Xs.split(";")])
    Y = np.array([[float(sp.Rational(v)) for v in r.split(",")] for r in Ys.split(";")])
    N = X.shape[1]
    A_ols = Y @ X.T @ np.linalg.inv(X @ X.T)
    # reduced-rank regression: project the fitted values Ŷ = A_ols X onto their top-k left singular vectors
    Uf = np.linalg.svd(A_ols @ X)[0]
    p = limit_path(m)
    for x in p.saddles:
        k = x.rank
        A = Uf[:, :k] @ Uf[:, :k].T @ A_ols
        loss = np.sum((A @ X - Y) ** 2) / (2 * N)
        assert math.isclose(float(sp.N(x.loss, 30)), loss, rel_tol=1e-12, abs_tol=1e-14)
    assert all(t is None for t in p.jump_times)


def test_weight_decay_and_float_mode_are_refused():
    with pytest.raises(ModelError, match="without weight decay"):
        limit_path(deep_linear(spectrum=[2, 1], widths=2, weight_decay="1/10"))
    with pytest.raises(ModelError, match="exact=False"):
        limit_path(deep_linear(spectrum=[2, 1], widths=2), exact=False)


def test_accelerated_arrival_times_approach_one_over_s_k():
    """Depth 2, 3×3 teacher (5, 3, 2), Gaussian init: the first time the loss falls below the midpoint of two
    consecutive plateaus, divided by log(1/σ), tends to 1/s_k; the error shrinks from σ = 1e-20 to 1e-40."""
    from symdln.flow.plan import InitSpec
    from symdln.flow.verify import verified_flow

    m = deep_linear(spectrum=[5, 3, 2], widths=3)
    p = limit_path(m)
    losses = [float(x.loss) for x in p.saddles]
    levels = [str((a + b) / 2) for a, b in zip(losses, losses[1:])]
    errs = []
    for e in (20, 40):
        v = verified_flow(m, InitSpec.gaussian(f"1e-{e}", seed=1), digits=6, cross=levels, progress=False)
        assert v.status == "success"
        taus = [mpmath.mpf(c["t"].text) / (e * mpmath.log(10)) for c in v.crossings]
        errs.append(max(abs(float(t) - float(x)) for t, x in zip(taus, p.jump_times)))
    assert errs[1] < errs[0] and errs[1] < 0.03, errs


def test_equal_singular_values_are_learned_together():
    """Spectrum (2, 2, 1), depth 2: one jump at τ = 1/2 learns both tied modes; width 1 cuts the tie: the last
    saddle is an orbit of best rank-1 fits and the path says so."""
    p = limit_path(deep_linear(spectrum=[2, 2, 1], widths=3))
    assert [(x.label, x.loss, x.arrival) for x in p.saddles] == [
        ("{}", sp.Rational(9, 2), 0), ("{1,2}", sp.Rational(1, 2), sp.Rational(1, 2)), ("{1,2,3}", 0, 1)]
    q = limit_path(deep_linear(spectrum=[2, 2, 1], widths=1))
    assert [x.label for x in q.saddles] == ["{}", "{1}"] and "orbit" in q.notes[0]


def test_depth_one_is_the_least_squares_fit_alone(capsys, tmp_path):
    """Depth 1 is convex: the origin is not critical and the only critical point is W = M (teacher) or the least-squares
    fit (data form), NumPy's lstsq; `limit`, `explore` and `graph` ran into a KeyError there."""
    from symdln.cli import main

    p = limit_path(deep_linear(spectrum=[3, 2, 1], depth=1))
    assert [(s.label, s.loss) for s in p.saddles] == [("{1,2,3}", 0)]
    Xs, Ys = "1,0,1;0,1,1", "1,2,0;0,1,3"
    q = limit_path(deep_linear(X=Xs, Y=Ys, depth=1))
    X = np.array([[float(sp.Rational(v)) for v in r.split(",")] for r in Xs.split(";")])
    Y = np.array([[float(sp.Rational(v)) for v in r.split(",")] for r in Ys.split(";")])
    W = np.linalg.lstsq(X.T, Y.T, rcond=None)[0].T
    assert len(q.saddles) == 1
    loss = np.sum((W @ X - Y) ** 2) / (2 * X.shape[1])
    assert math.isclose(float(sp.N(q.saddles[0].loss, 30)), loss, rel_tol=1e-12)
    assert main(["limit", "--depth", "1"]) == 0
    assert main(["graph", "--depth", "1", "--out", str(tmp_path / "g.json")]) == 0
    assert main(["explore", "--depth", "1", "--out", str(tmp_path / "e"), "--no-verify"]) == 0
