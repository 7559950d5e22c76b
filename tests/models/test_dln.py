from fractions import Fraction

import pytest
import sympy as sp

from symdln.errors import ModelError, ParseError
from symdln.models import cayley_orthogonal, deep_linear, diagonal_linear


def test_default_shapes_and_forms():
    m = deep_linear(spectrum=[3, 2, 1], depth=3, widths=[4, 2])
    assert m.widths == (3, 4, 2, 3) and m.depth == 3 and m.r_max == 2
    assert m.shapes == ((4, 3), (2, 4), (3, 2))
    d = deep_linear(X=[[1, 0, 1], [0, 1, 1]], Y=[[1, 2, 0]], widths=2)
    assert d.form == "data" and d.widths == (2, 2, 1)
    assert d.sxx == sp.Matrix([[2, 1], [1, 2]]) / 3
    assert d.syx == sp.Matrix([[1, 2]]) / 3
    assert d.loss_constant == sp.Rational(5, 6)


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_cayley_rotations_are_exactly_orthogonal(n, seed):
    Q = cayley_orthogonal(n, seed)
    assert Q.T * Q == sp.eye(n)
    assert all(x.is_Rational for x in Q)


def test_teacher_spectrum_is_exact():
    m = deep_linear(spectrum=["3", "2", "1/2"], widths=3, rotation_seed=5)
    M = m.target
    # independent oracle: eigenvalues of MᵀM are s²
    x = sp.Symbol("x")
    assert sp.factor(sp.Matrix(M.T * M).charpoly(x).as_expr()) == sp.factor((x - 9) * (x - 4) * (x - sp.Rational(1, 4)))
    rect = deep_linear(spectrum=[2, 1], shape=(4, 2), widths=2)
    assert rect.target.shape == (4, 2)


def test_spectrum_with_trailing_zeros_is_a_rank_deficient_target():
    """``spectrum=[2, 0]`` is the rank-1 target ``U diag(2, 0) Vᵀ``, the same model as ``spectrum=[2]`` padded to the
    2 × 2 shape; its critical sets agree with those of the same matrix given as ``target`` (the losses: ½·4 at A = 0,
    0 at the global minima)."""
    from symdln.symbolic.critical import critical_sets

    m = deep_linear(spectrum=[2, 0], depth=3, widths=2, rotation_seed=3)
    assert m.target.rank() == 1 and sp.Matrix(m.target.T * m.target).trace() == 4
    assert m.target == deep_linear(spectrum=[2], shape=(2, 2), depth=3, widths=2, rotation_seed=3).target
    sets = critical_sets(m)
    again = critical_sets(deep_linear(target=m.target, depth=3, widths=2))
    key = sorted((c.label, c.stratum, c.inertia.as_tuple(), c.kind) for c in sets)
    assert key == sorted((c.label, c.stratum, c.inertia.as_tuple(), c.kind) for c in again)
    assert {c.loss for c in sets} == {2, 0} and all(c.loss == 0 for c in sets if c.kind == "global minimum")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(spectrum=[3, 2], depth=0, widths=2), "depth"),
        (dict(spectrum=[3, 2], depth=2, widths=[2, 2]), "widths"),
        (dict(spectrum=[3, 2], depth=3, widths=[2, 0]), "widths"),
        (dict(spectrum=[3, 2], depth=2), "widths"),
        (dict(spectrum=[2, 3], widths=2), "decreasing"),
        (dict(spectrum=[2, -1], widths=2), "nonnegative"),
        (dict(spectrum=[0, 0], widths=2), "positive first value"),
        (dict(spectrum=[2, 1], widths=2, weight_decay=-1), "weight_decay"),
        (dict(X=[[1, 2]], Y=[[1, 2, 3]], widths=1), "columns"),
        (dict(X=[[1, 2]], widths=1), "both"),
        (dict(spectrum=[1], target=[[1]], widths=1), "exactly one"),
    ],
)
def test_bad_models_name_the_argument(kwargs, match):
    with pytest.raises(ModelError, match=match):
        deep_linear(**kwargs)


@pytest.mark.parametrize(
    "target, match",
    [
        ([[1.5, 0], [0, 1]], "binary float"),
        (sp.Matrix([[sp.Float("1.5")]]), "SymPy Float"),
        ([[1, "abc"]], r"target\[0,1\]"),
        ([["nan"]], "not an exact number"),
        ([[1, 2], [3]], "rows"),
    ],
)
def test_bad_entries(target, match):
    with pytest.raises(ParseError, match=match):
        deep_linear(target, widths=1)


def test_diagonal_model_checks_shapes():
    m = diagonal_linear("1,1/2;1/2,1", "1,0")
    assert m.dim == 2 and m.n_samples == 2
    with pytest.raises(ModelError, match="rows"):
        diagonal_linear("1,1/2;1/2,1", "1,0,1")
    assert m.loss_beta(sp.Matrix([0, 0])) == Fraction(1, 4)


def test_rational_svd_of_targets():
    from symdln.models.targets import rational_svd

    for text, s in [("3,0,0;0,2,0;0,0,1", (3, 2, 1)), ("0,2;3,0", (3, 2)), ("3,0;0,0;0,1", (3, 1))]:
        m = deep_linear(text, widths=2)
        assert m.svd is not None and m.svd.s == s and m.svd.matrix() == m.target
        assert m.svd.U.T * m.svd.U == sp.eye(m.target.shape[0]) and m.svd.V.T * m.svd.V == sp.eye(m.target.shape[1])
    assert deep_linear("1,1;0,1", widths=2).svd is None  # golden-ratio singular values
    tied = deep_linear("0,2;-2,0", widths=2).svd  # repeated singular value: an orthonormal rational basis exists
    assert tied.s == (2, 2) and tied.matrix() == sp.Matrix([[0, 2], [-2, 0]]) and tied.V.T * tied.V == sp.eye(2)
    assert deep_linear("1,1;1,-1", widths=2).svd is None  # singular values √2, √2
    assert rational_svd(sp.Matrix([[1, 2]])) is None  # singular value √5


def test_diagonal_target_has_the_same_landscape_as_a_rotated_one():
    from symdln.symbolic.critical import critical_sets

    a = critical_sets(deep_linear("3,0,0;0,2,0;0,0,1", widths=2, depth=3))
    b = critical_sets(deep_linear(spectrum=[3, 2, 1], widths=2, depth=3, rotation_seed=3))
    assert [(c.label, c.stratum, c.inertia, c.kind, c.order) for c in a] == [(c.label, c.stratum, c.inertia, c.kind, c.order) for c in b]
