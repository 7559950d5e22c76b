"""How many significant digits two runs verify: their agreement, capped by the tighter run's tolerance and lowered
until the printed value is within half a unit of its last digit (:mod:`.verify` reports numbers with them)."""

from __future__ import annotations

import math
from fractions import Fraction

import flint

__all__ = ["agreeing_digits", "rounding_safe_digits", "tolerance_digits"]


def agreeing_digits(a: flint.arb, b: flint.arb, cap: int) -> int:
    """``⌊−log10(|a − b| / |b|)⌋`` clipped to ``[0, cap]`` (``cap`` when equal; call inside a flint scope)."""
    a, b = a.mid(), b.mid()
    if a == b:
        return cap
    if b == 0:
        return 0
    rel = abs((a - b) / b).mid()
    if not rel > 0:
        return cap
    k = math.floor(-float(rel.log().mid()) / math.log(10))
    return max(0, min(cap, k))


def rounding_safe_digits(a: flint.arb, b: flint.arb, k: int, printed: flint.arb | None = None,
                         rel_error: float = 0.0) -> int:
    """The largest ``d ≤ k`` at which ``b`` rounded to ``d`` significant digits is within half a unit of its last
    digit of the value both runs estimate: ``|round_d(b) − b| + |a − b| ≤ ½·10^{E−d+1}`` (``E`` the decimal exponent of
    ``round_d(b)``), taking ``|a − b|`` as the bound of the tighter run's error ``|b − x|`` (call inside a flint
    scope).  Agreement to ``d`` digits (:func:`agreeing_digits`) alone is not that: the difference can be up to one
    unit of the ``d``-th digit, and rounding adds half a unit (found by an independent check: 9 of 1,548 numbers
    printed to their agreeing digits were 0.52–0.80 units off in the last one).  ``printed``: another value shown
    instead of ``b`` (e.g. the first run's), charged its distance to ``b`` as well.  ``rel_error``: a floor for the
    tighter run's relative error, charged beside ``|a − b|`` (runs can agree beyond their accuracy: a singular value
    8e-20 at depth 3 whose runs at rtol 1e-20 and 1e-23 agreed to 21 digits; the tighter was 4.4e-22 off, 44 times
    its tolerance, and the value printed to 21 digits 0.52 units off in the last).

    >>> import flint
    >>> rounding_safe_digits(flint.arb("0.12346"), flint.arb("0.12344"), 4)  # 0.1234: off by 6e-5 > half a unit
    3
    """
    from decimal import Decimal

    a, b = a.mid(), b.mid()
    shown = b if printed is None else printed.mid()
    diff = abs(a - b) + abs(shown - b) + abs(b) * flint.arb(rel_error)
    for d in range(k, 0, -1):
        text = shown.str(d, radius=False)
        r = flint.arb(text)
        half = flint.arb(10) ** (Decimal(text).adjusted() - d + 1) / 2
        if abs(r - shown) + diff <= half:
            return d
    return 0


def tolerance_digits(rtol: Fraction) -> int:
    """``⌊log10(1/rtol)⌋``: the most digits a verification by a run at ``rtol`` can give (:func:`~.measure.compare`).

    >>> tolerance_digits(Fraction(1, 10**16)), tolerance_digits(Fraction(3, 10**15))
    (16, 14)
    """
    return math.floor(math.log10(rtol.denominator) - math.log10(rtol.numerator))
