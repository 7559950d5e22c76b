"""Flow engine benchmark: wall time and verified digits, symdln against baselines, measured in one run.

Usage::

    python benchmarks/flow.py            # every case (several minutes)
    python benchmarks/flow.py --quick    # depth 2 at sigma = 1e-30 and depth 3 at sigma = 1e-5 only

Problem (NUMERICS.md): teacher form, ``M = U diag(3, 2, 1) Vᵀ`` (exact Cayley rotations, seed 0), width 3,
Gaussian init ``W_l = σG_l`` (seed 0).  Reported numbers: the loss and the singular values of ``A_θ`` at
``t = 10, 40, 70, 100`` (depth 2; the last point is deep in convergence) and the first times the loss falls
below 4.75, 1.5 and 0.25 (the midpoints between plateaus).  The reference values are a symdln run at 45
verified digits; every method's digits are counted against it (``min`` over the numbers).

Methods: symdln ``verified_flow`` (two independent runs; its time includes the verification; the two runs go to
two processes where two cores are available, and each run's own time is printed beside the wall time), SciPy DOP853 in
float64 (rtol 1e-13), mpmath's Taylor ``odefun`` (degree 20, tol 1e-20: the depth-2 oracle of NUMERICS.md, which
stops at 14-15 digits; then tuned for symdln's digits: degree and tolerance tightened by 5 digits until every value
has them), and heyoka (Taylor, LLVM, MPFR ``real``) when it is installed (``pip install heyoka``): its
tolerance is tightened by 5 digits (and its precision raised with it) until every value at the four times has the digits
symdln verified; its wall time is that of the first attempt that reaches them, JIT compilation included (the sum
over attempts is printed beside it; heyoka makes no second run and no crossing times here, symdln's time
includes both runs and the crossings).

Deep rows: depth 3 from σ = 1e-5 … 1e-60 and depth 4 (balanced a0 = 1e-40, 15 digits; Gaussian σ = 1e-15):
wall time of both runs and the digits verified, so the cost's growth with log10(1/σ) is printed.
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
    # the runs' own times: beside each other in two processes (the default where two cores are available), the wall
    # time is about the longer one's; their sum is what one core would take
    runs = " + ".join(f"{x['stats']['seconds']:.2f}" for x in r.runs)
    return wall, r.min_digits, true, f"{r.status}; runs {runs} s"


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


def _odefun_once(model, sigma, ref, tol_digits: int, degree: int, budget: float):
    """One odefun run at tolerance ``10^-tol_digits`` and ``degree``: ``(wall, digits)`` (digits ``None`` over budget)."""
    import mpmath

    ctx = mpmath.MPContext()
    ctx.dps = 2 * round(-math.log10(float(Fraction(sigma)))) + tol_digits + 5
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
    f = ctx.odefun(F, 0, x0, tol=ctx.mpf(10) ** -tol_digits, degree=degree)
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


def _odefun(model, sigma, ref, want=None, budget=600):
    """mpmath's Taylor ``odefun``: degree 20 at tolerance 1e-20 (NUMERICS.md's oracle) when ``want`` is ``None``;
    otherwise tuned for ``want`` digits at every value: tolerance ``10^-(want-3)`` first (its global errors were
    measured below its local tolerance), degree ``tol digits + 5`` (Taylor methods want the degree to grow with the
    digits), tightened by 5 digits until the values have ``want``.
    ``(wall of the first attempt that reaches them, digits, note)``."""
    if want is None:
        w, d = _odefun_once(model, sigma, ref, 20, 20, budget)
        return w, d, "deg 20, tol 1e-20"
    total, k = 0.0, max(5, want - 3)
    while total < budget:
        w, d = _odefun_once(model, sigma, ref, k, k + 5, budget - total)
        total += w
        if d is not None and d >= want:
            return w, d, f"deg {k + 5}, tol 1e-{k} (all attempts: {total:.1f} s)"
        k += 5
    return total, None, "over budget"


def _decimal(q, dps: int) -> str:
    """An exact sympy Rational as a decimal string of ``dps`` digits."""
    import mpmath

    with mpmath.workdps(dps):
        return mpmath.nstr(mpmath.mpf(int(q.p)) / int(q.q), dps)


def _heyoka(model, sigma, ref, want, budget=600):
    """heyoka over MPFR: the tolerance is tightened by 5 digits until every value at ``TIMES`` has ``want`` digits."""
    try:
        import heyoka as hy
    except ImportError:
        return None, None, "not installed"
    import mpmath

    th = gaussian_init(model, sigma, 0)
    M = model.syx.tolist()
    log_inv = -math.log10(float(Fraction(sigma)))
    total = 0.0
    k = want + 3
    while total < budget:
        dps = int(2 * log_inv) + k + 15
        prec = int(dps * 3.33) + 8
        t0 = time.perf_counter()
        xs = hy.make_vars(*[f"w{i}" for i in range(18)])
        W1 = [[xs[3 * i + j] for j in range(3)] for i in range(3)]
        W2 = [[xs[9 + 3 * i + j] for j in range(3)] for i in range(3)]
        Mc = [[hy.expression(hy.real(_decimal(M[i][j], dps + 5), prec)) for j in range(3)] for i in range(3)]
        A = [[sum((W2[i][m] * W1[m][j] for m in range(3)), hy.expression(hy.real(0, prec))) for j in range(3)] for i in range(3)]
        G = [[Mc[i][j] - A[i][j] for j in range(3)] for i in range(3)]
        d1 = [sum((W2[m][i] * G[m][j] for m in range(3)), hy.expression(hy.real(0, prec))) for i in range(3) for j in range(3)]
        d2 = [sum((G[i][m] * W1[j][m] for m in range(3)), hy.expression(hy.real(0, prec))) for i in range(3) for j in range(3)]
        x0 = [hy.real(_decimal(x, dps + 5), prec) for W in th for x in W]
        ta = hy.taylor_adaptive(list(zip(xs, d1 + d2)), x0, fp_type=hy.real, tol=hy.real(f"1e-{k}", prec), compact_mode=True)
        out = ta.propagate_grid([hy.real(0, prec)] + [hy.real(T, prec) for T in TIMES])[-1]
        last = time.perf_counter() - t0
        total += last
        got = []
        with mpmath.workdps(dps):
            Mm = mpmath.matrix([[mpmath.mpf(int(x.p)) / int(x.q) for x in row] for row in M])
            for row in out[1:]:
                v = [mpmath.mpf(str(x)) for x in row]
                B1 = mpmath.matrix([[v[3 * i + j] for j in range(3)] for i in range(3)])
                B2 = mpmath.matrix([[v[9 + 3 * i + j] for j in range(3)] for i in range(3)])
                Am = B2 * B1
                E = Am - Mm
                got.append(mpmath.nstr(sum(E[i, j] ** 2 for i in range(3) for j in range(3)) / 2, dps))
                S = mpmath.svd_r(Am, compute_uv=False)
                got += [mpmath.nstr(x, dps) for x in sorted([S[i] for i in range(3)], reverse=True)]
        digits = min(_digits(g, f) for g, f in zip(got, ref))
        if digits >= want:
            return last, digits, f"tol 1e-{k}, {prec} bits (all attempts: {total:.2f} s)"
        k += 5
    return total, None, "over budget"


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
            w, d, note = _odefun(m2, sigma, ref)
            print(f"{sigma:>7} {'mpmath odefun (deg 20)':<28} {w:8.2f} {'-':>8} {'-' if d is None else f'{d:12.1f}'}  "
                  f"{note}; fewer digits; odefun/symdln time {w / wall:.1f}")
            w, d, note = _odefun(m2, sigma, ref, want=max(1, math.floor(true)) if math.isfinite(true) else 25)
            ratio = f"odefun/symdln time {w / wall:.1f}" if d is not None else f"over budget (> {w / wall:.0f}x)"
            print(f"{sigma:>7} {'mpmath odefun, same digits':<28} {w:8.2f} {'-':>8} {'-' if d is None else f'{d:12.1f}'}  "
                  f"{note}; {ratio}")
        w, d, note = _heyoka(m2, sigma, ref, max(1, math.floor(true)) if math.isfinite(true) else 25)
        if w is None:
            print(f"{sigma:>7} {'heyoka (MPFR)':<28} {'-':>8} {'-':>8} {'-':>12}  {note}")
        else:
            ratio = f"heyoka/symdln time {w / wall:.2f}" if d is not None else "over budget"
            print(f"{sigma:>7} {'heyoka (MPFR), same digits':<28} {w:8.2f} {'-':>8} {'-' if d is None else f'{d:12.1f}'}  "
                  f"{note}; {ratio}")
    print()
    print("deep networks: first times the loss falls below each level (both runs of verified_flow)")
    print(f"{'case':<44} {'sigma':>7} {'wall s':>8} {'claimed':>8} {'status':>10}  (runs' own times)")
    m3 = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    for sigma in (("1e-10", "1e-30") if args.quick else ("1e-10", "1e-30", "1e-60")):
        wall, claimed, _, status = _symdln(m3, sigma, 10, None, at=(), levels=("1", "0.001"))
        print(f"{'depth 3, 2x2, diag(2,1) rotated, Gaussian':<44} {sigma:>7} {wall:8.2f} {claimed!s:>8} {status:>10}")
    if not args.quick:
        m33 = deep_linear(spectrum=[3, 2, 1], depth=3, widths=3)
        wall, claimed, _, status = _symdln(m33, "1e-30", 10, None, at=(), levels=LEVELS)
        print(f"{'depth 3, 3x3, diag(3,2,1) rotated, Gaussian':<44} {'1e-30':>7} {wall:8.2f} {claimed!s:>8} {status:>10}")
        m4 = deep_linear(spectrum=[2, 1], depth=4, widths=2, rotation_seed=1)
        wall, claimed, _, status = _symdln(m4, "1e-15", 10, None, at=(), levels=("1", "0.001"))
        print(f"{'depth 4, 2x2, diag(2,1) rotated, Gaussian':<44} {'1e-15':>7} {wall:8.2f} {claimed!s:>8} {status:>10}")
        t0 = time.perf_counter()
        r = verified_flow(m4, InitSpec.balanced("1e-40", 4), digits=15, cross=("1", "0.001"))
        print(f"{'depth 4, 2x2, balanced a0 = 1e-40, 15 digits':<44} {'1e-10':>7} {time.perf_counter() - t0:8.2f} "
              f"{r.min_digits!s:>8} {r.status:>10}")


if __name__ == "__main__":
    main()
