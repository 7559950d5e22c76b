"""Figures of an explore run: loss with shaded plateaus, singular values, saddle graph."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["plot_loss", "plot_singular_values", "plot_saddle_graph"]


def _figure(**kw):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt, plt.subplots(**kw)


def _accelerated(scale, depth):
    """``(t → τ, τ → t)`` for the secondary axis: ``τ = t/log(1/σ)`` (depth ≤ 2) or ``t·σ^{L−2}``."""
    if scale is None:
        return None
    log_inv = math.log(scale.denominator) - math.log(scale.numerator)
    if depth is None or depth <= 2:
        return (lambda t: np.asarray(t) / log_inv, lambda u: np.asarray(u) * log_inv), "τ = t / log(1/σ)"
    lf = (depth - 2) * (math.log(scale.numerator) - math.log(scale.denominator))  # log of σ^{L−2}
    f = math.exp(lf) if lf > -700 else 0.0
    if f == 0.0:
        return None
    return (lambda t: np.asarray(t) * f, lambda u: np.asarray(u) / f), f"τ = t·σ^{depth - 2}"


def plot_loss(times, log10_loss, visits, path: Path, *, title: str = "", scale=None, depth=None,
              limit_times=(), formats=(".png",)) -> Path:
    """Two panels sharing time: the loss on a linear scale (every plateau visible, each visited family's exact
    loss a dashed line labelled with its pivot set) and ``log10`` of the loss (convergence); visits shaded; an
    accelerated-time axis on top (``τ = t/log(1/σ)``, or ``t·σ^{L−2}`` at depth ``L ≥ 3``); the limit path's
    jump times (``limit_times``, accelerated) as dotted lines.  Written as every format in ``formats``."""
    plt, (fig, (ax, ax2)) = _figure(figsize=(8.5, 6.5), nrows=2, sharex=True,
                                    gridspec_kw={"height_ratios": [3, 2]})
    loss = np.power(10.0, np.maximum(np.asarray(log10_loss, dtype=float), -300))
    ax.plot(times, loss, color="black", lw=1.5)
    ax2.plot(times, np.maximum(np.asarray(log10_loss, dtype=float), -300), color="black", lw=1.2)
    palette = ["#e9c46a", "#f4a261", "#e76f51", "#2a9d8f", "#8ab17d", "#9b5de5"]
    top = float(np.max(loss)) if len(loss) else 1.0
    seen = set()
    for i, v in enumerate(visits):
        a, b = float(v.t_enter.mid()), float(v.t_exit.mid())
        for axis in (ax, ax2):
            axis.axvspan(a, b, color=palette[i % len(palette)], alpha=0.25, lw=0)
        if v.name not in seen:
            seen.add(v.name)
            ax.axhline(v.loss_float, ls="--", lw=0.8, color="#555555")
            ax.annotate(f"{v.name}: ℒ = {v.loss}", xy=(1.0, v.loss_float), xycoords=("axes fraction", "data"),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize=8, annotation_clip=False)
    acc = _accelerated(scale, depth)
    for k, tau in enumerate(limit_times):
        if acc is None or tau is None:
            continue
        t = float(acc[0][1](float(tau)))
        for axis in (ax, ax2):
            axis.axvline(t, ls=":", lw=1.2, color="#1d3557")
        ax.annotate(f"limit τ={tau}", xy=(t, top), xytext=(2, -2), textcoords="offset points", rotation=90,
                    va="top", fontsize=7, color="#1d3557")
    ax.set_ylim(0, top * 1.06)
    ax.set_ylabel("loss ℒ")
    ax2.set_ylabel("log10 ℒ")
    ax2.set_xlabel("t (gradient-flow time)")
    if acc is not None:
        sec = ax.secondary_xaxis("top", functions=acc[0])
        sec.set_xlabel(f"accelerated time {acc[1]}", fontsize=9)
    ax.set_title(title or "loss along the flow; shaded: saddle visits", fontsize=10, pad=28 if acc else 6)
    fig.tight_layout()
    path = Path(path)
    for ext in formats:
        fig.savefig(path.with_suffix(ext), dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_singular_values(times, log10_sv, path: Path, *, targets=None, title: str = "", formats=(".png",)) -> Path:
    """``log10`` of the singular values of ``A_θ(t)`` against time; each target value a dashed line in its
    curve's colour, labelled."""
    plt, (fig, ax) = _figure(figsize=(8, 4.5))
    arr = np.array(log10_sv, dtype=float)
    for j in range(arr.shape[1]):
        ax.plot(times, arr[:, j], lw=1.5, color=f"C{j}", label=f"s_{j + 1}(A_θ)")
    if targets:
        for j, s in enumerate(targets):
            if s > 0:
                ax.axhline(np.log10(s), ls="--", lw=0.9, color=f"C{j}", label=f"target s_{j + 1} = {s:.4g}")
    ax.set_xlabel("t (gradient-flow time)")
    ax.set_ylabel("log10 singular value")
    ax.set_title(title or "singular values of the end-to-end map", fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    path = Path(path)
    for ext in formats:
        fig.savefig(path.with_suffix(ext), dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_saddle_graph(G, path: Path, *, title: str = "") -> Path:
    """The saddle graph drawn by :func:`symdln.graph.draw_saddle_graph`."""
    from ..graph.draw import draw_saddle_graph

    plt, (fig, ax) = _figure(figsize=(6.5, 5))
    draw_saddle_graph(G, ax=ax, title=title or "observed saddle graph")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
