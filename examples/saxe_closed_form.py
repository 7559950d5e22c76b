"""Balanced aligned init against Saxe's closed form a(t) = s / (1 + (s/a0 − 1) e^{−2st}).

Run: python examples/saxe_closed_form.py
"""

import flint

import symdln
from symdln.matops import to_arb_mat

model = symdln.deep_linear(spectrum=[3, 2, 1], widths=3)
sol = symdln.integrate_flow(model, symdln.balanced_init(model, "1e-60"), 40, rtol="1e-36")
p = sol.precision
for T in (10, 20, 40):
    A = sol.end_to_end(T)
    with p.flint():
        C = to_arb_mat(model.svd.U, p.bits).transpose() * A * to_arb_mat(model.svd.V, p.bits)
        for i, s in enumerate((3, 2, 1)):
            exact = flint.arb(s) / (1 + (flint.arb(s) / p.arb("1e-60") - 1) * flint.arb(-2 * s * T).exp())
            print(f"t={T:3d} s={s}: a = {C[i, i].mid().str(12, radius=False):>22s}  rel. error {(C[i, i] / exact - 1).mid().str(3, radius=False)}")
