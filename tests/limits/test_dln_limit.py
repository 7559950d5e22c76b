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
from symdln.precision import Precision
from symdln.symbolic.pivots import pivot_families

from ..oracles import dln_gradient


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


@pytest.mark.parametrize("Xs, Ys", [
    ("1,0;0,1;1,1", "3,0;0,1;1,1"),  # N = 2 samples < n_0 = 3 inputs (rank 2)
    ("1,2,0,1;2,4,0,2;0,1,1,0", "1,0,2,1;0,1,1,0;1,1,0,2"),  # dependent rows: rank 2 < 3 with N = 4
])
def test_rank_deficient_inputs_give_least_norm_reduced_rank_regressions(Xs, Ys):
    """``X`` without full row rank (``XXᵀ`` singular, e.g. fewer samples than inputs): the loss sees ``A`` only through
    ``AX``, so each saddle's loss is the best rank-``k`` fit of ``Y`` by ``AX`` (own oracle: ``X = U S Vᵀ`` thin of rank
    ``r``, ``AX = (AUS)Vᵀ``, so the fit is the top-``k`` SVD of ``Y V``; it was refused before), and its end-to-end map
    is the least-norm one, which a flow from a vanishing initialization reaches (own LSODA flow: ``W_1``'s component
    annihilated by ``X`` has zero gradient and stays at the initialization's scale)."""
    m = deep_linear(X=Xs, Y=Ys, widths=3)
    X = np.array([[float(sp.Rational(v)) for v in r.split(",")] for r in Xs.split(";")])
    Y = np.array([[float(sp.Rational(v)) for v in r.split(",")] for r in Ys.split(";")])
    N, r = X.shape[1], np.linalg.matrix_rank(X)
    assert r < X.shape[0]
    Ux, Sx, Vxt = np.linalg.svd(X, full_matrices=False)
    Ux, Sx, Vx = Ux[:, :r], Sx[:r], Vxt[:r].T
    Uf, sf, Vft = np.linalg.svd(Y @ Vx)
    p = limit_path(m)
    assert [x.rank for x in p.saddles] == list(range(len(p.saddles))) and len(p.saddles) == min(r, 3) + 1
    for x in p.saddles:
        k = x.rank
        loss = (np.sum(Y ** 2) - np.sum(sf[:k] ** 2)) / (2 * N)
        assert math.isclose(float(sp.N(x.loss, 30)), loss, rel_tol=1e-12, abs_tol=1e-14)
    # the last saddle's map (least norm) against the end of an own flow from sigma = 1e-6
    k = p.saddles[-1].rank
    A_star = (Uf[:, :k] * sf[:k]) @ Vft[:k] @ np.diag(1 / Sx) @ Ux.T
    fam = next(f for f in pivot_families(m) if f.rank == k)
    A_exact = np.array([[float(v.mid()) for v in row] for row in fam.numeric_end_to_end(m, Precision(30)).tolist()])
    assert np.allclose(A_exact, A_star, rtol=0, atol=1e-12)
    A_flow = _float_flow_final(Y, X, 2, 1e-6, seed=0)
    assert np.allclose(A_flow, A_star, atol=1e-4), (A_flow, A_star)


def _float_flow_final(M, X, depth, sigma, seed, t_end=400.0):
    """The end-to-end map at ``t_end`` of the flow of ‖W_L⋯W_1 X − M‖²/2N (n × n weights: as many outputs as inputs,
    W_l(0) = σ G_l) by SciPy's LSODA (float64, no symdln code: :mod:`tests.oracles`)."""
    from scipy.integrate import solve_ivp

    n = M.shape[0]
    G = np.random.default_rng(seed).standard_normal((depth, n, n))
    unpack, grad, _ = dln_gradient([(n, n)] * depth, X=X, Y=M)
    sol = solve_ivp(lambda t, x: -grad(x), (0, t_end), (sigma * G).ravel(), method="LSODA", rtol=1e-11, atol=1e-16)
    A = np.eye(n)
    for W in unpack(sol.y[:, -1]):
        A = W @ A
    return A


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


def _float_flow_crossings(M, depth, sigma, seed, levels, X=None, t_end=None):
    """First times the loss ‖W_L⋯W_1 X − M‖²/2N (teacher form: X = I, N = 1) falls below each level, by SciPy's LSODA
    on the weights (float64, no symdln code), from W_l(0) = σ G_l."""
    from scipy.integrate import solve_ivp

    n = M.shape[0]
    N = 1 if X is None else X.shape[1]
    X = np.eye(n) if X is None else X
    G = np.random.default_rng(seed).standard_normal((depth, n, n))

    def prod(Ws, lo, hi):  # W_{hi-1} ⋯ W_lo
        P = np.eye(n)
        for W in Ws[lo:hi]:
            P = W @ P
        return P

    def rhs(_, x):
        Ws = x.reshape(depth, n, n)
        R = (prod(Ws, 0, depth) @ X - M) @ X.T / N
        return -np.stack([prod(Ws, l + 1, depth).T @ R @ prod(Ws, 0, l).T for l in range(depth)]).ravel()

    def make(level):
        ev = lambda _, x: np.sum((prod(x.reshape(depth, n, n), 0, depth) @ X - M) ** 2) / (2 * N) - level  # noqa: E731
        ev.terminal = level == levels[-1]
        return ev

    end = 50 / sigma ** (depth - 2) if t_end is None else t_end
    sol = solve_ivp(rhs, (0, end), (sigma * G).ravel(), method="LSODA", rtol=1e-10, atol=1e-14 * sigma,
                    events=[make(v) for v in levels])
    return [float(e[0]) if len(e) else math.inf for e in sol.t_events]


def test_tied_values_are_learned_one_at_a_time_at_depth_three():
    """Spectrum (2, 2, 1) at depth 3: the tied modes escape at separate times ~σ^{-1} (init-dependent constants), so
    the flow sits on the rank-1 fit (loss 5/2) inside the tie for an interval that does not shrink in σ·t; the path
    lists that saddle, as an orbit without an end-to-end map (an independent audit found it merged, 2026-12-07).
    Depth 2 keeps the joint jump (one exponential rate)."""
    m = deep_linear(spectrum=[2, 2, 1], depth=3, widths=3, rotation_seed=None)
    p = limit_path(m)
    assert [(x.label, x.loss) for x in p.saddles] == [
        ("{}", sp.Rational(9, 2)), ("{1}", sp.Rational(5, 2)), ("{1,2}", sp.Rational(1, 2)), ("{1,2,3}", 0)]
    assert p.saddles[1].end_to_end is None and p.saddles[2].end_to_end is not None
    assert len(p.notes) == 1 and "orbit of best rank-1 fits" in p.notes[0]
    M = np.diag([2.0, 2.0, 1.0])
    gaps = []
    for sigma in (1e-3, 1e-4):
        t1, t2 = _float_flow_crossings(M, 3, sigma, 3, (3.5, 1.5))
        gaps.append((t2 - t1) * sigma)  # the plateau at 5/2, in accelerated time σ·t
    assert min(gaps) > 0.02 and max(gaps) / min(gaps) < 2, gaps
    assert [x.label for x in limit_path(deep_linear(spectrum=[2, 2, 1], widths=3)).saddles] == ["{}", "{1,2}", "{1,2,3}"]


def test_data_form_ties_follow_the_covariance():
    """Data form, depth 2: with Σxx = cI the flow is the teacher form's, tied values together; otherwise the path keeps
    every rank and says the visits inside a tie are not decided.  A target learned completely is its own end-to-end
    map even when its SVD is irrational (1, 2; 2, 4; 0, 0 = 5·uvᵀ with √5 in u, v)."""
    iso = limit_path(deep_linear(X="2,0;0,2", Y="1,0;0,1", widths=2))
    assert [x.rank for x in iso.saddles] == [0, 2] and not iso.notes
    # independent flows (own LSODA on the data loss): the plateau at the rank-1 loss 1/4 between the levels 3/8 and 1/8
    # shrinks like 1/log(1/σ) in accelerated time t/log(1/σ) when Σxx = 2I (one jump), and stays O(1) for
    # X = diag(1, 2) (escape rates 1/2 and 1: the rank-1 saddle is visited)
    def gap(Xf, sigma):
        t1, t2 = _float_flow_crossings(np.eye(2), 2, sigma, 1, (0.375, 0.125), X=Xf, t_end=12 * math.log(1 / sigma))
        return (t2 - t1) / math.log(1 / sigma)

    g_iso = [gap(np.diag([2.0, 2.0]), sg) for sg in (1e-4, 1e-12)]
    assert g_iso[1] < 0.5 * g_iso[0] and g_iso[1] < 0.1, g_iso
    g_aniso = [gap(np.diag([1.0, 2.0]), sg) for sg in (1e-4, 1e-12)]
    assert min(g_aniso) > 0.3 and g_aniso[1] > 0.7 * g_aniso[0], g_aniso
    # X = diag(1, 2), Y = I (N = 2): Σxx = diag(1, 4)/2, Σyx = diag(1, 2)/2, Σ = ΣyxΣxx⁻¹Σyxᵀ = I/2 (tied), while the
    # escape rates at 0, the singular values of Σyx, are 1/2 and 1
    Sxx, Syx = np.diag([1.0, 4.0]) / 2, np.diag([1.0, 2.0]) / 2
    assert np.allclose(Syx @ np.linalg.inv(Sxx) @ Syx.T, np.eye(2) / 2)
    aniso = limit_path(deep_linear(X="1,0;0,2", Y="1,0;0,1", widths=2))
    assert [x.rank for x in aniso.saddles] == [0, 1, 2] and "not decided" in aniso.notes[-1]
    assert aniso.saddles[1].loss == aniso.saddles[0].loss - sp.Rational(1, 4)  # c − ½μ₁
    full = limit_path(deep_linear("1,2;2,4;0,0", widths=2))
    assert full.saddles[-1].end_to_end == sp.ImmutableMatrix([[1, 2], [2, 4], [0, 0]])
