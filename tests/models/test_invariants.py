"""D_l = W_{l+1}ᵀW_{l+1} − W_lW_lᵀ is conserved (λ = 0) or decays like e^{−2λt} along the flow (MATH §1.1)."""

import pytest

from symdln.flow import integrate_flow
from symdln.matops import to_arb_mat
from symdln.models import balancedness, deep_linear, gaussian_init
from symdln.precision import Precision


def _max_abs(M):
    return max(abs(M[i, j]) for i in range(M.nrows()) for j in range(M.ncols()))


@pytest.mark.parametrize("depth", [2, 3])
def test_balancedness_conserved_without_weight_decay(depth):
    m = deep_linear(spectrum=[3, 2, 1], depth=depth, widths=3)
    th = gaussian_init(m, "1e-2", seed=1)
    p = Precision(40)
    rtol = "1e-35"  # as tight as the working precision allows (integrate_flow refuses rtol < 10^-(digits-5))
    sol = integrate_flow(m, th, 6, precision=p, rtol=rtol, progress=False)
    with p.flint():
        D0 = balancedness(tuple(to_arb_mat(W, p.bits) for W in th))
        bound = 100 * p.arb(rtol)  # local errors are rtol-relative on O(1) weights, over a few dozen steps
        for y in sol.states[1:]:
            for a, b in zip(balancedness(y), D0):
                assert _max_abs(a - b) < bound


def test_balancedness_decays_with_weight_decay():
    lam = "1/5"
    m = deep_linear(spectrum=[3, 2, 1], depth=2, widths=3, weight_decay=lam)
    th = gaussian_init(m, "1e-1", seed=2)
    p = Precision(40)
    sol = integrate_flow(m, th, 5, precision=p, rtol="1e-35", progress=False)
    with p.flint():
        D0 = balancedness(tuple(to_arb_mat(W, p.bits) for W in th))[0]
        for t in ["1", "5/2", "5"]:
            tt = p.arb(t)
            Dt = balancedness(sol.evaluate(t))[0]
            expected = D0 * (-2 * p.arb(lam) * tt).exp()
            assert _max_abs(Dt - expected) < 100 * p.arb("1e-35")
