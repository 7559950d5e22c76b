"""The ``explore`` pipeline: model → high-precision flow → saddle visits → table, figures, graph.

:func:`explore` runs the flow from a small initialization until the loss falls below a
threshold, segments the run into saddle visits, checks the times by a second run at a
tighter tolerance and higher precision, and writes ``summary.json``, ``loss.png``,
``singular_values.png``, ``saddle_graph.png`` and ``saddle_graph.graphml`` to ``out``.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import networkx as nx
import numpy as np

from .. import __version__
from ..errors import FlowError, ModelError, OptionError, describe
from ..flow.background import BackgroundRun, available as background_available
from ..flow.integrate import integrate_flow, tolerance
from ..flow.plan import InitSpec, check_feasible, check_layer_dims, event_horizon
from ..flow.solution import FlowSolution, Status
from ..flow.digits import agreeing_digits, rounding_safe_digits, tolerance_digits
from ..graph.build import saddle_graph
from ..graph.io import write_graph
from ..models.dln import DeepLinearModel, deep_linear
from ..parse import format_number, positive_number
from ..precision import Precision, digits_for_flow
from ..saddles.visits import SaddleVisit, detect_visits
from ..symbolic.pivots import mode_values, pivot_families
from .plots import plot_loss, plot_singular_values
from ..spectra import log10_singular_values
from .tables import format_table

__all__ = ["explore", "ExploreResult", "default_model", "default_t_end", "format_visits"]


def default_model() -> DeepLinearModel:
    """The built-in default: teacher form, depth 2, width 3, ``M = U diag(3, 2, 1) Vᵀ`` (Cayley rotations, seed 0)."""
    return deep_linear(spectrum=[3, 2, 1], depth=2, widths=3, rotation_seed=0)


#: Largest model whose exact landscape the report computes for its saddle graph (one exact Hessian per stratum).
LANDSCAPE_PARAMS = 64


def default_t_end(model: DeepLinearModel, sigma: Fraction) -> Fraction:
    """The default horizon of :func:`explore` from scale ``σ``: :func:`symdln.flow.plan.event_horizon` (the run stops
    below ``loss_below``).

    Depth ≤ 2: ``3 (log(1/σ) + 50) / s_min`` (mode k escapes near ``log(1/σ)/s_k``); depth ``L ≥ 3``:
    ``1000 (10 σ^{−(L−2)} / s_min + 100)`` (escape times grow like ``σ^{−(L−2)}``, with a constant set by the draw).
    No horizon is long enough for every draw: a run that reaches it on a plateau is reported ``incomplete``.
    """
    return event_horizon(model, sigma)


@dataclass(frozen=True)
class ExploreResult:
    """What :func:`explore` produced: the run, its visits, the saddle graph, the summary and the files."""

    solution: FlowSolution
    visits: list[SaddleVisit]
    graph: nx.DiGraph
    summary: dict
    files: dict


def explore(
    model: DeepLinearModel | None = None,
    *,
    sigma="1e-30",
    seed: int = 0,
    init: str = "gaussian",
    rtol="1e-12",
    digits: int | None = None,
    loss_below="1e-20",
    t_end=None,
    out="symdln-explore",
    verify: bool = True,
    tol="1e-3",
    progress: bool | None = None,
    parallel: bool = True,
) -> ExploreResult:
    """Run the main job on ``model`` (default :func:`default_model`) and write its report to ``out``.

    Parameters
    ----------
    model : DeepLinearModel, optional
    sigma : exact number
        Initialization scale (Gaussian: ``W_l = σ G_l``; balanced: every mode's product is ``σ``).
    seed : int
        Seed of the Gaussian initialization.
    init : {"gaussian", "balanced"}
    rtol : exact number or float
        Local relative accuracy per singular direction.
    digits : int, optional
        Working digits (default :func:`symdln.precision.digits_for_flow`).
    loss_below : exact number
        Stop when the loss falls below this value.
    t_end : exact number, optional
        Horizon (default :func:`default_t_end`).
    out : path
    verify : bool
        Repeat the run at ``rtol/1000`` with 10 more digits and report how many digits of the
        arrival times agree.
    tol : exact number
        Relative distance to a critical family that counts as a visit.
    parallel : bool
        Make the verification run in a second process beside the first, where two cores and ``fork`` are available
        (:mod:`symdln.flow.background`); ``False``: after it.

    Returns
    -------
    ExploreResult
    """
    started = time.perf_counter()
    model = default_model() if model is None else model
    if not isinstance(model, DeepLinearModel):
        raise ModelError(f"`model` must be a DeepLinearModel, got {describe(model)}")
    sigma_q = positive_number(sigma, name="sigma")
    rtol_q = tolerance(rtol, name="rtol")
    if init not in ("gaussian", "balanced"):
        raise OptionError(f"`init` must be 'gaussian' or 'balanced', got {init!r}")
    if not isinstance(parallel, bool):
        raise OptionError(f"`parallel` must be True or False, got {describe(parallel)}")
    spec = InitSpec.gaussian(sigma_q, seed) if init == "gaussian" else InitSpec.balanced(sigma_q, model.depth)
    # sizes and the output folder before any computation (building θ0 for a layer of width 100000 took 25 s)
    if t_end is None:  # a given horizon bounds the run; the default one at depth ≥ 3 may be out of reach
        check_feasible(model, spec, None)
    else:
        check_layer_dims(model)
    horizon = default_t_end(model, spec.layer_scale) if t_end is None else positive_number(t_end, name="t_end")
    out_dir = _check_out(out)
    theta0 = spec.build(model)
    per_layer = spec.layer_scale
    if digits is None:
        digits = digits_for_flow(per_layer, rtol_q, depth=model.depth)
    precision = Precision(digits)
    families = pivot_families(model)
    # the verification run does not depend on the first one: with two cores it runs beside it (flow.background)
    ahead = BackgroundRun(_second_run, model, theta0, horizon, precision, rtol_q, loss_below, per_layer, seed) \
        if verify and parallel and background_available() else None
    try:
        sol = integrate_flow(
            model, theta0, horizon, precision=precision, rtol=rtol_q, loss_below=loss_below,
            scale=per_layer, seed=seed, progress=progress, throw=False,
        )
        interrupted = sol.status is Status.INTERRUPTED
        visits = detect_visits(sol, families, tol=tol)
        verification = None
        if verify and sol.status.ok:
            verification = _verify(model, theta0, horizon, precision, rtol_q, loss_below, per_layer, seed, families, tol,
                                   visits, sol, ahead, progress)
            ahead = None
            interrupted = verification.get("status") == "interrupted"
        elif verify:
            verification = {"ok": False, "status": "skipped",
                            "reason": f"the run ended with status {sol.status.name.lower()}"}
    finally:
        if ahead is not None:  # the first run failed or was interrupted: its verification is not wanted
            ahead.cancel()
    land, land_note = None, _landscape_skipped(model)
    if land_note is None:
        from ..symbolic.landscape import landscape

        land = landscape(model)  # exact kinds, inertia and escape rates of the graph's nodes
    G_obs = saddle_graph(visits, model=model, landscape=land)
    limit = _limit_path(model)
    graphs = [G_obs]
    if limit is not None:
        from ..graph.sources import limit_graph

        graphs.append(limit_graph(limit))
    if land is not None and model.depth == 2:
        from ..graph.sources import landscape_graph

        graphs.append(landscape_graph(land))  # every stratum and its escapes (slow ones in high precision; ~5 s here)
    from ..graph.sources import merge_graphs

    G = merge_graphs(*graphs)
    # Ctrl-C during the landscape or the theory graph stops them, keeping what finished (complete = False): the report
    # is then interrupted, not a success (an independent audit saw exit status 0 after a Ctrl-C there)
    if (land is not None and not land.complete) or any(g.graph.get("complete") is False for g in graphs):
        interrupted = True
    comparison = None
    if limit is not None:
        from ..limits.compare import compare

        comparison = compare(visits, limit)
    unfinished = _unfinished(model, sol, families)
    title = _title(model, spec, sigma_q, init)
    files = _write_figures(sol, visits, G, out_dir, model, limit=limit, title=title, scale=per_layer)
    summary = {
        "symdln_version": __version__,
        "model": model.describe(),
        "init": {"kind": init, "sigma": format_number(sigma_q), "seed": seed if init == "gaussian" else None},
        "precision": {"digits": precision.digits, "bits": precision.bits, "guard_bits": precision.guard_bits},
        "rtol": format_number(rtol_q),
        "loss_below": format_number(tolerance(loss_below, name="loss_below", high=Fraction(10**30))),
        "t_end": format_number(horizon),
        "status": "interrupted" if interrupted else ("incomplete" if unfinished else sol.status.name.lower()),
        "message": ("interrupted: the files hold what finished" if interrupted else (unfinished or sol.message)),
        "t_final": sol.t_final.mid().str(_final_digits(visits, verification), radius=False),
        "final_loss": _final_loss_text(sol, verification),
        "final_loss_digits": (verification or {}).get("final_loss_digits"),
        "stats": sol.stats.as_dict(),
        "accelerated_time": "t / log(1/sigma)" if model.depth <= 2 else f"t * sigma^{model.depth - 2}",
        "visits": [_with_landscape(_visit_json(v, k, verification), G) for k, v in enumerate(visits)],
        "limit": None if comparison is None else {
            "algorithm": f"greedy rank-incremental ({limit.saddle_kind})", "time_reason": limit.time_reason,
            "order_matches": comparison.order_matches,
            "saddles": [{"label": r.label, "loss": str(r.loss),
                         "tau_limit": None if r.tau_limit is None else str(r.tau_limit),
                         "tau_run": r.tau_run, "tau_error": r.tau_error, "distance": r.distance}
                        for r in comparison.rows]},
        "verification": verification,
        "landscape": "exact: every stratum's kind, inertia and escapes in the graph" if land is not None else land_note,
        "files": {k: str(v) for k, v in files.items()},
    }
    summary["seconds"] = round(time.perf_counter() - started, 3)
    path = out_dir / "summary.json"
    tmp = path.with_name("summary.json.tmp")
    tmp.write_text(json.dumps(summary, indent=2))
    tmp.replace(path)
    files["summary"] = path
    summary["files"]["summary"] = str(path)
    return ExploreResult(sol, visits, G, summary, files)


def _landscape_skipped(model) -> str | None:
    """Why the report's graph has no exact landscape (strata, kinds, escapes), or ``None`` when it has one."""
    if model.n_params > LANDSCAPE_PARAMS:
        return f"not computed: {model.n_params} parameters, more than {LANDSCAPE_PARAMS} (`symdln critical` lists it)"
    if model.weight_decay != 0:
        return "not computed with weight decay (`symdln critical --weight-decay` lists its minima)"
    return None


def _unfinished(model, sol: FlowSolution, families) -> str | None:
    """Why a run that reached its horizon has not finished learning (``None`` when it has, or cannot be told).

    The run ended at ``t_end`` (not at ``loss_below``) with its loss more than half the smallest gap
    ``ℒ_S − ℒ* > 0`` between a pivot family and the exact global minimum ``ℒ*`` (λ = 0) above ``ℒ*``: it has not
    reached a global minimum.  Accelerated escape times depend on the draw and have no upper bound, so a horizon can
    end a plateau early; the report then says so instead of calling the run a success."""
    if sol.status is not Status.SUCCESS or model.weight_decay != 0:
        return None
    from ..symbolic.analysis import global_minimum_value

    gmin = global_minimum_value(model)
    if gmin is None:
        return None
    gaps = [f.loss - gmin for f in families]
    gaps = [float(g) for g in gaps if float(g) > 0]
    if not gaps:
        return None
    final = float(sol.losses[-1].mid())
    if final - float(gmin) <= min(gaps) / 2:
        return None
    return (f"the run reached t_end = {format_number(Fraction(sol.t_final.mid().str(20, radius=False)))} on a plateau "
            f"at loss {final:.6g}, above the global minimum {gmin if gmin.is_Rational else f'{float(gmin):.6g}'}: modes "
            f"are still to be learned (the escape times depend on the draw); raise --t-end")


def _check_out(out) -> Path:
    """The output folder, created and checked writable before any computation (a clear error otherwise)."""
    if not str(out).strip():
        raise OptionError("`out` is empty: give a folder for the report (the default is ./symdln-explore)")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OptionError(f"`out` {str(path)!r} exists and is not a directory; give a folder for the report")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".symdln-write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise OptionError(f"`out` {str(path)!r} is not a writable folder: {exc.strerror or exc}") from None
    return path


def _with_landscape(visit: dict, G) -> dict:
    """Add the exact landscape attributes of the visited family (kind, index, nullity, order, dimension)."""
    node = G.nodes.get(visit["label"], {})
    for key in ("kind", "index", "nullity", "order", "dimension"):
        if key in node:
            visit[key] = node[key]
    return visit


#: significant digits printed for a time the verification did not compare
UNVERIFIED_DIGITS = 6


def _final_digits(visits, verification) -> int:
    """Digits of the run's final time: those of the last visit's exit when the run ends in it."""
    digs = (verification or {}).get("visit_digits")
    if visits and visits[-1].final and digs and digs[-1].get("t_exit"):
        return digs[-1]["t_exit"]
    return UNVERIFIED_DIGITS


def _final_loss_text(sol: FlowSolution, verification: dict | None) -> str:
    """The run's final loss to the digits the verification run confirmed (:data:`UNVERIFIED_DIGITS` otherwise)."""
    n = (verification or {}).get("final_loss_digits")
    with sol.precision.flint():
        return sol.losses[-1].mid().str(UNVERIFIED_DIGITS if n is None else max(n, 1), radius=False)


def _visit_json(v: SaddleVisit, k: int, verification: dict | None) -> dict:
    """``v.as_dict()`` with every time rounded to the significant digits the verification run confirmed
    (``t_enter_digits`` etc.; ``τ = t / log(1/σ)`` or ``t·σ^{L−2}`` carries the digits of its ``t``), or to
    :data:`UNVERIFIED_DIGITS` with ``…_digits: null`` where nothing was compared."""
    out = v.as_dict()
    digs = (verification or {}).get("visit_digits")
    digs = digs[k] if digs and k < len(digs) else {}
    for name in ("enter", "exit", "arrive"):
        t, tau = getattr(v, f"t_{name}"), getattr(v, f"tau_{name}")
        n = digs.get(f"t_{name}")
        if t is None:
            continue
        shown = UNVERIFIED_DIGITS if n is None else max(n, 1)
        exact0 = t == 0
        out[f"t_{name}"] = "0" if exact0 else t.mid().str(shown, radius=False)
        out[f"tau_{name}"] = "0" if exact0 else tau.mid().str(shown, radius=False)
        out[f"t_{name}_digits"] = None if n is None else n
    return out


def _second_run(model, theta0, horizon, precision, rtol_q, loss_below, scale, seed, on_step=None):
    """The verification run: ``rtol/1000`` and 10 more digits, Radau IIA held strictly to its tolerance where it is
    used (:func:`~symdln.flow.verify.verified_flow`'s rule: the first run's tolerance relaxation is not shared)."""
    return integrate_flow(model, theta0, horizon, precision=Precision(precision.digits + 10), rtol=rtol_q / 1000,
                          loss_below=loss_below, scale=scale, seed=seed, progress=False, throw=False, strict=True,
                          on_step=on_step)


def _verify(model, theta0, horizon, precision, rtol_q, loss_below, scale, seed, families, tol, visits, sol,
            ahead=None, progress=None) -> dict:
    """The second run (:func:`_second_run`; from ``ahead``, a :class:`~symdln.flow.background.BackgroundRun` of it,
    when one was started) and the digits of agreement of the visits' times and of the final loss (when both runs
    ended the same way)."""
    p2 = Precision(precision.digits + 10)
    rtol2 = rtol_q / 1000
    try:
        sol2 = ahead.result(total=float(horizon), progress=progress) if ahead is not None else None
        if sol2 is None:  # no second process (or it died): the run here
            sol2 = _second_run(model, theta0, horizon, precision, rtol_q, loss_below, scale, seed)
        if sol2.status is Status.INTERRUPTED:
            return {"ok": False, "status": "interrupted", "reason": "the verification run was interrupted"}
        visits2 = detect_visits(sol2, families, tol=tol)
    except KeyboardInterrupt:
        return {"ok": False, "status": "interrupted", "reason": "the verification was interrupted"}
    except FlowError as exc:  # pragma: no cover - reported, not raised
        return {"ok": False, "status": "failed", "reason": str(exc)}
    same = [v.label for v in visits] == [w.label for w in visits2]
    worst, pairs = 0.0, 0
    cap = tolerance_digits(rtol2)  # no more digits than the tighter run's tolerance carries (as verified_flow's)
    per_visit = []  # verified significant digits of each visit's times (None: not compared)
    with p2.flint():
        for v, w in zip(visits, visits2):
            if v.t_arrive is not None and w.t_arrive is not None:
                rel = abs((v.t_arrive - w.t_arrive) / w.t_arrive)
                worst = max(worst, float(rel.mid()))
                pairs += 1
            digs = {}
            for name in ("t_enter", "t_exit", "t_arrive"):
                a, b = getattr(v, name), getattr(w, name)
                if same and a is not None and b is not None:
                    digs[name] = agreeing_digits(a, b, cap)
                    if digs[name] and a != 0 and b != 0:
                        # the first run's t and τ are printed: each within half a unit of its last digit
                        tau = "tau" + name[1:]
                        err = 100 * float(rtol2)  # the tighter run's own (global) error, as verified_flow
                        digs[name] = min(rounding_safe_digits(a, b, digs[name], printed=a, rel_error=err),
                                         rounding_safe_digits(getattr(v, tau), getattr(w, tau), digs[name],
                                                              printed=getattr(v, tau), rel_error=err))
                else:
                    digs[name] = None
            per_visit.append(digs)
        l1, l2 = sol.losses[-1], sol2.losses[-1]  # the first run's final loss is printed
        err = 100 * float(rtol2)  # the tighter run's own (global) error, as verified_flow
        final = rounding_safe_digits(l1, l2, agreeing_digits(l1, l2, cap), printed=l1, rel_error=err) \
            if sol2.status is sol.status else None
    agree = math.inf if not pairs else min(cap, math.inf if worst == 0 else -math.log10(worst))
    return {
        "ok": same and sol2.status.ok,
        "status": "verified" if same and sol2.status.ok else "disagrees",
        "rtol": format_number(rtol2),
        "digits": p2.digits,
        "same_visits": same,
        "max_relative_difference_t_arrive": worst,
        "agreeing_digits": None if math.isinf(agree) else round(agree, 2),
        "steps": sol2.stats.steps,
        "visit_digits": per_visit if same else None,
        "final_loss_digits": final,
    }


def _limit_path(model):
    """The greedy rank-incremental limit path, or ``None`` where it is not defined (weight decay, ties)."""
    if model.weight_decay != 0:
        return None
    from ..limits.dln import dln_limit_path

    try:
        return dln_limit_path(model)
    except ModelError:
        return None


def _title(model, spec, sigma, init) -> str:
    d = model.describe()
    what = f"spectrum ({', '.join(format_number(x) for x in model.svd.s)})" if getattr(model, "svd", None) is not None \
        and model.form == "teacher" else f"{model.form} form"
    return (f"depth {model.depth}, widths {tuple(d['widths'])}, {what}; {init} init, σ = {format_number(sigma)}"
            + (f", seed {spec.seed}" if init == "gaussian" else ""))


def _write_figures(sol: FlowSolution, visits, G, out_dir: Path, model: DeepLinearModel, *, limit=None, title="",
                   scale=None) -> dict:
    from ..graph.draw import save_graph_figure, write_graph_html

    p = sol.precision
    flow = sol.flow
    times = sol.times()
    with p.flint():
        log_loss = np.array([float(x.log().mid()) / math.log(10) if x > 0 else -300.0 for x in sol.losses])
        svs = [log10_singular_values(flow.end_to_end(y), p) for y in sol.states]
    mu, _ = mode_values(model)
    targets = [math.sqrt(float(m)) for m in mu]
    limit_times = [] if limit is None else [s.arrival for s in limit.saddles[1:]]
    formats = (".png", ".svg", ".pdf")
    files = {
        "loss": plot_loss(times, log_loss, visits, out_dir / "loss.png", title=title, scale=scale,
                          depth=model.depth, limit_times=limit_times, formats=formats),
        "singular_values": plot_singular_values(times, svs, out_dir / "singular_values.png", targets=targets,
                                                title=title, formats=formats),
        "saddle_graph_png": save_graph_figure(G, out_dir / "saddle_graph.png", title=title),
        "saddle_graph_html": write_graph_html(G, out_dir / "saddle_graph.html", title=title),
        "saddle_graph": write_graph(G, out_dir / "saddle_graph.graphml"),
    }
    for ext in (".svg", ".pdf"):  # every file written is listed (an audit found the .svg and .pdf unlisted)
        files[f"saddle_graph_{ext[1:]}"] = save_graph_figure(G, out_dir / f"saddle_graph{ext}", title=title)
        for name in ("loss", "singular_values"):
            files[f"{name}_{ext[1:]}"] = Path(files[name]).with_suffix(ext)
    return files


def format_visits(visits: list[SaddleVisit], digits: int = 10) -> str:
    """A plain-text table of visits: label, exact and float loss, real and accelerated times."""
    head = ["#", "saddle S", "loss", "loss (float)", "t_enter", "t_exit", "tau_enter", "tau_exit", "t_arrive", "tau_arrive"]
    rows = []
    for i, v in enumerate(visits):
        def d(x, n=digits):
            return "-" if x is None else x.mid().str(n, radius=False)

        rows.append([
            str(i), v.name, str(v.loss), f"{v.loss_float:.6g}", d(v.t_enter), d(v.t_exit) + ("+" if v.final else ""),
            d(v.tau_enter, 6), d(v.tau_exit, 6), d(v.t_arrive), d(v.tau_arrive, 6),
        ])
    return format_table(head, rows)
