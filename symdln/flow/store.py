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


_REQUIRED = ("model", "precision", "rtol", "scale", "floor", "seed", "status", "stats", "t_event", "ts", "losses",
             "states")


def _length(x) -> str:
    return str(len(x)) if isinstance(x, list) else type(x).__name__


def solution_from_dict(d: dict):
    """Rebuild a :class:`FlowSolution` from :func:`solution_to_dict` output."""
    from ..models import model_from_description
    from .solution import FlowSolution, FlowStats, Status

    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise FlowError(f"not a saved symdln flow solution (expected \"format\": \"{FORMAT}\")")
    if d.get("version") != VERSION:
        raise FlowError(f"saved solution has version {d.get('version')!r}; this symdln reads version {VERSION}")
    missing = [k for k in _REQUIRED if k not in d]
    if missing:
        raise FlowError(f"saved solution lacks the field(s) {', '.join(missing)}")
    try:
        model = model_from_description(d["model"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FlowError(f"saved solution: its \"model\" is not a model description ({type(exc).__name__}: {exc})") \
            from None
    try:
        p = Precision(int(d["precision"]["digits"]), int(d["precision"]["guard_bits"]))
        status = Status[d["status"]]
        stats = FlowStats(**d["stats"])
    except (KeyError, TypeError, ValueError) as exc:
        raise FlowError(f"saved solution: bad \"precision\", \"status\" or \"stats\" ({type(exc).__name__}: {exc})") \
            from None
    ts_t, losses_t, states_t = d["ts"], d["losses"], d["states"]
    if not (isinstance(ts_t, list) and isinstance(losses_t, list) and isinstance(states_t, list)) or not ts_t \
            or not len(ts_t) == len(losses_t) == len(states_t):
        raise FlowError("saved solution: \"ts\", \"losses\" and \"states\" must be non-empty lists of one length, "
                        f"got lengths {_length(ts_t)}, {_length(losses_t)}, {_length(states_t)}")
    # the state's layers: the model's, or one vector r for a diagonal network in mirror coordinates (MirrorFlow)
    shapes = [[model.dim, 1]] if d.get("coordinates") == "mirror" else [list(s) for s in model.shapes]
    for k, y in enumerate(states_t):
        got = [[len(W), len(W[0]) if W else 0] for W in y] if isinstance(y, list) and all(
            isinstance(W, list) and all(isinstance(r, list) and len(r) == len(W[0]) for r in W) for W in y) else None
        if got != shapes:
            raise FlowError(f"saved solution: state {k} has layer shapes {got}, the model's are {shapes}")
    with p.flint():
        def arb(text):
            x = flint.arb(text) if isinstance(text, str) else None
            if x is None or not x.is_finite():
                raise FlowError(f"saved solution: {text!r} is not a finite decimal string")
            return x

        ts = tuple(arb(t) for t in ts_t)
        losses = tuple(arb(x) for x in losses_t)
        states = tuple(tuple(flint.arb_mat([[arb(x) for x in row] for row in W]) for W in y) for y in states_t)
        t_event = None if d["t_event"] is None else arb(d["t_event"])
        if any(not a < b for a, b in zip(ts, ts[1:])):
            raise FlowError("saved solution: the times \"ts\" are not increasing")
    return FlowSolution(
        model=model, ts=ts, states=states, losses=losses, status=status, stats=stats,
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
    try:
        return solution_from_dict(d)
    except FlowError as exc:
        raise FlowError(f"{str(path)!r}: {exc}") from None
