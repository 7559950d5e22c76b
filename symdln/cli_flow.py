"""``symdln flow``: the run's model and initialization from the options, the verified flow, its report."""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .cli import _dln_model, _refuse_dln_options
from .errors import OptionError
from .parse import format_number, parse_matrix, parse_vector

__all__ = ["cmd_flow", "read_init_file", "FLOW_EXIT"]


def read_init_file(path: str, option: str = "--init-file"):
    p = Path(path)
    if p.is_dir():
        raise OptionError(f"{option} {path!r} is a folder; give a JSON file")
    if not p.is_file():
        raise OptionError(f"{option}: no such file {path!r}")
    try:
        data = json.loads(p.read_text(), parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise OptionError(f"{option} {path!r} is not valid JSON: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"{option} {path!r} cannot be read: {exc}") from None
    if isinstance(data, dict):
        data = data.get("theta", data.get("weights"))
    if not isinstance(data, list):
        raise OptionError(f"{option} {path!r}: expected a list of matrices (or {{'theta': [...]}})")
    return data


def _time_list(text: str | None, name: str):
    """``None`` when the option is absent; a non-empty tuple of exact numbers ≥ 0 otherwise."""
    if text is None:
        return ()
    if not text.strip():
        raise OptionError(f"{name}: empty list; give comma-separated exact numbers, e.g. {name} 10,20,40")
    vals = parse_vector(text, name=name)
    if any(t < 0 for t in vals):
        raise OptionError(f"{name} values must be ≥ 0, got {text!r}")
    return vals


def _flow_setup(args):
    """The model and the :class:`InitSpec` of ``symdln flow``."""
    from .flow.plan import InitSpec
    from .models import diagonal_linear

    if args.model == "diagonal":
        if args.X is None or args.y is None:
            raise OptionError("--model diagonal needs --X and --y")
        _refuse_dln_options(args)
        for opt, v in (("--scale", args.scale), ("--init-file", args.init_file)):
            if v is not None:
                raise OptionError(f"{opt} goes with --model dln; a diagonal network starts from u = √2α, v = 0 "
                                  f"(--alpha)")
        model = diagonal_linear(parse_matrix(args.X, name="--X"), parse_vector(args.y, name="--y"))
        return model, InitSpec.pf(args.alpha if args.alpha is not None else args.sigma)
    for opt, v in (("--alpha", args.alpha), ("--y", args.y)):
        if v is not None:
            raise OptionError(f"{opt} goes with --model diagonal (a deep linear network's init scale is --sigma, "
                              f"or --scale with --init balanced)")
    if args.scale is not None and (args.init != "balanced" or args.init_file):
        raise OptionError("--scale goes with --init balanced (every mode's product); the Gaussian init's size is "
                          "--sigma")
    model = _dln_model(args)
    if args.init_file:
        return model, InitSpec.from_point(model, read_init_file(args.init_file))
    if args.init == "balanced":
        if model.svd is None:
            raise OptionError("--init balanced aligns every layer with the target's exact singular vectors: give the "
                              "target by --spectrum (with --rotation-seed), not by --target or --X/--Y; or use the "
                              "Gaussian init (--sigma) or --init-file")
        return model, InitSpec.balanced(args.scale if args.scale is not None else args.sigma, model.depth)
    return model, InitSpec.gaussian(args.sigma, args.seed)


FLOW_EXIT = {"success": 0, "unverified": 3, "incomplete": 4, "interrupted": 130}


def cmd_flow(args) -> int:
    from .flow.verify import verified_flow

    at = _time_list(args.at, "--at")
    if any(t == 0 for t in at):
        raise OptionError("--at times must be > 0 (t = 0 is the initialization, known exactly)")
    cross = _time_list(args.cross, "--cross")
    if args.loss_below is not None and args.loss_below <= 0:
        raise OptionError(f"--loss-below must be > 0, got {format_number(args.loss_below)}")
    if any(c == 0 for c in cross):
        raise OptionError("--cross levels must be > 0")
    if args.save is not None:  # checked before any computation
        from .cli_paths import writable_file

        writable_file(args.save, "--save")
    events = ()
    if args.plateau is not None:
        from .flow.events import plateau_events

        events = plateau_events(args.plateau)
    if args.mirror and args.model != "diagonal":
        raise OptionError("--mirror is for --model diagonal (the dual form of a diagonal network)")
    model, init = _flow_setup(args)
    t_end = args.t_end
    if not at and not cross and not events:
        if args.loss_below is not None:
            cross = (args.loss_below,)
        else:
            from .flow.plan import default_horizon

            t_end = t_end if t_end is not None else default_horizon(model, init.layer_scale)
            at = (t_end,)
    if at and t_end is not None and max(at) > t_end:
        raise OptionError(f"--at asks for t = {format_number(max(at))} beyond --t-end {format_number(t_end)}")
    res = verified_flow(
        model, init, digits=args.digits, at=at, cross=cross, t_end=t_end, solver=args.solver, rtol=args.rtol,
        working_digits=args.working_digits, loss_below=args.loss_below, retries=args.retries,
        max_steps=args.max_steps, max_time=args.max_time, progress=args.progress,
        coordinates="mirror" if args.mirror else "primal", events=events, parallel=not args.serial,
    )
    out = {"symdln_version": __version__, "model": model.describe(), **res.as_dict()}
    if args.save is not None and res.solution is not None:
        out["saved"] = str(res.solution.save(args.save))
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        last = res.runs[-1]
        print(f"symdln flow: {res.status} ({res.message}); {len(res.runs)} runs, solver {last['plan']['solver']}, "
              f"last at {last['plan']['digits']} digits, rtol {last['plan']['rtol']}")
        name = "beta" if res.values_name == "beta" else "singular values"
        for e in res.points:
            if "error" in e:
                print(f"t = {e['t']}: {e['error']}")
                continue
            vals = ", ".join(f"{v.text} {v.tag}" for v in e["values"])
            print(f"t = {e['t']}: loss = {e['loss'].text} {e['loss'].tag}  {name} = {vals}")
        for c in res.crossings:
            t = (c.get("never") or "not by the end of the run") if c["t"] is None else f"{c['t'].text} {c['t'].tag}"
            print(f"loss < {c['level']} first at t = {t}")
        for e in res.events:
            times = ", ".join(f"{v.text} [{v.digits}]" for v in e["times"]) or "never"
            print(f"{e['name']} at t = {times}")
        print("[k]: verified significant digits (agreement with an independent tighter run)")
        if "saved" in out:
            print(f"wrote {out['saved']}")
    return FLOW_EXIT.get(res.status, 1)
