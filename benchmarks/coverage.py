"""Benchmark: how many critical points found by random-start searches the landscape lists.

For DLNs of depth 3 and 4 with non-uniform widths (spectrum 3,2,1, rotation seed 1), Levenberg–Marquardt on
``∇ℒ = 0`` (float64) from ``--starts`` random starts ``N(0, 1)·{0.1, 0.3, 1}``; each converged point is located
with :meth:`symdln.symbolic.landscape.Landscape.locate`: ``located`` (a listed stratum with its rank signature),
``refused`` (a rank rests on a tiny singular value: too near a smaller stratum to name) or ``unlisted`` (no listed
stratum has its rank signature — a kind the table's ``not listed:`` line names).  Not a test: a measurement of
completeness.

Run: python benchmarks/coverage.py [--starts 40] [--seed 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import least_squares

from symdln.models import deep_linear
from symdln.symbolic.landscape import landscape
from symdln.symbolic.pointfloat import flat_gradient


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=40)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    print(f"{'depth':>5} {'widths':>10} {'strata':>6} {'located':>8} {'refused':>8} {'unlisted':>9} {'no conv':>8} "
          f"{'seconds':>8}")
    for depth, widths in ((3, [3, 2]), (3, [2, 3]), (4, [3, 2, 2]), (4, [2, 3, 2]), (4, [2, 1, 2]), (4, [3, 3, 2])):
        t = time.perf_counter()
        m = deep_linear(spectrum=[3, 2, 1], widths=widths, depth=depth, rotation_seed=1)
        L = landscape(m)
        grad = flat_gradient(m)  # the closed-form gradient on flat states (layers row-major, one after the other)
        cuts = np.cumsum([r * c for r, c in m.shapes])[:-1]
        rng = np.random.default_rng(args.seed)
        P = sum(r * c for r, c in m.shapes)
        stats = {"located": 0, "refused": 0, "unlisted": 0, "no conv": 0}
        for _ in range(args.starts):
            x0 = rng.normal(size=P) * rng.choice([0.1, 0.3, 1.0])
            r = least_squares(grad, x0, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=3000)
            if np.linalg.norm(grad(r.x)) > 1e-9:
                stats["no conv"] += 1
                continue
            loc = L.locate([x.reshape(shape) for x, shape in zip(np.split(r.x, cuts), m.shapes)], rtol=1e-7)
            stats["located" if loc.exact_match else "unlisted" if "no listed stratum" in loc.reason else "refused"] += 1
        print(f"{depth:>5} {str(widths):>10} {len(L.strata):>6} {stats['located']:>8} {stats['refused']:>8} "
              f"{stats['unlisted']:>9} {stats['no conv']:>8} {time.perf_counter() - t:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
