"""Drawing saddle graphs with matplotlib (imported inside the function)."""

from __future__ import annotations

import networkx as nx

__all__ = ["draw_saddle_graph"]

_COLORS = {
    "global minimum": "#2a9d8f",
    "strict saddle": "#e76f51",
    "non-strict saddle": "#9b5de5",
    "saddle": "#f4a261",
    "local minimum": "#264653",
}


def draw_saddle_graph(G: nx.DiGraph, ax=None, *, title: str | None = None):
    """Draw nodes by loss (vertical, higher loss on top) and rank (horizontal), edges downhill.

    Returns the matplotlib ``Axes``.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5))
    by_rank: dict[int, list] = {}
    for n, d in G.nodes(data=True):
        by_rank.setdefault(int(d.get("rank", 0)), []).append(n)
    pos = {}
    for r, nodes in by_rank.items():
        nodes.sort(key=lambda n: G.nodes[n].get("pivots", ""))
        for i, n in enumerate(nodes):
            pos[n] = (r + 0.15 * (i - (len(nodes) - 1) / 2), float(G.nodes[n].get("loss_float", 0.0)))
    colors = [_COLORS.get(G.nodes[n].get("kind", "saddle"), "#999999") for n in G.nodes]
    nx.draw_networkx_nodes(G, pos, ax=ax, node_color=colors, node_size=900, edgecolors="black")
    nx.draw_networkx_labels(G, pos, ax=ax, font_size=8)
    nx.draw_networkx_edges(G, pos, ax=ax, arrows=True, arrowsize=18, node_size=900, connectionstyle="arc3,rad=0.1")
    edge_labels = {}
    for u, v, d in G.edges(data=True):
        if "tau_arrive" in d:
            edge_labels[(u, v)] = f"τ={d['tau_arrive']:.3g}"
    if edge_labels:
        nx.draw_networkx_edge_labels(G, pos, edge_labels=edge_labels, ax=ax, font_size=7)
    ax.set_xlabel("rank of the end-to-end map")
    ax.set_ylabel("loss")
    ax.tick_params(left=True, bottom=True, labelleft=True, labelbottom=True)
    kinds = sorted({G.nodes[n].get("kind", "saddle") for n in G.nodes})
    for k in kinds:
        ax.scatter([], [], color=_COLORS.get(k, "#999999"), label=k, edgecolors="black")
    if kinds:
        ax.legend(loc="upper right", fontsize=8)
    ax.margins(0.2)
    if title:
        ax.set_title(title)
    return ax
