"""Exact signs and comparisons of real algebraic numbers given as SymPy expressions.

A nonzero number's sign is read from an evaluation whose digits SymPy certifies (``evalf(strict=True)``
raises rather than return digits it could not guarantee).  When no precision up to a few hundred
digits separates the number from 0, its minimal polynomial over ℚ decides: it is 0 exactly when that
polynomial is ``x``.  No comparison is ever decided by a floating-point tolerance.
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy.core.evalf import PrecisionExhausted

__all__ = ["exact_sign", "exact_compare", "exact_sorted"]


def exact_sign(x) -> int:
    """``−1``, ``0`` or ``1``: the sign of a real algebraic number, exactly.

    >>> r = sp.CRootOf(sp.Symbol("b") ** 3 - 2, 0)
    >>> exact_sign(r**3 - 2), exact_sign(r - sp.Rational(5, 4))
    (0, 1)
    """
    x = sp.sympify(x)  # safe: internal exact expressions only, never user text
    if x.is_Rational:
        return int(x.p > 0) - int(x.p < 0)
    for digits in (30, 120, 400):
        try:
            v = x.evalf(digits, strict=True, maxn=4 * digits)
        except PrecisionExhausted:
            continue
        if v.is_Number and v != 0:
            return 1 if v > 0 else -1
    p = sp.minimal_polynomial(x, polys=True)
    if p.degree() == 1:
        r = sp.Rational(-p.nth(0), p.nth(1))
        return int(r.p > 0) - int(r.p < 0)
    raise ArithmeticError(f"could not certify the sign of {x} (minimal polynomial {p.as_expr()})")


def exact_compare(a, b) -> int:
    """``exact_sign(a − b)``."""
    return exact_sign(sp.sympify(a) - sp.sympify(b))  # safe: internal exact expressions


def exact_sorted(items, key=lambda x: x):
    """``items`` sorted by ``key`` (real algebraic numbers) with exact comparisons; equal keys keep their order."""
    return sorted(items, key=functools.cmp_to_key(lambda p, q: exact_compare(key(p), key(q))))
