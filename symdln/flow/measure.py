"""What one run measured and how two runs' measurements compare (:func:`~symdln.flow.verify.verified_flow`).

:func:`measure` takes every reported number from one run (values at times, first crossing times of loss levels, event
times) as arb balls; :func:`compare` pairs two runs' numbers with the digits on which they agree, capped by the
tighter run's tolerance and lowered until the printed rounding is safe (:mod:`.digits`); :func:`unverified` gives
the same shape without digits (one run only); :func:`min_digits` the fewest digits of a comparison.
"""

from __future__ import annotations

import flint

from .control import locate_crossing
from .digits import agreeing_digits, rounding_safe_digits, tolerance_digits
from .events import event_times
from .roots import time_resolution
from .solution import FlowSolution

__all__ = ["EXACT_ZERO", "compare", "crossing_time", "measure", "min_digits", "unverified"]


def crossing_time(sol: FlowSolution, level) -> flint.arb | None:
    """First time the loss of ``sol`` falls below ``level``, located on the dense output (``None``: never)."""
    p = sol.precision
    with p.flint():
        thr = p.arb(level)
        i = next((i for i, lo in enumerate(sol.losses) if lo < thr), None)
        if i is None:
            # a run stopped by its loss-below event at this very level ends with a loss ball touching it
            if sol.t_event is not None and not sol.losses[-1] > thr:
                return sol.t_event
            return None
        if i == 0:
            return sol.ts[0]
        resolution = time_resolution(p.bits, p.guard_bits, sol.rtol)
        t, _ = locate_crossing(sol.dense, sol.ts[i - 1], sol.states[i - 1], sol.ts[i], thr, resolution)
        return t


def measure(sol: FlowSolution, at, levels, values_name: str, events=()):
    """Every reported number of one run, as arb (``None`` where the run did not reach)."""
    from ..spectra import singular_values

    p = sol.precision
    points = []
    for t in at:
        with p.flint():
            if p.arb(t) > sol.t_final:
                points.append(None)
                continue
        A = sol.end_to_end(t)
        lo = sol.loss(t)
        with p.flint():
            if values_name == "beta":
                vals = [A[i, 0] for i in range(A.nrows())]
            else:
                vals = [flint.arb(p.mp.nstr(s, p.digits + 5, strip_zeros=False)) for s in singular_values(A, p)]
                vals[sol.model.r_max:] = [EXACT_ZERO] * (len(vals) - sol.model.r_max)  # rank A_θ ≤ r_max at every θ
        points.append((lo, vals))

    def crossing(lv):
        with p.flint():
            # below the level at the initialization (a certified comparison of the loss ball at the exact θ0), or at
            # it exactly (arb's == holds for equal exact balls only) and certified below it at the next stored time
            # (the loss never increases): the crossing is t = 0 itself, exact, not a located time two runs measure
            level, lo = p.arb(lv), sol.losses
            if sol.ts[0] == 0 and (lo[0] < level or (len(lo) > 1 and lo[0] == level and lo[1] < level)):
                return EXACT_ZERO
        return crossing_time(sol, lv)

    return points, [crossing(lv) for lv in levels], [list(event_times(sol, ev)) for ev in events]


#: A singular value of ``A_θ`` that is zero at every ``θ`` (beyond the narrowest width), or the crossing time ``t = 0`` of
#: a level the initial loss is already below: exact, not measured.
EXACT_ZERO = "exact zero"


def compare(m1, m2, p_loose, p_tight, floor=None, rtol_tight=None, ends=None):
    """Pairs ``(value from the tighter run, verified digits)``; a loss below ``floor`` in both runs becomes
    ``(floor, "bound")``.

    A crossing one run found at ``t_c`` and the other did not, though it ran to ``t_c`` or beyond (``ends``: the two
    runs' final times), is a disagreement: ``(t_c, 0)``, no digit verified, never "not reached" (found by an
    independent check, 2026-12-08: a first run that stepped over an escape and a verification run that did not were
    reported together as "did not fall below the level by the end of the run").  Without ``ends``, or when the run
    without it ended first, the level counts as not reached (``None``).

    The agreement of the two runs bounds the looser run's error only as far as the tighter run is more accurate, and
    nothing makes it more accurate than its own tolerance: two runs whose errors at that level coincide agree to
    more digits than either has (measured: a diagonal network in mirror coordinates, runs at rtol 1e-11 and 1e-14
    agreeing to 17 digits on a β_i that was right to 15).  So no number gets more than ``log10(1/rtol_tight)``
    digits."""
    cap = p_loose.digits - 2
    claim = cap if rtol_tight is None else min(cap, tolerance_digits(rtol_tight))
    # the tighter run's own (global) error, charged beside the runs' difference: 44 times its rtol was seen
    allowance = 0.0 if rtol_tight is None else 100 * float(rtol_tight)
    with p_tight.flint():
        def one(a, b):
            if a is None or b is None:
                return None
            if a is EXACT_ZERO or b is EXACT_ZERO:
                return b, "exact"
            return b, rounding_safe_digits(a, b, min(agreeing_digits(a, b, cap), claim), rel_error=allowance)

        def crossing(a, b):
            if (a is None) != (b is None) and ends is not None:
                found, end = (b, ends[0]) if a is None else (a, ends[1])
                if found is not EXACT_ZERO and not end < found:
                    return found, 0  # the run that ran past it saw no crossing: the runs disagree
            return one(a, b)

        points = []
        for q1, q2 in zip(m1[0], m2[0]):
            if q1 is None or q2 is None:
                points.append(None)
                continue
            lo = one(q1[0], q2[0])
            if floor is not None and q1[0] < floor and q2[0] < floor and agreeing_digits(q1[0], q2[0], cap) < cap:
                lo = (floor, "bound")
            points.append((lo, [one(a, b) for a, b in zip(q1[1], q2[1])]))
        crossings = [crossing(a, b) for a, b in zip(m1[1], m2[1])]
        events = []
        for e1, e2 in zip(m1[2], m2[2]):
            if len(e1) == len(e2):
                events.append([one(a, b) for a, b in zip(e1, e2)])
            else:  # the runs disagree on how often the event occurs: nothing about it is verified
                events.append([(b, 0) for b in e2])
    return points, crossings, events


def unverified(measure):
    """The shape of a comparison, with every digit count ``None`` (no second run to compare with)."""
    points = [None if q is None else ((q[0], None), [(v, "exact" if v is EXACT_ZERO else None) for v in q[1]])
              for q in measure[0]]
    return (points, [None if c is None else (c, "exact" if c is EXACT_ZERO else None) for c in measure[1]],
            [[(c, None) for c in e] for e in measure[2]])


def min_digits(cmp):
    ks = []
    for q in cmp[0]:
        if q is None:
            continue
        ks += [q[0][1]] if q[0][1] != "bound" else []
        ks += [v[1] for v in q[1]]
    ks += [c[1] for c in cmp[1] if c is not None]
    ks += [c[1] for e in cmp[2] for c in e]
    ks = [k for k in ks if k is not None and k != "exact"]
    return min(ks) if ks else None
