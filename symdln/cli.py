"""The ``symdln`` command line: subcommands mirror the front doors; ``--json`` on every command.

Numbers are read exactly (``1/3``, ``0.1`` = 1/10, ``1e-30``); matrices are rows separated
by ``;`` with entries separated by ``,``.
"""

from __future__ import annotations

import argparse
import json
import sys

import sympy as sp
from fractions import Fraction
from pathlib import Path

from . import __version__
from .errors import OptionError, SymdlnError
from .parse import format_number, parse_matrix, parse_number, parse_vector

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are :class:`OptionError` (caught by :func:`main`)."""

    def error(self, message: str):  # noqa: D401 - argparse hook
        raise OptionError(f"{self.prog}: {message}")


def _number(text: str) -> Fraction:
    try:
        return parse_number(text, name="value")
    except SymdlnError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an exact number; accepted: an integer (3), a fraction (1/3) "
            f"or a decimal with optional exponent (0.1, 1e-30)"
        ) from None


def _int_at_least(lo: int, what: str):
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = None
        if v is None or v < lo:
            raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}")
        return v

    return parse


_positive_int = _int_at_least(1, "positive")
_nonneg_int = _int_at_least(0, "non-negative")


def _seed_or_none(text: str):
    if text.lower() == "none":
        return None
    return _nonneg_int(text)


def _int_list(text: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}") from None
    if any(v < 1 for v in vals):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return vals


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--depth", type=_positive_int, default=2, help="number of layers L (default 2)")
    g.add_argument("--widths", type=_int_list, default=None, help="hidden widths, one or one per hidden layer (default 3)")
    g.add_argument("--spectrum", default=None, help="singular values of the target, e.g. 3,2,1 (default)")
    g.add_argument("--target", default=None, help='target matrix, e.g. "3,0,0;0,2,0;0,0,1"')
    g.add_argument("--rotation-seed", type=_seed_or_none, default=0, help="seed of the exact Cayley rotations (none: diagonal target)")
    g.add_argument("--weight-decay", type=_number, default=Fraction(0), help="L2 weight λ ≥ 0")
    g.add_argument("--X", dest="X", default=None, help="data form: inputs X (n_0 × N); diagonal model: design X (n × d)")
    g.add_argument("--Y", dest="Y", default=None, help="data form: outputs Y (n_L × N)")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("run")
    g.add_argument("--sigma", type=_number, default=Fraction(1, 10**30), help="initialization scale σ (default 1e-30)")
    g.add_argument("--seed", type=_nonneg_int, default=0, help="seed of the Gaussian initialization (default 0)")
    g.add_argument("--digits", type=_positive_int, default=None, help="working decimal digits (default: from σ and --rtol)")
    g.add_argument("--rtol", type=_number, default=Fraction(1, 10**12), help="local relative accuracy (default 1e-12)")
    g.add_argument("--t-end", type=_number, default=None, help="final time (default: long enough to learn every mode)")
    g.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")
    g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="show a progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``symdln``."""
    parser = _Parser(prog="symdln", description="Saddle-to-saddle dynamics of deep linear networks.")
    parser.add_argument("--version", action="version", version=f"symdln {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    ex = sub.add_parser("explore", help="flow from a small init, saddle visits, figures and saddle graph")
    _add_model_options(ex)
    _add_run_options(ex)
    ex.add_argument("--init", choices=["gaussian", "balanced"], default="gaussian")
    ex.add_argument("--loss-below", type=_number, default=Fraction(1, 10**20), help="stop below this loss (default 1e-20)")
    ex.add_argument("--out", default="symdln-explore", help="output folder (default ./symdln-explore/)")
    ex.add_argument("--tol", type=_number, default=Fraction(1, 1000), help="relative distance that counts as a visit")
    ex.add_argument("--no-verify", action="store_true", help="skip the second, tighter run")

    fl = sub.add_parser("flow", help="integrate the gradient flow and report the loss at given times")
    _add_model_options(fl)
    _add_run_options(fl)
    fl.add_argument("--model", choices=["dln", "diagonal"], default="dln")
    fl.add_argument("--init", choices=["gaussian", "balanced"], default="gaussian")
    fl.add_argument("--scale", type=_number, default=None, help="balanced init: every mode's product (default σ)")
    fl.add_argument("--init-file", default=None, help="JSON file with θ0: a list of matrices of exact decimal strings")
    fl.add_argument("--at", default=None, help="comma-separated times T1,T2,…")
    fl.add_argument("--y", dest="y", default=None, help="diagonal model: targets y (n)")
    fl.add_argument("--alpha", type=_number, default=None, help="diagonal model: init scale α (u = √2α, v = 0)")
    fl.add_argument("--loss-below", type=_number, default=None, help="stop below this loss")

    cr = sub.add_parser("critical", help="critical sets: loss, dimension, exact inertia, kind, order")
    _add_model_options(cr)
    cr.add_argument("--model", choices=["dln", "diagonal"], default="dln")
    cr.add_argument("--y", dest="y", default=None, help="diagonal model: targets y (n)")
    cr.add_argument("--seed", type=_nonneg_int, default=0, help="seed of random representatives and data (default 0)")
    cr.add_argument("--json", action="store_true", help="print JSON on stdout")
    cr.add_argument("--latex", action="store_true", help="print the table as LaTeX")
    cr.add_argument("--count", action="store_true", help="count isolated critical points by Gröbner bases (with --tikhonov)")
    cr.add_argument("--tikhonov", action="store_true", help="entrywise Tikhonov weight decay with random rational λ_ij")
    cr.add_argument("--input-dim", type=_positive_int, default=None, help="--count: input dimension")
    cr.add_argument("--output-dim", type=_positive_int, default=None, help="--count: output dimension")
    cr.add_argument("--data-points", type=_positive_int, default=1, help="--count: number of random data points")

    an = sub.add_parser("analyze", help="exact analysis of one point: gradient, inertia, kind, order, escape")
    _add_model_options(an)
    an.add_argument("--model", choices=["dln", "diagonal"], default="dln")
    an.add_argument("--y", dest="y", default=None, help="diagonal model: targets y (n)")
    an.add_argument("--point-file", required=True, help="JSON: a list of matrices (exact decimal strings or p/q)")
    an.add_argument("--json", action="store_true", help="print JSON on stdout")
    return parser


def _dln_model(args):
    from .models import deep_linear

    if args.depth >= 2:
        widths = args.widths if args.widths is not None else (3,)
    else:
        if args.widths is not None:
            raise OptionError("--widths: depth 1 has no hidden layer")
        widths = None
    given = [n for n, v in (("--spectrum", args.spectrum), ("--target", args.target), ("--X", args.X)) if v is not None]
    if len(given) > 1:
        raise OptionError(f"give one of --spectrum, --target, --X/--Y; got {', '.join(given)}")
    if args.Y is not None and args.X is None:
        raise OptionError("--Y needs --X (data form)")
    common = dict(depth=args.depth, widths=widths, weight_decay=args.weight_decay)
    if args.target is not None:
        return deep_linear(parse_matrix(args.target, name="--target"), **common)
    if args.X is not None:
        if args.Y is None:
            raise OptionError("--X needs --Y (data form)")
        return deep_linear(X=parse_matrix(args.X, name="--X"), Y=parse_matrix(args.Y, name="--Y"), **common)
    spectrum = parse_vector(args.spectrum, name="--spectrum") if args.spectrum is not None else (3, 2, 1)
    return deep_linear(spectrum=spectrum, rotation_seed=args.rotation_seed, **common)


def _cmd_explore(args) -> int:
    from .report import explore, format_visits

    model = _dln_model(args)
    res = explore(
        model, sigma=args.sigma, seed=args.seed, init=args.init, rtol=args.rtol, digits=args.digits,
        loss_below=args.loss_below, t_end=args.t_end, out=args.out, verify=not args.no_verify,
        tol=args.tol, progress=args.progress,
    )
    if args.json:
        print(json.dumps(res.summary, indent=2))
        return 0
    s = res.summary
    print(f"symdln explore: depth {model.depth}, widths {list(model.widths)}, σ = {s['init']['sigma']}, "
          f"seed {args.seed}, {s['precision']['digits']} digits, rtol {s['rtol']}")
    print(f"status: {s['status']} ({s['message']}); t_final = {s['t_final']}, loss = {s['final_loss']}")
    print(f"steps {s['stats']['steps']} (+{s['stats']['rejected_steps']} rejected), {s['stats']['nfev']} field "
          f"evaluations, {s['stats']['seconds']:.2f} s; accelerated time = {s['accelerated_time']}")
    print()
    print(format_visits(res.visits))
    v = s["verification"]
    if v:
        print()
        print(f"verification at rtol {v['rtol']} and {v['digits']} digits: same visits = {v['same_visits']}, "
              f"arrival times agree to {v['agreeing_digits']} digits")
    print()
    print("wrote " + ", ".join(sorted(str(p) for p in res.files.values())))
    return 0


def _read_init_file(path: str):
    p = Path(path)
    if not p.is_file():
        raise OptionError(f"--init-file: no such file {path!r}")
    try:
        data = json.loads(p.read_text(), parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise OptionError(f"--init-file {path!r} is not valid JSON: {exc}") from None
    if isinstance(data, dict):
        data = data.get("theta", data.get("weights"))
    if not isinstance(data, list):
        raise OptionError(f"--init-file {path!r}: expected a list of matrices (or {{'theta': [...]}})")
    return data


def _cmd_flow(args) -> int:
    from .flow import integrate_flow
    from .models import balanced_init, diagonal_linear, gaussian_init, layer_scale, pf_init
    from .precision import Precision, digits_for_flow
    from .report.spectra import singular_values

    at = parse_vector(args.at, name="--at") if args.at else ()
    if any(t < 0 for t in at):
        raise OptionError(f"--at times must be ≥ 0, got {args.at!r}")
    if args.model == "diagonal":
        if args.X is None or args.y is None:
            raise OptionError("--model diagonal needs --X and --y")
        model = diagonal_linear(parse_matrix(args.X, name="--X"), parse_vector(args.y, name="--y"))
        alpha = args.alpha if args.alpha is not None else args.sigma
        theta0 = pf_init(model, alpha)
        scale, depth = alpha, 2
    else:
        model = _dln_model(args)
        depth = model.depth
        if args.init_file:
            theta0 = _read_init_file(args.init_file)
            scale = None
        elif args.init == "balanced":
            a0 = args.scale if args.scale is not None else args.sigma
            theta0 = balanced_init(model, a0)
            scale = layer_scale(a0, depth)
        else:
            theta0 = gaussian_init(model, args.sigma, args.seed)
            scale = args.sigma
    if args.t_end is not None:
        t_end = args.t_end
    elif at:
        t_end = max(at)
    elif args.model == "dln":
        from .report.explore import default_t_end

        t_end = default_t_end(model, scale if scale is not None else args.sigma)
    else:
        t_end = _diagonal_horizon(model, alpha)
    if at and max(at) > t_end:
        raise OptionError(f"--at asks for t = {max(at)} beyond --t-end {t_end}")
    if t_end == 0:
        raise OptionError("nothing to integrate: every --at time is 0; give --t-end")
    precision = None  # from an init file, integrate_flow measures the initialization itself
    if args.digits is not None:
        precision = Precision(args.digits)
    elif scale is not None:
        precision = Precision(digits_for_flow(Fraction(scale), args.rtol, depth=depth))
    sol = integrate_flow(model, theta0, t_end, precision=precision, rtol=args.rtol, loss_below=args.loss_below,
                         scale=scale, seed=args.seed, progress=args.progress, throw=False)
    p = sol.precision
    points = []
    if not at:
        at = (_exact_time(sol),)
    for t in at:
        with p.flint():
            beyond = p.arb(t) > sol.t_final
        if beyond:
            points.append({"t": format_number(t), "error": "beyond the end of the run"})
            continue
        A = sol.end_to_end(t)
        lo = sol.loss(t)
        with p.flint():
            entry = {"t": format_number(t), "loss": p.decimal(lo)}
            if args.model == "diagonal":
                entry["beta"] = [p.decimal(A[i, 0]) for i in range(A.nrows())]
            else:
                entry["singular_values"] = [p.mp.nstr(s, p.digits, strip_zeros=False) for s in singular_values(A, p)]
        points.append(entry)
    out = {
        "symdln_version": __version__,
        "model": model.describe(),
        "precision": {"digits": p.digits, "bits": p.bits},
        "rtol": format_number(sol.rtol),
        "status": sol.status.name.lower(),
        "message": sol.message,
        "t_final": p.decimal(sol.t_final),
        "final_loss": p.decimal(sol.losses[-1]),
        "stats": sol.stats.as_dict(),
        "points": points,
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"symdln flow: {out['status']} ({out['message']}) at t = {sol.t_final.mid().str(15, radius=False)}, "
              f"{p.digits} digits, {sol.stats.steps} steps")
        for e in points:
            if "error" in e:
                print(f"t = {e['t']}: {e['error']}")
                continue
            vals = e.get("beta", e.get("singular_values"))
            name = "beta" if "beta" in e else "singular values"
            print(f"t = {e['t']}: loss = {_short(e['loss'])}  {name} = " + ", ".join(_short(v) for v in vals))
    return 0 if sol.success else 1


def _any_model(args):
    if args.model == "diagonal":
        from .models import diagonal_linear

        if args.X is None or args.y is None:
            raise OptionError("--model diagonal needs --X and --y")
        return diagonal_linear(parse_matrix(args.X, name="--X"), parse_vector(args.y, name="--y"))
    return _dln_model(args)


def _cmd_critical(args) -> int:
    from .report.tables import critical_table, weight_decay_table

    if args.count:
        if not args.tikhonov:
            raise OptionError("--count counts isolated critical points: add --tikhonov (entrywise weight decay)")
        if args.depth != 2:
            raise OptionError(f"--count supports one hidden layer (--depth 2), got --depth {args.depth}")
        if args.widths is None or len(args.widths) != 1 or args.input_dim is None or args.output_dim is None:
            raise OptionError("--count needs --widths H, --input-dim and --output-dim")
        from .symbolic.isolated import classify_real_points, count_critical_points, tikhonov_problem

        loss, vs = tikhonov_problem(args.widths[0], args.input_dim, args.output_dim, args.data_points, seed=args.seed)
        res = count_critical_points([sp.diff(loss, v) for v in vs], vs)
        out = {"setting": {"hidden": args.widths[0], "input_dim": args.input_dim, "output_dim": args.output_dim,
                           "data_points": args.data_points, "seed": args.seed}, **res.as_dict()}
        if res.distinct_count == res.complex_count:
            points = classify_real_points(loss, vs)
            out["real_points"] = [p.as_dict() for p in points]
            kinds = {}
            for p in points:
                key = p.kind if p.inertia.negative == 0 else f"saddle of index {p.inertia.negative}"
                kinds[key] = kinds.get(key, 0) + 1
            out["real_kinds"] = kinds
        if args.json:
            print(json.dumps(out, indent=2))
        else:
            print(f"complex critical points (with multiplicity): {res.complex_count}; distinct: {res.distinct_count}; "
                  f"real: {res.real_count} (Hermite trace form, exact)")
            for k, v in sorted(out.get("real_kinds", {}).items()):
                print(f"  {k}: {v}")
        return 0
    if args.tikhonov or args.input_dim or args.output_dim:
        raise OptionError("--tikhonov, --input-dim and --output-dim go with --count")
    model = _any_model(args)
    if args.model == "dln" and model.weight_decay != 0:
        from .symbolic.weight_decay import weight_decay_analysis

        an = weight_decay_analysis(model)
        text, data = weight_decay_table(an, latex=args.latex)
    else:
        from .symbolic.critical import critical_sets

        sets = critical_sets(model, seed=args.seed)
        text, data = critical_table(sets, latex=args.latex)
    if args.json:
        print(json.dumps({"model": model.describe(), "critical_sets": data}, indent=2))
    else:
        print(text)
    return 0


def _cmd_analyze(args) -> int:
    from .symbolic.analysis import analyze_point

    model = _any_model(args)
    theta = _read_init_file(args.point_file)
    a = analyze_point(model, theta)
    if args.json:
        print(json.dumps(a.as_dict(), indent=2))
        return 0
    print(f"loss = {a.loss}   critical: {a.is_critical}   |grad|^2 = {a.gradient_norm_sq}")
    print(f"inertia (neg, zero, pos) = {a.inertia}   kind: {a.kind}   order: {a.order}")
    print(f"reason: {a.reason}")
    for e in a.escape:
        what = f"rate {e.rate}" + (f" = {e.rate_exact}" if e.rate_exact else "") + f" (multiplicity {e.multiplicity})" if e.rate else f"coefficient {e.coefficient} at order {e.order}"
        print(f"escape: {what}")
    return 0


def _diagonal_horizon(model, alpha) -> Fraction:
    """``10·log(1/α)/‖∇L(0)‖_∞``: ten times the first jump time of the α → 0 limit (MATH §4.1), rounded up."""
    import math

    g0 = max(abs(x) for x in model.X.T * model.y) / model.n_samples
    if g0 == 0:
        raise OptionError("∇L(0) = 0: the origin is a global minimum of this diagonal network; nothing to integrate")
    a = Fraction(alpha)
    log_inv = math.log(a.denominator) - math.log(a.numerator)
    return Fraction(math.ceil(10 * log_inv / float(g0)))


def _exact_time(sol) -> Fraction:
    """The final time of a run as an exact binary fraction."""
    from .precision import arb_to_fraction

    return arb_to_fraction(sol.t_final)


def _short(text: str, digits: int = 15) -> str:
    """A decimal string rounded to ``digits`` significant digits (private mpmath context)."""
    import mpmath

    ctx = mpmath.MPContext()
    ctx.dps = digits + 10
    return ctx.nstr(ctx.mpf(text), digits)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``symdln`` console script; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
            argv = ["explore", *argv]
        args = parser.parse_args(argv)
        if args.command is None:
            args = parser.parse_args(["explore"])
        if args.command == "explore":
            return _cmd_explore(args)
        if args.command == "flow":
            return _cmd_flow(args)
        if args.command == "critical":
            return _cmd_critical(args)
        if args.command == "analyze":
            return _cmd_analyze(args)
        raise OptionError(f"unknown command {args.command!r}")  # pragma: no cover
    except SymdlnError as exc:
        print(f"symdln: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("symdln: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
