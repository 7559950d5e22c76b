"""The default saddle-to-saddle run, from Python: visits, accelerated times, graph.

Run: python examples/default_explore.py
"""

import symdln

model = symdln.deep_linear(spectrum=[3, 2, 1], depth=2, widths=3, rotation_seed=0)
theta0 = symdln.gaussian_init(model, "1e-30", seed=0)
sol = symdln.integrate_flow(model, theta0, 300, loss_below="1e-20", scale="1e-30")
print(sol.status.name, sol.stats)
visits = symdln.detect_visits(sol)
for v in visits:
    tau = "-" if v.tau_arrive is None else v.tau_arrive.mid().str(8, radius=False)
    print(f"{v.name:10s} loss {str(v.loss):5s} arrives at tau = {tau}   (greedy limit: 1/s_k)")
G = symdln.saddle_graph(visits, model=model)
print(sorted(G.edges))
