"""Verified digits: every reported number is checked by an independent second run.

:func:`verified_flow` runs the flow with the plan of :func:`~symdln.flow.plan.plan_run`, then again with
a tolerance 1000× tighter and more working digits, with an error control the first run does not share
(:func:`_verifier`: GBS after Radau IIA on shallow networks, Radau IIA without RADAU5's tolerance relaxation at
depth ≥ 3), and compares every reported number (loss and singular
values, or ``β``, at the requested times; first times the loss falls below given levels).  A number's
verified digit count is ``k = ⌊−log10 |x₁ − x₂| / |x₂|⌋`` (capped by the working precision); it is reported
from the tighter run, rounded to ``k`` significant digits.  When some number has fewer than the wanted
``N`` digits, one more run (tighter by ``10^{N−k+3}``) replaces the looser one; if that still falls
short the status is ``"unverified"`` with the figures, never ``"success"``.

The second run's plan does not depend on the first run, so where two cores are available it runs beside the first in
a forked process (:mod:`.background`; ``parallel=False`` makes it after the first): the same numbers, the wall time
of the longer run.  Ctrl-C during any run stops it; what finished is kept and the status is ``"interrupted"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import flint

from ..errors import ModelError, OptionError, describe
from ..models.diagonal import DiagonalLinearModel
from ..parse import format_number, positive_number
from .background import BackgroundRun, available as background_available
from .integrate import integrate_flow
from .plan import InitSpec, RunPlan, check_feasible, default_horizon, event_horizon, plan_run
from .events import Event
from .resolution import (at_local_minimum, digits_for_level, digits_for_residual, floor_text, levels_below_floor,
                         loss_floor)
from .digits import agreeing_digits, rounding_safe_digits
from .measure import compare, crossing_time, measure, min_digits, unverified
from .solution import FlowSolution, Status

__all__ = ["Verified", "VerifiedFlow", "verified_flow", "agreeing_digits", "rounding_safe_digits", "crossing_time"]


@dataclass(frozen=True)
class Verified:
    """A reported number: ``text`` has exactly ``digits`` verified significant digits (``None``: unverified).

    ``upper_bound``: a loss below what the looser run's arithmetic resolves (``½ρ²``, ρ the residual floor of
    :mod:`.norms`) in both runs; ``text`` is then ``"<bound"`` and ``digits`` is 0.

    ``full`` is the better run's value at its working precision (for further computation, not for print).

    ``exact``: a singular value of ``A_θ`` beyond the narrowest width ``r_max``, zero at every ``θ``, or the crossing time
    ``t = 0`` of a level the initial loss is already below (``text`` "0", ``digits`` ``None``: no digit count applies).
    """

    text: str
    digits: int | None
    full: str
    upper_bound: bool = False
    exact: bool = False

    def as_dict(self) -> dict:
        out = {"value": self.text, "digits": self.digits}
        if self.upper_bound:
            out["upper_bound"] = True
        if self.exact:
            out["exact"] = True
        return out

    @property
    def tag(self) -> str:
        """``[k]``, or ``[exact]``, for print."""
        return "[exact]" if self.exact else f"[{self.digits}]"


@dataclass(frozen=True)
class VerifiedFlow:
    """What :func:`verified_flow` found.

    Attributes
    ----------
    status : str
        ``"success"`` (every number has at least ``digits_wanted`` verified digits), ``"unverified"`` (some
        have fewer; see ``min_digits``), ``"incomplete"`` (a ``cross`` level was not reached by the end of the run:
        its ``t`` is ``None``, which says nothing about later times), ``"interrupted"``, or the failing status of a run
        (``"max_steps"``, ``"max_time"``, ``"step_underflow"``, ``"nonfinite"``).
    points : tuple of dict
        Per requested time: ``t``, ``loss`` and ``values`` (singular values of ``A_θ``, or ``β``) as :class:`Verified`.
    crossings : tuple of dict
        Per level: ``level`` and ``t`` (:class:`Verified`, or ``None`` when the loss did not fall below it by the
        end of the run; the status is then ``"incomplete"``, unless the level lies at or below the exact global
        minimum of the loss (λ = 0), a certified "never" given with its reason under ``never``).
    runs : tuple of dict
        Plan, stats and status of every run made.
    events : tuple of dict
        Per :class:`~symdln.flow.events.Event`: ``name`` and ``times`` (:class:`Verified`, every occurrence in order;
        when the two runs disagree on the number of occurrences every time has 0 verified digits).
    solution : FlowSolution
        The tightest completed run.
    """

    status: str
    message: str
    digits_wanted: int
    min_digits: int | None
    points: tuple
    crossings: tuple
    runs: tuple
    init: InitSpec
    values_name: str
    solution: Any = field(default=None, repr=False, compare=False)
    events: tuple = ()

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "digits_wanted": self.digits_wanted,
            "min_digits": self.min_digits,
            "init": self.init.as_dict(),
            "points": [
                {"t": p["t"], "loss": p["loss"].as_dict(), self.values_name: [v.as_dict() for v in p["values"]]}
                if "error" not in p else p
                for p in self.points
            ],
            "crossings": [{"level": c["level"], "t": None if c["t"] is None else c["t"].as_dict(),
                           **({"never": c["never"]} if c.get("never") else {})} for c in self.crossings],
            "events": [{"name": e["name"], "times": [v.as_dict() for v in e["times"]]} for e in self.events],
            "runs": list(self.runs),
        }


def _run(model, theta0, plan: RunPlan, init: InitSpec, loss_below, progress, max_steps, max_time, coordinates,
         loss_below_after=None, on_step=None):
    return integrate_flow(
        model, theta0, plan.horizon, precision=plan.precision, rtol=plan.rtol, solver=plan.solver,
        loss_below=loss_below, loss_below_after=loss_below_after, scale=init.layer_scale, floor=plan.floor,
        seed=init.seed, init=init.as_dict(), progress=progress,
        max_steps=max_steps, max_time=max_time, throw=False, coordinates=coordinates,
        stiffness_switch=plan.stiffness_switch, strict=plan.strict, on_step=on_step,
    )


def _run_record(plan: RunPlan, sol: FlowSolution) -> dict:
    return {"plan": plan.as_dict(), "status": sol.status.name.lower(), "stats": sol.stats.as_dict(),
            "t_final": sol.t_final.mid().str(20, radius=False)}


def _text(x: flint.arb, k: int | None, p) -> str:
    with p.flint():
        if k is None or k < 1:
            return x.mid().str(3, radius=False) + "?"  # order of magnitude only, marked unverified
        return x.mid().str(k, radius=False)


def verified_flow(
    model,
    init: InitSpec,
    *,
    digits: int = 10,
    at=(),
    cross=(),
    t_end=None,
    solver: str = "auto",
    rtol=None,
    working_digits: int | None = None,
    loss_below=None,
    retries: int = 1,
    max_steps: int = 200_000,
    max_time: float | None = None,
    coordinates: str = "primal",
    events=(),
    progress: bool | None = None,
    parallel: bool = True,
) -> VerifiedFlow:
    """Integrate the gradient flow and report numbers with verified digits (module docstring).

    Parameters
    ----------
    model : DeepLinearModel or DiagonalLinearModel
    init : InitSpec
    digits : int
        Correct significant digits wanted in every reported number.
    at : sequence of exact numbers
        Times at which the loss and the singular values of ``A_θ`` (``β`` for diagonal nets) are reported.
    cross : sequence of exact numbers
        Loss levels; the first time the loss falls below each is reported.
    t_end, solver, rtol, working_digits : see :func:`~symdln.flow.plan.plan_run`.
    loss_below : exact number, optional
        Stop each run when the loss falls below it.
    retries : int
        Extra tighter runs allowed when the first comparison falls short.
    max_steps, max_time : limits of each run.
    events : sequence of Event
        :class:`~symdln.flow.events.Event` s whose every occurrence is reported with verified digits (e.g.
        :func:`~symdln.flow.events.plateau_events`, or ``Event(name, g, direction)`` for any ``g(flow, θ)``).
    coordinates : {"primal", "mirror"}
        ``"mirror"``: a diagonal network from the Pesme–Flammarion init, integrated in its dual coordinates
        (:mod:`symdln.symbolic.mirror`); the reported ``β`` and loss are the same quantities.
    parallel : bool
        Make the verification run in a second process while the first one runs, where two cores and ``fork`` are
        available (:mod:`~symdln.flow.background`: the same numbers, the wall time of the longer run); ``False``: one
        after the other (for callers that already keep every core busy, e.g. many runs in a process pool; in
        daemonic pool workers, which cannot have children, the runs are one after the other anyway).

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> m = deep_linear(spectrum=[1], depth=2, widths=1)
    >>> r = verified_flow(m, InitSpec.balanced("1/100", 2), digits=12, at=["5"], t_end=5)
    >>> r.status, r.points[0]["values"][0].digits >= 12   # Saxe: a(5) = 1 / (1 + 99 e^{−10}) = 0.99552551792951…
    ('success', True)
    >>> r.points[0]["values"][0].text[:14]
    '0.995525517929'

    """
    at_q = tuple(_time(t, "at") for t in at)
    levels = tuple(positive_number(c, name="cross") for c in cross)
    events = tuple(events)
    if not all(isinstance(e, Event) for e in events):
        raise OptionError(f"`events` must be Event objects (symdln.flow.events), got {describe(events)}")
    if not at_q and not levels and not events:
        raise OptionError("nothing to report: give `at` times, `cross` levels or `events`")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise OptionError(f"`retries` must be an int ≥ 0, got {describe(retries)}")
    if not isinstance(parallel, bool):
        raise OptionError(f"`parallel` must be True or False, got {describe(parallel)}")
    parallel = parallel and background_available()
    check_feasible(model, init, max_time, solver, coordinates)
    horizon = t_end if t_end is not None else (max(at_q) if at_q and not levels else None)
    if horizon is None and levels and not at_q:
        horizon = event_horizon(model, init.layer_scale)  # only crossings: the run stops at the last one
    if coordinates not in ("primal", "mirror"):
        raise OptionError(f"`coordinates` must be 'primal' or 'mirror', got {describe(coordinates)}")
    if coordinates == "mirror" and (not isinstance(model, DiagonalLinearModel) or init.kind != "pf"):
        raise OptionError("`coordinates='mirror'` is for a diagonal network from InitSpec.pf(α)")
    # a time at or past the default horizon (10× the last escape time and more) lies in the converged phase, where the
    # state does not move by a shift of time: no need to resolve t itself (the CLI's default report at the horizon, at
    # depth 3 from σ = 1e-30, asked rtol 1e-43 for it and did not reach the first escape in 10 min; 1e-13 suffices).
    # That the state has settled there is checked, as every number, by the second run.
    try:
        settled = default_horizon(model, init.layer_scale) if at_q else None
    except OptionError:  # e.g. ∇L(0) = 0 for a diagonal network: no horizon rule, every time is asked absolutely
        settled = None
    absolute = any(settled is None or t < settled for t in at_q)
    plan = plan_run(model, init, digits=digits, t_end=horizon, absolute_times=absolute, rtol=rtol,
                    working_digits=working_digits, solver=solver, coordinates=coordinates)
    if at_q and max(at_q) > plan.horizon:
        raise OptionError(f"`at` asks for t = {format_number(max(at_q))} beyond the horizon {format_number(plan.horizon)}")
    never = _below_minimum(model, levels)
    reach = [lv for lv in levels if lv not in never]
    stop_after = None
    if not events and loss_below is None and reach:
        # nothing is asked after the last crossing and the last time: stop there (with times asked too, a run went on
        # to the default horizon and, at 60 digits at depth 2, crawled for minutes through the converged phase
        # where the residual approached the arithmetic's resolution)
        loss_below = min(reach)
        stop_after = max(at_q) if at_q else None
    if reach and working_digits is None:
        # a crossing level near 0 is seen only where the residual G (loss ½‖G‖²) is resolved to rtol: about
        # log10(1/level)/2 + log10(1/rtol) + 10 working digits (the plan's digits cover the reported numbers only)
        plan = replace(plan, digits=max(plan.digits, digits_for_level(min(reach), plan.rtol)))
    values_name = "beta" if isinstance(model, DiagonalLinearModel) else "singular_values"
    theta0 = init.build(model)
    runs, sols, measures = [], [], []
    status = None
    plans = [plan, _verifier(model, plan)]
    base = 0  # the comparison pair is sols[base], sols[base + 1]
    tries = 0
    cmp, best = None, None  # the last completed comparison of two runs, and its tighter run
    underflow_retry = False  # a run that ends in step underflow is repeated once with more digits
    # the verification run's plan does not depend on the first run: with two cores it runs beside it
    ahead = (plans[1], BackgroundRun(_run, model, theta0, plans[1], init, loss_below, False, max_steps, max_time,
                                     coordinates, stop_after)) if parallel else None
    try:
        while True:
            pl = plans[len(sols)]
            sol = None
            if ahead is not None and pl is ahead[0]:
                waiting, ahead = ahead[1], None
                try:
                    sol = waiting.result(total=float(pl.horizon), progress=progress)  # None: the child died
                except KeyboardInterrupt:  # Ctrl-C twice while waiting: the first run's numbers, unverified
                    status = Status.INTERRUPTED
                    break
            if sol is None:
                sol = _run(model, theta0, pl, init, loss_below, progress, max_steps, max_time, coordinates, stop_after)
            runs.append(_run_record(pl, sol))
            if sol.status is Status.STEP_UNDERFLOW and not underflow_retry:
                # the error estimate drowned in rounding (measured: depth 3 from σ = 1e-2, the strict verification run
                # at 44 digits stalled at t = 3e-7; at 64 digits it ran through): once more with 20 more digits
                underflow_retry = True
                plans[len(sols)] = replace(pl, digits=pl.digits + 20)
                continue
            if not sol.status.ok:
                status = sol.status
                if not sols and len(sol.ts) > 1:
                    # the first run failed or was interrupted: what it finished is kept and reported, unverified (Ctrl-C
                    # during the first run reported and saved nothing)
                    try:
                        measures.append(measure(sol, at_q, levels, values_name, events))
                        sols.append(sol)
                    except KeyboardInterrupt:
                        pass
                break
            try:
                measures.append(measure(sol, at_q, levels, values_name, events))
            except KeyboardInterrupt:
                status = Status.INTERRUPTED
                break
            sols.append(sol)
            if len(sols) < base + 2:
                continue
            cmp = compare(measures[-2], measures[-1], sols[-2].precision, sols[-1].precision, loss_floor(sols[-2]),
                           sols[-1].rtol, ends=(sols[-2].t_final, sols[-1].t_final))
            best = sols[-1]
            worst = min_digits(cmp)
            if worst is None or worst >= digits or tries >= retries:
                break
            tries += 1
            nxt = plans[-1].tighter(factor=10 ** max(3, digits - worst + 3))
            # deep in convergence the loss is ½‖G‖² with G = A − M tiny: resolving G to rtol needs
            # log10(1/G) + log10(1/rtol) working digits beyond the O(1) entries of A; a run short of them is no
            # baseline, so a new pair of runs is made
            need = digits_for_residual(measures[-1], nxt.rtol, loss_floor(sols[-1]))
            if need > sols[-1].precision.digits:
                first = replace(plans[-1], digits=need)
                plans += [first, first.tighter()]
                base = len(sols)
            else:
                plans.append(nxt)
                base = len(sols) - 1
    finally:
        if ahead is not None:  # the first run failed or was interrupted: its verification is not wanted
            ahead[1].cancel()
    compared = cmp is not None  # a retry that failed or was interrupted leaves the last comparison standing
    if not compared and sols:  # the verification run failed or was interrupted: the first run's numbers, unverified
        cmp, best = unverified(measures[-1]), sols[-1]
    worst = min_digits(cmp) if best is not None else None
    missed = [format_number(lv) for lv, c in zip(levels, cmp[1]) if c is None and lv not in never] if best is not None else []
    if status is None and missed:
        # a level not reached by the horizon is not "never": the run ended before it could tell
        status_text = "incomplete"
        low = levels_below_floor(best, [lv for lv, c in zip(levels, cmp[1]) if c is None and lv not in never])
        if low:  # the run's arithmetic cannot tell these levels from 0: a longer run will not find them
            what = (f"the loss level {format_number(low[0])} lies" if len(low) == 1 else
                    f"the loss levels {', '.join(map(format_number, low))} lie")
            message = (f"{what} below the smallest loss this run resolves ({floor_text(best)}): a crossing there "
                       f"cannot be seen in this arithmetic, whatever `t_end`; "
                       f"raise the working precision (--working-digits; about log10(1/level)/2 + log10(1/rtol) + 10 "
                       f"digits, which runs without --working-digits choose) to locate it")
        else:
            rest = at_local_minimum(best)
            message = (f"the loss did not fall below {', '.join(missed)} by t = {float(best.t_final.mid()):.6g} (the "
                       f"end of the run); " + (rest + ", and a larger `t_end` will not reach these levels" if rest
                                              else "give a larger `t_end` (--t-end) to look further"))
        if worst is not None and worst < digits:  # the other numbers' shortfall is said too (an audit, 2026-12-07)
            message += f"; some reported numbers have only {worst} verified digits (wanted {digits})"
    elif status is None and worst is None and not at_q and not events and levels and all(
            lv in never or (c is not None and c[1] == "exact") for lv, c in zip(levels, cmp[1])):
        status_text = "success"  # nothing numeric to verify: every level is certified out of reach or crossed at t = 0
        message = ("every level lies at or below the exact global minimum of the loss: the loss never falls below it"
                   if len(never) == len(levels) else "every crossing is exact (t = 0: the initial loss is below its "
                   "level) or certified never to happen")
    elif status is None:
        status_text = "success" if worst is not None and worst >= digits else "unverified"
        rest = None if status_text == "success" else at_local_minimum(best)
        message = (f"every reported number has at least {digits} verified significant digits" if status_text == "success"
                   else f"some reported numbers have only {worst} verified digits (wanted {digits}) after "
                        f"{len(sols)} runs; " + (
                            f"{rest}: values that decay into it for ever (e^(-μt)) fall below what the runs resolve "
                            f"relative to the initialization scale; ask for times nearer the start" if rest
                            else "tighten `rtol` or raise `retries`"))
    else:
        status_text = status.name.lower()
        message = status.value + ("" if compared else " Reported numbers are from a run that was not verified.")
    points, crossings, evs = _package(cmp, best, at_q, levels, events, never) if best is not None else ((), (), ())
    if any(p.get("loss") is not None and p["loss"].upper_bound for p in points):
        message += "; losses below the arithmetic's resolution are reported as upper bounds (\"<…\")"
    return VerifiedFlow(status_text, message, digits, worst, points, crossings, tuple(runs), init, values_name, best, evs)


def _verifier(model, plan):
    """The verification run's plan: tighter, and not sharing the first run's error control.  After Radau IIA on a
    network GBS can integrate (diagonal, depth ≤ 2), GBS: the other method, so that an error both runs of one
    method share (measured: Radau IIA with RADAU5's tolerance relaxation on the mirror form, docs/flow.md) shows
    as disagreement instead of verified digits.  The same after extrapolated linearly implicit Euler (``"implicit"``;
    an independent check, 2026-12-08: two such runs on the mirror form, α = 1e-50, agreed on 16 digits of a crossing
    time right to 12.8, status ``success``).  At depth ≥ 3, where only an implicit method crosses the stiff
    plateaus, Radau IIA held strictly to its tolerance (``strict``, more stages), after either implicit method:
    measured at depth 3, σ = 1e-60, 10 digits, the strict run at rtol 1e-16 took 32.6 s beside 19.8 s for the
    relaxed first run at 1e-13."""
    nxt = plan.tighter()
    shallow = isinstance(model, DiagonalLinearModel) or model.depth <= 2
    if plan.solver in ("radau", "implicit") and shallow:
        nxt = replace(nxt, solver="gbs", stiffness_switch=True)
    elif plan.solver == "radau":
        nxt = replace(nxt, strict=True)
    elif plan.solver == "implicit":
        nxt = replace(nxt, solver="radau", strict=True)
    return nxt


def _below_minimum(model, levels) -> dict:
    """``{level: reason}`` for the levels at or below the exact global minimum ``ℒ*`` of the loss (when symdln knows
    it: λ = 0): ``ℒ ≥ ℒ*`` everywhere, so the loss never falls below them: a certified "never", not a level the run
    failed to reach."""
    if not levels:
        return {}
    from ..symbolic.algebraic import exact_sign
    from ..symbolic.analysis import global_minimum_value
    import sympy

    try:
        gmin = global_minimum_value(model)
    except ModelError:  # e.g. tied singular values: no closed form here, nothing certified
        return {}
    if gmin is None:
        return {}
    return {lv: f"never: the global minimum of the loss is {gmin}" for lv in levels
            if exact_sign(sympy.Rational(lv.numerator, lv.denominator) - gmin) <= 0}


def _package(cmp, sol: FlowSolution, at_q, levels, events=(), never=None):
    p = sol.precision
    points = []
    for t, q in zip(at_q, cmp[0]):
        if q is None:
            points.append({"t": format_number(t), "error": "beyond the end of the run"})
            continue
        (lo, k), vals = q
        if k == "bound":
            with p.flint():
                loss = Verified("<" + lo.mid().str(2, radius=False), 0, p.decimal(lo), upper_bound=True)
        else:
            loss = Verified(_text(lo, k, p), k, p.decimal(lo))
        points.append({
            "t": format_number(t),
            "loss": loss,
            "values": tuple(Verified("0", None, "0", exact=True) if kv == "exact" else
                            Verified(_text(v, kv, p), kv, p.decimal(v)) for v, kv in vals),
        })
    crossings = []
    for lv, c in zip(levels, cmp[1]):
        crossings.append({"level": format_number(lv), "t": None if c is None else
                          Verified("0", None, "0", exact=True) if c[1] == "exact" else
                          Verified(_text(c[0], c[1], p), c[1], p.decimal(c[0]))})
        if never and lv in never:
            crossings[-1]["never"] = never[lv]
    evs = tuple({"name": ev.name, "times": tuple(Verified(_text(v, k, p), k, p.decimal(v)) for v, k in e)}
                for ev, e in zip(events, cmp[2]))
    return tuple(points), tuple(crossings), evs


def _time(t, name) -> Fraction:
    if isinstance(t, float):
        raise OptionError(f"`{name}` = {describe(t)} is a binary float; pass an exact number or a decimal string")
    from ..parse import exact_number

    q = exact_number(t, name=name)
    if q < 0:
        raise OptionError(f"`{name}` times must be ≥ 0, got {format_number(q)}")
    return q
