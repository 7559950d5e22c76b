"""The Landscape record: typed labels, locate, and the random-start oracle of critical points (issue: a critical
point found by minimizing ‖∇ℒ‖² from random starts must be located in a listed stratum of the same inertia, or be
reported as unlisted)."""

import random

import flint
import numpy as np
import pytest
import sympy as sp

from symdln.errors import OptionError
from symdln.models import deep_linear, diagonal_linear
from symdln.symbolic.landscape import StratumLabel, landscape

from ..oracles import descartes_inertia, dln_gradient, fd_hessian, lm_critical_points


def test_labels_are_typed_and_round_trip():
    for text, family, members in [("{}", "pivots", ()), ("{1,3}", "pivots", (1, 3)), ("Z{1,2}", "zero_layers", (1, 2)),
                                  ("{+1,-3}", "support", (1, -3))]:
        lab = StratumLabel.parse(text)
        assert (lab.family, lab.members, lab.text) == (family, members, text)
        assert StratumLabel.parse(lab.text, diagonal=family == "support") == lab
    for junk in ("{1,2", "1,2", "{a}", "__import__('os')"):
        with pytest.raises(OptionError):
            StratumLabel.parse(junk)


def test_critical_sets_is_a_view_of_the_landscape():
    from symdln.symbolic.critical import critical_sets

    m = deep_linear(spectrum=[2, 1], widths=2, depth=3)
    L = landscape(m)
    assert [(c.label, c.stratum, c.inertia) for c in critical_sets(m)] == [(s.label.text, s.label.stratum, s.inertia) for s in L]
    assert L["{1}", "generic"].kind == "strict saddle" and L.minima[0].label.text == "{1,2}"


def _gl(n, rng):
    while True:
        g = sp.Matrix(n, n, lambda i, j: int(rng.integers(-2, 3)))
        if g.det() != 0:
            return g


@pytest.mark.parametrize("depth,widths,diag", [(2, 3, False), (3, 2, False), (3, 2, True)])
def test_locate_finds_each_stratum_along_its_symmetry_orbit(depth, widths, diag):
    """Moving a representative along the symmetry W_l → g_l W_l g_{l−1}⁻¹ keeps it in its stratum (the rank signature
    and A_θ are invariant): locate must name the same stratum, with an exact signature match."""
    rng = np.random.default_rng(5)
    if diag:
        m = diagonal_linear("1,1/2,7/10,0;1/2,1,1/10,7/10", "1,0")
        L = landscape(m)
        for s in L:
            u, v = s.point
            c = sp.Rational(3, 2)
            moved = (sp.Matrix(u) * c, sp.Matrix(v) / c)  # u ⊙ v unchanged
            assert L.locate(moved).stratum is s
        return
    m = deep_linear(spectrum=[3, 2, 1], widths=widths, depth=depth, rotation_seed=1)
    L = landscape(m)
    for s in L:
        W = [sp.Matrix(x) for x in s.point]
        gs = [None] + [_gl(W[l].rows, rng) for l in range(len(W) - 1)] + [None]
        moved = []
        for l, Wl in enumerate(W):
            X = Wl
            if gs[l + 1] is not None:
                X = gs[l + 1] * X
            if gs[l] is not None:
                X = X * gs[l].inv()
            moved.append(X)
        loc = L.locate(moved)
        assert loc.exact_match and loc.stratum is s, (s.label, s.label.stratum, loc.reason)
        assert loc.gradient_norm < 1e-9 and abs(loc.loss - float(s.loss)) < 1e-9


def _numpy_flow(M, shapes):
    """Loss gradient of the teacher form ½‖W_L⋯W_1 − M‖² in numpy (independent of symdln), and its Hessian by
    central differences (:mod:`tests.oracles`)."""
    unpack, grad, _ = dln_gradient(shapes, M=M)
    return unpack, grad, lambda x: fd_hessian(grad, x)


def _random_critical_points(m, land, *, seed, starts, with_point=False):
    """``(location, (index, nullity))`` of the critical points Levenberg–Marquardt on ∇ℒ = 0 (float64) reaches from
    random starts, the index and nullity from an independent finite-difference Hessian."""
    M = np.array(sp.Matrix(m.target).evalf(30).tolist(), dtype=float)
    unpack, grad, hess = _numpy_flow(M, m.shapes)
    for x, inertia in lm_critical_points(grad, hess, sum(r * c for r, c in m.shapes), seed=seed, starts=starts):
        out = land.locate(unpack(x), rtol=1e-7), inertia
        yield (*out, x) if with_point else out


@pytest.mark.parametrize("depth,widths", [(2, 3), (3, 2)])
def test_random_start_critical_points_are_located_with_their_inertia(depth, widths):
    """Critical points from Levenberg–Marquardt on ∇ℒ = 0 (float64) from random starts: each is located in a listed
    stratum with the same Hessian index and nullity as an independent finite-difference Hessian, or refused with a
    reason (a rank resting on a tiny singular value); at depth 3 the cuts at other hidden layers and the A = 0
    points with one zero layer are listed, so no found point has a signature the landscape lacks."""
    m = deep_linear(spectrum=[3, 2, 1], widths=widths, depth=depth, rotation_seed=1)
    L = landscape(m)
    located = unlisted = 0
    for loc, (neg, zero) in _random_critical_points(m, L, seed=11, starts=14):
        if loc.exact_match:
            located += 1
            assert (neg, zero) == (loc.stratum.inertia.negative, loc.stratum.inertia.zero), (loc.label, loc.signature)
        else:  # only honest refusals: too near a smaller stratum, or a special point (never an unlisted signature)
            unlisted += 1
            assert "no listed stratum" not in loc.reason and loc.reason, loc.reason
    assert located >= 5 and unlisted <= 3


def test_ctrl_c_keeps_the_finished_strata(monkeypatch, capsys):
    """Ctrl-C during the eighth exact analysis: the landscape keeps the strata finished before it and says it is partial;
    `symdln critical` prints them and exits 130."""
    import symdln.symbolic.critical as crit
    from symdln.cli import main

    calls = [0]

    def interrupting(orig):
        def analyze(*a, **k):
            calls[0] += 1
            if calls[0] == 8:
                raise KeyboardInterrupt
            return orig(*a, **k)
        return analyze

    monkeypatch.setattr(crit, "analyze_exact", interrupting(crit.analyze_exact))
    monkeypatch.setattr(crit, "analyze_point", interrupting(crit.analyze_point))
    L = landscape(deep_linear(spectrum=[3, 2, 1], widths=2, depth=3))
    assert not L.complete and 1 <= len(L) < 26 and "interrupted" in repr(L)  # 26 strata when complete
    calls[0] = 0
    assert main(["critical", "--depth", "3", "--widths", "2", "--spectrum", "3,2,1"]) == 130
    assert "interrupted" in capsys.readouterr().out


def test_listing_says_what_it_does_not_list(capsys):
    """Depth ≥ 3: the cuts module does not construct every complement whose product vanishes, so the listing is not
    exhaustive and says so (text and JSON); depth 2 (every critical point lies in a pivot family) is exhaustive."""
    import json

    from symdln.cli import main

    deep = landscape(deep_linear(spectrum=[2, 1], widths=2, depth=3))
    assert deep.complete and not deep.exhaustive and any("overlapping zero-product chains" in w for w in deep.not_listed)
    assert landscape(deep_linear(spectrum=[2, 1], widths=2)).exhaustive
    assert main(["critical", "--depth", "3", "--widths", "2", "--spectrum", "2,1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["complete"] is True and out["exhaustive"] is False and out["not_listed"]
    assert main(["critical", "--depth", "3", "--widths", "2", "--X", "1,0,1;0,1,1", "--Y", "1,2,0;0,1,1"]) == 0
    text = capsys.readouterr().out
    assert "not listed: in the data form, the strata in the complement of nonempty pivot sets" in text



def test_irrational_pivot_representatives_say_their_complement_strata_are_not_listed():
    """Target [[2,1],[0,1]] (singular vectors involve √5): the complement strata of {1} and {2} (a cut at layer 2,
    listed for targets with rational singular vectors) are not constructed over number fields. The landscape
    names those pivot sets in not_listed, and an exact critical point of such a stratum (the {1} representative
    with a second column t·u₂ in W₃, u₂ ⟂ the learned output direction, W₂'s complement entry 0) is located as
    unlisted, not placed in a stratum."""
    import sympy as sp

    m = deep_linear(target=[[2, 1], [0, 1]], widths=2, depth=3)
    land = landscape(m)
    text = " ".join(land.not_listed)
    assert "pivot sets {1}, {2}" in text and "irrational" in text and "{1,2}" not in text
    bal = next(s for s in land.strata if s.label.text == "{1}" and s.label.stratum == "balanced")
    W1, W2, W3 = (sp.Matrix(W) for W in bal.point)
    u1 = W3[:, 0] / W3[:, 0].norm()
    u2 = sp.Matrix([-u1[1], u1[0]])
    # the complement: W3's second column t·u2 (W2's second row and column zero) keeps the gradient zero
    W3c = W3.copy()
    W3c[:, 1] = sp.Rational(1) * u2
    W2c = W2.copy()
    W2c[1, :] = sp.zeros(1, 2)
    W2c[:, 1] = sp.zeros(2, 1)
    point = (W1, W2c, W3c)
    from symdln.symbolic.analysis import analyze_point

    a = analyze_point(m, point)
    assert a.is_critical and a.inertia.as_tuple() == (1, 7, 4)
    where = land.locate(point)
    assert not where.exact_match

def test_free_complement_holds_the_minima_gradient_descent_finds():
    """Widths (3, 2) at depth 3 (n_2 = |S| = 2 for S = {1,2}): the complement layer 2 is empty, so W_1 is free to
    carry a third row in W_2's kernel. Random-start Levenberg–Marquardt ends there (W_1 of rank 3): such global
    minima were unlisted (B_S asks every partial product to have rank |S|). Each is located in the listed
    "free complement" stratum with the index and nullity of an independent finite-difference Hessian, and the
    stratum's claimed inertia holds at random points of it (random complement rows, exact Descartes count)."""
    m = deep_linear(spectrum=[3, 2, 1], widths=[3, 2], depth=3, rotation_seed=1)
    L = landscape(m)
    free = [s for s in L.strata if s.label.stratum.startswith("free complement")]
    assert {s.label.text for s in free} == {"{1,2}", "{1,3}", "{2,3}"}
    glob = next(s for s in free if s.label.text == "{1,2}")
    # by hand: W_1 ∈ GL(3) (9), W_2 (2×3, 6) with W_2W_1's row space the one of A_S (−2), then W_3 is fixed by
    # W_3 W_2 W_1 = A_S: 9 + 6 − 2 = 13
    assert glob.kind == "global minimum" and glob.dimension == glob.inertia.zero == 13
    found = 0
    for loc, (neg, zero) in _random_critical_points(m, L, seed=5, starts=20):
        if loc.exact_match and loc.stratum in free:
            assert (neg, zero) == (loc.stratum.inertia.negative, loc.stratum.inertia.zero)
            found += 1
    assert found >= 3  # (before: no listed stratum had their rank signature)
    # random points of the stratum: the learned blocks of the representative, a random third row of W_1 in the
    # direction W_2 kills
    from symdln.symbolic.calculus import gradient, hessian

    W1, W2, W3 = (sp.Matrix(W) for W in glob.point)
    k = W2.nullspace()[0]  # W_2 k = 0: the empty complement direction of hidden layer 1
    prng = random.Random(4)
    for _ in range(3):
        row = sp.Matrix([[sp.Rational(prng.randint(-5, 5), prng.randint(1, 4)) for _ in range(3)]])
        pt = [W1 + k * row, W2, W3]
        assert all(g.is_zero_matrix for g in gradient(m, pt))
        Hq = flint.fmpq_mat([[flint.fmpq(int(x.p), int(x.q)) for x in r] for r in hessian(m, pt).tolist()])
        from symdln.symbolic.inertia import charpoly_inertia, symmetric_charpoly

        assert charpoly_inertia(symmetric_charpoly(Hq)) == glob.inertia


def test_lower_rank_zero_layer_strata_hold_the_points_random_starts_find():
    """Widths (3, 2): random-start searches often end at W_2 = W_3 = 0 with W_1 of rank 1 or 2 (before: unlisted).
    Those strata are listed with the exact dimension k(m + n − k) of rank-k 3×3 matrices, and the points found are
    located in them with the index and nullity of an independent finite-difference Hessian."""
    m = deep_linear(spectrum=[3, 2, 1], widths=[3, 2], depth=3, rotation_seed=1)
    L = landscape(m)
    low = {s.label.stratum: s for s in L.strata if s.label.text == "Z{2,3}"}
    assert {"generic", "W_1 rank 1", "W_1 rank 2"} <= set(low)
    assert (low["W_1 rank 1"].dimension, low["W_1 rank 2"].dimension) == (5, 8)
    assert all(s.inertia.zero >= s.dimension for s in low.values())
    found = cones = 0
    M = np.array(sp.Matrix(m.target).evalf(30).tolist(), dtype=float)
    _, grad, hess = _numpy_flow(M, m.shapes)
    for loc, (neg, zero), x in _random_critical_points(m, L, seed=5, starts=20, with_point=True):
        if loc.exact_match and loc.stratum.label.text == "Z{2,3}":
            assert (neg, zero) == (loc.stratum.inertia.negative, loc.stratum.inertia.zero)
            found += 1
        elif "read as zero" in loc.reason:
            # W_2, W_3 tiny but not zero, critical at their own size: a cone (W_3W_2 = 0 at every scale).  These were
            # matched "exactly" to Z{2,3} before; the cone's points are not Z{2,3}'s: scaled up to 0.1 the layers stay
            # critical and the Hessian (here, independent) has more negative eigenvalues than Z{2,3}'s
            n1 = m.shapes[0][0] * m.shapes[0][1]
            c = 0.1 / np.abs(x[n1:]).max()
            y = np.concatenate([x[:n1], x[n1:] * np.sqrt(c)])
            ev = np.linalg.eigvalsh(hess(y))
            assert np.linalg.norm(grad(y)) < 1e-12
            assert int((ev < -1e-9 * np.abs(ev).max()).sum()) > low["W_1 rank 1"].inertia.negative
            cones += 1
    assert found >= 2 and cones >= 3, (found, cones)


def test_b_empty_has_its_lower_rank_middle_layers():
    """W_1 = W_3 = 0 with W_2 of rank 1 is critical (every gradient block passes through a zero layer); SymPy's exact
    Hessian at W_2 = diag(1, 0) has inertia (2, 8, 2) (characteristic polynomial, Descartes), and the landscape lists
    that stratum (it listed Z{1,2} W_3 rank 1 and Z{2,3} W_1 rank 1 but not this one) and locates the point in it."""
    import sympy as sp

    m = deep_linear(spectrum=[2, 1], widths=2, depth=3)
    ws = sp.symbols("w0:12")
    W = [sp.Matrix(2, 2, ws[4 * k:4 * k + 4]) for k in range(3)]
    loss = sum(e**2 for e in (W[2] * W[1] * W[0] - m.syx)) / 2
    pt = dict(zip(ws, [0] * 4 + [1, 0, 0, 0] + [0] * 4))
    H = sp.hessian(loss, ws).subs(pt)
    assert all(sp.diff(loss, w).subs(pt) == 0 for w in ws)
    x = sp.Symbol("x")
    coeffs = sp.Poly(H.charpoly(x).as_expr(), x).all_coeffs()  # real roots only (H symmetric): Descartes is exact
    zero = len(coeffs) - 1 - max(i for i, c in enumerate(coeffs) if c != 0)
    deg = len(coeffs) - 1

    def changes(cs):
        nz = [c for c in cs if c != 0]
        return sum(1 for a, b in zip(nz, nz[1:]) if a * b < 0)

    mirrored = [c * (-1) ** (deg - i) for i, c in enumerate(coeffs)]  # p(−x)
    assert (changes(mirrored), zero, changes(coeffs)) == (2, 8, 2)  # (negative, zero, positive) eigenvalues
    L = landscape(m)
    rows = [s for s in L.strata if s.label.text == "Z{1,3}"]
    assert [s.label.stratum for s in rows] == ["W_2 rank 1"]
    assert rows[0].inertia.as_tuple() == (2, 8, 2) and rows[0].dimension == 3
    loc = L.locate((sp.zeros(2, 2), sp.Matrix([[1, 0], [0, 0]]), sp.zeros(2, 2)))
    assert loc.exact_match and loc.stratum is rows[0]


def _sympy_inertia(loss, ws, pt):
    """(negative, zero, positive) eigenvalues of SymPy's exact Hessian at ``pt`` (Descartes on the characteristic
    polynomial: exact for a symmetric matrix), after checking the gradient vanishes there."""
    import sympy as sp

    assert all(sp.diff(loss, w).subs(pt) == 0 for w in ws)
    x = sp.Symbol("x")
    return descartes_inertia(sp.Poly(sp.hessian(loss, ws).subs(pt).charpoly(x).as_expr(), x).all_coeffs())


@pytest.mark.parametrize("seed", range(3))
def test_zero_end_layer_beside_a_vanishing_chain_is_listed(seed):
    """Depth 3, widths 2, spectrum (3, 1): W_3 = 0 with W_2 W_1 = 0 (both of rank 1), and W_1 = 0 with W_3 W_2 = 0,
    are critical (every gradient block passes through the zero layer or the zero product) and were unlisted
    (random-start searches at widths (3, 2) ended in the analogous {2} strata). Random exact points built by hand
    have SymPy's exact Hessian inertia, and the landscape lists them as Z{3} / Z{1} "chain ranks 1,1 (product 0)"
    with that inertia and locates the points there."""
    import random

    import sympy as sp

    rng = random.Random(seed)

    def vec():
        while True:
            v = sp.Matrix([sp.Rational(rng.randint(-5, 5), rng.randint(1, 4)) for _ in range(2)])
            if any(v):
                return v

    def perp(v):
        return sp.Matrix([-v[1], v[0]])

    m = deep_linear(spectrum=[3, 1], widths=2, depth=3)
    ws = sp.symbols("w0:12")
    W = [sp.Matrix(2, 2, ws[4 * k:4 * k + 4]) for k in range(3)]
    loss = sum(e**2 for e in (W[2] * W[1] * W[0] - m.syx)) / 2
    x, y, z = vec(), vec(), vec()
    W1 = x * y.T
    points = {"Z{3}": (W1, z * perp(x).T, sp.zeros(2, 2)),  # W_2 W_1 = z (x⊥ · x) yᵀ = 0
              "Z{1}": (sp.zeros(2, 2), y * x.T, z * perp(y).T)}  # W_3 W_2 = z (y⊥ · y) xᵀ = 0
    L = landscape(m)
    for label, th in points.items():
        pt = dict(zip(ws, [e for M in th for e in M]))
        got = _sympy_inertia(loss, ws, pt)
        rows = [s for s in L.strata if s.label.text == label and s.label.stratum == "chain ranks 1,1 (product 0)"]
        assert len(rows) == 1 and rows[0].inertia.as_tuple() == got == (3, 6, 3), (label, got)
        loc = L.locate(th)
        assert loc.exact_match and loc.stratum is rows[0], (label, loc.reason)


@pytest.mark.parametrize("seed", range(2))
def test_vanishing_pair_without_zero_layer_is_listed(seed):
    """Depth 4, widths (2, 3, 2), M = diag(16, 1), pivot set {1} (learned entries 2 in every layer): complement layers
    with C_3 C_2 = 0 (both rank 1), no zero layer, and C_4ᵀ T C_1ᵀ = 0 (T = diag(0, 1)) make a critical point
    (random-start searches at widths (2, 3, 2) ended there while the table omitted it).  Random exact points built by
    hand have SymPy's exact Hessian inertia, and the landscape lists and locates them as {1} "vanishing pair 2,3"."""
    import random

    import sympy as sp

    rng = random.Random(seed)

    def q():
        return sp.Rational(rng.choice([-3, -2, -1, 1, 2, 3]), rng.randint(1, 3))

    p1, p2, t, x1, x2, w = (q() for _ in range(6))
    W1 = sp.Matrix([[2, 0], [x1, x2]])  # complement row c_1 = (x1, x2)
    W2 = sp.Matrix([[2, 0], [0, p1], [0, p2]])  # C_2 = (p1, p2)ᵀ
    W3 = sp.Matrix([[2, 0, 0], [0, -t * p2, t * p1]])  # C_3 = t(−p2, p1): C_3 C_2 = 0
    W4 = sp.Matrix([[2, w], [0, 0]])  # C_4 = (w, 0)ᵀ: C_4ᵀ T c_1ᵀ = 0
    m = deep_linear("16,0;0,1", depth=4, widths=[2, 3, 2])
    ws = sp.symbols("w0:20")
    shapes = [(2, 2), (3, 2), (2, 3), (2, 2)]
    W, k = [], 0
    for r, c in shapes:
        W.append(sp.Matrix(r, c, ws[k:k + r * c]))
        k += r * c
    loss = sum(e**2 for e in (W[3] * W[2] * W[1] * W[0] - m.syx)) / 2
    th = (W1, W2, W3, W4)
    got = _sympy_inertia(loss, ws, dict(zip(ws, [e for M in th for e in M])))
    L = landscape(m)
    loc = L.locate(th)
    assert loc.exact_match, loc.reason
    assert loc.stratum.label.text == "{1}" and loc.stratum.label.stratum.startswith("vanishing pair 2,3")
    assert loc.stratum.inertia.as_tuple() == got


@pytest.mark.parametrize("which", ["teacher", "data-decay", "diagonal"])
def test_float_closed_form_hessian_matches_sympy(which):
    """float_hessian_closed (NumPy closed forms; the Jacobian of the graph's polishes) against sympy.hessian of the
    loss written here from MATH §1 (½‖A − M‖², (1/2N)‖AX − Y‖² + (λ/2)Σ‖W‖², (1/2n)‖X(u⊙v) − y‖²) at random
    rational points."""
    from symdln.symbolic.landscape import float_hessian_closed

    m = {"teacher": lambda: deep_linear(spectrum=[3, 2, 1], widths=[2, 3], depth=3, rotation_seed=1),
         "data-decay": lambda: deep_linear(X="1,0,2;0,1,1", Y="1,2,0", widths=2, depth=3, weight_decay="1/5"),
         "diagonal": lambda: diagonal_linear("1,1/2,7/10;1/2,1,1/10", "1,0")}[which]()
    syms, layers = [], []
    for l, (r, c) in enumerate(m.shapes):
        S = sp.Matrix(r, c, lambda i, j, l=l: sp.Symbol(f"x{l}_{i}_{j}"))
        layers.append(S)
        syms += list(S)
    if which == "diagonal":
        u, v = layers
        res = sp.Matrix(m.X) * sp.Matrix([u[i] * v[i] for i in range(u.rows)]) - sp.Matrix(m.y)
        loss = sum(e**2 for e in res) / (2 * m.n_samples)
    else:
        A = layers[0]
        for W in layers[1:]:
            A = W * A
        res = A - sp.Matrix(m.target) if which == "teacher" else A * sp.Matrix(m.X) - sp.Matrix(m.Y)
        N = 1 if which == "teacher" else sp.Matrix(m.X).cols
        lam = sp.Rational(m.weight_decay.numerator, m.weight_decay.denominator)
        loss = sum(e**2 for e in res) / (2 * N) + lam / 2 * sum(x**2 for x in syms)
    H = sp.hessian(loss, syms)
    rnd = random.Random(which)
    for _ in range(2):
        vals = [sp.Rational(rnd.randint(-9, 9), rnd.randint(1, 4)) for _ in syms]
        ref = np.array(H.subs(dict(zip(syms, vals))).evalf(20).tolist(), dtype=float)
        it = iter(float(x) for x in vals)
        mats = [np.array([[next(it) for _ in range(c)] for _ in range(r)]) for r, c in m.shapes]
        got = float_hessian_closed(m, mats)
        assert np.abs(got - ref).max() <= 1e-12 * max(1.0, np.abs(ref).max())


@pytest.mark.parametrize("seed", range(2))
def test_two_zero_complement_layers_with_a_lower_rank_free_layer_are_listed(seed):
    """Depth 3, widths (3, 2), M = diag(8, 2, 1), pivot set {1} (learned entries 2 in every layer): with the complement
    blocks C_2 = C_3 = 0 every gradient block vanishes whatever C_1 is, and the rank of C_1 is an invariant of the
    stratum (random-start searches ended at C_1 of rank 1 while the table listed only the generic rank).  Random exact
    points built by hand have SymPy's exact Hessian inertia, and the landscape lists {1} "Z{2,3}, C_1 rank 1" with that
    inertia and locates the points there."""
    import random

    import sympy as sp

    rng = random.Random(seed)

    def vec(n):
        while True:
            v = sp.Matrix([sp.Rational(rng.randint(-5, 5), rng.randint(1, 4)) for _ in range(n)])
            if any(v):
                return v

    m = deep_linear(spectrum=[8, 2, 1], widths=[3, 2], depth=3, rotation_seed=None)
    ws = sp.symbols("w0:21")
    W = [sp.Matrix(3, 3, ws[:9]), sp.Matrix(2, 3, ws[9:15]), sp.Matrix(3, 2, ws[15:])]
    loss = sum(e**2 for e in (W[2] * W[1] * W[0] - m.syx)) / 2
    C1 = vec(2) * vec(3).T  # rank 1, any input columns
    W1 = sp.Matrix.vstack(sp.Matrix([[2, 0, 0]]), C1)
    W2 = sp.Matrix([[2, 0, 0], [0, 0, 0]])
    W3 = sp.Matrix([[2, 0], [0, 0], [0, 0]])
    _listed_with_sympy_inertia(m, loss, ws, (W1, W2, W3), "{1}", "Z{2,3}, C_1 rank 1")


@pytest.mark.slow  # 15 s; the other cut constructions stay in the default run
def test_cut_with_full_rank_chains_is_listed():
    """Depth 4, widths (3, 2, 2), M = diag(16, 2, 1), pivot set {1} (learned entries 2 in every layer): the complement
    cut C_3 = 0 with the left chain C_2 C_1 of rank 1 through a width-1 layer while C_1 has rank 2, and C_4 with
    C_4ᵀ T (C_2 C_1)ᵀ = 0 (T = diag(0, 2, 1)), is critical; the listed cut pinned the left chain's rank at C_1 (rank 1)
    and random-start searches ended at this one, unlisted.  A random exact point built by hand has SymPy's exact
    Hessian inertia, and the landscape lists {1} "cut 3, generic chains" with it and locates the point there."""
    import random

    import sympy as sp

    rng = random.Random(3)

    def mat(r, c):
        return sp.Matrix(r, c, [sp.Rational(rng.randint(-4, 4), rng.randint(1, 3)) for _ in range(r * c)])

    m = deep_linear(spectrum=[16, 2, 1], widths=[3, 2, 2], depth=4, rotation_seed=None)
    ws = sp.symbols("w0:25")
    W = [sp.Matrix(3, 3, ws[:9]), sp.Matrix(2, 3, ws[9:15]), sp.Matrix(2, 2, ws[15:19]), sp.Matrix(3, 2, ws[19:])]
    loss = sum(e**2 for e in (W[3] * W[2] * W[1] * W[0] - m.syx)) / 2
    while True:
        C1, C2 = mat(2, 3), mat(1, 2)
        x = (C2 * C1).T
        if C1.rank() == 2 and any(x):
            break
    Tx = sp.diag(0, 2, 1) * x
    C4 = Tx.cross(mat(3, 1))  # C_4 ⊥ T x
    assert any(C4) and (C4.T * Tx)[0] == 0
    th = (sp.Matrix.vstack(sp.Matrix([[2, 0, 0]]), C1),
          sp.Matrix([[2, 0, 0], [0, C2[0], C2[1]]]),
          sp.Matrix([[2, 0], [0, 0]]),
          sp.Matrix.hstack(sp.Matrix([2, 0, 0]), C4))
    _listed_with_sympy_inertia(m, loss, ws, th, "{1}", "cut 3, generic chains")


def _listed_with_sympy_inertia(m, loss, ws, th, label, stratum):
    """The exact point ``th`` is critical with SymPy's exact Hessian inertia, the landscape of ``m`` lists one stratum
    ``label`` / ``stratum`` with that inertia, and locates ``th`` there."""
    got = _sympy_inertia(loss, ws, dict(zip(ws, [e for M in th for e in M])))
    L = landscape(m)
    rows = [s for s in L.strata if s.label.text == label and s.label.stratum == stratum]
    assert len(rows) == 1 and rows[0].inertia.as_tuple() == got, got
    loc = L.locate(th)
    assert loc.exact_match and loc.stratum is rows[0], loc.reason


def test_two_zero_product_chains_are_listed():
    """Depth 4, widths (2, 1, 2), M = diag(2, 1): W_2 W_1 = 0 and W_4 W_3 = 0 with every layer nonzero is critical (each
    gradient block has a whole zero product on one side of its layer) with A = 0 and no zero layer; random-start
    searches ended there, unlisted.  A random exact point built by hand has SymPy's exact Hessian inertia, and the
    landscape lists {} "chain 1..2 …, chain 3..4 …" with it and locates the point there."""
    import sympy as sp

    rat = _rationals(5)

    m = deep_linear(spectrum=[2, 1], widths=[2, 1, 2], depth=4, rotation_seed=None)
    ws = sp.symbols("w0:12")
    W = [sp.Matrix(2, 2, ws[:4]), sp.Matrix(1, 2, ws[4:6]), sp.Matrix(2, 1, ws[6:8]), sp.Matrix(2, 2, ws[8:])]
    loss = sum(e**2 for e in (W[3] * W[2] * W[1] * W[0] - m.syx)) / 2
    u, v, p, q = (sp.Matrix([rat(), rat()]) for _ in range(4))
    W2 = sp.Matrix([[u[1], -u[0]]]) * rat()  # W_2 u = 0
    W1 = u * v.T  # rank 1, image u
    W3 = p
    W4 = q * sp.Matrix([[p[1], -p[0]]])  # W_4 p = 0, rank 1
    assert (W2 * W1).is_zero_matrix and (W4 * W3).is_zero_matrix
    _listed_with_sympy_inertia(m, loss, ws, (W1, W2, W3, W4), "{}",
                               "chain 1..2 ranks 1,1 (product 0), chain 3..4 ranks 1,1 (product 0)")


def test_zero_layer_beside_a_three_layer_zero_product_chain_at_a_zero_map_is_listed():
    """Depth 4, widths (2, 2, 1), M = diag(2, 1): W_4 = 0 with W_3 W_2 W_1 = 0 while W_2 W_1 ≠ 0 and W_3 W_2 ≠ 0 (ranks
    1, 2, 1) is critical with A = 0.  A random exact point built by hand has SymPy's exact Hessian inertia, and the
    landscape lists Z{4} "chain 1..3 ranks 1,2,1 (product 0)" with it and locates the point there (the same kind
    beside a learned mode is the slow test below)."""
    import sympy as sp

    rat = _rationals(2)

    m = deep_linear(spectrum=[2, 1], widths=[2, 2, 1], depth=4, rotation_seed=None)
    ws = sp.symbols("w0:12")
    W = [sp.Matrix(2, 2, ws[:4]), sp.Matrix(2, 2, ws[4:8]), sp.Matrix(1, 2, ws[8:10]), sp.Matrix(2, 1, ws[10:])]
    loss = sum(e**2 for e in (W[3] * W[2] * W[1] * W[0] - m.syx)) / 2
    while True:
        u = sp.Matrix([rat(), rat()])
        W1, W2 = u * sp.Matrix([[rat(), rat()]]), sp.Matrix(2, 2, [rat() for _ in range(4)])
        y = W2 * u
        W3 = sp.Matrix([[y[1], -y[0]]]) * rat()  # W_3 kills the image of W_2 W_1
        if W2.rank() == 2 and not (W3 * W2).is_zero_matrix:
            break
    assert (W3 * W2 * W1).is_zero_matrix and not (W2 * W1).is_zero_matrix
    _listed_with_sympy_inertia(m, loss, ws, (W1, W2, W3, sp.zeros(2, 1)), "Z{4}",
                               "chain 1..3 ranks 1,2,1 (product 0)")


@pytest.mark.slow
def test_zero_layer_beside_a_three_layer_zero_product_chain_is_listed():
    """Depth 4, widths (3, 3, 2), M = diag(16, 2, 1), pivot set {1} (learned entries 2): the complement with C_4 = 0 and
    C_3 C_2 C_1 = 0 while C_2 C_1 ≠ 0 and C_3 C_2 ≠ 0 (ranks 1, 2, 1) is critical and was unlisted (random-start
    searches ended there).  A random exact point built by hand has SymPy's exact Hessian inertia, and the landscape
    lists {1} "zero layer 4, chain 1..3 ranks 1,2,1 (product 0)" with it and locates the point there."""
    import sympy as sp

    rat = _rationals(11)

    m = deep_linear(spectrum=[16, 2, 1], widths=[3, 3, 2], depth=4, rotation_seed=None)
    ws = sp.symbols("w0:30")
    W = [sp.Matrix(3, 3, ws[:9]), sp.Matrix(3, 3, ws[9:18]), sp.Matrix(2, 3, ws[18:24]), sp.Matrix(3, 2, ws[24:])]
    loss = sum(e**2 for e in (W[3] * W[2] * W[1] * W[0] - m.syx)) / 2
    while True:
        C1 = sp.Matrix([rat(), rat()]) * sp.Matrix([[rat(), rat(), rat()]])  # rank 1
        C2 = sp.Matrix(2, 2, [rat() for _ in range(4)])
        y = C2 * C1[:, 0] if any(C1[:, 0]) else C2 * C1[:, 1]
        C3 = sp.Matrix([[y[1], -y[0]]]) * rat()  # C_3 kills the image of C_2 C_1
        if C2.rank() == 2 and any(C3) and not (C2 * C1).is_zero_matrix and not (C3 * C2).is_zero_matrix:
            break
    assert (C3 * C2 * C1).is_zero_matrix
    th = (sp.Matrix.vstack(sp.Matrix([[2, 0, 0]]), C1),
          sp.diag(sp.Matrix([[2]]), C2),
          sp.Matrix([[2, 0, 0], [0, C3[0], C3[1]]]),
          sp.Matrix([[2, 0], [0, 0], [0, 0]]))
    _listed_with_sympy_inertia(m, loss, ws, th, "{1}", "zero layer 4, chain 1..3 ranks 1,2,1 (product 0)")


def test_cut_with_the_chain_rank_at_an_inner_layer_is_listed():
    """Depth 4, widths 2, M = diag(2, 1): a cut at layer 3 (W_3 of rank 1 with W_3 W_2 W_1 = 0 and W_4 W_3 = 0) whose left
    chain W_2 W_1 has rank 1 set by its inner layer W_2 (W_1 of full rank), and W_4ᵀ M (W_2 W_1)ᵀ = 0.  The cuts listed
    before set a chain's rank at its outer layer (W_1), and random-start searches at depth 4, widths (3, 3, 2) ended at
    the inner kind, unlisted.  A random exact point built by hand has SymPy's exact Hessian inertia, and the landscape
    lists {} "cut 3 (ranks 1,1, middle rank 1), C_2 rank 1, C_4 rank 1" with it and locates the point there."""
    import sympy as sp

    rat = _rationals(7)

    def perp(v):
        return sp.Matrix([[v[1], -v[0]]])

    m = deep_linear(spectrum=[2, 1], widths=2, depth=4, rotation_seed=None)
    M = sp.Matrix(m.syx)
    ws, loss = _teacher_loss(m)
    while True:
        W1 = sp.Matrix(2, 2, [rat() for _ in range(4)])
        x, y, p = (sp.Matrix([rat(), rat()]) for _ in range(3))
        W2 = x * y.T  # the left chain's rank set here; its image is x
        W3 = p * perp(x)  # W_3 x = 0
        z = M * W1.T * y
        W4 = perp(z).T * perp(p)  # W_4 p = 0 and (first column) ⊥ M W_1ᵀ y
        if W1.rank() == 2 and any(z):
            break
    assert (W3 * W2 * W1).is_zero_matrix and (W4 * W3).is_zero_matrix
    assert (W4.T * M * (W2 * W1).T).is_zero_matrix
    _listed_with_sympy_inertia(m, loss, ws, (W1, W2, W3, W4), "{}",
                               "cut 3 (ranks 1,1, middle rank 1), C_2 rank 1, C_4 rank 1")


@pytest.mark.parametrize("kind", ["Z{2}", "Z{3}"])
def test_zero_map_strata_of_the_data_form_are_listed(kind):
    """Data form (MATH §1: ℒ = ‖AX − Y‖²/2N), depth 3, widths 2: at A = 0 the gradient blocks are P_>ᵀ Σyx P_<ᵀ, so the
    one-zero-layer strata are the teacher form's with Σyx for M.  They were listed only for teachers.  Hand-built:
    W_2 = 0 with W_3ᵀ Σyx W_1ᵀ = 0 (W_1 = u vᵀ, W_3 = p qᵀ, pᵀ Σyx v = 0), and W_3 = 0 with W_2 W_1 = 0; SymPy's exact
    Hessian of the loss written here gives the inertia the landscape lists, and locate finds the point there."""
    import sympy as sp

    rat = _rationals(4)

    X, Y = sp.Matrix([[1, 0, 1], [0, 1, 1]]), sp.Matrix([[2, 0, 1], [0, 1, 0]])
    m = deep_linear(X="1,0,1;0,1,1", Y="2,0,1;0,1,0", widths=2, depth=3)
    ws = sp.symbols("w0:12")
    W = [sp.Matrix(2, 2, ws[4 * k:4 * k + 4]) for k in range(3)]
    loss = sum(e**2 for e in (W[2] * W[1] * W[0] * X - Y)) / (2 * X.shape[1])
    u, v, q = (sp.Matrix([rat(), rat()]) for _ in range(3))
    if kind == "Z{2}":
        z = (Y * X.T / 3) * v  # Σyx v
        th = (u * v.T, sp.zeros(2, 2), sp.Matrix([z[1], -z[0]]) * q.T)
        stratum = "generic"
    else:
        th = (u * v.T, q * sp.Matrix([[u[1], -u[0]]]), sp.zeros(2, 2))
        stratum = "chain ranks 1,1 (product 0)"
    _listed_with_sympy_inertia(m, loss, ws, th, kind, stratum)


def test_locate_sees_small_factors_of_cone_shaped_critical_sets():
    """W_2 W_1 = 0 and W_4 W_3 = 0 stay critical at any scale of W_2 and W_3 (the set is a cone in them).  Random-start
    searches end there with W_2, W_3 ~ 1e-5 and ‖∇ℒ‖ ~ 1e-20, and locate refused those points as 'near a smaller
    stratum' (a singular value 1e-5 below an absolute floor).  Now the float point, with W_2 and W_3 scaled by 1e-5,
    is located in the same stratum as the point at scale 1 (gradient exactly 0, checked here in floats); the origin
    reached to 1e-160 (as Levenberg–Marquardt ends) is still the origin, not a full-rank point."""
    import numpy as np

    m = deep_linear(spectrum=[2, 1], widths=[2, 1, 2], depth=4, rotation_seed=None)
    L = landscape(m)
    u, p = np.array([[1.0], [-2.0]]), np.array([[3.0], [1.0]])
    W1 = u @ np.array([[0.5, 1.5]])
    small = 2.0**-17  # ~7.6e-6; a power of two keeps the products exactly zero in floats, whatever the BLAS
    W2 = small * np.array([[2.0, 1.0]])  # W_2 u = 0
    W3 = small * p
    W4 = np.array([[1.0], [2.0]]) @ np.array([[1.0, -3.0]])  # W_4 p = 0
    pt = (W1, W2, W3, W4)
    assert np.allclose(W2 @ W1, 0, atol=0) and np.allclose(W4 @ W3, 0, atol=0)
    loc, ref = L.locate(pt, rtol=1e-7), L.locate((W1, W2 / small, W3 / small, W4), rtol=1e-7)
    assert ref.exact_match and loc.exact_match and loc.stratum is ref.stratum, loc.reason
    assert loc.stratum.label.stratum == "chain 1..2 ranks 1,1 (product 0), chain 3..4 ranks 1,1 (product 0)"
    rng = np.random.default_rng(1)
    tiny = tuple(rng.normal(size=W.shape) * 1e-160 for W in pt)
    origin = L.locate(tiny, rtol=1e-7)
    assert origin.exact_match and origin.stratum.label.stratum == "origin", origin.reason


def test_locate_reads_the_inertia_with_the_signature_zero_layers_at_zero():
    """Depth 3, widths (3, 1): W_2 = W_3 = 0 with W_1 of rank 2 (stratum Z{2,3} W_1 rank 2).  Levenberg–Marquardt ends
    with W_3 ~ 1e-9 instead of 0; the signature reads it as zero, but the float Hessian at the point had eigenvalues of
    that size and one more 'negative' one, and locate called the point special.  A float point with W_3 = 2e-9·v is
    located there now, with the same inertia as the exact point W_3 = 0."""
    import numpy as np

    m = deep_linear(spectrum=[3, 2, 1], widths=[3, 1], depth=3, rotation_seed=None)
    L = landscape(m)
    W1 = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [1.0, 3.0, -1.0]])  # rank 2
    assert np.linalg.matrix_rank(W1) == 2
    exact = L.locate((W1.astype(int).tolist(), [[0, 0, 0]], [[0], [0], [0]]), rtol=1e-7)
    noisy = L.locate((W1, np.zeros((1, 3)), 2e-9 * np.array([[0.3], [-1.1], [0.7]])), rtol=1e-7)
    assert exact.exact_match and exact.stratum.label.text == "Z{2,3}", exact.reason
    assert noisy.exact_match and noisy.stratum is exact.stratum, noisy.reason


def test_overlapping_zero_product_chains_are_listed():
    """Depth 4, widths 2, M = diag(2, 1): W_3W_2W_1 = 0 and W_4W_3W_2 = 0 around the nonzero middle W_3W_2 (W_2 of rank 1,
    so W_2W_1 = 0 too; W_4W_3 ≠ 0), held by W_4ᵀ M W_1ᵀ = 0, is critical (every gradient block has a zero chain beside it or passes through
    W_4ᵀ M W_1ᵀ) and was not listed.  A random exact point built by hand has SymPy's exact Hessian inertia, and the
    landscape lists {} "zero products 1..3 and 2..4 (C_2 rank 1, ranks 1,1)" with it and locates the point there."""
    import sympy as sp

    rat = _rationals(9)

    def perp(w):
        return sp.Matrix([w[1], -w[0]])

    m = deep_linear(spectrum=[2, 1], widths=2, depth=4, rotation_seed=None)
    M = sp.Matrix(m.syx)
    ws, loss = _teacher_loss(m)
    while True:
        x, y, v = (sp.Matrix([rat(), rat()]) for _ in range(3))
        W3 = sp.Matrix(2, 2, [rat() for _ in range(4)])
        if W3.rank() == 2:
            break
    W2, W1 = x * y.T, perp(y) * v.T  # the image of W_1 in ker W_2 = ker W_3W_2
    W4 = perp(M * v) * perp(W3 * x).T  # rows ⊥ the image of W_3 W_2, columns ⊥ M v
    assert (W3 * W2 * W1).is_zero_matrix and (W4 * W3 * W2).is_zero_matrix and not (W3 * W2).is_zero_matrix
    assert (W4.T * M * W1.T).is_zero_matrix
    _listed_with_sympy_inertia(m, loss, ws, (W1, W2, W3, W4), "{}", "zero products 1..3 and 2..4 (C_2 rank 1, ranks 1,1)")


@pytest.mark.slow  # 16 s; overlapping chains in general position stay in the default run
def test_overlapping_zero_product_chains_with_a_middle_in_special_position_are_listed():
    """Depth 4, widths (2, 3, 2), M = diag(2, 1): W_2, W_3 of rank 2 with W_3W_2 of rank 1 (ker W_3 inside the image of
    W_2), W_1 into ker W_3W_2, W_4 with rows ⊥ the image of W_3W_2 and W_4ᵀ M W_1ᵀ = 0: W_3W_2W_1 = 0 and W_4W_3W_2 = 0
    around a middle whose rank drops in special position.  Random-start searches at depth 4, widths (3, 3, 2) ended at
    this kind, unlisted.  A random exact point built by hand has SymPy's exact Hessian inertia, and the landscape lists
    it and locates the point there."""
    import sympy as sp

    rat = _rationals(13)

    def perp(w):
        return sp.Matrix([w[1], -w[0]])

    m = deep_linear(spectrum=[2, 1], widths=[2, 3, 2], depth=4, rotation_seed=None)
    M = sp.Matrix(m.syx)
    ws = sp.symbols("w0:20")
    W = [sp.Matrix(2, 2, ws[:4]), sp.Matrix(3, 2, ws[4:10]), sp.Matrix(2, 3, ws[10:16]), sp.Matrix(2, 2, ws[16:])]
    loss = sum(e**2 for e in (W[3] * W[2] * W[1] * W[0] - M)) / 2
    while True:
        W2 = sp.Matrix(3, 2, [rat() for _ in range(6)])
        k = W2 * sp.Matrix([rat(), rat()])  # ker W_3 := span(k), inside the image of W_2
        W3 = sp.Matrix(2, 3, [rat() for _ in range(6)])
        W3 = W3 - (W3 * k) * (k.T / (k.T * k)[0])  # W_3 k = 0
        B = W3 * W2
        if W2.rank() == 2 and W3.rank() == 2 and B.rank() == 1:
            break
    z = B.nullspace()[0]  # ker W_3W_2
    v = sp.Matrix([rat(), rat()])
    W1 = z * v.T
    W4 = perp(M * v) * perp(B.columnspace()[0]).T
    assert (W3 * W2 * W1).is_zero_matrix and (W4 * W3 * W2).is_zero_matrix and (W4.T * M * W1.T).is_zero_matrix
    _listed_with_sympy_inertia(m, loss, ws, (W1, W2, W3, W4), "{}",
                               "zero products 1..3 and 2..4 (C_2 rank 2, C_3 rank 2, product rank 1, ranks 1,1)")


def _rationals(seed: int):
    """A seeded source of small nonzero rationals (numerators ±1…±3, denominators 1…3) for hand-built points."""
    import random

    import sympy as sp

    rng = random.Random(seed)
    return lambda: sp.Rational(rng.choice([-3, -2, -1, 1, 2, 3]), rng.randint(1, 3))


def _teacher_loss(m):
    """Symbols for the weights of ``m`` (layer by layer, row-major) and ½‖W_L⋯W_1 − M‖² written with them."""
    import sympy as sp

    ws = sp.symbols(f"w0:{sum(r * c for r, c in m.shapes)}")
    W, k = [], 0
    for r, c in m.shapes:
        W.append(sp.Matrix(r, c, ws[k:k + r * c]))
        k += r * c
    A = W[0]
    for Wl in W[1:]:
        A = Wl * A
    return ws, sum(e**2 for e in (A - sp.Matrix(m.syx))) / 2


def test_weights_along_null_directions_of_the_target_are_listed_with_their_inertia():
    """A rank-deficient target M = U diag(2, 1, 0) Vᵀ (depth 2, width 2) has critical points with a hidden unit's
    incoming weights along v_3 (Mv_3 = 0) and its outgoing weights zero, beside {1} (p1), the reverse (p2), and A = 0
    points off the origin (p0).  The listing called itself exhaustive without them.  Oracle (an independent exact
    check: SymPy Hessian, Descartes' rule): p1, p2 critical with inertia (1, 4, 7), p0 with (4, 3, 5), not the
    (1, 5, 6) and (4, 4, 4) of {1} and the origin; gradients checked here exactly.  They are now strata of their
    own ("null ranks r1,r2"), located exactly with that inertia.  The same in the data form at A = 0 (oracle
    (1, 1, 2)); beside a nonempty pivot set in the data form they are not constructed, and the listing says so."""
    m = deep_linear(spectrum=[2, 1, 0], depth=2, widths=2, rotation_seed=5)
    L = landscape(m)
    assert L.exhaustive
    U, V = sp.Matrix(m.svd.U), sp.Matrix(m.svd.V)
    e1, e2 = sp.Matrix([1, 0]), sp.Matrix([0, 1])
    pts = [((2 * e1 * V[:, 0].T + sp.Rational(3, 2) * e2 * V[:, 2].T, U[:, 0] * e1.T), (1, 4, 7)),
           ((2 * e1 * V[:, 0].T, U[:, 0] * e1.T + sp.Rational(5, 3) * U[:, 2] * e2.T), (1, 4, 7)),
           ((e1 * V[:, 2].T, U[:, 2] * e2.T), (4, 3, 5))]
    M = sp.Matrix(m.syx)
    for (W1, W2), inertia in pts:
        R = W2 * W1 - M  # ∇ℒ = (W2ᵀR, RW1ᵀ) for ℒ = ½‖W2W1 − M‖²
        assert (W2.T * R).is_zero_matrix and (R * W1.T).is_zero_matrix
        loc = L.locate((W1, W2))
        assert loc.exact_match and loc.stratum.inertia.as_tuple() == inertia, loc.reason
        assert loc.stratum.label.stratum.startswith("null ranks")
    X, Y = [[1, 0, 1], [0, 1, 1]], [[1, 2, 0], [0, 1, 1]]
    data = landscape(deep_linear(X=X, Y=Y, depth=2, widths=1))
    loc = data.locate((sp.Matrix([[2, -1]]), sp.zeros(2, 1)))
    assert data.exhaustive and loc.exact_match and loc.stratum.inertia.as_tuple() == (1, 1, 2)
    wide = landscape(deep_linear(X=X, Y=Y, depth=2, widths=2))
    assert not wide.exhaustive and any("null directions" in w and "{1}" in w for w in wide.not_listed)
    assert landscape(deep_linear(spectrum=[2, 1, 0], depth=3, widths=2, rotation_seed=3)).not_listed


def test_locate_on_an_orbit_of_equal_singular_values_and_away_from_every_listed_map():
    """spectrum (4, 4, 1), depth 3: u = (3/5)u_1 + (4/5)u_2, v likewise, θ = (4e_1vᵀ, e_1e_1ᵀ, ue_1ᵀ) is an exact
    critical point (an independent exact check: loss 17/2, inertia (0, 12, 4)) on the orbit of {1}, 2.13 away from its
    listed member; locate said 'same end-to-end map' with distance 2.13.  Now: matched on the orbit, distance ~0.  A
    point whose end-to-end map is far from every listed one (not critical) is not matched at all."""
    m = deep_linear(spectrum=[4, 4, 1], depth=3, widths=2, rotation_seed=6)
    L = landscape(m)
    U, V = sp.Matrix(m.svd.U), sp.Matrix(m.svd.V)
    u, v = sp.Rational(3, 5) * U[:, 0] + sp.Rational(4, 5) * U[:, 1], sp.Rational(3, 5) * V[:, 0] + sp.Rational(4, 5) * V[:, 1]
    e1 = sp.Matrix([1, 0])
    pt = (4 * e1 * v.T, e1 * e1.T, u * e1.T)
    A = pt[2] * pt[1] * pt[0]
    R = A - sp.Matrix(m.syx)
    assert (pt[2].T * R * pt[0].T * pt[1].T).is_zero_matrix  # ∂ℒ/∂W_3 = R (W_2W_1)ᵀ
    loc = L.locate(pt)
    assert loc.exact_match and loc.stratum.label.text == "{1}" and loc.distance < 1e-9 and "orbit" in loc.reason
    far = (sp.Matrix([[1, 2, 0], [0, 1, 1]]), sp.Matrix([[1, 0], [2, 1]]), sp.Matrix([[1, 1], [0, 1], [1, 0]]))
    off = L.locate(far)
    assert not off.exact_match and "no listed end-to-end map" in off.reason


@pytest.mark.parametrize("eps", [sp.Rational(1, 10**12), sp.Rational(3, 7 * 10**30)])
def test_exact_points_are_located_by_exact_ranks(eps):
    """W_2 = W_3 = 0 with a small nonzero W_1 = ε·B (exact): critical for every W_1 (two zero layers).  Float64 ranks read
    W_1 as zero and put the point at the origin, which ``locate`` then reported unlocated; exact input is ranked over ℚ
    and lands in Z{2,3} with W_1's exact rank.  Oracle: the Hessian of a SymPy loss written here, its eigenvalues at
    80 digits (the negative ones are O(ε)), counted against the located stratum's inertia."""
    import mpmath

    m = deep_linear(spectrum=[2, 1], depth=3, widths=2)
    L = landscape(m)
    for B, rank in (([[1, 2], [3, -1]], 2), ([[1, 2], [2, 4]], 1)):
        W1 = sp.Matrix(B) * eps
        th = [W1, sp.zeros(2, 2), sp.zeros(2, 2)]
        loc = L.locate(th)
        assert loc.exact_match and loc.stratum.label.text == "Z{2,3}", loc.reason
        xs = sp.symbols("x0:12")
        Ws = [sp.Matrix(2, 2, xs[4 * i:4 * i + 4]) for i in range(3)]
        M = sp.Matrix(m.syx)
        E = Ws[2] * Ws[1] * Ws[0] - M
        loss = sum(e ** 2 for e in E) / 2
        H = sp.hessian(loss, xs).subs(dict(zip(xs, list(W1) + [0] * 8)))
        with mpmath.workdps(80):
            ev = mpmath.eigsy(mpmath.matrix(H.tolist()))[0]
            neg = sum(1 for v in ev if v < -mpmath.mpf(10) ** -60)
            zero = sum(1 for v in ev if abs(v) <= mpmath.mpf(10) ** -60)
        assert (neg, zero) == (loc.stratum.inertia.negative, loc.stratum.inertia.zero), (rank, neg, zero)
        assert loc.signature[0] == rank


@pytest.mark.parametrize("eps", ["1/10000", "1e-8", "1e-10", "1e-12"])
def test_a_small_float_layer_is_not_matched_to_a_smaller_stratum(eps):
    """Depth 3, layers 2→3→1→2: W_1 = [[6,6],[0,0],[0,0]], W_2 = ε[0,1,0], W_3 = 0 is critical for every ε (W_3 = 0,
    W_2W_1 = 0), in Z{3}'s chain stratum with inertia (2, 7, 2).  As float64 at ε = 1e-8 and 1e-10 it was matched
    "exactly" to Z{2,3} (W_1 rank 1), inertia (1, 9, 1) (found by an independent sweep).  Oracle: the Hessian of a SymPy
    loss written here at the exact point, eigenvalues at 80 digits.  A float locate must give that inertia or say it
    cannot tell (exact_match False); the exact point is located with it."""
    import mpmath

    m = deep_linear(spectrum=[2, 1], depth=3, widths=[3, 1], rotation_seed=2)
    L = landscape(m)
    e = sp.Rational(eps) if "/" in eps else sp.Rational(1, 10 ** int(eps.split("-")[1]))
    W = [sp.Matrix([[6, 6], [0, 0], [0, 0]]), e * sp.Matrix([[0, 1, 0]]), sp.zeros(2, 1)]
    xs = sp.symbols("x0:11")
    Ws = [sp.Matrix(3, 2, xs[:6]), sp.Matrix(1, 3, xs[6:9]), sp.Matrix(2, 1, xs[9:])]
    E = Ws[2] * Ws[1] * Ws[0] - sp.Matrix(m.syx)
    H = sp.hessian(sum(v ** 2 for v in E) / 2, xs).subs(dict(zip(xs, list(W[0]) + list(W[1]) + list(W[2]))))
    with mpmath.workdps(80):
        ev = mpmath.eigsy(mpmath.matrix(H.tolist()))[0]
        oracle = (sum(1 for v in ev if v < -mpmath.mpf(10) ** -60), sum(1 for v in ev if abs(v) <= mpmath.mpf(10) ** -60))
    assert oracle == (2, 7)
    exact = L.locate(W)
    assert exact.exact_match and (exact.stratum.inertia.negative, exact.stratum.inertia.zero) == oracle
    loc = L.locate([np.array(M.evalf(20).tolist(), dtype=float) for M in W])
    assert not loc.exact_match or (loc.stratum.inertia.negative, loc.stratum.inertia.zero) == oracle, loc.reason
