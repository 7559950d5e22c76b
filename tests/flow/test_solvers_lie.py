"""The linearly implicit extrapolation solver: empirical order against a closed form, and damping of stiff modes."""

import math

import flint
import pytest

from symdln.flow.solvers import GBS, LinearlyImplicitEuler
from symdln.models import balanced_init, deep_linear
from symdln.precision import Precision
from symdln.symbolic.compile import compile_flow


def _saxe_setup(p):
    m = deep_linear(target=[[1]], depth=2, widths=1)  # a = w1·w2, balanced: a' = 2a(1 − a)
    flow = compile_flow(m, p)
    y0 = flow.state(balanced_init(m, "1/4"))
    return flow, y0


@pytest.mark.parametrize("k", [3, 4, 5])
def test_local_error_has_order_k_plus_1(k):
    """One step of T_{k,k} from a(0) = 1/4 against Saxe's a(H) = 1/(1 + 3e^{−2H}): error ∝ H^{k+1}."""
    p = Precision(60)
    flow, y0 = _saxe_setup(p)
    errs = []
    with p.flint():
        f0 = flow.field(y0)
        solver = LinearlyImplicitEuler(flow, k)
        for H in ("0.02", "0.01"):
            y1, _ = solver.step(y0, f0, flint.arb(H))
            a = (y1[1] * y1[0])[0, 0]
            exact = 1 / (1 + 3 * (-2 * flint.arb(H)).exp())
            errs.append(float(abs(a - exact).mid()))
    slope = math.log2(errs[0] / errs[1])
    assert abs(slope - (k + 1)) < 0.6, (k, slope, errs)


def test_stiff_modes_are_damped_at_any_step():
    """Depth 1 (convex): W' = M − W relaxes at rate 1.  One implicit step of size H lands on M up to the damping
    R(−H) = O(1/H) of the transient (L-stability: R(z) → 0 as z → −∞); the explicit method's error estimate at the
    same step is huge (it would need H ≲ 1)."""
    p = Precision(40)
    m = deep_linear(target=[[2, 0], [0, 1]], depth=1)
    flow = compile_flow(m, p)
    y0 = flow.state(([[0, 0], [0, 0]],))
    target = [[2, 0], [0, 1]]
    with p.flint():
        f0 = flow.field(y0)
        for H in ("1e8", "1e12"):
            y1, err = LinearlyImplicitEuler(flow, 6).step(y0, f0, flint.arb(H))
            dist = max(abs(float((y1[0][i, j] - target[i][j]).mid())) for i in range(2) for j in range(2))
            assert dist <= 10 / float(H) * 2, (H, dist)
        z1, zerr = GBS(flow, 4).step(y0, f0, flint.arb("1e8"))
        big = max(abs(float(zerr[0][i, j].mid())) if zerr[0][i, j].is_finite() else math.inf for i in range(2) for j in range(2))
        assert big > 1e6
