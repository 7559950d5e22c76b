"""Bracketed root finding in arb time (Illinois variant of regula falsi), shared by events and saddle visits."""

from __future__ import annotations

from typing import Any, Callable

import flint

__all__ = ["illinois", "time_resolution"]

#: an event time is located this far below the run's tolerance: the location adds at most ``2^-20`` of the run's
#: own error to it (and the verification's comparison of two runs measures the runs, not the root finder)
EVENT_MARGIN_BITS = 20


def time_resolution(bits: int, guard_bits: int, rtol) -> flint.arb:
    """The relative resolution ``max(2^{−(bits − guard)}, 2^{−20}·rtol)`` at which an event time is located.

    The run's values hold about ``log10(1/rtol)`` digits; locating a time to the working precision (~110 digits at
    depth 3 from σ = 1e-30) cost ~38 evaluations of the dense output a crossing, each a stepped re-integration
    (153 for four crossings, 1.5 each once located to this resolution: there the bracketing step is already
    ~1e-30 of ``t``).

    Examples
    --------
    >>> from fractions import Fraction
    >>> f"{float(time_resolution(200, 10, Fraction(1, 10**13)).mid()):.4e}"  # 2^-20 · 1e-13
    '9.5367e-20'
    >>> float(time_resolution(40, 10, Fraction(1, 10**13)).mid()) == 2.0**-30  # the arithmetic's own
    True
    """
    fine = flint.arb(2) ** (-(bits - guard_bits))
    tol = flint.arb(rtol.numerator) / rtol.denominator * flint.arb(2) ** (-EVENT_MARGIN_BITS)
    return (tol if tol > fine else fine).mid()


def illinois(
    g: Callable[[flint.arb], tuple[flint.arb, Any]],
    a: flint.arb,
    b: flint.arb,
    *,
    resolution: flint.arb,
    iterations: int = 200,
) -> tuple[flint.arb, Any]:
    """A root of ``g`` in ``[a, b]``; ``g(t)`` returns ``(value, payload)``.

    Stops when ``b − a ≤ max(|b|, 1)·resolution``.  Returns ``(t, payload)`` at the end of the final
    bracket on the side of ``b``'s sign (for a decreasing quantity crossing a level: the first time it is
    below).  Without a sign change the nearer endpoint is returned.
    """
    fa, pa = g(a)
    fb, pb = g(b)
    if fa == 0:
        return a, pa
    if fb == 0 or (fa > 0) == (fb > 0):
        return (b, pb) if fb == 0 or abs(fb) <= abs(fa) else (a, pa)
    side = 0
    for _ in range(iterations):
        if b - a <= max(abs(b), flint.arb(1)) * resolution:
            break
        c = ((a * fb - b * fa) / (fb - fa)).mid()
        if not (a < c < b):
            c = ((a + b) / 2).mid()
        fc, pc = g(c)
        if fc == 0:
            return c, pc
        if (fc > 0) == (fb > 0):
            b, fb, pb = c, fc, pc
            if side == -1:
                fa = fa / 2
            side = -1
        else:
            a, fa, pa = c, fc, pc
            if side == 1:
                fb = fb / 2
            side = 1
    return b, pb
