"""The ``symdln limit`` and ``symdln graph`` commands: limit paths, runs against them, saddle graphs.

Their options are declared with the others in :func:`symdln.cli.build_parser`; :func:`symdln.cli.main` dispatches
here.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

from .cli import _any_model, _dln_model, _refuse_dln_options
from .errors import FlowError, ModelError, OptionError
from .parse import format_number, parse_matrix, parse_number, parse_vector

__all__ = ["cmd_limit", "cmd_graph"]


def writable_file(path: str, option: str) -> Path:
    """Check, before any computation, that ``path`` can be written: a non-empty file name (not a folder) in an
    existing folder where a file can be created (a temporary one is made and removed)."""
    import tempfile

    if not str(path).strip():
        raise OptionError(f"{option} is empty: give a file name")
    p = Path(path)
    if p.is_dir() or not p.parent.is_dir():
        raise OptionError(f"{option} {str(path)!r}: give a file name in an existing folder")
    try:
        with tempfile.TemporaryFile(dir=p.parent):
            pass
    except OSError as exc:
        raise OptionError(f"{option} {str(path)!r}: the folder {str(p.parent)!r} is not writable ({exc.strerror})") from None
    return p


def _read_table(path: str, name: str, *, vector: bool):
    """Exact rows from a CSV file (cells parsed by :func:`parse_number`) or a .npy array (each value exactly)."""
    import numpy as np

    from .parse import exact_number

    p = Path(path)
    if not p.is_file():
        raise OptionError(f"{name} {path!r}: no such file")
    if p.suffix == ".npy":
        try:
            arr = np.load(p, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise OptionError(f"{name} {path!r}: not a readable .npy array ({exc})") from None
        if arr.dtype.kind not in "iuf":
            raise OptionError(f"{name} {path!r}: dtype {arr.dtype} is not numeric")
        if arr.dtype.kind == "f" and arr.dtype.itemsize > 8:
            raise OptionError(f"{name} {path!r}: dtype {arr.dtype} would be rounded to float64; save float64 (or "
                              f"write the exact values to a CSV file)")
        want = "a vector (1-D, or one row or one column)" if vector else "a matrix (2-D)"
        if arr.ndim == 0 or arr.ndim > 2 or (vector and arr.ndim == 2 and 1 not in arr.shape):
            raise OptionError(f"{name} {path!r}: an array of shape {arr.shape}; expected {want}")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise OptionError(f"{name} {path!r}: contains NaN or infinity")
        conv = (lambda v: Fraction(int(v))) if arr.dtype.kind in "iu" else (lambda v: Fraction(float(v)))
        rows = [[conv(v) for v in np.atleast_1d(r)] for r in (arr.reshape(-1, 1) if vector else np.atleast_2d(arr))]
    else:
        import csv

        with open(p, newline="") as fh:
            rows = [[exact_number(c.strip(), name=f"{name} row {i + 1}") for c in r] for i, r in enumerate(csv.reader(fh))
                    if r and any(c.strip() for c in r)]
    if not rows:
        raise OptionError(f"{name} {path!r} is empty")
    if vector:
        if any(len(r) != 1 for r in rows) and len(rows) != 1:
            raise OptionError(f"{name} {path!r}: expected one column or one row of numbers")
        return [v for r in rows for v in r]
    if len({len(r) for r in rows}) != 1:
        raise OptionError(f"{name} {path!r}: rows have different lengths")
    return rows


def cmd_limit(args) -> int:
    from .limits import limit_path

    if args.model == "diagonal":
        from .models import diagonal_linear

        for flag, text, path in (("X", args.X, args.X_file), ("y", args.y, args.y_file)):
            if text is not None and path is not None:
                raise OptionError(f"--model diagonal: give --{flag} or --{flag}-file, not both")
            if text is None and path is None:
                raise OptionError(f"--model diagonal needs one of --{flag} or --{flag}-file")
        _refuse_dln_options(args)
        X = parse_matrix(args.X, name="--X") if args.X is not None else _read_table(args.X_file, "--X-file", vector=False)
        y = parse_vector(args.y, name="--y") if args.y is not None else _read_table(args.y_file, "--y-file", vector=True)
        model = diagonal_linear(X, y)
    else:
        if args.X_file or args.y_file or args.float_mode or args.max_jumps:
            raise OptionError("--X-file, --y-file, --float and --max-jumps go with --model diagonal")
        model = _dln_model(args)
    if args.compare:
        return _limit_compare(args, model)
    given = [opt for opt, v in (("--plot", args.plot), ("--scales", args.scales), ("--digits", args.digits),
                                ("--seed", args.seed)) if v is not None]
    if given:
        raise OptionError(f"{', '.join(given)} {'goes' if len(given) == 1 else 'go'} with --compare")
    path = limit_path(model, exact=not args.float_mode, max_jumps=args.max_jumps, progress=args.progress) \
        if args.model == "diagonal" else limit_path(model)
    if args.json:
        print(json.dumps(path.as_dict(), indent=2))
    elif args.model == "diagonal":
        from .report.tables import format_table

        exact = path.trust == "exact"
        fmt = (lambda x: "∞" if x is None else str(x)) if exact else (lambda x: "∞" if x is None else f"{x:.6g}")
        last = len(path.saddles) - 1

        def end(s):  # a path stopped early (max_jumps, Ctrl-C) does not know when its last saddle ends
            return "?" if s.end is None and s.index == last and not path.complete else fmt(s.end)

        rows = [[str(s.index), f"[{fmt(s.start)}, {end(s)})", fmt(s.loss),
                 ", ".join(f"β{i + 1}={fmt(s.beta[i])}" for i in s.support) or "0"] for s in path.saddles]
        print(format_table(["k", "tau interval", "loss", "saddle beta (support)"], rows))
        print(f"values: {path.trust}" + ("" if exact else " (6 significant digits shown)") +
              "; tau = t / log(1/alpha) (Pesme-Flammarion Algorithm 1)")
        for j in path.jumps:
            if not j.general_position:
                print(f"warning: jump at tau = {fmt(j.time)}: {j.note}")
    else:
        from .report.tables import format_table

        rows = [[str(s.index), s.label, str(s.loss), "-" if s.arrival is None else str(s.arrival)] for s in path.saddles]
        print(format_table(["k", "saddle", "loss (exact)", "arrival tau (exact)"], rows))
        print(f"greedy rank-incremental limit ({path.saddle_kind}); times: {path.time_reason}")
        for note in path.notes:
            print(f"note: {note}")
    if not getattr(path, "complete", True):
        print(f"incomplete: {path.reason}", file=sys.stderr)
        return 130 if "interrupted" in path.reason else 1
    return 0


def _limit_compare(args, model) -> int:
    from .limits.compare import convergence_study
    from .report.tables import format_table

    if args.float_mode:
        raise OptionError("--compare uses the exact limit path: drop --float")
    text = "1e-20,1e-40" if args.scales is None else args.scales
    parts = text.split(",")
    if any(not x.strip() for x in parts):
        raise OptionError(f"--scales {text!r}: an empty entry; give comma-separated scales such as 1e-20,1e-40")
    scales = [parse_number(x, name="--scales") for x in parts]
    plots = args.plot or []
    if plots:
        from .limits import limit_path
        from .limits.compare import _limit_rows
        from .report.limit_plot import _FORMATS

        seen = set()
        for plot in plots:
            if Path(plot).suffix.lower() not in _FORMATS:
                raise OptionError(f"--plot {plot!r}: the extension must be one of {', '.join(_FORMATS)}")
            key = Path(plot).resolve()
            if key in seen:
                raise OptionError(f"--plot {plot!r} is given twice; give each figure file once")
            seen.add(key)
        path = limit_path(model)
        if all(t is None for _, _, t in _limit_rows(path)[1:]):
            reason = getattr(path, "time_reason", "") or "the limit path has no jump times"
            raise OptionError(f"--plot {plots[0]!r}: the figure plots the error of the arrival times against the "
                              f"limit's, and this model's limit has none ({reason}); drop --plot")
        for plot in plots:
            writable_file(plot, "--plot")
    comp = convergence_study(model, scales, digits=6 if args.digits is None else args.digits,
                             seed=0 if args.seed is None else args.seed, progress=args.progress)
    if plots:
        from .report.limit_plot import plot_convergence

        for plot in plots:
            plot_convergence(comp, plot)
    if args.json:
        print(json.dumps(comp.as_dict(), indent=2))
    else:
        print(format_table(*comp.table_rows()))
        for s in comp.scales:
            order = "visits the limit saddles in order" if s.order_matches else f"visits {', '.join(s.visited)}"
            print(f"scale {format_number(s.scale)}: {s.status}; {order}")
    if any(s.status == "interrupted" for s in comp.scales):
        print("interrupted (Ctrl-C): the scales above are the ones finished", file=sys.stderr)
        return 130
    bad = [s for s in comp.scales if s.status != "success"]
    if bad:
        return 3
    if not all(s.order_matches for s in comp.scales):
        # the runs are right, but a script reading the exit code should not take them for the limit's sequence
        print("exit 4: at some scale the run did not visit the limit saddles in order (see above)", file=sys.stderr)
        return 4
    return 0


def _brief(model) -> str:
    """A model in a few words, for messages."""
    if hasattr(model, "widths"):
        return f"a depth-{model.depth} {model.form}-form network of widths {list(model.widths)}"
    return f"a diagonal network with X of shape {tuple(model.X.shape)}"


def cmd_graph(args) -> int:
    from .graph import landscape_graph, limit_graph, merge_graphs, observed_graph, write_graph
    from .graph.draw import FIGURE_FORMATS, save_graph_figure, write_graph_html
    from .graph.io import GRAPH_FORMATS

    for o in args.out:
        if not o.strip():
            raise OptionError(f"--out {o!r}: an empty file name; give a file such as saddles.graphml")
    outs = [Path(o) for o in args.out]
    for raw, o in zip(args.out, outs):
        ext = o.suffix.lower()
        if ext not in GRAPH_FORMATS and ext not in FIGURE_FORMATS and ext not in (".html", ".htm"):
            raise OptionError(f"--out {raw!r}: unknown extension; accepted: {', '.join(GRAPH_FORMATS)}, .html, "
                              f"{', '.join(FIGURE_FORMATS)}")
        if not o.parent.is_dir():
            raise OptionError(f"--out {str(o)!r}: the folder {str(o.parent)!r} does not exist")
        writable_file(str(o), "--out")
    sols = []
    if args.runs:
        from .flow.store import load_solution

        for f in args.runs:
            if not Path(f).is_file():
                raise OptionError(f"--from {f!r}: no such file")
            try:
                sols.append(load_solution(f))
            except (FlowError, ModelError) as exc:
                raise OptionError(f"--from {f!r}: {exc}") from None
    model = sols[0].model if sols and not (args.spectrum or args.target or args.X) else _any_model(args)
    if sols:  # a graph describes one model: runs of others (or of another model than the options') are refused
        import json

        def same(m) -> str:
            return json.dumps(m.describe(), sort_keys=True)

        for f, s in zip(args.runs, sols):
            if same(s.model) != same(model):
                what = "the model of the first --from file" if model is sols[0].model else "the model of the options"
                a, b = _brief(s.model), _brief(model)
                how = f"{a} against {b}" if a != b else f"both {a}, with other targets, data or weight decay"
                raise OptionError(f"--from {f!r}: the run is of another model than {what} ({how}); a saddle graph "
                                  f"describes one model")
    theory, limit = args.theory, args.limit
    if not (theory or limit or sols):
        theory = limit = True
    graphs = []
    if sols:
        from .saddles import detect_visits

        from .models.diagonal import DiagonalLinearModel
        from .saddles.visits import MAX_SUPPORT_DIM

        fams = None
        if isinstance(model, DiagonalLinearModel) and model.dim > MAX_SUPPORT_DIM:
            from .limits import limit_path

            fams = limit_path(model)  # too many supports to enumerate: the runs are located at the limit's saddles
        graphs.append(observed_graph([detect_visits(s, fams) for s in sols], model=model))
    if limit:
        from .limits import limit_path

        graphs.append(limit_graph(limit_path(model)))
    complete = True
    if theory:
        from .symbolic.landscape import landscape

        land = landscape(model, seed=args.seed, progress=args.progress)
        G_t = landscape_graph(land, progress=args.progress)
        complete = land.complete and G_t.graph.get("complete", True)
        graphs.append(G_t)
    G = merge_graphs(*graphs)
    title = args.title or "saddle graph: " + ", ".join(sorted(x for x in G.graph.get("sources", "").split(",") if x))
    for o in outs:
        ext = o.suffix.lower()
        if ext in FIGURE_FORMATS:
            save_graph_figure(G, o, title=title, by=args.by)
        elif ext in (".html", ".htm"):
            write_graph_html(G, o, title=title, by=args.by)
        else:
            write_graph(G, o)
        print(f"wrote {o}")
    print(f"{G.number_of_nodes()} nodes, {G.number_of_edges()} edges; sources: {G.graph.get('sources')}")
    unlocated = [(u, v) for u, v, d in G.edges(data=True) if d.get("located") is False]
    if unlocated:
        print(f"{len(unlocated)} theory edges end at points not located exactly (located=False; see their reason)")
    if G.graph.get("unresolved_directions"):
        print(f"{G.graph['unresolved_directions']} escape directions not resolved (no edge drawn): too slow to follow, "
              f"or their float64 runs ended in different strata when nudged along a faster direction")
    if not complete:
        print("interrupted (Ctrl-C): the graph holds what was finished", file=sys.stderr)
        return 130
    return 0
