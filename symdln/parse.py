"""Exact numbers, vectors and matrices from text and from Python objects.

Text is parsed, never evaluated: a number is an integer (``-3``), a fraction
(``1/3``) or a decimal with an optional exponent (``0.1``, ``1e-30``,
``-2.5E+3``), and it is read *exactly*: ``0.1`` is ``1/10``, not the binary
double nearest to it.  A matrix is rows separated by ``;`` with entries
separated by ``,`` (``"3,0,0;0,2,0;0,0,1"``).

Python objects are accepted when they are exact: ``int``, :class:`fractions.Fraction`,
:class:`decimal.Decimal`, SymPy ``Integer``/``Rational``, NumPy integers, and
strings as above.  Binary floats are refused (a float literal reaching a
high-precision path would cap it at 53 bits); pass ``"0.1"`` or
``Fraction(0.1)`` (the exact binary value) instead.
"""

from __future__ import annotations

import decimal
import numbers
import re
from collections.abc import Iterable
from fractions import Fraction

import sympy as sp

from .errors import ParseError, describe

__all__ = [
    "parse_number",
    "parse_vector",
    "parse_matrix",
    "exact_number",
    "exact_vector",
    "exact_matrix",
    "positive_number",
    "format_number",
    "check_magnitudes",
]

_DECIMAL = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?$")
_FRACTION = re.compile(r"^([+-]?\d+)/(\d+)$")
_MAX_EXPONENT = 100_000


def parse_number(text: str, *, name: str = "value") -> Fraction:
    """Read one exact rational number from text.

    ``parse_number("1e-30") == Fraction(1, 10**30)``; accepted forms are an
    integer, ``p/q`` and a decimal with optional exponent; digits may be
    grouped by underscores between two of them, as in Python (``1_000``).

    Examples
    --------
    >>> parse_number("0.1")
    Fraction(1, 10)
    >>> parse_number("-3/6")
    Fraction(-1, 2)
    """
    if not isinstance(text, str):
        raise ParseError(f"`{name}` must be text, got {describe(text)}")
    s = text.strip()
    if "_" in s:
        if re.search(r"(?<!\d)_|_(?!\d)", s):
            raise ParseError(f"`{name}` = {text!r}: an underscore may only group digits, between two of them "
                             f"(1_000, as in Python)")
        s = s.replace("_", "")
    m = _FRACTION.match(s)
    if m:
        num, den = int(m.group(1)), int(m.group(2))
        if den == 0:
            raise ParseError(f"`{name}` = {text!r} has a zero denominator")
        return Fraction(num, den)
    m = _DECIMAL.match(s)
    if not m:
        raise ParseError(
            f"`{name}` = {text!r} is not an exact number; accepted: an integer (3), "
            f"a fraction (1/3) or a decimal with optional exponent (0.1, 1e-30)"
        )
    sign, digits, exp = m.groups()
    exponent = int(exp) if exp else 0
    if abs(exponent) > _MAX_EXPONENT:
        raise ParseError(f"`{name}` = {text!r}: exponent beyond ±{_MAX_EXPONENT}")
    if "." in digits:
        whole, frac = digits.split(".")
    else:
        whole, frac = digits, ""
    mantissa = int((whole or "0") + frac)
    exponent -= len(frac)
    value = Fraction(mantissa) * (Fraction(10) ** exponent)
    return -value if sign == "-" else value


#: Largest magnitude (and inverse of the smallest nonzero one) of a model's data: beyond it float64 views, used for
#: ordering, plots and the float paths, overflow or flush to zero.
MAGNITUDE_LIMIT = Fraction(10) ** 300


def check_magnitudes(values, *, name: str, small: bool = True) -> None:
    """Refuse numbers with ``|x| > 1e300`` or (``small``) ``0 < |x| < 1e-300`` (:data:`MAGNITUDE_LIMIT`), naming
    ``name``.

    >>> check_magnitudes([Fraction(1, 3), 0, 10**299], name="target")
    """
    for x in values:
        q = x if isinstance(x, Fraction) else Fraction(int(sp.Rational(x).p), int(sp.Rational(x).q))
        if abs(q) > MAGNITUDE_LIMIT or (small and q != 0 and abs(q) < 1 / MAGNITUDE_LIMIT):
            # (bit lengths, not decimal strings: Python refuses to print integers of more than 4300 digits)
            exponent = round((abs(q.numerator).bit_length() - q.denominator.bit_length()) * 0.30103)
            accepted = "0 and magnitudes in [1e-300, 1e300]" if small else "magnitudes up to 1e300"
            raise ParseError(f"`{name}` holds a number of magnitude about 1e{exponent}; accepted: {accepted} (float64 "
                             f"views, for ordering, plots and the float paths, would overflow or vanish); rescale "
                             f"the problem")


def parse_vector(text: str, *, name: str = "vector") -> tuple[Fraction, ...]:
    """Read comma-separated exact numbers: ``"1,0,1/2"``.

    >>> parse_vector("1, 1/2")
    (Fraction(1, 1), Fraction(1, 2))
    """
    if not isinstance(text, str):
        raise ParseError(f"`{name}` must be text, got {describe(text)}")
    parts = [p for p in text.split(",")]
    if not text.strip() or any(not p.strip() for p in parts):
        raise ParseError(f"`{name}` = {text!r} has an empty entry; write numbers separated by ','")
    return tuple(parse_number(p, name=f"{name}[{i}]") for i, p in enumerate(parts))


#: Longest matrix text read from the command line, and most entries (a 100 × 100 matrix).
MAX_MATRIX_TEXT = 200_000
MAX_MATRIX_ENTRIES = 10_000


def parse_matrix(text: str, *, name: str = "matrix") -> sp.ImmutableMatrix:
    """Read a matrix: rows separated by ``;``, entries by ``,``.

    >>> parse_matrix("1,1/2;1/2,1")
    Matrix([
    [  1, 1/2],
    [1/2,   1]])
    """
    if not isinstance(text, str):
        raise ParseError(f"`{name}` must be text, got {describe(text)}")
    if len(text) > MAX_MATRIX_TEXT:
        raise ParseError(f"`{name}` is {len(text)} characters long; matrices on the command line are limited to "
                         f"{MAX_MATRIX_TEXT} characters (read larger data from a file)")
    if text.count(",") + text.count(";") + 1 > MAX_MATRIX_ENTRIES:
        raise ParseError(f"`{name}` has more than {MAX_MATRIX_ENTRIES} entries; the exact engine is limited to that many")
    rows = [parse_vector(r, name=f"{name} row {i}") for i, r in enumerate(text.strip().split(";"))]
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ParseError(
            f"`{name}` = {text!r} has rows of different lengths {sorted(widths)}; "
            f"every row needs the same number of entries"
        )
    return sp.ImmutableMatrix([[sp.Rational(x.numerator, x.denominator) for x in r] for r in rows])


def exact_number(value: object, *, name: str = "value") -> Fraction:
    """Convert an exact scalar to :class:`~fractions.Fraction`, refusing floats.

    >>> exact_number("1e-3")
    Fraction(1, 1000)
    >>> exact_number(sp.Rational(2, 3))
    Fraction(2, 3)
    """
    if isinstance(value, bool):
        raise ParseError(f"`{name}` must be a number, got {describe(value)}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        return parse_number(value, name=name)
    if isinstance(value, sp.Basic):
        if isinstance(value, sp.Float):
            raise ParseError(
                f"`{name}` is a SymPy Float {describe(value)}: inexact numbers are refused; "
                f"use sympy.Rational, fractions.Fraction or a decimal string such as '0.1'"
            )
        if isinstance(value, sp.Rational):
            return Fraction(int(value.p), int(value.q))
        raise ParseError(
            f"`{name}` = {describe(value)} is not a rational number; symdln takes exact rationals here"
        )
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ParseError(f"`{name}` = {describe(value)} is not finite")
        return Fraction(value)
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, numbers.Real):
        raise ParseError(
            f"`{name}` = {describe(value)} is a binary float, which would cap precision at 53 bits; "
            f"pass a string ('0.1'), a Fraction or a sympy Rational (Fraction({value!r}) keeps the "
            f"exact binary value if that is what you mean)"
        )
    raise ParseError(
        f"`{name}` must be an exact number (int, Fraction, sympy Rational, decimal string), "
        f"got {describe(value)}"
    )


def positive_number(value: object, *, name: str) -> Fraction:
    """:func:`exact_number` that must be > 0."""
    x = exact_number(value, name=name)
    if x <= 0:
        raise ParseError(f"`{name}` must be > 0, got {x}")
    return x


def exact_vector(value: object, *, name: str = "vector") -> tuple[Fraction, ...]:
    """Convert a 1-D exact sequence (or comma-separated text) to a tuple of Fractions."""
    if isinstance(value, str):
        return parse_vector(value, name=name)
    if isinstance(value, sp.MatrixBase):
        if 1 not in value.shape:
            raise ParseError(f"`{name}` must be a vector, got a {value.shape} matrix")
        value = list(value)
    if hasattr(value, "tolist") and not isinstance(value, sp.Basic):
        value = value.tolist()
    if not isinstance(value, Iterable):
        raise ParseError(f"`{name}` must be a sequence of exact numbers, got {describe(value)}")
    items = list(value)
    if not items:
        raise ParseError(f"`{name}` is empty")
    return tuple(exact_number(x, name=f"{name}[{i}]") for i, x in enumerate(items))


def exact_matrix(value: object, *, name: str = "matrix") -> sp.ImmutableMatrix:
    """Convert a 2-D exact array, SymPy matrix or ``"a,b;c,d"`` text to a rational ImmutableMatrix.

    >>> exact_matrix([[1, "1/2"], [0, 2]]).shape
    (2, 2)
    """
    if isinstance(value, str):
        return parse_matrix(value, name=name)
    if isinstance(value, sp.MatrixBase):
        rows = value.tolist()
    else:
        if hasattr(value, "tolist"):
            value = value.tolist()
        if not isinstance(value, Iterable):
            raise ParseError(f"`{name}` must be a 2-D array of exact numbers, got {describe(value)}")
        rows = list(value)
        if not rows or not all(isinstance(r, Iterable) and not isinstance(r, str) for r in rows):
            raise ParseError(
                f"`{name}` must be a non-empty list of rows (a 2-D array), got {describe(value)}"
            )
        rows = [list(r) for r in rows]
    widths = {len(r) for r in rows}
    if len(widths) != 1 or 0 in widths:
        raise ParseError(f"`{name}` has rows of lengths {sorted(widths)}; rows must be non-empty and equal")
    out = []
    for i, r in enumerate(rows):
        row = []
        for j, x in enumerate(r):
            q = exact_number(x, name=f"{name}[{i},{j}]")
            row.append(sp.Rational(q.numerator, q.denominator))
        out.append(row)
    return sp.ImmutableMatrix(out)


def format_number(q) -> str:
    """Exact text for a rational: a decimal when it terminates (``1e-30``, ``0.25``), else ``p/q``.

    The text parses back to the same number with :func:`parse_number`.

    >>> format_number(Fraction(1, 10**30)), format_number(Fraction(5, 2)), format_number(Fraction(1, 3))
    ('1e-30', '2.5', '1/3')
    """
    q = Fraction(q)
    if q.denominator == 1 and abs(q.numerator) < 10**15:
        return str(q.numerator)
    den = q.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{q.numerator}/{q.denominator}"
    k = max(twos, fives)
    scaled = abs(q.numerator) * (10**k // q.denominator)  # |q|·10^k, an integer
    sign = "-" if q < 0 else ""
    digits = str(scaled)
    exp = -k
    while len(digits) > 1 and digits.endswith("0"):
        digits, exp = digits[:-1], exp + 1
    plain_len = len(digits) + max(exp, 0) if exp >= 0 else max(len(digits), -exp) + 2
    leading_zeros = max(0, -exp - len(digits))
    if plain_len <= 20 and leading_zeros <= 4:
        if exp >= 0:
            return sign + digits + "0" * exp
        body = digits.rjust(-exp + 1, "0")
        return sign + body[:exp] + "." + body[exp:]
    sci_exp = exp + len(digits) - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mant}e{sci_exp}"
