"""Working precision as an explicit value.

A :class:`Precision` carries a number of significant decimal ``digits`` plus
``guard_bits``; it owns a private :class:`mpmath.MPContext` and scopes
python-flint's precision with a context manager, so nothing global is changed
for longer than one call.  Every result that depends on precision records the
``Precision`` it was computed at.

Conversions between exact numbers and arb balls live here too: exact values
(``int``, ``Fraction``, SymPy ``Rational``) are rounded *once*, when they enter
arb, and leave as exact binary fractions or decimal strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from contextlib import contextmanager
from typing import Iterator

import flint
import mpmath
import sympy as sp

from .errors import PrecisionError, describe

__all__ = ["Precision", "digits_for_flow"]

_MAX_DIGITS = 100_000


@dataclass(frozen=True)
class Precision:
    """Significant decimal digits plus guard bits, and the contexts that use them.

    ``bits = ceil(digits · log2 10) + guard_bits``.

    Parameters
    ----------
    digits : int
        Significant decimal digits wanted in results (≥ 5).
    guard_bits : int
        Extra binary digits carried by the arithmetic.

    Examples
    --------
    >>> p = Precision(50)
    >>> p.bits
    199
    >>> with p.flint():
    ...     x = p.arb("1/3")
    >>> p.decimal(x, 10)
    '0.3333333333'
    """

    digits: int
    guard_bits: int = 32

    def __post_init__(self) -> None:
        if isinstance(self.digits, bool) or not isinstance(self.digits, int):
            raise PrecisionError(f"`digits` must be an int, got {describe(self.digits)}")
        if not 5 <= self.digits <= _MAX_DIGITS:
            raise PrecisionError(f"`digits` must be in [5, {_MAX_DIGITS}], got {self.digits}")
        if isinstance(self.guard_bits, bool) or not isinstance(self.guard_bits, int) or not (
            0 <= self.guard_bits <= 10_000
        ):
            raise PrecisionError(f"`guard_bits` must be an int in [0, 10000], got {describe(self.guard_bits)}")

    @property
    def bits(self) -> int:
        """Binary precision used by the arithmetic."""
        return math.ceil(self.digits * math.log2(10)) + self.guard_bits

    @cached_property
    def mp(self) -> mpmath.ctx_mp.MPContext:
        """A private mpmath context at :attr:`bits` (the global ``mpmath.mp`` is never touched)."""
        ctx = mpmath.MPContext()
        ctx.prec = self.bits
        return ctx

    @contextmanager
    def flint(self) -> Iterator[None]:
        """Scope python-flint's arithmetic to :attr:`bits`; the previous precision is restored."""
        with flint.ctx.workprec(self.bits):
            yield

    # -- conversions -------------------------------------------------------------------------
    def arb(self, x: object) -> flint.arb:
        """Round an exact value (int, Fraction, Rational, decimal string, SymPy algebraic) to an arb.

        Call inside :meth:`flint`.  SymPy expressions that are not rational are evaluated
        with ``evalf`` at :attr:`bits` + 20 bits and rounded once.
        """
        return to_arb(x, self.bits)

    def decimal(self, x: flint.arb, digits: int | None = None) -> str:
        """The midpoint of ``x`` as a decimal string with ``digits`` (default: :attr:`digits`) digits."""
        n = self.digits if digits is None else digits
        return x.mid().str(n, radius=False, more=True)


def to_arb(x: object, bits: int) -> flint.arb:
    """Round ``x`` once into an arb ball at the current flint precision (see :meth:`Precision.arb`)."""
    if isinstance(x, flint.arb):
        return x
    if isinstance(x, bool):
        raise PrecisionError(f"cannot convert {describe(x)} to a number")
    if isinstance(x, int):
        return flint.arb(flint.fmpz(x))
    if isinstance(x, Fraction):
        return flint.arb(flint.fmpq(x.numerator, x.denominator))
    if isinstance(x, str):
        from .parse import parse_number

        return to_arb(parse_number(x), bits)
    if isinstance(x, sp.Basic):
        if isinstance(x, sp.Float):
            raise PrecisionError(f"a SymPy Float {describe(x)} is inexact; use Rational")
        if isinstance(x, sp.Rational):
            return flint.arb(flint.fmpq(int(x.p), int(x.q)))
        value = sp.N(x, math.ceil((bits + 20) / math.log2(10)))
        if not value.is_real:
            raise PrecisionError(f"{describe(x)} is not a real number")
        man, exp = _mpf_man_exp(value._mpf_)
        return flint.arb((flint.fmpz(man), flint.fmpz(exp)))
    raise PrecisionError(f"cannot convert {describe(x)} to an arb; pass an exact number")


def _mpf_man_exp(mpf_tuple: tuple) -> tuple[int, int]:
    sign, man, exp, _bc = mpf_tuple
    if man == 0 and exp != 0:
        raise PrecisionError("cannot convert a non-finite number")
    return (-int(man) if sign else int(man)), int(exp)


def arb_to_fraction(x: flint.arb) -> Fraction:
    """The midpoint of an arb as an exact binary fraction."""
    if not x.is_finite():
        raise PrecisionError(f"non-finite value {x}")
    man, exp = x.mid().man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2 ** (-exp))


def arb_to_mpf(x: flint.arb, ctx: mpmath.ctx_mp.MPContext) -> mpmath.mpf:
    """The midpoint of an arb as an mpf of ``ctx`` (exact when ``ctx`` has enough bits)."""
    man, exp = x.mid().man_exp()
    return ctx.ldexp(ctx.mpf(int(man)), int(exp))


def digits_for_flow(scale: Fraction | int, rtol: Fraction, *, depth: int = 2) -> int:
    """Working digits for a flow out of an initialization of size ``scale`` at relative accuracy ``rtol``.

    ``digits = 2·log10(1/scale) + log10(1/rtol) + 10 + (depth − 2)·log10(1/scale)``.

    The first term keeps the escape components (relative size down to ``scale²``) above
    rounding (NUMERICS.md: ``2·log10(1/σ) + 20`` is safe at depth 2); the last lets time
    resolve O(1) intervals near ``t ~ scale^{-(depth-2)}`` at depth ≥ 3.

    >>> digits_for_flow(Fraction(1, 10**30), Fraction(1, 10**12))
    82
    """
    s = Fraction(scale)
    if s <= 0:
        raise PrecisionError(f"`scale` must be > 0, got {s}")
    if not 0 < rtol < 1:
        raise PrecisionError(f"`rtol` must be in (0, 1), got {rtol}")
    dec = max(0.0, -_log10(s))
    acc = -_log10(Fraction(rtol))
    return math.ceil(2 * dec + max(acc, 10) + 10 + max(0, depth - 2) * dec)


def _log10(q: Fraction) -> float:
    return (math.log10(q.numerator) if q.numerator > 0 else -math.inf) - math.log10(q.denominator)
