"""Figure of a convergence study: the jump-time error of each saddle against ``1/log(1/scale)``."""

from __future__ import annotations

from pathlib import Path

from ..errors import OptionError

__all__ = ["plot_convergence"]

_FORMATS = (".png", ".svg", ".pdf")


def plot_convergence(comparison, path) -> Path:
    """``|τ_run − τ_limit|`` per saddle against ``1/log(1/scale)`` on log–log axes, with a slope-1 guide (the
    expected rate); PNG, SVG or PDF by the file extension.  Written to a temporary file and renamed, so a failed
    export leaves nothing behind."""
    import math

    from .plots import _figure

    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise OptionError(f"figure `{path}`: the extension must be one of {', '.join(_FORMATS)}")
    plt, (fig, ax) = _figure(figsize=(6.5, 4.5))
    labels = [r.label for r in comparison.scales[0].rows[1:]]
    markers = "osD^v<>p*h"
    xs_all = []
    for k, lab in enumerate(labels, start=1):
        xs, ys = [], []
        for sc in comparison.scales:
            r = sc.rows[k] if k < len(sc.rows) else None
            if r is None or r.tau_error is None or r.tau_error == 0:
                continue
            q = sc.scale
            xs.append(1 / (math.log(q.denominator) - math.log(q.numerator)))
            ys.append(abs(r.tau_error))
        if xs:
            ax.loglog(xs, ys, marker=markers[(k - 1) % len(markers)], label=f"saddle {lab} (τ = {r.tau_limit})")
            xs_all += xs
    if xs_all:
        lo, hi = min(xs_all), max(xs_all)
        ax.loglog([lo, hi], [lo, hi], color="grey", ls="--", lw=1, label="slope 1 (error ∝ 1/log(1/scale))")
    name = "α" if comparison.model.describe()["kind"] == "diagonal_linear" else "σ"
    ax.set_xlabel(f"1 / log(1/{name})")
    ax.set_ylabel("|τ_run − τ_limit|  (accelerated time)")
    ax.set_title(f"distance to the {name} → 0 limit path", fontsize=10)
    ax.legend(fontsize=8)
    from ..graph.draw import save_figure_atomically

    return save_figure_atomically(fig, path)
