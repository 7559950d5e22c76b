"""Exact saddle structure: critical sets of a depth-3 network, one point analysed, a Tikhonov count.

Run: python examples/landscape.py
"""

import sympy as sp

import symdln
from symdln.report.tables import critical_table

model = symdln.deep_linear(spectrum=[2, 1], depth=3, widths=3)
sets = symdln.critical_sets(model)
print(critical_table(sets)[0])

# the origin of a depth-3 network: zero Hessian, a non-strict saddle of order 3
origin = tuple(sp.zeros(*shape) for shape in model.shapes)
a = symdln.analyze_point(model, origin)
print(f"\norigin: inertia {a.inertia}, {a.kind}, order {a.order}; {a.reason}")

# weight decay: global and spurious local minima of a depth-3 teacher problem
wd = symdln.weight_decay_analysis(symdln.deep_linear(spectrum=[3, 2, "1/2"], depth=3, widths=3, weight_decay="1/5"))
for values, loss in wd.local_minima:
    print(f"local minimum with mode values {[round(float(sp.N(v)), 6) for v in values]}: loss {float(sp.N(loss)):.10f}")

# complex and real critical points of a Tikhonov-regularized network (MATH §5 row (2, 2, 2))
from symdln.symbolic.tikhonov import tikhonov_system

res = symdln.count_critical_points(*tikhonov_system(2, 2, 2))
print(f"\n(2, 2, 2): {res.complex_count} complex critical points, {res.real_count} real")
