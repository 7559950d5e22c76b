import numpy as np
import pytest
import sympy as sp

from symdln.errors import ModelError, ParseError
from symdln.models import balanced_init, balancedness, check_point, deep_linear, diagonal_linear, gaussian_init, pf_init


def test_gaussian_init_is_sigma_times_numpy_draws_exactly():
    m = deep_linear(spectrum=[3, 2], widths=4, depth=3)
    th = gaussian_init(m, "1e-30", seed=3)
    rng = np.random.default_rng(3)
    for W, (r, c) in zip(th, m.shapes):
        G = rng.standard_normal((r, c))
        assert W == sp.Matrix(r, c, [sp.Rational(1, 10**30) * sp.Rational(float(g)) for g in G.ravel()])
    assert th == gaussian_init(m, "1e-30", seed=3)
    assert th != gaussian_init(m, "1e-30", seed=4)


@pytest.mark.parametrize("sigma", ["0", "-1e-3", "abc"])
def test_gaussian_init_rejects_bad_sigma(sigma):
    m = deep_linear(spectrum=[1], widths=1)
    with pytest.raises((ModelError, ParseError), match="sigma"):
        gaussian_init(m, sigma)


@pytest.mark.parametrize("depth, widths", [(2, 3), (3, 3), (3, [4, 5]), (4, 3)])
def test_balanced_init_is_balanced_and_aligned(depth, widths):
    m = deep_linear(spectrum=[3, 2, 1], depth=depth, widths=widths)
    a0 = sp.Rational(1, 10**6)
    th = balanced_init(m, a0)
    A = th[0]
    for W in th[1:]:
        A = W * A
    U, V = m.svd.U, m.svd.V
    assert sp.simplify(A - a0 * U * V.T) == sp.zeros(3, 3)
    for D in balancedness(th):
        assert sp.simplify(D) == sp.zeros(*D.shape)


def test_balanced_init_gives_a_zero_target_mode_the_scale_too():
    """Every mode's product is ``a0``, a target value of 0 included (docstring; it was left at 0)."""
    m = deep_linear(spectrum=[2, 1, 0], depth=3, widths=3, rotation_seed=4)
    a0 = sp.Rational(1, 10**6)
    th = balanced_init(m, a0)
    assert sp.simplify(th[2] * th[1] * th[0] - a0 * m.svd.U * m.svd.V.T) == sp.zeros(3, 3)


def test_pf_init_conserved_quantity():
    m = diagonal_linear("1,0;0,1", "1,2")
    u, v = pf_init(m, "1e-10")
    for i in range(2):
        assert sp.simplify(u[i] ** 2 - v[i] ** 2 - 2 * sp.Rational(1, 10**20)) == 0


def test_check_point_shapes():
    m = deep_linear(spectrum=[1], widths=2)
    with pytest.raises(ModelError, match="layer 1 has shape"):
        check_point(m, ([[1, 2]], [[1], [1]]))
    with pytest.raises(ModelError, match="2 layers"):
        check_point(m, ([[1]],))
