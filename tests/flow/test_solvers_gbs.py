"""Empirical order of the extrapolated step against a closed form."""

import math

import flint
import pytest

from symdln.flow.solvers.gbs import evaluations_per_step, gbs_step, order_for_tolerance
from symdln.precision import Precision


def _f(y):
    (Y,) = y
    return (-(Y * Y),)


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_local_error_has_order_2k_plus_1(k):
    """y' = −y², y(0) = 1: y(H) = 1/(1+H).  One step's error scales like H^{2k+1}."""
    p = Precision(80)
    with p.flint():
        y0 = (flint.arb_mat([[1]]),)
        errs = []
        for H in (flint.arb("0.05"), flint.arb("0.025")):
            y1, _, nfev = gbs_step(_f, y0, _f(y0), H, k)
            assert nfev == evaluations_per_step(k) - 1
            errs.append(abs(y1[0][0, 0] - 1 / (1 + H)))
        order = math.log2(float((errs[0] / errs[1]).mid()))
    assert abs(order - (2 * k + 1)) < 0.4, order


def test_error_estimate_tracks_the_lower_order_error():
    p = Precision(60)
    with p.flint():
        y0 = (flint.arb_mat([[1]]),)
        H = flint.arb("0.1")
        y1, err, _ = gbs_step(_f, y0, _f(y0), H, 4)
        true_lower = abs((y1[0][0, 0] - err[0][0, 0]) - 1 / (1 + H))
        ratio = float((abs(err[0][0, 0]) / true_lower).mid())
    assert 0.5 < ratio < 2


def test_order_for_tolerance():
    from fractions import Fraction

    assert order_for_tolerance(Fraction(1, 10**12)) == 8
    assert order_for_tolerance(Fraction(1, 10)) == 3
    assert order_for_tolerance(Fraction(1, 10**200)) == 40
