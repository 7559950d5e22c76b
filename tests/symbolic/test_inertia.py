"""Exact inertia against Descartes' rule of signs on the characteristic polynomial (exact for real-rooted polynomials)."""


import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symdln.errors import ModelError
from symdln.symbolic.inertia import charpoly_inertia, inertia, nullspace, symmetric_charpoly


def descartes_inertia(M: sp.Matrix):
    x = sp.Symbol("x")
    c = sp.Poly(M.charpoly(x).as_expr(), x).all_coeffs()[::-1]  # c[k] is the coefficient of x^k
    zero = next(k for k, v in enumerate(c) if v != 0)

    def changes(seq):
        seq = [v for v in seq if v != 0]
        return sum(1 for a, b in zip(seq, seq[1:]) if (a > 0) != (b > 0))

    pos = changes(c)
    neg = changes([v * (-1) ** k for k, v in enumerate(c)])
    return (neg, zero, pos)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.randoms(use_true_random=False))
def test_inertia_matches_descartes(n, k, rnd):
    B = sp.Matrix(n, k, lambda i, j: sp.Rational(rnd.randint(-3, 3), rnd.randint(1, 3)))
    D = sp.diag(*[rnd.choice([-2, -1, 0, 1, sp.Rational(1, 2)]) for _ in range(k)])
    M = B * D * B.T
    assert inertia(M).as_tuple() == descartes_inertia(M)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.randoms(use_true_random=False))
def test_range_charpoly_and_its_inertia(n, k, rnd):
    """The characteristic polynomial through the range equals the full one (flint's, on the whole matrix), and its
    Descartes inertia equals the exact LDLᵀ one, on low-rank symmetric matrices (large kernels, as Hessians have)."""
    import flint

    B = sp.Matrix(n, k, lambda i, j: sp.Rational(rnd.randint(-3, 3), rnd.randint(1, 3)))
    D = sp.diag(*[rnd.choice([-2, -1, 0, 1, sp.Rational(1, 2)]) for _ in range(k)])
    M = B * D * B.T
    Mq = flint.fmpq_mat(n, n, [flint.fmpq(int(x.p), int(x.q)) for x in M])
    cp = symmetric_charpoly(Mq)
    assert cp == Mq.charpoly()
    assert charpoly_inertia(cp) == inertia(M)


def test_range_charpoly_refuses_non_symmetric():
    import flint

    with pytest.raises(ModelError, match="symmetric"):
        symmetric_charpoly(flint.fmpq_mat([[0, 1], [0, 0]]))
    with pytest.raises(ModelError, match="non-real roots"):
        charpoly_inertia(flint.fmpq_poly([1, 0, 1]))  # x² + 1


def test_zero_diagonal_needs_two_by_two_pivots():
    M = sp.Matrix([[0, 1, 0], [1, 0, 2], [0, 2, 0]])
    assert inertia(M).as_tuple() == descartes_inertia(M) == (1, 1, 1)
    assert inertia(sp.zeros(4, 4)).as_tuple() == (0, 4, 0)


def test_nullspace_is_exact():
    M = sp.Matrix([[1, 2, 3], [2, 4, 6], [1, 0, 1]])
    basis = nullspace(M)
    assert len(basis) == 1
    v = sp.Matrix([sp.Rational(int(x.p), int(x.q)) for x in basis[0]])
    assert (M * v).is_zero_matrix


def test_refuses_non_symmetric_and_irrational():
    with pytest.raises(ModelError, match="symmetric"):
        inertia([[1, 2], [3, 4]])
    with pytest.raises(ModelError, match="rational"):
        inertia([[sp.sqrt(2)]])


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 9), st.integers(0, 9), st.randoms(use_true_random=False))
def test_symmetric_nullspace_has_sympys_dimension(n, k, rnd):
    """On low-rank symmetric matrices (the range split path) the kernel basis is exact, independent and of SymPy's
    dimension ``n − rank``."""
    B = sp.Matrix(n, k, lambda i, j: sp.Rational(rnd.randint(-3, 3), rnd.randint(1, 3)))
    D = sp.diag(*[rnd.choice([-2, -1, 0, 1, sp.Rational(1, 2)]) for _ in range(k)]) if k else sp.zeros(0, 0)
    M = B * D * B.T if k else sp.zeros(n, n)
    basis = nullspace(M)
    assert len(basis) == n - M.rank() == len(M.nullspace())
    if basis:
        V = sp.Matrix([[sp.Rational(int(x.p), int(x.q)) for x in v] for v in basis]).T
        assert (M * V).is_zero_matrix
        assert V.rank() == len(basis)


def test_range_split_falls_back_when_the_prime_divides():
    """Entries divisible by the guessing prime make the modular pivots wrong; the exact check must reject the guess
    and the echelon form must answer (charpoly against flint's, kernel against SymPy's)."""
    import flint

    from symdln.symbolic.inertia import _SPLIT_PRIME, symmetric_range_split

    p = _SPLIT_PRIME
    for rows in ([[p]], [[p, 0], [0, 1]], [[p, p], [p, 2 * p]], [[1, 1, 0], [1, 1, 0], [0, 0, p]]):
        Mq = flint.fmpq_mat(rows)
        assert symmetric_range_split(Mq) is None
        assert symmetric_charpoly(Mq) == Mq.charpoly()
        M = sp.Matrix(rows)
        assert len(nullspace(M)) == n_minus_rank(M)
    J, X = symmetric_range_split(flint.fmpq_mat([[2, 4], [4, 8]]))
    assert J == [0] and X == flint.fmpq_mat([[1, 2]])


def n_minus_rank(M: sp.Matrix) -> int:
    return M.cols - M.rank()
