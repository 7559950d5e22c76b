"""The front door of the flow stage: :func:`integrate_flow`.

Integrates ``θ' = −∇ℒ(θ)`` in arb arithmetic (python-flint) with a solver from :mod:`.solvers` (explicit
Gragg–Bulirsch–Stoer extrapolation, or extrapolated linearly implicit Euler for stiff deep networks),
step-size control (:mod:`.control`) on an error norm that sees every singular direction and the
end-to-end residual at their own scales (:mod:`.norms`).
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import flint
import sympy as sp
from tqdm.auto import tqdm

from ..errors import FlowError, OptionError, PrecisionError, describe
from ..models.diagonal import DiagonalLinearModel
from ..models.init import check_point
from ..parse import exact_number, format_number
from ..precision import Precision, digits_for_flow, to_arb
from ..symbolic.compile import compile_flow, flatten
from .control import Stepper, SwitchedDense, locate_crossing
from .roots import time_resolution
from .norms import ErrorNorm, frobenius
from .rest import CHECK_EVERY, RestCheck
from .solution import FlowSolution, FlowStats, Status
from .stiffness import StiffnessDetector
from .solvers import SOLVERS
from .solvers.gbs import order_for_tolerance
from .solvers.radau import stages_for_tolerance as radau_stages

__all__ = ["integrate_flow", "initial_scale", "choose_solver"]

def tolerance(value, *, name: str, low: Fraction = Fraction(1, 10**300), high: Fraction = Fraction(1, 2)) -> Fraction:
    """A tolerance as an exact Fraction: exact numbers, decimal strings or (for tolerances only) floats."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise OptionError(f"`{name}` must be finite, got {describe(value)}")
        q = Fraction(value)
    else:
        q = exact_number(value, name=name)
    if not low <= q <= high:
        raise OptionError(f"`{name}` must lie in [{format_number(low)}, {format_number(high)}], got {format_number(q)}")
    return q


def initial_scale(theta) -> Fraction:
    """The size of an initialization: the smallest, over layers with a nonzero entry, of the largest ``|entry|``.

    For ``W_l = σ·G_l`` this is ``σ`` times an O(1) factor; for ``(u, v) = (√2α, 0)`` it is ``√2α``.
    """
    best = None
    for W in theta:
        m = max((abs(x) for x in W), key=lambda e: sp.N(e, 20), default=0)
        if m != 0:
            f = sp.N(m, 20)
            q = Fraction(str(f))
            best = q if best is None or q < best else best
    if best is None:
        raise FlowError("every layer of `theta0` is zero: the origin is a critical point, the flow does not move")
    return best


def _as_float(x: flint.arb) -> float:
    return float(x.mid())


def choose_solver(model, solver: str, coordinates: str = "primal") -> str:
    """``"auto"``: Radau IIA for deep networks (depth ≥ 3 is stiff), GBS otherwise (switching to Radau IIA where the
    run turns out stiff).  The mirror form of a diagonal network included: Radau IIA with RADAU5's tolerance
    relaxation missed its error there (β relative error 2.9e-17 at rtol 1e-18 and about 3e-22 at every rtol from 1e-25
    to 1e-30, both runs of a verified flow agreeing on wrong digits), GBS met every tolerance tried
    (docs/flow.md, ``tests/flow/test_mirror.py``)."""
    if solver not in ("auto", *SOLVERS):
        raise OptionError(f"`solver` must be one of 'auto', {', '.join(repr(k) for k in SOLVERS)}; got {solver!r}")
    if solver != "auto":
        return solver
    deep = not isinstance(model, DiagonalLinearModel) and model.depth >= 3
    return "radau" if deep else "gbs"


def stages_for(solver: str, rtol: Fraction, strict: bool = False) -> int:
    """Extrapolation stages: ODEX's rule for GBS (order ``2k``); Radau IIA's stages by tolerance (more when
    ``strict``, :func:`~.solvers.radau.stages_for_tolerance`); for the implicit solver the first target order
    ``round(0.15·log10(1/rtol) + 3)`` in [4, 7], adapted at every step (:meth:`LinearlyImplicitEuler.adaptive_step`)."""
    if solver == "gbs":
        return order_for_tolerance(rtol)
    if solver == "radau":
        return radau_stages(rtol, strict)
    digits = math.log10(rtol.denominator) - math.log10(rtol.numerator)
    return max(4, min(7, round(0.15 * digits + 3)))


def state_precision(model, precision: Precision, scale: Fraction, rtol: Fraction) -> Precision:
    """The arithmetic of the state and its steps: at depth ``L ≥ 3`` the run's digits less the ``(L−2)·log10(1/σ)``
    that resolve O(1) intervals of time near ``t ~ σ^{−(L−2)}`` (:func:`~symdln.precision.digits_for_flow`): time
    stays at the run's precision, the steps do not need those digits.  Never below the state's own need,
    ``digits_for_flow`` at depth 2 plus 10.  Measured (depth 3, widths 3, σ = 1e-30, 10 digits): the same 1,221 steps
    and crossing times to 20 digits with 83 digits as with 113, 16 % faster; with 63 digits the run fails (loudly: a
    non-finite error estimate).
    """
    depth = 2 if isinstance(model, DiagonalLinearModel) else model.depth
    if depth < 3:
        return precision
    drop = math.floor((depth - 2) * max(0.0, -(math.log10(scale.numerator) - math.log10(scale.denominator))))
    digits = max(precision.digits - drop, digits_for_flow(scale, rtol, depth=2) + 10)
    return precision if digits >= precision.digits else Precision(digits, precision.guard_bits)


def make_stepper(model, precision: Precision, solver: str, k: int, rtol: Fraction, floor: Fraction,
                 coordinates: str = "primal", alpha2: Fraction | None = None, scale: Fraction | None = None,
                 strict: bool = False) -> Stepper:
    """The stepper of a run (solver, error norm, controller), e.g. to serve the dense output of a loaded solution."""
    flow = compile_flow(model, precision, coordinates, alpha2)
    with precision.flint():
        return _stepper(flow, precision, solver, k, rtol, floor, floor * 1024 if scale is None else scale, strict)


def _stepper(flow, precision, solver, k, rtol, floor, scale, strict: bool = False) -> Stepper:
    kind = "escape" if flow.norm == "singular" and flow.model.depth >= 3 else flow.norm
    state = state_precision(flow.model, precision, scale, rtol)
    method = SOLVERS[solver](flow, k)
    rho = residual_floor(flow, state, rtol)
    if solver == "radau" and strict:
        # strict: the estimate is held to rtol itself, so its rounding must sit below the residual's floor: the estimate
        # Σ e_i Z_i sums the stages' roundings weighted by |e_i| (Σ|e_i| = 15.6 at 15 stages), ~0.01 … 1 of the floor
        # ρ·rtol.  At rest (the residual at its floor) those ratios were noise that no step size reduces, and the steps
        # stalled: depth 3, σ = 1e-30, widths 2, steps near 1e26 for ever after convergence (48,539 steps in 400 s from
        # t = 3e30 to 8.8e30).  ρ is raised by 100·Σ|e_i| (1e-78 → 1.6e-75 there, still 1e-7 below the first run's,
        # whose floor decides which losses are reported as bounds)
        rho = (rho * 100 * method.estimate_weight()).mid()
    elif solver == "gbs" and method.estimate_weight() > 1:
        # the extrapolation's estimate amplifies the stages' roundings by Σ|δ_j| (1e13 at order 78): near convergence,
        # with the residual below the floor, the estimate was that noise over a tolerance of rtol·ρ, and the steps
        # crawled (depth 2, 83 digits, rtol 1e-63: 1,146 steps in 15 s stuck at t = 211 where the loss is 4e-57;
        # found by an independent check, 2026-12-07)
        rho = (rho * method.estimate_weight()).mid()
    method.floor = float(floor)
    if solver == "radau" and not strict:  # strict: the estimate is held to rtol itself
        method.relax = method.tolerance_relaxation(rtol)
    band = None
    if kind == "escape":
        band = (to_arb(rtol, precision.bits) * 10 / flint.arb(getattr(method, "relax", 1.0))).mid()
    norm = ErrorNorm(kind, to_arb(floor, precision.bits), flow.shapes, flow, rho, band)
    return Stepper(method, norm, rtol, state_bits=None if state is precision else state.bits)


def loss_resolution(flow, model, precision: Precision, scale: Fraction, rtol: Fraction) -> flint.arb:
    """``100·ρ²`` (call in scope): losses below this are below what a run's arithmetic and tolerance resolve."""
    rho = residual_floor(flow, state_precision(model, precision, scale, rtol), rtol)
    return (rho * rho * 100).mid()


def residual_floor(flow, precision: Precision, rtol: Fraction) -> flint.arb:
    """``ρ`` of the residual norm: a hundred roundings of ``max(1, ‖G(0)‖)`` over ``rtol`` (call in scope)."""
    G0 = flow.residual(tuple(flint.arb_mat(r, c) for r, c in flow.shapes))
    size = max(flint.arb(1), frobenius(G0), key=_as_float)
    ulp = flint.arb(2) ** (-(precision.bits - precision.guard_bits))
    return (size * ulp * 100 / flint.arb(flint.fmpq(rtol.numerator, rtol.denominator))).mid()


def integrate_flow(
    model,
    theta0,
    t_end,
    *,
    precision: Precision | None = None,
    rtol="1e-12",
    solver: str = "auto",
    loss_below=None,
    grad_below=None,
    loss_below_after=None,
    max_steps: int = 200_000,
    max_time: float | None = None,
    first_step=None,
    floor=None,
    scale=None,
    seed: int | None = None,
    init: dict | None = None,
    coordinates: str = "primal",
    stiffness_switch: bool | None = None,
    strict: bool = False,
    progress: bool | None = None,
    throw: bool = True,
    stop_at_rest: bool = True,
    on_step=None,
) -> FlowSolution:
    """Integrate the gradient flow ``θ' = −∇ℒ(θ)`` from ``θ(0) = theta0`` to ``t_end`` in arbitrary precision.

    Time is the real time ``t`` of the flow (MATH §1); accelerated time (``t / log(1/σ)`` at depth ≤ 2,
    ``t·σ^{L−2}`` at depth ``L ≥ 3``) is derived from it by :mod:`symdln.saddles`.  This is one run: its
    ``rtol`` is a local tolerance, not a claim of accuracy; :func:`symdln.flow.verify.verified_flow`
    verifies digits by a second, independent run.

    Parameters
    ----------
    model : DeepLinearModel or DiagonalLinearModel
    theta0 : sequence of exact matrices
        The initial point, one ``n_l × n_{l−1}`` matrix per layer (``(u, v)`` as ``d × 1`` for
        a diagonal network); see :mod:`symdln.models.init`.
    t_end : exact number
        Final time (> 0).
    precision : Precision, optional
        Working precision; by default :func:`symdln.precision.digits_for_flow` of the
        initialization scale, ``rtol`` and depth.
    rtol : exact number or float
        Local relative accuracy per singular direction (per component for diagonal nets) and of the
        end-to-end residual.
    solver : {"auto", "gbs", "radau", "implicit"}
        ``"gbs"``: explicit extrapolation; ``"radau"``: Radau IIA collocation with the exact Jacobian (L-stable
        and stiffly accurate, for the stiff plateaus of depth ≥ 3); ``"implicit"``: extrapolated linearly
        implicit Euler (L-stable, loses order on long stiff plateaus); ``"auto"``: radau at depth ≥ 3 and in the
        mirror form, otherwise gbs switching to radau when the run turns out stiff (``stiffness_switch``).
    loss_below : exact number or float, optional
        Terminal event: stop at the first time the loss falls below this value (located by
        root finding on the dense output).
    loss_below_after : exact number, optional
        Arm the ``loss_below`` event only from this time on: a run that must also cover the times before it (values
        asked at times, crossings of levels) stops at the first accepted step ending at or after it with the loss
        below ``loss_below`` (at that step's end, not located further), or at the located crossing once armed.
    grad_below : exact number or float, optional
        Terminal event: stop at the first accepted step where ``‖∇ℒ‖_F`` is below this value, refined by root
        finding on the dense output (``Status.CONVERGED``), so runs whose minimum loss is above 0 (data form,
        weight decay) can stop at their minimum.  The gradient is small near saddles too (at the start from a
        small initialization, on plateaus): choose a level below the plateaus' gradients, and above
        ``~rtol·‖Σyx‖``, where a minimum with weight decay stops resolving it (a cancellation).
    max_steps : int
    max_time : float, optional
        Wall-clock seconds after which the run stops with status ``MAX_TIME`` (keeping what is done).
    first_step : exact number, optional
        Initial step (default: ``0.05`` over the relative speed ``‖θ'‖_θ``).
    floor : exact number, optional
        ``τ`` of the error norm (default: ``scale / 1024``).
    scale : exact number, optional
        Size of the initialization (default :func:`initial_scale` of ``theta0``).
    seed : int, optional
        Recorded in the solution.
    init : dict, optional
        The initialization's record (:meth:`symdln.flow.plan.InitSpec.as_dict`), kept in the solution.
    coordinates : {"primal", "mirror"}
        ``"mirror"``: a diagonal network from ``(√2α·1, 0)`` integrated in its dual coordinates
        ``r' = −∇L(α² sinh 2r)`` (:mod:`symdln.symbolic.mirror`); the solution's states are then ``(r,)``.
    stiffness_switch : bool, optional
        Let a GBS run switch to Radau IIA for good once its steps are bounded by stability rather than accuracy
        (:mod:`symdln.flow.stiffness`; e.g. the data form with ill-conditioned inputs).  Default: when ``solver``
        is ``"auto"``.  ``stats.solver`` is then ``"radau"`` and ``stats.switch_step`` the index in ``ts`` of the
        point where it took over; the dense output steps with the solver that made each step.
    strict : bool
        Hold Radau IIA's error estimate to ``rtol`` itself instead of RADAU5's relaxation ``10·rtol^{(s−1)/(2s)}``
        (an estimate of order ``s`` trusted as a local error of order ``2s − 1``, which missed errors on the mirror
        form, docs/flow.md), with more stages.  Slower (measured at depth 3, σ = 1e-60: 32.6 s strict at rtol 1e-16
        against 18.6 s relaxed); :func:`~symdln.flow.verify.verified_flow` uses it for the verification run at
        depth ≥ 3, so that the relaxation's errors are not shared by both runs.
    progress : bool, optional
        Show a tqdm bar (default: when stderr is a terminal).
    on_step : callable, optional
        Called with the time (a float) after every accepted step: the progress of a run in another process
        (:mod:`~symdln.flow.background`).
    throw : bool
        Raise :class:`~symdln.errors.FlowError` (with the partial solution attached) when
        the run ends without reaching ``t_end`` or the event; ``False`` returns it instead.
    stop_at_rest : bool
        A run without ``loss_below`` or ``grad_below`` ends early, with its state carried to ``t_end``, once the
        rest of the flow provably moves every reported value by less than ``10⁻³·rtol`` (:mod:`symdln.flow.rest`;
        ``stats.rest_step`` is then the index of that point).  ``False`` integrates every step to ``t_end``.

    Returns
    -------
    FlowSolution

    Examples
    --------
    >>> from symdln.models import deep_linear, balanced_init
    >>> m = deep_linear(spectrum=[1], depth=2, widths=1)
    >>> sol = integrate_flow(m, balanced_init(m, "1/100"), 5, precision=Precision(30), rtol="1e-20")
    >>> # Saxe: a(t) = s / (1 + (s/a0 − 1) e^{−2st})
    >>> with sol.precision.flint():
    ...     exact = 1 / (1 + 99 * flint.arb(-10).exp())
    ...     abs(sol.end_to_end(5)[0, 0] - exact) < flint.arb("1e-18")
    True
    """
    theta0 = check_point(model, theta0)
    rtol_q = tolerance(rtol, name="rtol")
    t_end_q = exact_number(t_end, name="t_end")
    if t_end_q <= 0:
        raise OptionError(f"`t_end` must be > 0, got {t_end_q}")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise OptionError(f"`max_steps` must be a positive int, got {describe(max_steps)}")
    if max_time is not None and not (isinstance(max_time, (int, float)) and not isinstance(max_time, bool) and max_time > 0):
        raise OptionError(f"`max_time` must be a positive number of seconds, got {describe(max_time)}")
    if coordinates not in ("primal", "mirror"):
        raise OptionError(f"`coordinates` must be 'primal' or 'mirror', got {describe(coordinates)}")
    alpha2 = None
    if coordinates == "mirror":
        from ..symbolic.mirror import mirror_alpha2

        alpha2 = mirror_alpha2(model, theta0)
    method = choose_solver(model, solver, coordinates)
    if stiffness_switch is None:
        stiffness_switch = solver == "auto"
    elif not isinstance(stiffness_switch, bool):
        raise OptionError(f"`stiffness_switch` must be True, False or None, got {describe(stiffness_switch)}")
    scale_q = initial_scale(theta0) if scale is None else exact_number(scale, name="scale")
    if scale_q <= 0:
        raise OptionError(f"`scale` must be > 0, got {scale_q}")
    depth = 2 if isinstance(model, DiagonalLinearModel) else model.depth
    if precision is None:
        precision = Precision(digits_for_flow(scale_q, rtol_q, depth=depth))
    elif not isinstance(precision, Precision):
        raise PrecisionError(f"`precision` must be a Precision, got {describe(precision)}")
    if rtol_q < Fraction(1, 10 ** max(1, precision.digits - 5)):
        raise PrecisionError(
            f"`rtol` = {float(rtol_q):.1e} asks for more digits than `precision` carries "
            f"({precision.digits}); raise the digits or loosen rtol"
        )
    floor_q = scale_q / 1024 if floor is None else exact_number(floor, name="floor")
    if floor_q <= 0:
        raise OptionError(f"`floor` must be > 0, got {floor_q}")
    thr_q = None if loss_below is None else tolerance(loss_below, name="loss_below", high=Fraction(10**30))
    after_q = None if loss_below_after is None else exact_number(loss_below_after, name="loss_below_after")
    if after_q is not None and thr_q is None:
        raise OptionError("`loss_below_after` needs `loss_below`")
    gthr_q = None if grad_below is None else tolerance(grad_below, name="grad_below", high=Fraction(10**30))

    flow = compile_flow(model, precision, coordinates, alpha2)
    y = flow.state(theta0)
    k = stages_for(method, rtol_q, strict)
    t_start = time.perf_counter()
    with precision.flint():
        bits = precision.bits
        stepper = _stepper(flow, precision, method, k, rtol_q, floor_q, scale_q, strict)
        detector = None
        if stiffness_switch and method == "gbs":
            detector = StiffnessDetector(flow, k, lambda: _stepper(flow, precision, "radau", stages_for("radau", rtol_q, strict),
                                                                   rtol_q, floor_q, scale_q, strict))
        switch_step, first, nfev_before = None, None, 0
        # a run asked only to reach t_end may stop once the rest of the flow cannot change what it reports (.rest); an
        # event run (a loss or gradient level) goes on until its event
        # (a loss event armed only later leaves the rest check on: the values before it were asked too)
        resting = None if (thr_q is not None and after_q is None) or gthr_q is not None or not stop_at_rest else \
            RestCheck(flow, precision, state_precision(model, precision, scale_q, rtol_q), rtol_q,
                      loss_resolution(flow, model, precision, scale_q, rtol_q), coordinates)
        rest_step = None
        T = to_arb(t_end_q, bits).mid()
        thr = None if thr_q is None else to_arb(thr_q, bits)
        armed_from = None if after_q is None else to_arb(after_q, bits).mid()
        gthr = None if gthr_q is None else to_arb(gthr_q, bits)
        t = flint.arb(0)
        f0 = stepper.field(y)
        if first_step is not None:
            H = to_arb(exact_number(first_step, name="first_step"), bits)
            if H <= 0:
                raise OptionError(f"`first_step` must be > 0, got {first_step}")
        else:
            speed = stepper.norm(y, f0)
            H = T if speed == 0 else min(T, (flint.arb("0.05") / speed).mid(), key=_as_float)
        ts, states, losses = [t], [y], [flow.loss(y)]
        stepper.float_times.append(0.0)
        status, t_event = None, None
        if thr is not None and losses[0] < thr and (armed_from is None or not armed_from > 0):
            status, t_event = Status.EVENT, t  # already below the threshold at t0
        steps = rejected = streak = 0
        resolution = flint.arb(2) ** (-(bits - precision.guard_bits))
        at_events = time_resolution(bits, precision.guard_bits, rtol_q)  # event times: below the run's tolerance
        bar = tqdm(total=float(t_end_q), unit="t", disable=(not progress) if progress is not None else None,
                   desc="symdln flow", leave=False)
        try:
            while status is None:
                if steps >= max_steps:
                    status = Status.MAX_STEPS
                    break
                if max_time is not None and time.perf_counter() - t_start > max_time:
                    status = Status.MAX_TIME
                    break
                rest = (T - t).mid()
                if steps and rest <= max(abs(t), flint.arb(1)) * resolution * 16:
                    # an accepted step ended within rounding of T: that is T (its state is θ(T) to working precision)
                    t = ts[-1] = T
                    stepper.float_times[-1] = float(T.mid())
                    status = Status.SUCCESS
                    break
                last = not H < rest
                if last:
                    H = rest
                if H <= max(abs(t), flint.arb(1)) * resolution * 16:
                    status = Status.STEP_UNDERFLOW
                    break
                y1, r, fac = stepper.attempt(y, f0, H)
                if r <= 1:
                    t_prev, y_prev = t, y
                    t, y = (T if last else (t + H).mid()), y1
                    steps += 1
                    streak = 0
                    f0 = stepper.field(y)
                    # the step's loss guard measured it, at the run's precision unless the steps run at fewer bits
                    lo = stepper.loss_of(y) if stepper.state_bits is None else flow.loss(y)
                    if thr is not None and lo < thr and (armed_from is None or not t < armed_from):
                        if armed_from is None or not t_prev < armed_from:  # armed before this step: locate it
                            t, y = locate_crossing(stepper, t_prev, y_prev, t, thr, at_events)
                            lo = flow.loss(y)
                        t_event = t
                        status = Status.EVENT
                    elif gthr is not None and frobenius(flatten(f0)) < gthr:
                        t, y = locate_crossing(stepper, t_prev, y_prev, t, gthr, at_events, quantity=_grad_norm)
                        t_event, lo = t, flow.loss(y)
                        status = Status.CONVERGED
                    ts.append(t), states.append(y), losses.append(lo)
                    stepper.float_times.append(float(t.mid()))
                    bar.update(float(H.mid()))
                    if on_step is not None:
                        on_step(stepper.float_times[-1])
                    if steps % 25 == 0:
                        bar.set_postfix(loss=f"{float(lo.mid()):.3e}", refresh=False)
                    if status is None and last:
                        status = Status.SUCCESS
                    elif (status is None and resting is not None and steps % CHECK_EVERY == 0
                          and resting.at_rest(t, T, y, lo)):
                        # at rest until T: the state of t stands for every later time (module .rest)
                        rest_step = len(ts) - 1
                        ts.append(T), states.append(y), losses.append(lo)
                        stepper.float_times.append(float(T.mid()))
                        bar.update(float((T - t).mid()))
                        t = T
                        status = Status.SUCCESS
                    if not lo.is_finite():
                        status = Status.NONFINITE
                    H = (H * flint.arb(fac)).mid()
                    switch = None
                    if status is None and detector is not None:
                        switch = detector.observe(y, f0, ts[-1] - ts[-2])
                    if switch is not None:
                        # stiff from here: Radau IIA (L-stable) for the rest of the run and for its dense output
                        nfev_before += stepper.nfev
                        first, (stepper, H) = stepper, switch
                        method, k, detector, switch_step = "radau", stepper.solver.k, None, len(ts) - 1
                        stepper.float_times = first.float_times
                        f0 = stepper.field(y)
                else:
                    rejected += 1
                    streak += 1
                    if not math.isfinite(r) and streak > 60:
                        status = Status.NONFINITE
                        break
                    H = (H * flint.arb(fac)).mid()
        except KeyboardInterrupt:
            status = Status.INTERRUPTED
        finally:
            bar.close()
    stats = FlowStats(
        steps=steps,
        rejected_steps=rejected,
        nfev=nfev_before + stepper.nfev + (detector.trial_nfev if detector is not None else 0),
        stages=k,
        digits=precision.digits,
        seconds=time.perf_counter() - t_start,
        solver=method,
        njev=stepper.solver.njev,
        nlu=stepper.solver.nlu,
        switch_step=switch_step,
        strict=bool(strict),
        rest_step=rest_step,
    )
    sol = FlowSolution(
        model=model,
        ts=tuple(ts),
        states=tuple(states),
        losses=tuple(losses),
        status=status,
        stats=stats,
        precision=precision,
        rtol=rtol_q,
        scale=scale_q,
        seed=seed,
        t_event=t_event,
        floor=floor_q,
        init=init,
        coordinates=coordinates,
        alpha2=alpha2,
        _dense=stepper if first is None else SwitchedDense(first, stepper, ts[switch_step]),
    )
    if throw and not status.ok:
        raise FlowError(f"{status.value} (stopped at t = {float(t.mid()):.6g} after {steps} steps)", solution=sol)
    return sol


def _grad_norm(flow, y) -> flint.arb:
    return frobenius(flatten(flow.field(y)))
