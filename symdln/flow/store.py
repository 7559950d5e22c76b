"""Results that travel: a :class:`~symdln.flow.solution.FlowSolution` as JSON (exact decimal strings).

Every arb midpoint is written with ``⌈bits·log10 2⌉ + 2`` significant digits, enough to read back the same
binary value at the run's precision; the model (exact), the initialization, the plan (precision, tolerance,
floor, solver, stages) and the stats travel with it, so :func:`load_solution` rebuilds a solution whose dense
output, loss and end-to-end map work as before.  Files are written atomically (a temporary file renamed).
"""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction
from pathlib import Path

import flint

from ..errors import FlowError, OptionError
from ..parse import format_number, parse_number
from ..precision import Precision

__all__ = ["solution_to_dict", "solution_from_dict", "save_solution", "load_solution"]

FORMAT = "symdln-flow-solution"
VERSION = 1


def _digits(p: Precision) -> int:
    return math.ceil(p.bits * math.log10(2)) + 2


def _arb_text(x: flint.arb, n: int) -> str:
    return x.mid().str(n, radius=False, more=True)


def solution_to_dict(sol) -> dict:
    """A JSON-ready dict of ``sol`` (see the module docstring)."""
    p = sol.precision
    n = _digits(p)
    with p.flint():
        return {
            "format": FORMAT,
            "version": VERSION,
            "model": sol.model.describe(),
            "init": sol.init,
            "coordinates": sol.coordinates,
            "alpha2": None if sol.alpha2 is None else format_number(sol.alpha2),
            "precision": {"digits": p.digits, "guard_bits": p.guard_bits},
            "rtol": format_number(sol.rtol),
            "scale": format_number(sol.scale),
            "floor": None if sol.floor is None else format_number(sol.floor),
            "seed": sol.seed,
            "status": sol.status.name,
            "stats": sol.stats.as_dict(),
            "t_event": None if sol.t_event is None else _arb_text(sol.t_event, n),
            "ts": [_arb_text(t, n) for t in sol.ts],
            "losses": [_arb_text(x, n) for x in sol.losses],
            "states": [[[[_arb_text(W[i, j], n) for j in range(W.ncols())] for i in range(W.nrows())] for W in y]
                       for y in sol.states],
        }


def solution_from_dict(d: dict):
    """Rebuild a :class:`FlowSolution` from :func:`solution_to_dict` output."""
    from ..models import model_from_description
    from .solution import FlowSolution, FlowStats, Status

    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise FlowError(f"not a saved symdln flow solution (expected \"format\": \"{FORMAT}\")")
    if d.get("version") != VERSION:
        raise FlowError(f"saved solution has version {d.get('version')!r}; this symdln reads version {VERSION}")
    model = model_from_description(d["model"])
    p = Precision(int(d["precision"]["digits"]), int(d["precision"]["guard_bits"]))
    with p.flint():
        def arb(text):
            return flint.arb(text)

        ts = tuple(arb(t) for t in d["ts"])
        losses = tuple(arb(x) for x in d["losses"])
        states = tuple(tuple(flint.arb_mat([[arb(x) for x in row] for row in W]) for W in y) for y in d["states"])
        t_event = None if d["t_event"] is None else arb(d["t_event"])
    return FlowSolution(
        model=model, ts=ts, states=states, losses=losses, status=Status[d["status"]], stats=FlowStats(**d["stats"]),
        precision=p, rtol=Fraction(parse_number(d["rtol"])), scale=Fraction(parse_number(d["scale"])),
        seed=d["seed"], t_event=t_event, floor=None if d["floor"] is None else Fraction(parse_number(d["floor"])),
        init=d.get("init"), coordinates=d.get("coordinates", "primal"),
        alpha2=None if d.get("alpha2") is None else Fraction(parse_number(d["alpha2"])),
    )


def save_solution(sol, path) -> Path:
    """Write ``sol`` to ``path`` as JSON, atomically."""
    path = Path(path)
    if path.is_dir():
        raise OptionError(f"`path` {str(path)!r} is a directory; give a file name such as traj.json")
    if not path.parent.exists():
        raise OptionError(f"`path` {str(path)!r}: the folder {str(path.parent)!r} does not exist")
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(json.dumps(solution_to_dict(sol)))
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_solution(path):
    """Read a solution written by :func:`save_solution` (or ``FlowSolution.save``)."""
    path = Path(path)
    if not path.is_file():
        raise OptionError(f"`path`: no such file {str(path)!r}")
    try:
        d = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise FlowError(f"{str(path)!r} is not valid JSON: {exc}") from None
    return solution_from_dict(d)
