"""Critical sets against the classical results (MATH §2) and independent computations."""

import itertools

import numpy as np
import pytest
import sympy as sp

from symdln.errors import ModelError
from symdln.models import cayley_orthogonal, deep_linear, diagonal_linear
from symdln.symbolic import gradient, hessian, loss_expr
from symdln.symbolic.analysis import analyze_point
from symdln.symbolic.critical import critical_sets, pivot_family_dimension
from .test_inertia import descartes_inertia


def _labels(c):
    return sorted(int(x) for x in c.label.strip("{}").split(",") if x)


@pytest.mark.parametrize(
    "spectrum, shape, h",
    [([3, 2, 1], (3, 3), 3), ([3, 2, 1], (3, 3), 2), ([4, 3, 2, 1], (4, 4), 2), ([5, 3], (2, 2), 1), ([3, 2, 1], (4, 3), 3)],
)
def test_depth2_baldi_hornik(spectrum, shape, h):
    """Depth 2: every non-global critical set is a strict saddle, the global minima have no negative eigenvalue,
    and the index is #{i∉S, j∈S, i<j} + (h − |S|)(R − |S|) (swaps plus unused hidden units)."""
    m = deep_linear(spectrum=spectrum, shape=shape, widths=h)
    R = len(spectrum)
    sets = critical_sets(m)
    assert {c.label for c in sets} == {"{" + ",".join(map(str, S)) + "}" for k in range(min(h, R) + 1) for S in itertools.combinations(range(1, R + 1), k)}
    for c in sets:
        S = _labels(c)
        r = len(S)
        assert c.analysis.is_critical
        assert all(g.is_zero_matrix for g in gradient(m, c.point))  # closed form
        assert c.loss == loss_expr(m, c.point) == sp.Rational(sum(spectrum[i - 1] ** 2 for i in range(1, R + 1) if i not in S), 2)
        if S == list(range(1, min(h, R) + 1)):
            assert c.kind == "global minimum" and c.inertia.negative == 0
        else:
            assert c.kind == "strict saddle" and c.order == 2
        swaps = sum(1 for i in range(1, R + 1) if i not in S for j in S if i < j)
        assert c.inertia.negative == swaps + (h - r) * (R - r)


def test_inertia_matches_sympy_hessian_and_descartes():
    m = deep_linear(spectrum=[2, 1], widths=2, depth=2, rotation_seed=2)
    for c in critical_sets(m):
        H = hessian(m, c.point)  # closed form, and below sympy.hessian of the loss: independent
        W = [sp.Matrix(W.shape[0], W.shape[1], lambda i, j, l=l: sp.Symbol(f"x{l}_{i}_{j}")) for l, W in enumerate(c.point)]
        flat = [w for Wl in W for w in Wl]
        L = loss_expr(m, W)
        subs = {w: v for Wl, P in zip(W, c.point) for w, v in zip(Wl, P)}
        H_ref = sp.hessian(L, flat).subs(subs)
        assert H == H_ref
        assert c.inertia.as_tuple() == descartes_inertia(H_ref)


def test_inertia_invariant_under_orthogonal_symmetry():
    m = deep_linear(spectrum=[3, 2, 1], widths=3, depth=3)
    Q1, Q2 = cayley_orthogonal(3, 11), cayley_orthogonal(3, 12)
    for c in critical_sets(m)[:6]:
        W1, W2, W3 = c.point
        moved = (Q1 * W1, Q2 * W2 * Q1.T, W3 * Q2.T)
        a = analyze_point(m, moved)
        assert a.inertia == c.inertia and a.kind == c.kind
    # and under rotating the target (same spectrum, other singular vectors)
    other = deep_linear(spectrum=[3, 2, 1], widths=3, depth=3, rotation_seed=9)
    assert [(c.label, c.inertia) for c in critical_sets(other)] == [(c.label, c.inertia) for c in critical_sets(m)]


@pytest.mark.parametrize("L", [3, 4])
def test_origin_is_a_non_strict_saddle_of_order_L(L):
    m = deep_linear(spectrum=[2, 1], widths=2, depth=L)
    origin = next(c for c in critical_sets(m) if c.stratum == "origin")
    H = hessian(m, origin.point)
    assert H.is_zero_matrix  # independent of the inertia code
    assert origin.inertia.as_tuple() == (0, m.n_params, 0)
    assert origin.kind == "non-strict saddle" and origin.order == L
    d = origin.analysis.escape[0].direction
    _check_descent(m, origin.point, d, L)


def _check_descent(m, point, d, order):
    """Independently: ℒ(θ + εd) − ℒ(θ) has leading term of degree `order` and negative coefficient."""
    eps = sp.Symbol("eps")
    k = 0
    moved = []
    for W in point:
        r, c = W.shape
        D = sp.Matrix(r, c, [sp.Rational(int(x.p), int(x.q)) for x in d[k : k + r * c]])
        moved.append(sp.Matrix(W) + eps * D)
        k += r * c
    poly = sp.Poly(sp.expand(loss_expr(m, moved) - loss_expr(m, point)), eps)
    low = min(mon[0] for mon in poly.monoms())
    assert low == order and poly.coeff_monomial(eps**low) < 0


def test_depth3_same_pivot_set_has_strict_and_non_strict_strata():
    m = deep_linear(spectrum=[2, 1], widths=3, depth=3)
    strata = {c.stratum: c for c in critical_sets(m) if c.label == "{1}"}
    bal, gen = strata["balanced"], strata["generic"]
    assert bal.kind == "non-strict saddle" and bal.order == 3
    assert descartes_inertia(hessian(m, bal.point))[0] == 0
    _check_descent(m, bal.point, bal.analysis.escape[0].direction, 3)
    assert gen.kind == "strict saddle" and descartes_inertia(hessian(m, gen.point))[0] > 0
    assert bal.loss == gen.loss == sp.Rational(1, 2)
    assert bal.end_to_end == gen.end_to_end


def test_pivot_family_dimension_is_the_orbit_dimension_at_depth2():
    """At depth 2, B_S is one orbit of GL(h): its dimension is the rank of δW1 = XW1, δW2 = −W2X."""
    for spectrum, h in (([3, 2, 1], 3), ([3, 2, 1], 2), ([2, 1], 4)):
        m = deep_linear(spectrum=spectrum, widths=h)
        for c in critical_sets(m):
            W1, W2 = c.point
            cols = []
            for i in range(h):
                for j in range(h):
                    X = sp.zeros(h, h)
                    X[i, j] = 1
                    cols.append(list(X * W1) + list(-W2 * X))
            orbit = sp.Matrix(cols).rank()
            assert c.dimension == orbit == pivot_family_dimension(m.widths, len(_labels(c)))


def test_diagonal_sets_are_restricted_least_squares():
    X = sp.Matrix([[1, sp.Rational(1, 2), sp.Rational(7, 10), 0], [sp.Rational(1, 2), 1, sp.Rational(1, 10), sp.Rational(7, 10)]])
    y = sp.Matrix([1, 0])
    m = diagonal_linear(X, y)
    sets = critical_sets(m)
    Xf, yf = np.array(X.tolist(), dtype=float), np.array(y.tolist(), dtype=float).ravel()
    for c in sets:
        beta = np.array([float(b) for b in c.end_to_end])
        supp = np.flatnonzero(beta)
        if len(supp):
            ref, *_ = np.linalg.lstsq(Xf[:, supp], yf, rcond=None)
            assert np.allclose(beta[supp], ref, atol=1e-12)
        assert c.analysis.is_critical
        assert c.loss == m.loss_beta(sp.Matrix(list(c.end_to_end)))
        assert c.inertia.zero >= c.dimension  # the tangent space of the critical set lies in the kernel
        if c.loss == 0:
            assert c.kind == "global minimum"
            # the interpolating set {X(u⊙v) = y}: d hyperbola fibres over a (d − rank X)-dimensional affine set
            assert c.dimension == c.inertia.zero == 2 * 4 - X.rank()
        else:
            assert c.kind == "strict saddle"
    losses = sorted({c.loss for c in sets}, reverse=True)
    # the published plateaus (MATH §4.1) are among the critical values
    assert {sp.Rational(1, 4), sp.Rational(1, 20), sp.Rational(1, 200), 0} <= set(losses)


def test_critical_sets_refuse_what_they_cannot_do_exactly():
    with pytest.raises(ModelError, match="`X` is zero"):
        deep_linear(X=[[0, 0], [0, 0]], Y=[[1, 0]], widths=1)
    with pytest.raises(ModelError, match="weight decay"):
        critical_sets(deep_linear(spectrum=[2, 1], widths=2, weight_decay="1/10"))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(target="2,1;0,1", widths=2),  # golden-ratio singular values
        dict(target="2,1,0;0,1,1;1,0,3", widths=2),  # cubic eigenvalues
        dict(X=[[1, 0, 1, 2], [0, 1, 1, -1], [1, 1, 0, 0]], Y=[[1, 2, 0, 1], [0, 1, 1, 1]], widths=2),  # data form
        dict(X=[[1, 0, 2], [0, 1, 1]], Y=[[1, 2, 0], [0, 1, 1], [1, 1, 1]], widths=2),
    ],
)
def test_irrational_and_data_form_families_in_number_fields(kwargs):
    """Representatives with coordinates in ℚ(μ_S): exactly critical, losses as stated, Baldi–Hornik index at depth 2."""
    m = deep_linear(**kwargs)
    sets = critical_sets(m)
    sigma = sp.Matrix(m.syx) * sp.Matrix(m.sxx).inv() * sp.Matrix(m.syx).T
    R = sigma.rank()
    h = m.widths[1]
    for c in sets:
        assert c.analysis.is_critical
        S = _labels(c)
        r = len(S)
        # the loss at the representative, evaluated independently from its coordinates (60 digits)
        direct = sp.N(loss_expr(m, [sp.Matrix(W) for W in c.point]), 60)
        assert abs(direct - sp.N(c.loss, 60)) < 1e-40
        swaps = sum(1 for i in range(1, R + 1) if i not in S for j in S if i < j)
        assert c.inertia.negative == swaps + (h - r) * (R - r)
        expected = "global minimum" if S == list(range(1, min(h, R) + 1)) else "strict saddle"
        assert c.kind == expected


def test_depth3_irrational_target_keeps_the_non_strict_balanced_stratum():
    m = deep_linear("2,1;0,1", widths=3, depth=3)
    strata = {c.stratum: c for c in critical_sets(m) if c.label == "{1}"}
    assert strata["balanced"].kind == "non-strict saddle" and strata["balanced"].order == 3
    assert strata["generic"].kind == "strict saddle"


def test_balanced_points_with_radicals_have_the_orbit_inertia():
    """Saxe's balanced critical points (entries √s_i) analysed in ℚ(√2, √3) agree with the rational orbit points."""
    m = deep_linear(spectrum=[3, 2], widths=2)
    U, V = m.svd.U, m.svd.V
    by_label = {c.label: c for c in critical_sets(m)}
    for S, diag in (("{1}", [sp.sqrt(3), 0]), ("{2}", [0, sp.sqrt(2)]), ("{1,2}", [sp.sqrt(3), sp.sqrt(2)])):
        D = sp.diag(*diag)
        a = analyze_point(m, (D * V.T, U * D))
        assert a.is_critical and a.inertia == by_label[S].inertia and a.kind == by_label[S].kind


def test_depth1_has_only_the_minimum():
    m = deep_linear(spectrum=[2, 1], depth=1)
    sets = critical_sets(m)
    assert [(c.label, c.kind) for c in sets] == [("{1,2}", "global minimum")]
    assert sets[0].analysis.is_critical and sets[0].inertia.as_tuple() == (0, 0, 4)


@pytest.mark.parametrize("spectrum, shape, h", [([3, 2, 1], (4, 3), 3), ([3, 2, 1], (3, 5), 4), ([2, 1], (4, 4), 3)])
def test_depth2_critical_set_dimension_equals_nullity_on_rectangular_targets(spectrum, shape, h):
    """Depth 2 with null spaces of M: C_S is listed by strata (B_S, and the strata with weights along the null
    directions); the largest has the whole C_S's dimension (the formula), every stratum's nullity bounds its dimension,
    and at the top strata the nullity equals it (Morse–Bott there)."""
    from symdln.symbolic.critical import depth2_critical_set_dimension

    m = deep_linear(spectrum=spectrum, shape=shape, widths=h)
    sets = critical_sets(m)
    for label in {c.label for c in sets}:
        strata = [c for c in sets if c.label == label]
        whole = depth2_critical_set_dimension(m.widths, len(spectrum), len(_labels(strata[0])))
        assert max(c.dimension for c in strata) == whole
        assert all(c.inertia.zero >= c.dimension for c in strata)
        if shape != (4, 4):
            assert all(c.inertia.zero == c.dimension for c in strata if c.dimension == whole)


def test_depth2_dimension_at_a_generic_point_of_the_extra_component():
    """(4,3) target, S = {1}: W_2 = U_S X + n y (n spans null Mᵀ, y ⊥ col Z) is critical with A = A_S and Morse–Bott:
    the nullity there equals the formula (an independent point of C_S, away from the balanced one)."""
    from symdln.symbolic.critical import depth2_critical_set_dimension

    m = deep_linear(spectrum=[3, 2, 1], shape=(4, 3), widths=3)
    U, V = m.svd.U, m.svd.V
    Z = sp.Matrix([[1], [2], [-1]])
    X = sp.Matrix([[3, 1, 2]])  # X Z = 3 = s_1
    y = sp.Matrix([[2, -1, 0]])  # y Z = 0
    W2 = U[:, 0] * X + U[:, 3] * y
    W1 = Z * V[:, 0].T
    a = analyze_point(m, (W1, W2))
    assert a.is_critical and W2 * W1 == 3 * U[:, 0] * V[:, 0].T
    assert a.inertia.zero == depth2_critical_set_dimension(m.widths, 3, 1) == 7


def test_escape_rates_at_irrational_strict_saddles_are_the_exact_negative_ones():
    """Target [[1, 2], [3, 4]] (singular vectors in ℚ(√221)), depth 3, width 1: the strict saddle {2} has one negative
    Hessian eigenvalue, and a float eigenvalue of ~1e-16 from its kernel was listed as a second escape direction
    (found by an independent sweep).  Now the escape directions are exactly as many as the exact inertia's negative
    count, and each printed rate agrees, to every digit it prints, with the eigenvalue from mpmath at 50 digits of
    SymPy's Hessian of the loss written here."""
    import mpmath
    import sympy as sp

    from symdln.models import deep_linear
    from symdln.symbolic.critical import critical_sets

    M = sp.Matrix([[1, 2], [3, 4]])
    m = deep_linear(target=M, depth=3, widths=1)
    ws = sp.symbols("w0:5")
    W = [sp.Matrix(1, 2, ws[:2]), sp.Matrix(1, 1, ws[2:3]), sp.Matrix(2, 1, ws[3:])]
    loss = sum(e**2 for e in (W[2] * W[1] * W[0] - M)) / 2
    H = sp.hessian(loss, ws)
    for c in critical_sets(m):
        if c.analysis.inertia.negative == 0 or c.analysis.escape[0].rate_exact is not None:
            continue
        assert len(c.analysis.escape) == c.analysis.inertia.negative, (c.label, c.analysis.escape)
        pt = dict(zip(ws, [x for Wl in c.point for x in Wl]))
        ctx = mpmath.MPContext()
        ctx.dps = 50
        Hn = ctx.matrix([[sp.N(x, 60) for x in row] for row in H.subs(pt).tolist()])
        neg = sorted(-v for v in ctx.eigsy(Hn)[0] if v < 0)[::-1]
        for e, want in zip(c.analysis.escape, neg):
            got = ctx.mpf(e.rate)
            digits = len(e.rate.replace(".", "").replace("-", "").lstrip("0"))
            assert abs(got - want) <= 10 ** -(digits - 1) * abs(want), (c.label, e.rate, want)
