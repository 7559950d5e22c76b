from fractions import Fraction

import flint
import mpmath
import pytest

from symdln.errors import PrecisionError
from symdln.precision import Precision, arb_to_fraction, digits_for_flow, to_arb


def test_bits_and_private_contexts():
    p = Precision(100)
    assert p.bits == 333 + 32
    assert p.mp.prec == p.bits
    assert mpmath.mp.prec == 53
    with p.flint():
        assert flint.ctx.prec == p.bits
        x = p.arb("1/3")
        # 1/3 rounded once at p.bits: error below 2^-bits
        assert abs(x - flint.arb(1) / 3) < flint.arb(2) ** (-p.bits + 1)
    assert flint.ctx.prec == 53


def test_exact_values_round_trip_through_arb():
    p = Precision(40)
    with p.flint():
        for q in [Fraction(3, 8), Fraction(-5, 1024), Fraction(7)]:
            assert arb_to_fraction(to_arb(q, p.bits)) == q


def test_bad_precision():
    with pytest.raises(PrecisionError, match="digits"):
        Precision(2)
    with pytest.raises(PrecisionError, match="digits"):
        Precision(10.5)


def test_digits_for_flow_follows_numerics_rule():
    # 2 log10(1/σ) + accuracy + 10 (NUMERICS.md: 2 log10(1/σ) + 20 is safe at depth 2)
    assert digits_for_flow(Fraction(1, 10**30), Fraction(1, 10**12)) == 82
    # depth 3 adds log10(1/σ) to resolve time near σ^-(L-2)
    assert digits_for_flow(Fraction(1, 10**30), Fraction(1, 10**12), depth=3) == 112
    with pytest.raises(PrecisionError):
        digits_for_flow(Fraction(0), Fraction(1, 10))
