"""Flow engine benchmark: wall time and verified digits, symdln against baselines, measured in one run.

Usage::

    python benchmarks/flow.py            # every case (several minutes)
    python benchmarks/flow.py --quick    # depth 2 at sigma = 1e-30 and depth 3 at sigma = 1e-5 only

Problem (NUMERICS.md): teacher form, ``M = U diag(3, 2, 1) Vᵀ`` (exact Cayley rotations, seed 0), width 3,
Gaussian init ``W_l = σG_l`` (seed 0).  Reported numbers: the loss and the singular values of ``A_θ`` at
``t = 10, 40, 70, 100`` (depth 2; the last point is deep in convergence) and the first times the loss falls
below 4.75, 1.5 and 0.25 (the midpoints between plateaus).  The reference values are a symdln run at 45
verified digits; every method's digits are counted against it (``min`` over the numbers).

Methods: symdln ``verified_flow`` (two independent runs; its time includes the verification), SciPy DOP853 in
float64 (rtol 1e-13), mpmath's Taylor ``odefun`` tuned (degree 20, tol 1e-20: the depth-2 oracle of
NUMERICS.md).  heyoka over MPFR is not measured here yet (NUMERICS.md quotes 3.0 s for ≥ 25 digits at
σ ≈ 1e-30 and 12 s at σ ≈ 1e-100 on this kind of machine).
"""

from __future__ import annotations

import argparse
import math
import time
from fractions import Fraction

import numpy as np

from symdln.flow.plan import InitSpec
from symdln.flow.verify import verified_flow
from symdln.models import deep_linear, gaussian_init

TIMES = (10, 40, 70, 100)
LEVELS = ("4.75", "1.5", "0.25")


def _digits(x: float | str, ref: str) -> float:
    import mpmath

    ctx = mpmath.MPContext()
    ctx.dps = 120
    a, b = ctx.mpf(x), ctx.mpf(ref)
    if a == b:
        return 99.0
    return max(0.0, float(-ctx.log10(abs(a - b) / abs(b))))


def _reference(model, sigma):
    r = verified_flow(model, InitSpec.gaussian(sigma, 0), digits=45, at=TIMES, cross=LEVELS, retries=2)
    vals = []
    for p in r.points:
        vals += [p["loss"].full] + [v.full for v in p["values"]]
    vals += [c["t"].full for c in r.crossings]
    return vals


def _symdln(model, sigma, digits, ref, at=TIMES, levels=LEVELS):
    t0 = time.perf_counter()
    r = verified_flow(model, InitSpec.gaussian(sigma, 0), digits=digits, at=at, cross=levels)
    wall = time.perf_counter() - t0
    got = []
    for p in r.points:
        got += [p["loss"].text.lstrip("<")] + [v.text for v in p["values"]]
    got += [c["t"].text for c in r.crossings]
    true = min(_digits(g, f) for g, f in zip(got, ref)) if ref else float("nan")
    return wall, r.min_digits, true, r.status


def _numpy_field(model):
    M = np.array(model.syx.tolist(), dtype=float)

    def f(_t, x):
        W1, W2 = x[:9].reshape(3, 3), x[9:].reshape(3, 3)
        G = M - W2 @ W1
        return np.concatenate([(W2.T @ G).ravel(), (G @ W1.T).ravel()])

    return f


def _float_values(W1, W2, M):
    A = W2 @ W1
    return [0.5 * float(np.sum((A - M) ** 2))] + list(np.linalg.svd(A, compute_uv=False))


def _scipy(model, sigma, ref):
    from scipy.integrate import solve_ivp

    th = gaussian_init(model, sigma, 0)
    x0 = np.concatenate([np.array(W.tolist(), dtype=float).ravel() for W in th])
    M = np.array(model.syx.tolist(), dtype=float)
    from symdln.flow.plan import default_horizon

    horizon = float(default_horizon(model, Fraction(sigma)))
    t0 = time.perf_counter()
    sol = solve_ivp(_numpy_field(model), (0, horizon), x0, method="DOP853", rtol=1e-13, atol=1e-300,
                    dense_output=True)
    got = []
    for T in TIMES:
        x = sol.sol(T)
        got += _float_values(x[:9].reshape(3, 3), x[9:].reshape(3, 3), M)
    from scipy.optimize import brentq

    def loss(t):
        x = sol.sol(t)
        return 0.5 * float(np.sum((x[9:].reshape(3, 3) @ x[:9].reshape(3, 3) - M) ** 2))

    grid = np.linspace(0, horizon, 20001)
    lg = [loss(t) for t in grid]
    for lv in LEVELS:
        i = next(i for i, v in enumerate(lg) if v < float(lv))
        got.append(brentq(lambda t: loss(t) - float(lv), grid[i - 1], grid[i], xtol=1e-14))
    wall = time.perf_counter() - t0
    return wall, min(_digits(repr(float(g)), f) for g, f in zip(got, ref))


def _odefun(model, sigma, ref, budget=600):
    import mpmath

    ctx = mpmath.MPContext()
    ctx.dps = 2 * round(-math.log10(float(Fraction(sigma)))) + 25
    th = gaussian_init(model, sigma, 0)
    x0 = [ctx.mpf(int(x.p)) / int(x.q) for W in th for x in W]
    M = ctx.matrix([[ctx.mpf(int(x.p)) / int(x.q) for x in row] for row in model.syx.tolist()])

    def F(_t, x):
        W1 = ctx.matrix(3, 3)
        W2 = ctx.matrix(3, 3)
        for i in range(9):
            W1[i // 3, i % 3] = x[i]
            W2[i // 3, i % 3] = x[9 + i]
        G = M - W2 * W1
        d1 = W2.T * G
        d2 = G * W1.T
        return [d1[i // 3, i % 3] for i in range(9)] + [d2[i // 3, i % 3] for i in range(9)]

    t0 = time.perf_counter()
    f = ctx.odefun(F, 0, x0, tol=ctx.mpf(10) ** -20, degree=20)
    got = []
    for T in TIMES:
        x = f(T)
        W1 = ctx.matrix(3, 3)
        W2 = ctx.matrix(3, 3)
        for i in range(9):
            W1[i // 3, i % 3] = x[i]
            W2[i // 3, i % 3] = x[9 + i]
        A = W2 * W1
        E = A - M
        got.append(ctx.nstr(sum(E[i, j] ** 2 for i in range(3) for j in range(3)) / 2, 40))
        S = ctx.svd_r(A, compute_uv=False)
        got += [ctx.nstr(s, 40) for s in sorted([S[i] for i in range(3)], reverse=True)]
        if time.perf_counter() - t0 > budget:
            return time.perf_counter() - t0, None
    wall = time.perf_counter() - t0
    return wall, min(_digits(g, f) for g, f in zip(got, ref[: len(got)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    m2 = deep_linear(spectrum=[3, 2, 1], depth=2, widths=3)
    print("depth 2, rotated 3x3, Gaussian init: loss and singular values at t = 10, 40, 70, 100; 3 crossings")
    print(f"{'sigma':>7} {'method':<28} {'wall s':>8} {'claimed':>8} {'true digits':>12}  note")
    sigmas = ("1e-30",) if args.quick else ("1e-30", "1e-60", "1e-100")
    for sigma in sigmas:
        ref = _reference(m2, sigma)
        wall, claimed, true, status = _symdln(m2, sigma, 25, ref)
        print(f"{sigma:>7} {'symdln verified, 25 digits':<28} {wall:8.2f} {claimed!s:>8} {true:12.1f}  {status}")
        w, d = _scipy(m2, sigma, ref)
        print(f"{sigma:>7} {'scipy DOP853 float64':<28} {w:8.2f} {'-':>8} {d:12.1f}  reports success")
        if sigma == "1e-30" or not args.quick:
            w, d = _odefun(m2, sigma, ref)
            ratio = f"symdln {w / wall:.1f}x faster" if d is not None else "over budget"
            print(f"{sigma:>7} {'mpmath odefun (deg 20)':<28} {w:8.2f} {'-':>8} {'-' if d is None else f'{d:12.1f}'}  {ratio}")
        print(f"{sigma:>7} {'heyoka (MPFR)':<28} {'-':>8} {'-':>8} {'-':>12}  not measured by this benchmark yet")
    print()
    print("depth 3, rotated 3x3, Gaussian init: first times the loss falls below 4.75, 1.5, 0.25, 10 digits wanted")
    print(f"{'sigma':>7} {'wall s':>8} {'claimed':>8} {'status':>10}")
    m3 = deep_linear(spectrum=[3, 2, 1], depth=3, widths=3)
    for sigma in (("1e-5",) if args.quick else ("1e-5", "1e-8", "1e-10")):
        wall, claimed, _, status = _symdln(m3, sigma, 10, None, at=(), levels=LEVELS)
        print(f"{sigma:>7} {wall:8.2f} {claimed!s:>8} {status:>10}")


if __name__ == "__main__":
    main()
