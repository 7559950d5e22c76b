"""Pivot families: every A_S is an exact critical point with the stated loss (independent checks)."""

import pytest
import sympy as sp

from symdln.models import deep_linear
from symdln.precision import Precision
from symdln.symbolic import gradient, loss_expr
from symdln.symbolic.pivots import pivot_families


@pytest.mark.parametrize("seed", [0, 3])
def test_teacher_families_are_critical_with_closed_form_loss(seed):
    s = [sp.Integer(4), sp.Integer(2), sp.Rational(1, 2)]
    m = deep_linear(spectrum=s, widths=3, rotation_seed=seed)
    fams = pivot_families(m)
    assert len(fams) == 8
    U, V = m.svd.U, m.svd.V
    for f in fams:
        S = sorted(f.label)
        # a balanced factorization of A_S: W_2 = U_S diag(s_S), W_1 = [V_Sᵀ; 0] (exact, not balanced but critical)
        W2 = sp.zeros(3, 3)
        W1 = sp.zeros(3, 3)
        for k, i in enumerate(S):
            W2[:, k] = U[:, i - 1] * s[i - 1]
            W1[k, :] = V[:, i - 1].T
        th = (W1, W2)
        assert loss_expr(m, th) == f.loss == sum((s[i] ** 2 for i in range(3) if i + 1 not in f.label), sp.Integer(0)) / 2
        assert all(g.is_zero_matrix for g in gradient(m, th))
        assert W2 * W1 == f.end_to_end
        assert f.is_global == (f.label == frozenset({1, 2, 3}))


def test_general_target_losses_match_float_svd():
    import numpy as np

    M = [[2, 1, 0], [0, 1, 3]]
    m = deep_linear(M, widths=1)
    fams = pivot_families(m)
    assert [f.name for f in fams] == ["{}", "{1}", "{2}"]  # r_max = 1
    s = np.linalg.svd(np.array(M, dtype=float), compute_uv=False)
    for f, expect in zip(fams, [0.5 * (s**2).sum(), 0.5 * s[1] ** 2, 0.5 * s[0] ** 2]):
        assert abs(float(sp.N(f.loss, 30)) - expect) < 1e-12
    p = Precision(40)
    with p.flint():
        A = fams[1].numeric_end_to_end(m, p)
        Af = np.array([[float(A[i, j].mid()) for j in range(3)] for i in range(2)])
    Uf, sf, Vf = np.linalg.svd(np.array(M, dtype=float))
    assert np.allclose(Af, sf[0] * np.outer(Uf[:, 0], Vf[0]), atol=1e-13)


def test_data_form_reduced_rank_regression():
    """Critical maps of the data form: loss at A_S equals (1/2N)‖A_S X − Y‖² computed directly."""
    X = sp.Matrix([[1, 0, 1, 2], [0, 1, 1, -1], [1, 1, 0, 0]])
    Y = sp.Matrix([[1, 2, 0, 1], [0, 1, 1, 1]])
    m = deep_linear(X=X, Y=Y, widths=1)
    p = Precision(40)
    for f in pivot_families(m):
        with p.flint():
            A = f.numeric_end_to_end(m, p)
        Am = sp.Matrix(2, 3, lambda i, j: sp.Float(A[i, j].mid().str(45, radius=False), 45))
        direct = sum(x**2 for x in (Am * X - Y)) / 8
        assert abs(sp.N(direct - f.loss, 40)) < sp.Float("1e-30")


def test_weight_decay_families_solve_the_per_mode_equation():
    lam = sp.Rational(1, 10)
    convex = pivot_families(deep_linear(spectrum=[3, 2], depth=1, weight_decay=lam))
    # depth 1: ℒ = ½‖W − M‖² + (λ/2)‖W‖² is convex, one minimum W = M/(1+λ)
    assert [f.name for f in convex] == ["{1,2}"]
    assert convex[0].loss == (sp.Rational(9 + 4, 2)) * lam / (1 + lam)
    for L in (2, 3):
        m = deep_linear(spectrum=[3, 2], depth=L, widths=2 if L > 1 else None, weight_decay=lam)
        fams = {f.name: f for f in pivot_families(m)}
        # one active mode of value a: f'(a) = a − s + λ a^{2/L − 1} = 0 and loss = ½(a−s)² + λL/2 a^{2/L} + ½ s_other²
        for name, s_on, s_off in (("{1}", 3, 2), ("{2}", 2, 3)):
            loss = fams[name].loss
            a = sp.Symbol("a", positive=True)
            fa = (a - s_on) ** 2 / 2 + lam * L / 2 * a ** sp.Rational(2, L)
            root = sp.nsolve(sp.diff(fa, a), a, s_on, prec=50)
            assert abs(sp.N(loss - (fa.subs(a, root) + sp.Rational(s_off**2, 2)), 30)) < 1e-20
