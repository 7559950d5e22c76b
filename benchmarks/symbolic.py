"""Benchmark: exact Hessian inertia at every critical set vs the naive SymPy path, and Gröbner counts.

For DLNs of depth 2–4 with hidden widths 2–4 (2×2 target, spectrum (2, 1); up to 48 parameters)
it prints, per model, the time symdln takes to build the Hessian (closed form, exact rationals)
and get the exact inertia (Descartes' rule on the exact characteristic polynomial, as ``analyze_point``) at each
critical set's representative, next to the naive
path (``sympy.hessian`` of the loss, substitution, ``Matrix.eigenvals()`` and the signs of the
eigenvalues), measured in the same run, and their ratio.  The naive path runs in a subprocess
with a time limit; "> T" means it did not finish.  Then the time to count the complex and real
critical points for each row of MATH §5 and further rows (two and three hidden layers) with symdln's default
(``count_tikhonov``: msolve on the active-neuron pattern systems, weights eliminated, sign symmetry quotiented out)
next to the pure-Python SymPy engine on the plain gradient system and next to the msolve binary alone on the plain
system, in the same run; msolve/symdln above 1 means symdln is faster.  Rows past the plain system's reach are run
with the plain timeout only.

Run: python benchmarks/symbolic.py [--naive-timeout 120] [--counts-only] [--sympy-timeout 120] [--count-timeout 300]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import sympy as sp

from symdln.models import deep_linear
from symdln.symbolic import loss_expr, weight_symbols
from symdln.symbolic.analysis import _Loss, _rational_point
from symdln.symbolic.critical import critical_sets

from symdln.models.init import check_point
from symdln.symbolic.inertia import charpoly_inertia, symmetric_charpoly
from symdln.errors import ModelError
from symdln.symbolic.isolated import count_critical_points
from symdln.symbolic.tikhonov import count_tikhonov, tikhonov_system


def _model(depth, width):
    return deep_linear(spectrum=[2, 1], depth=depth, widths=width)


def ours(model, points):
    loss = _Loss(model)
    t = time.perf_counter()
    out = []
    for p in points:
        th = _rational_point(check_point(model, p))  # the exact Hessian's inertia, as analyze_point computes it
        out.append(charpoly_inertia(symmetric_charpoly(loss.hessian(th))).as_tuple())
    return time.perf_counter() - t, out


def _naive_worker(depth, width, points, q):
    model = _model(depth, width)
    W = weight_symbols(model)
    flat = [w for Wl in W for w in Wl]
    t = time.perf_counter()
    H = sp.hessian(loss_expr(model, W), flat)
    out = []
    for p in points:
        subs = {w: v for Wl, P in zip(W, p) for w, v in zip(Wl, P)}
        ev = H.subs(subs).eigenvals()
        neg = sum(m for e, m in ev.items() if sp.re(sp.N(e, 30)) < 0)  # radicals evaluate with tiny imaginary parts
        zero = sum(m for e, m in ev.items() if e == 0)
        out.append((neg, zero, sum(ev.values()) - neg - zero))
    q.put((time.perf_counter() - t, out))


def naive(depth, width, points, timeout):
    q = mp.Queue()
    proc = mp.Process(target=_naive_worker, args=(depth, width, points, q))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None
    try:
        return q.get(timeout=5)
    except Exception:  # the naive path crashed
        return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naive-timeout", type=float, default=120.0)
    ap.add_argument("--count-timeout", type=float, default=300.0)
    ap.add_argument("--sympy-timeout", type=float, default=120.0)
    ap.add_argument("--counts-only", action="store_true", help="skip the inertia rows")
    args = ap.parse_args()
    print(f"{'depth':>5} {'width':>5} {'params':>6} {'sets':>4} {'symdln s':>9} {'all-sets s':>10} {'naive s':>9} {'ratio':>7}  inertias agree")
    for depth in (() if args.counts_only else (2, 3, 4)):
        for width in (2, 3, 4):
            model = _model(depth, width)
            if model.n_params > 48:
                continue
            t0 = time.perf_counter()
            sets = critical_sets(model)
            t_all = time.perf_counter() - t0
            points = [c.point for c in sets]
            t_ours, inert = ours(model, points)
            t_naive, inert_naive = naive(depth, width, points, args.naive_timeout)
            if t_naive is None:
                naive_txt, ratio, agree = f"> {args.naive_timeout:.0f}", f"> {args.naive_timeout / t_ours:.0f}", "-"
            else:
                naive_txt, ratio, agree = f"{t_naive:.2f}", f"{t_naive / t_ours:.0f}", str(inert == inert_naive)
            print(f"{depth:>5} {width:>5} {model.n_params:>6} {len(sets):>4} {t_ours:>9.3f} {t_all:>10.2f} {naive_txt:>9} {ratio:>7}  {agree}", flush=True)
    if not args.counts_only:
        print()
        print("larger cases: every stratum (critical_sets, exact inertia and kinds), target goal < 2 s")
        print(f"{'depth':>5} {'width':>5} {'params':>6} {'strata':>6} {'seconds':>8}")
        for depth, width in ((3, 5), (4, 7)):
            model = _model(depth, width)
            t0 = time.perf_counter()
            sets = critical_sets(model)
            print(f"{depth:>5} {width:>5} {model.n_params:>6} {len(sets):>6} {time.perf_counter() - t0:>8.2f}", flush=True)
    print()
    print("Gröbner counts (one data point, seed 0): symdln's default (count_tikhonov: msolve on the active-neuron")
    print("pattern systems, plus parsing) against the pure-Python SymPy engine on the plain system, each in one run;")
    print("'> T' did not finish in T s. msolve s: the msolve binary alone on the plain gradient system of all weights")
    print("(-P 1, no parsing); msolve/symdln above 1: symdln faster.  Goal: every row under 60 s.")
    print(f"{'hidden':>9} {'dx':>3} {'dy':>3} {'complex':>8} {'real':>5} {'patterns':>8} {'symdln s':>9} {'sympy s':>9} "
          f"{'ratio':>7} {'msolve s':>9} {'msolve/symdln':>13}")
    rows = [((1,), 1, 1), ((1,), 2, 2), ((1,), 3, 3), ((2,), 1, 1), ((2,), 2, 2), ((2,), 1, 3), ((3,), 1, 1),
            ((3,), 2, 2), ((2,), 2, 3), ((3,), 3, 2), ((3,), 2, 3), ((1, 1), 1, 1), ((2, 2), 1, 1), ((1, 2), 1, 2),
            ((2, 2), 1, 2), ((3, 3), 1, 1), ((4,), 3, 3), ((2, 2, 2), 1, 1), ((4, 4), 1, 1), ((3, 3), 2, 2)]
    for hidden, dx, dy in rows:
        t = time.perf_counter()
        try:
            res = count_tikhonov(list(hidden), dx, dy, timeout=args.count_timeout)
            t_ours = time.perf_counter() - t
            ours_txt, cnt, real, pats = f"{t_ours:.2f}", str(res.complex_count), str(res.real_count), str(res.systems)
        except ModelError:
            t_ours, ours_txt, cnt, real, pats = None, f"> {args.count_timeout:.0f}", "?", "?", "?"
        n_params = sum(a * b for a, b in zip([dx, *hidden], [*hidden, dy]))
        eqs, vs = tikhonov_system(list(hidden), dx, dy)
        t_sym = _sympy_count(eqs, vs, args.sympy_timeout) if n_params <= 16 else None
        sym_txt = f"> {args.sympy_timeout:.0f}" if t_sym is None else f"{t_sym:.2f}"
        if n_params > 16:
            sym_txt = "-"
        ratio = ("-" if t_ours is None or n_params > 16 else
                 f"> {args.sympy_timeout / t_ours:.0f}" if t_sym is None else f"{t_sym / t_ours:.0f}")
        t_ms, ms_txt = _msolve_plain(eqs, vs, args.count_timeout)
        ms_ratio = ("-" if t_ours is None else f"> {args.count_timeout / t_ours:.0f}" if t_ms is None
                    else f"{t_ms / t_ours:.2f}")
        print(f"{str(hidden):>9} {dx:>3} {dy:>3} {cnt:>8} {real:>5} {pats:>8} {ours_txt:>9} {sym_txt:>9} {ratio:>7} "
              f"{ms_txt:>9} {ms_ratio:>13}", flush=True)


def _msolve_plain(eqs, vs, timeout):
    """``(seconds, text)`` of the msolve binary alone on the plain system (rational parametrization and real roots,
    the flags symdln uses; the system written as symdln writes it; no parsing of the output)."""
    import subprocess
    import tempfile
    from pathlib import Path

    from symdln.symbolic.msolve import _integer_polys, msolve_path

    exe = msolve_path()
    if exe is None:
        return None, "absent"
    text = ",".join(str(v) for v in vs) + "\n0\n" + ",\n".join(_integer_polys(eqs, vs)) + "\n"
    with tempfile.TemporaryDirectory() as d:
        inp = Path(d, "in.ms")
        inp.write_text(text)
        t = time.perf_counter()
        try:
            subprocess.run([str(exe), "-P", "1", "-p", "128", "-f", str(inp), "-o", str(Path(d, "out.ms"))],
                           capture_output=True, timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            return None, f"> {timeout:.0f}"
        except subprocess.CalledProcessError:
            return None, "failed"
        w = time.perf_counter() - t
        return w, f"{w:.2f}"


def _sympy_worker(eqs, vs, q):
    t = time.perf_counter()
    count_critical_points(eqs, vs, engine="sympy")
    q.put(time.perf_counter() - t)


def _sympy_count(eqs, vs, timeout):
    q = mp.Queue()
    proc = mp.Process(target=_sympy_worker, args=(eqs, vs, q))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None
    try:
        return q.get(timeout=5)
    except Exception:
        return None


if __name__ == "__main__":
    main()
