"""Diagonal network from α = 1e-40 on the worked example of MATH §4.1 (saddles at τ = 2, 8, 552/49).

Run: python examples/diagonal_pesme_flammarion.py
"""

import math

import symdln

model = symdln.diagonal_linear("1,1/2,7/10,0;1/2,1,1/10,7/10", "1,0")
sol = symdln.integrate_flow(model, symdln.pf_init(model, "1e-40"), 2000, scale="1e-40")
log_inv = 40 * math.log(10)
for tau in ("1", "5", "10", "14"):
    t = symdln.parse_number(tau) * symdln.parse_number(repr(log_inv))
    beta = sol.end_to_end(t)
    print(f"tau = {tau:>3s}: beta = " + ", ".join(beta[i, 0].mid().str(8, radius=False) for i in range(4)))
