from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from symdln.errors import ParseError
from symdln.parse import (
    exact_matrix,
    exact_number,
    format_number,
    parse_matrix,
    parse_number,
    parse_vector,
)


@pytest.mark.parametrize(
    "text, value",
    [
        ("3", Fraction(3)),
        ("-3", Fraction(-3)),
        ("1/3", Fraction(1, 3)),
        ("-2/6", Fraction(-1, 3)),
        ("0.1", Fraction(1, 10)),
        (".5", Fraction(1, 2)),
        ("1e-30", Fraction(1, 10**30)),
        ("-2.5E+3", Fraction(-2500)),
        (" 7.25 ", Fraction(29, 4)),
        ("1_000", Fraction(1000)),
        ("-1_000.000_5e1_0", Fraction(-10000005000000)),
    ],
)
def test_parse_number_is_exact(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1/0", "2**3", "__import__('os')", "1e", "", "1/2/3", "0x10", "sqrt(2)",
                                  "_1", "1_", "1__0", "1_/2", "1._5", "1e_5", "_"])
def test_parse_number_refuses_non_numbers(text):
    with pytest.raises(ParseError, match="value"):
        parse_number(text)


def test_parse_matrix_and_vector():
    M = parse_matrix("3,0,0;0,2,0;0,0,1/2")
    assert M == sp.diag(3, 2, sp.Rational(1, 2))
    assert parse_vector("1, 1/2") == (1, Fraction(1, 2))
    with pytest.raises(ParseError, match="different lengths"):
        parse_matrix("1,2;3")
    with pytest.raises(ParseError, match="empty"):
        parse_vector("1,,2")


def test_exact_number_refuses_floats_and_sympy_float():
    with pytest.raises(ParseError, match="binary float"):
        exact_number(0.1, name="sigma")
    with pytest.raises(ParseError, match="SymPy Float"):
        exact_number(sp.Float("0.1"), name="target[0,0]")
    with pytest.raises(ParseError, match="not finite"):
        exact_number(Decimal("NaN"))
    with pytest.raises(ParseError):
        exact_number(True)
    assert exact_number(Decimal("0.1")) == Fraction(1, 10)
    assert exact_number(np.int64(4)) == 4
    assert exact_number(sp.Rational(2, 3)) == Fraction(2, 3)


def test_exact_matrix_names_the_bad_entry():
    with pytest.raises(ParseError, match=r"target\[1,0\]"):
        exact_matrix([[1, 2], ["x", 3]], name="target")
    with pytest.raises(ParseError, match="SymPy Float"):
        exact_matrix(sp.Matrix([[sp.Float(1.5)]]), name="target")


@given(st.fractions(max_denominator=10**6))
def test_format_number_round_trips(q):
    assert parse_number(format_number(q)) == q


@given(st.integers(-400, 400), st.integers(1, 10**9))
def test_format_number_round_trips_decimals(e, m):
    q = Fraction(m) * Fraction(10) ** e
    assert parse_number(format_number(q)) == q
