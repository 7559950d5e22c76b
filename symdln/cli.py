"""The ``symdln`` command line: subcommands mirror the front doors; ``--json`` on every command.

Numbers are read exactly (``1/3``, ``0.1`` = 1/10, ``1e-30``); matrices are rows separated
by ``;`` with entries separated by ``,``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys

from fractions import Fraction

from . import __version__
from .errors import OptionError, SymdlnError
from .parse import parse_matrix, parse_number, parse_vector

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are :class:`OptionError` (caught by :func:`main`), and which takes no
    abbreviated options (``critical --out`` would otherwise be read as ``--output-dim``)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

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
    g.add_argument("--rotation-seed", type=_seed_or_none, default=_SEED_DEFAULT, help="seed of the exact Cayley rotations U, V of M = U diag(spectrum) Vᵀ (default 0: a rotated target; "
                   "'none': the diagonal target diag(spectrum))")
    g.add_argument("--weight-decay", type=_number, default=None, help="L2 weight λ ≥ 0 (default 0)")
    g.add_argument("--X", dest="X", default=None, help="data form: inputs X (n_0 × N); with --model diagonal (flow, critical, limit, graph, analyze): design X (n × d)")
    g.add_argument("--Y", dest="Y", default=None, help="data form: outputs Y (n_L × N)")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("run")
    g.add_argument("--sigma", type=_number, default=Fraction(1, 10**30), help="initialization scale σ (default 1e-30)")
    g.add_argument("--seed", type=_nonneg_int, default=0, help="seed of the Gaussian initialization (default 0)")
    g.add_argument("--rtol", type=_number, default=None, help="expert: local relative tolerance (default: planned)")
    g.add_argument("--t-end", type=_number, default=None, help="final time (default: planned from σ and the depth; a run it ends too early is "
                   "reported incomplete)")
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
    ex.add_argument("--digits", type=_positive_int, default=None, help="working decimal digits (default: from σ and --rtol)")
    ex.add_argument("--init", choices=["gaussian", "balanced"], default="gaussian")
    ex.add_argument("--loss-below", type=_number, default=Fraction(1, 10**20), help="stop below this loss (default 1e-20)")
    ex.add_argument("--out", default="symdln-explore", help="output folder (default ./symdln-explore/)")
    ex.add_argument("--tol", type=_number, default=Fraction(1, 1000), help="relative distance that counts as a visit")
    ex.add_argument("--no-verify", action="store_true", help="skip the second, tighter run")
    ex.add_argument("--serial", action="store_true",
                    help="make the verification run after the first one (default: beside it, in a second process, "
                         "where two cores are available)")

    fl = sub.add_parser("flow", help="integrate the gradient flow; report verified loss, singular values, crossing times")
    _add_model_options(fl)
    _add_run_options(fl)
    fl.add_argument("--digits", type=_positive_int, default=10, help="verified significant digits wanted in every number (default 10)")
    fl.add_argument("--model", choices=["dln", "diagonal"], default="dln")
    fl.add_argument("--init", choices=["gaussian", "balanced"], default="gaussian")
    fl.add_argument("--scale", type=_number, default=None, help="balanced init: every mode's product (default σ)")
    fl.add_argument("--init-file", default=None, help="JSON file with θ0: a list of matrices of exact decimal strings")
    fl.add_argument("--at", default=None, help="comma-separated times T1,T2,… at which to report the loss and singular values")
    fl.add_argument("--cross", default=None, help="comma-separated loss levels: report the first time the loss falls below each")
    fl.add_argument("--solver", choices=["auto", "gbs", "radau", "implicit"], default="auto",
                    help="auto: radau (Radau IIA) at depth ≥ 3, gbs otherwise; implicit: extrapolated linearly implicit Euler")
    fl.add_argument("--working-digits", type=_positive_int, default=None, help="expert: digits of the arithmetic (default: planned)")
    fl.add_argument("--retries", type=_nonneg_int, default=1, help="tighter runs allowed when digits fall short (default 1)")
    fl.add_argument("--max-steps", type=_positive_int, default=200_000, help="steps per run (default 200000)")
    fl.add_argument("--max-time", type=float, default=None, help="wall-clock seconds per run")
    fl.add_argument("--serial", action="store_true",
                    help="make the verification run after the first one (default: beside it, in a second process, "
                         "where two cores are available)")
    fl.add_argument("--save", default=None, help="write the tighter run's trajectory as JSON (symdln.load_solution reads it)")
    fl.add_argument("--y", dest="y", default=None, help="diagonal model: targets y (n)")
    fl.add_argument("--alpha", type=_number, default=None, help="diagonal model: init scale α (u = √2α, v = 0)")
    fl.add_argument("--plateau", type=_number, default=None, metavar="LEVEL",
                    help="report every plateau entry and exit: the gradient norm falling below / rising above LEVEL")
    fl.add_argument("--mirror", action="store_true",
                    help="diagonal model: integrate the dual (mirror) form r' = −∇L(α² sinh 2r) instead of (u, v)")
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
    cr.add_argument("--engine", choices=["auto", "msolve", "sympy"], default="auto",
                    help="--count: Gröbner engine (auto: msolve when installed)")
    cr.add_argument("--method", choices=["auto", "neurons", "plain"], default="auto",
                    help="--count: 'neurons' sums over active-neuron patterns (one data point, msolve), 'plain' solves "
                         "the gradient system of all weights (auto: neurons when it applies)")
    cr.add_argument("--second-draw", action=argparse.BooleanOptionalAction, default=None,
                    help="--count: count a second random draw (--seed + 1) too and compare (default: with --method "
                         "neurons; exit 3 when the counts differ)")
    cr.add_argument("--max-count-params", type=_positive_int, default=40,
                    help="--count: refuse systems with more variables (default 40)")
    cr.add_argument("--max-params", type=_positive_int, default=400, help="refuse models with more parameters (default 400)")
    cr.add_argument("--max-strata", type=_positive_int, default=2000, help="refuse landscapes with more strata (default 2000)")

    li = sub.add_parser("limit", help="the σ, α → 0 limit path: saddles, jump times (accelerated), exact losses")
    _add_model_options(li)
    li.add_argument("--model", choices=["dln", "diagonal"], default="dln")
    li.add_argument("--y", dest="y", default=None, help="diagonal model: targets y (n)")
    li.add_argument("--X-file", dest="X_file", default=None,
                    help="diagonal model: design X from a CSV file (exact numbers) or .npy (float64 values, read exactly)")
    li.add_argument("--y-file", dest="y_file", default=None, help="diagonal model: targets y from CSV or .npy")
    li.add_argument("--float", dest="float_mode", action="store_true",
                    help="diagonal model: float64 with SciPy's NNLS (large problems; unverified)")
    li.add_argument("--max-jumps", type=_positive_int, default=None, help="stop after this many jumps (default 10·d + 10)")
    li.add_argument("--json", action="store_true", help="print JSON on stdout (exact values as strings beside floats)")
    li.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="show a progress bar")
    li.add_argument("--compare", action="store_true",
                    help="run verified flows at every --scales value and compare them with the limit path")
    li.add_argument("--scales", default=None,
                    help="--compare: comma-separated init scales (α for diagonal, σ for a DLN; default 1e-20,1e-40)")
    li.add_argument("--digits", type=_positive_int, default=None, help="--compare: verified digits wanted (default 6)")
    li.add_argument("--seed", type=_nonneg_int, default=None, help="--compare: seed of the DLN Gaussian init (default 0)")
    li.add_argument("--plot", action="append", default=None,
                    help="--compare: write the convergence figure (.png, .svg or .pdf); repeat for several files")

    gr = sub.add_parser("graph", help="saddle graph from theory, saved runs and/or the limit path: export, draw, HTML")
    _add_model_options(gr)
    gr.add_argument("--model", choices=["dln", "diagonal"], default="dln")
    gr.add_argument("--y", dest="y", default=None, help="diagonal model: targets y (n)")
    gr.add_argument("--theory", action="store_true", help="every stratum of the landscape, escape directions followed")
    gr.add_argument("--limit", action="store_true", help="the limit path (Pesme–Flammarion / greedy rank-incremental)")
    gr.add_argument("--from", dest="runs", action="append", default=[], metavar="TRAJ.json",
                    help="a saved trajectory (symdln flow --save); repeat for several runs")
    gr.add_argument("--out", action="append", required=True, metavar="FILE",
                    help="output, format by extension: .graphml .gexf .json .dot .gml (data), .html (interactive), "
                         ".png .svg .pdf (figure); repeat for several")
    gr.add_argument("--by", choices=["loss", "rank"], default="loss", help="layers of the drawing (default loss)")
    gr.add_argument("--title", default=None, help="title of the figure or page")
    gr.add_argument("--seed", type=_nonneg_int, default=0, help="seed of the landscape's random representatives")
    gr.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="show a progress bar")

    an = sub.add_parser("analyze", help="exact analysis of one point: gradient, inertia, kind, order, escape")
    _add_model_options(an)
    an.add_argument("--model", choices=["dln", "diagonal"], default="dln")
    an.add_argument("--y", dest="y", default=None, help="diagonal model: targets y (n)")
    an.add_argument("--point-file", required=True, help="JSON: a list of matrices (exact decimal strings or p/q)")
    an.add_argument("--json", action="store_true", help="print JSON on stdout")
    return parser


#: --rotation-seed's default (seed 0), told apart from a seed the user gave (refused with --target and --X)
class _SeedDefault:
    """--rotation-seed's default: not a str, so argparse does not pass it through the option's type."""

    def __repr__(self) -> str:
        return "0"


_SEED_DEFAULT = _SeedDefault()


def _dln_model(args):
    from .models import deep_linear

    if getattr(args, "y", None) is not None:
        raise OptionError("--y goes with --model diagonal (a deep linear network's data are --X and --Y)")

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
    seed = 0 if args.rotation_seed is _SEED_DEFAULT else args.rotation_seed
    if args.rotation_seed is not _SEED_DEFAULT and (args.target is not None or args.X is not None):
        raise OptionError(f"--rotation-seed ({'none' if seed is None else seed}) rotates a --spectrum target; "
                          f"--{'target' if args.target is not None else 'X/--Y'} gives the target itself")
    common = dict(depth=args.depth, widths=widths,
                  weight_decay=Fraction(0) if args.weight_decay is None else args.weight_decay)
    if args.target is not None:
        return deep_linear(parse_matrix(args.target, name="--target"), **common)
    if args.X is not None:
        if args.Y is None:
            raise OptionError("--X needs --Y (data form)")
        return deep_linear(X=parse_matrix(args.X, name="--X"), Y=parse_matrix(args.Y, name="--Y"), **common)
    spectrum = parse_vector(args.spectrum, name="--spectrum") if args.spectrum is not None else (3, 2, 1)
    return deep_linear(spectrum=spectrum, rotation_seed=seed, **common)


def _explore_exit(summary: dict) -> int:
    """0 when the run reached its end and the verification run agreed; 130 interrupted; 3 unverified;
    4 incomplete (the horizon ended a plateau); 1 failed."""
    if summary["status"] == "interrupted":
        return 130
    if summary["status"] == "incomplete":
        return 4
    if summary["status"] not in ("success", "event", "converged"):
        return 1
    v = summary.get("verification")
    return 3 if v and not v.get("ok") else 0


def _cmd_explore(args) -> int:
    from .report import explore, format_visits

    model = _dln_model(args)
    res = explore(
        model, sigma=args.sigma, seed=args.seed, init=args.init,
        rtol=args.rtol if args.rtol is not None else Fraction(1, 10**12), digits=args.digits,
        loss_below=args.loss_below, t_end=args.t_end, out=args.out, verify=not args.no_verify, parallel=not args.serial,
        tol=args.tol, progress=args.progress,
    )
    code = _explore_exit(res.summary)
    if args.json:
        print(json.dumps(res.summary, indent=2))
        return code
    s = res.summary
    print(f"symdln explore: depth {model.depth}, widths {list(model.widths)}, σ = {s['init']['sigma']}, "
          f"seed {args.seed}, {s['precision']['digits']} digits, rtol {s['rtol']}, solver {s['stats']['solver']}")
    k = s.get("final_loss_digits")
    print(f"status: {s['status']} ({s['message']}); t_final = {s['t_final']}, loss = {s['final_loss']} "
          + (f"[{k} verified digits]" if k is not None else "(not verified)"))
    print(f"steps {s['stats']['steps']} (+{s['stats']['rejected_steps']} rejected), {s['stats']['nfev']} field "
          f"evaluations, {s['stats']['seconds']:.2f} s; accelerated time = {s['accelerated_time']}")
    print()
    v = s["verification"]
    agree = v.get("agreeing_digits") if v else None
    # print no more digits than the verification run confirmed (10 at most; 3 when nothing was verified)
    shown = 10 if agree is None and v and v.get("same_visits") else max(1, min(10, int(agree))) if agree is not None else 3
    print(format_visits(res.visits, digits=shown))
    if v and "same_visits" in v:
        print()
        print(f"verification at rtol {v['rtol']} and {v['digits']} digits: same visits = {v['same_visits']}, "
              + (f"arrival times agree to {v['agreeing_digits']} digits" if v['agreeing_digits'] is not None
               else "no arrival times to compare"))
    elif v:
        print(f"\nverification: {v['status']} ({v['reason']})")
    lim = s.get("limit")
    if lim:
        print()
        errs = [f"{r['label']}: {r['tau_error']:+.2g}" for r in lim["saddles"] if r["tau_error"] is not None]
        print(f"limit path ({lim['algorithm'].split('(', 1)[1].rstrip(')')}): the run visits its saddles in order = {lim['order_matches']}"
              + (f"; tau_run - tau_limit: {', '.join(errs)}" if errs else f" ({lim['time_reason']})"))
    print()
    print("wrote " + ", ".join(sorted(str(p) for p in res.files.values())))
    return code


def _refuse_dln_options(args) -> None:
    """``--model diagonal`` takes --X and --y only: DLN options would be silently ignored."""
    given = [n for n, v in (("--spectrum", args.spectrum), ("--target", args.target), ("--Y", args.Y),
                            ("--widths", args.widths)) if v is not None]
    if args.weight_decay is not None:
        given.append("--weight-decay")
    if args.depth != 2:
        given.append("--depth")
    if args.rotation_seed is not _SEED_DEFAULT:
        given.append("--rotation-seed")
    if given:
        raise OptionError(f"{', '.join(given)} {'go' if len(given) > 1 else 'goes'} with --model dln; a diagonal "
                          f"network is given by --X and --y")


def _any_model(args):
    if args.model == "diagonal":
        from .models import diagonal_linear

        _refuse_dln_options(args)
        if args.X is None or args.y is None:
            raise OptionError("--model diagonal needs --X and --y")
        return diagonal_linear(parse_matrix(args.X, name="--X"), parse_vector(args.y, name="--y"))
    return _dln_model(args)


def _cmd_critical(args) -> int:
    from .report.tables import critical_table, weight_decay_table

    if args.count:
        from .cli_count import cmd_count

        return cmd_count(args)
    if args.tikhonov or args.input_dim or args.output_dim:
        raise OptionError("--tikhonov, --input-dim and --output-dim go with --count")
    model = _any_model(args)
    if args.model == "dln" and model.weight_decay != 0:
        from .symbolic.weight_decay import weight_decay_analysis

        an = weight_decay_analysis(model)
        text, data = weight_decay_table(an, latex=args.latex)
        # the table lists the local minima only (the modes' other critical points combine into saddles)
        complete, exhaustive = True, False
        missing = ("saddles and local maxima of the regularized loss: this table lists its local minima (every "
                   "critical point is balanced and decouples over the modes, MATH §1.3; choices with a mode at a "
                   "critical point of its f that is not a local minimum are not local minima: saddles, maxima or degenerate "
                   "points such as a double root of f')",)
    else:
        from .symbolic.landscape import landscape

        land = landscape(model, seed=args.seed, max_params=args.max_params, max_strata=args.max_strata)
        text, data = critical_table(land.critical_sets(), latex=args.latex)
        complete, exhaustive, missing = land.complete, land.exhaustive, land.not_listed
    if args.json:
        print(json.dumps({"model": model.describe(), "complete": complete, "exhaustive": exhaustive,
                          "not_listed": list(missing), "critical_sets": data}, indent=2))
    else:
        print(text)
        for what in missing:
            print(f"not listed: {what}")
        if not complete:
            print("interrupted (Ctrl-C): the strata above are the ones finished")
    return 0 if complete else 130


def _cmd_analyze(args) -> int:
    from .symbolic.analysis import analyze_point

    model = _any_model(args)
    from .cli_flow import read_init_file

    from .models.init import check_point
    from .parse import check_magnitudes

    theta = check_point(model, read_init_file(args.point_file, "--point-file"), name="--point-file")
    check_magnitudes([x for W in theta for x in W], name="--point-file")  # (exact, but printed and seen in float64)
    a = analyze_point(model, theta)
    if args.json:
        print(json.dumps(a.as_dict(), indent=2))
        return 0
    print(f"loss = {a.loss}   critical: {a.is_critical}   |grad|^2 = {a.gradient_norm_sq}")
    print(f"inertia (neg, zero, pos) = {a.inertia}   kind: {a.kind}   order: {a.order}")
    print(f"reason: {a.reason}")
    for e in a.escape:
        what = f"rate {e.rate}" + (f" = {e.rate_exact}" if e.rate_exact else "") + f" (multiplicity {e.multiplicity})" if e.rate else f"coefficient {e.coefficient} at order {e.order}"
        print(f"escape: {what}" + (" along a curve θ + εd + ε²e (no line leaves at that order)" if e.curve is not None
                                   else ""))
    return 0


_NEGATIVE = re.compile(r"^-(\d|\.\d)")


def _join_negative_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``--X -2/3,1;1,1`` → ``--X=-2/3,1;1,1``: argparse takes a value starting with ``-`` for an option unless it is
    a plain negative number, so matrices and vectors with a negative first entry need the ``=`` form otherwise."""
    takes_value = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                takes_value |= {o for a in sub._actions if a.nargs != 0 for o in a.option_strings}
    out, i = [], 0
    while i < len(argv):
        tok = argv[i]
        if tok in takes_value and i + 1 < len(argv) and _NEGATIVE.match(argv[i + 1]):
            out.append(f"{tok}={argv[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``symdln`` console script; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
            argv = ["explore", *argv]
        argv = _join_negative_values(parser, argv)
        args = parser.parse_args(argv)
        if args.command is None:
            args = parser.parse_args(["explore"])
        if args.command == "explore":
            return _cmd_explore(args)
        if args.command == "flow":
            from .cli_flow import cmd_flow

            return cmd_flow(args)
        if args.command == "critical":
            return _cmd_critical(args)
        if args.command == "analyze":
            return _cmd_analyze(args)
        if args.command == "limit":
            from .cli_paths import cmd_limit

            return cmd_limit(args)
        if args.command == "graph":
            from .cli_paths import cmd_graph

            return cmd_graph(args)
        raise OptionError(f"unknown command {args.command!r}")  # pragma: no cover
    except SymdlnError as exc:
        print(f"symdln: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("symdln: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader closed stdout (e.g. `symdln flow … | head -1`): no traceback
        import os

        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit fails quietly
        except OSError:  # pragma: no cover
            pass
        return 141  # 128 + SIGPIPE, as a process killed by the signal


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
