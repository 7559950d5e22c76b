"""Benchmark: the diagonal-network limit path (Pesme–Flammarion Algorithm 1) against scikit-learn's ``lars_path``.

Float mode on random Gaussian designs (n = 100, d = 1000 by default; y from a 10-sparse β plus noise): the time
symdln's ``limit_path(model, exact=False)`` takes, next to ``sklearn.linear_model.lars_path(X, y,
method="lasso")`` (the whole Lasso path) on the same data, measured in the same run (best of ``--repeat``), and
their ratio.  Then exact mode (rationals) on small instances, where ties are exact.  scikit-learn is needed
only here (``pip install -e '.[bench]'``).

Run: python benchmarks/limits.py [--n 100] [--d 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from symdln.limits import limit_path
from symdln.models import diagonal_linear


def _instance(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[rng.choice(d, 10, replace=False)] = rng.standard_normal(10) * 3
    y = X @ beta + 0.1 * rng.standard_normal(n)
    # exact model from the float64 values (each read exactly), then float mode on them
    Xq = [[str(v) for v in row] for row in np.round(X, 6)]
    yq = [str(v) for v in np.round(y, 6)]
    return diagonal_linear(Xq, yq), np.round(X, 6), np.round(y, 6)


def _best(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    try:
        from sklearn.linear_model import lars_path
    except ImportError:
        lars_path = None
    print("symdln: the path on the model's float64 view; 'view s' converts the exact model once (p/q → float64)")
    print(f"{'case':<28} {'view s':>8} {'symdln s':>10} {'jumps':>6} {'lars_path s':>12} {'steps':>6} {'ratio':>7}")
    for seed in range(3):
        model, X, y = _instance(args.n, args.d, seed)
        t0 = time.perf_counter()
        model.float64
        tv = time.perf_counter() - t0
        ts, path = _best(lambda: limit_path(model, exact=False, progress=False), args.repeat)
        if lars_path is not None:
            tl, res = _best(lambda: lars_path(X, y, method="lasso"), args.repeat)
            lars = f"{tl:12.3f} {len(res[0]):6d} {ts / tl:7.2f}"
        else:
            lars = f"{'(no sklearn)':>12} {'-':>6} {'-':>7}"
        print(f"{f'n={args.n} d={args.d} seed={seed}':<28} {tv:8.3f} {ts:10.3f} {len(path.jumps):6d} {lars}")
    print("exact mode (rationals):")
    for n, d in ((10, 20), (20, 40), (30, 60)):
        model, _, _ = _instance(n, d, 7)
        ts, path = _best(lambda: limit_path(model, progress=False), 1)
        print(f"{f'n={n} d={d}':<28} {'':>8} {ts:10.3f} {len(path.jumps):6d}")


if __name__ == "__main__":
    main()
