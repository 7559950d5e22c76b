"""Tables a researcher can paste: plain text and LaTeX, for critical sets and weight-decay minima."""

from __future__ import annotations

import sympy as sp

__all__ = ["critical_table", "weight_decay_table", "format_table"]


def _latex_escape(text: str) -> str:
    return text.replace("{", r"\{").replace("}", r"\}").replace("_", r"\_")


def format_table(head: list[str], rows: list[list[str]], *, latex: bool = False, math_cols=()) -> str:
    """A plain-text (aligned columns) or LaTeX (``tabular``) table."""
    if latex:
        lines = [r"\begin{tabular}{" + "l" * len(head) + "}", r"\hline", " & ".join(head) + r" \\", r"\hline"]
        for r in rows:
            cells = [(f"${c}$" if j in math_cols else _latex_escape(c)) for j, c in enumerate(r)]
            lines.append(" & ".join(cells) + r" \\")
        lines += [r"\hline", r"\end{tabular}"]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[j]) for r in rows)) if rows else len(h) for j, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def critical_table(sets, *, latex: bool = False):
    """``(text, rows as dicts)`` for a list of :class:`~symdln.symbolic.critical.CriticalSet`."""
    head = ["label", "stratum", "loss", "dim", "inertia (neg, zero, pos)", "kind", "order"]
    rows = []
    for c in sets:
        loss = sp.latex(c.loss) if latex else str(c.loss)
        order = str(c.order) if c.order is not None else (f"≤{c.analysis.order_at_most}" if c.analysis.order_at_most else "-")
        bounds = getattr(c, "dimension_bounds", None)
        dim = (str(c.dimension) if c.dimension is not None else
               f"{bounds[0]}–{bounds[1]}" if bounds else "?")
        rows.append([c.label, c.stratum, loss, dim, str(c.inertia), c.kind, order])
    text = format_table(head, rows, latex=latex, math_cols=(2,))
    notes = []
    if any(c.dimension is None and getattr(c, "dimension_bounds", None) for c in sets):
        notes.append("dim a–b: certified bounds (the hidden-layer symmetry orbit; the Zariski tangent space of "
                     "{∇ℒ = 0, ranks of the layer products fixed}); symbolic/dimension.py")
    if any(c.dimension is None and not getattr(c, "dimension_bounds", None) for c in sets):
        notes.append("dim ?: not computed (a balanced stratum at an irrational representative)")
    for note in notes:
        text += ("\n% " if latex else "\n") + note
    return text, [c.as_dict() for c in sets]


def _certified_decimal(x, digits: int = 15) -> str:
    """``x`` (real algebraic) as a decimal with ``digits`` significant digits that SymPy certifies (strict evalf)."""
    if x.is_Rational:
        return str(x)
    return str(x.evalf(digits, strict=True))


def weight_decay_table(an, *, latex: bool = False):
    """``(text, rows)`` listing the local minima of a weight-decay analysis (global first).

    Algebraic losses print as decimals with 15 certified digits (the exact value, a SymPy expression, and its
    minimal polynomial over ℚ go to the JSON rows), rational ones exactly.
    """
    head = ["rank", "mode values a_i", "loss (15 certified digits, or exact)", "kind"]
    rows, data = [], []
    for k, (values, loss) in enumerate(an.local_minima):
        rank = sum(1 for a in values if a != 0)
        vals = ", ".join(_certified_decimal(a, 10) for a in values)
        kind = "global minimum" if k < an.n_global else "spurious local minimum"
        text = _certified_decimal(loss)
        rows.append([str(rank), vals, sp.latex(loss) if latex and loss.is_Rational else text, kind])
        x = sp.Symbol("x")
        data.append({"rank": rank, "values": [str(a) for a in values], "loss": str(loss), "loss_decimal": text,
                     "loss_minimal_polynomial": str(sp.minimal_polynomial(loss, x)), "kind": kind})
    return format_table(head, rows, latex=latex, math_cols=(2,) if latex else ()), data
