"""Figures of an explore run: loss with shaded plateaus, singular values, saddle graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_loss", "plot_singular_values", "plot_saddle_graph"]


def _figure(**kw):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt, plt.subplots(**kw)


def plot_loss(times, log10_loss, visits, path: Path, *, title: str = "") -> Path:
    """Loss against time on a log scale; each saddle visit shaded and labelled with its family and loss."""
    plt, (fig, ax) = _figure(figsize=(8, 4.5))
    ax.plot(times, np.power(10.0, np.maximum(log10_loss, -300)), color="black", lw=1.5)
    ax.set_yscale("log")
    palette = ["#e9c46a", "#f4a261", "#e76f51", "#2a9d8f", "#8ab17d", "#9b5de5"]
    for i, v in enumerate(visits):
        a, b = float(v.t_enter.mid()), float(v.t_exit.mid())
        ax.axvspan(a, b, color=palette[i % len(palette)], alpha=0.3, lw=0)
        floor = 10.0 ** max(float(np.min(log10_loss)), -300)
        at_floor = v.loss_float <= floor
        y = max(v.loss_float, floor)
        ax.annotate(
            f"S={v.name}\nℒ={v.loss}",
            xy=((a + b) / 2, y),
            xytext=(0, 12) if at_floor else (0, -10 if i % 2 == 0 else -34),
            textcoords="offset points",
            ha="center",
            va="bottom" if at_floor else "top",
            fontsize=8,
        )
    ax.set_xlabel("t (gradient-flow time)")
    ax.set_ylabel("loss")
    ax.set_title(title or "loss along the flow; shaded: saddle visits")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_singular_values(times, log10_sv, path: Path, *, targets=None, title: str = "") -> Path:
    """``log10`` of the singular values of ``A_θ(t)`` against time (dashed: the target's)."""
    plt, (fig, ax) = _figure(figsize=(8, 4.5))
    arr = np.array(log10_sv, dtype=float)
    for j in range(arr.shape[1]):
        ax.plot(times, arr[:, j], lw=1.5, label=f"s_{j + 1}(A_θ)")
    if targets:
        for j, s in enumerate(targets):
            if s > 0:
                ax.axhline(np.log10(s), ls="--", lw=0.8, color=f"C{j}")
    ax.set_xlabel("t (gradient-flow time)")
    ax.set_ylabel("log10 singular value")
    ax.set_title(title or "singular values of the end-to-end map")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
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
