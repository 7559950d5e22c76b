"""Properties of every gradient flow (Hypothesis): the loss never increases, balancedness is conserved (λ = 0)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from symdln.flow import integrate_flow
from symdln.matops import to_arb_mat
from symdln.models import balancedness, deep_linear, gaussian_init
from symdln.precision import Precision

small = st.fractions(min_value=-2, max_value=2, max_denominator=5)


@settings(max_examples=15, deadline=None)
@given(
    depth=st.integers(2, 3),
    width=st.integers(1, 3),
    n_in=st.integers(1, 3),
    n_out=st.integers(1, 3),
    data=st.data(),
    exponent=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_loss_decreases_and_balancedness_is_conserved(depth, width, n_in, n_out, data, exponent, seed):
    target = [[data.draw(small) for _ in range(n_in)] for _ in range(n_out)]
    m = deep_linear(target, depth=depth, widths=width)
    th = gaussian_init(m, f"1e-{exponent}", seed)
    p = Precision(40)
    rtol = "1e-25"
    sol = integrate_flow(m, th, 4, precision=p, rtol=rtol, progress=False)
    with p.flint():
        slack = p.arb(rtol) * 100 * (1 + sol.losses[0])
        for a, b in zip(sol.losses, sol.losses[1:]):
            assert b <= a + slack
        D0 = balancedness(tuple(to_arb_mat(W, p.bits) for W in th))
        bound = p.arb(rtol) * 1000
        for D, E in zip(balancedness(sol.states[-1]), D0):
            diff = D - E
            assert all(abs(diff[i, j]) < bound for i in range(diff.nrows()) for j in range(diff.ncols()))
