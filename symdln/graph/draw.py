"""Drawing saddle graphs: one layout, a matplotlib figure (PNG, SVG, PDF) and a self-contained HTML view.

Layout: layers by loss (every distinct loss one evenly spaced layer, highest on top: plateaus at 7, 2.5 and 0.5
are as far apart as 0.5 and 0) or by ``rank``; inside a layer nodes are sorted by label.  Nodes are coloured by
Morse index (``index``: negative Hessian eigenvalues; grey when unknown) and shaped by ``kind``; edges are as
wide as ``log2(1 + count)`` allows; the *path* (by default the edges whose ``source`` includes ``"observed"``,
else ``"limit"``) is drawn thick and dark red; labels sit inside their nodes.
"""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path

import networkx as nx

from ..errors import OptionError

__all__ = ["draw_saddle_graph", "graph_layout", "save_graph_figure", "save_figure_atomically", "write_graph_html",
           "FIGURE_FORMATS"]

FIGURE_FORMATS = (".png", ".svg", ".pdf")
_SHAPES = {"global minimum": "D", "local minimum": "s", "strict saddle": "o", "non-strict saddle": "^",
           "saddle": "h", "unknown": "p"}
_SVG_SHAPES = {"global minimum": "diamond", "local minimum": "square", "strict saddle": "circle",
               "non-strict saddle": "triangle", "saddle": "hexagon", "unknown": "hexagon"}
_INDEX_COLORS = ["#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#d62828", "#9d0208", "#6a040f", "#370617"]


def _index_color(d) -> str:
    if "index" not in d:
        return "#bbbbbb"
    return _INDEX_COLORS[min(int(d["index"]), len(_INDEX_COLORS) - 1)]


def _text_color(fill: str) -> str:
    """Black or white, whichever reads on ``fill`` (relative luminance)."""
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


def path_edges(G: nx.DiGraph, highlight=None) -> set:
    """The highlighted edges: ``highlight`` (a node sequence or edge list), else observed edges, else limit."""
    if highlight is not None:
        seq = list(highlight)
        if seq and isinstance(seq[0], tuple):
            return {tuple(e) for e in seq}
        return set(zip(seq, seq[1:]))
    for src in ("observed", "limit"):
        found = {(u, v) for u, v, d in G.edges(data=True) if src in str(d.get("source", "")).split(",")}
        if found:
            return found
    return set()


def graph_layout(G: nx.DiGraph, *, by: str = "loss") -> dict:
    """Node positions ``{node: (x, y)}``.

    ``by="loss"``: ``y`` is the layer of the node's loss (distinct losses evenly spaced, highest on top) and ``x``
    its rank (nodes sharing a cell are spread apart); ``by="rank"``: ``y`` is the rank (0 on top) and ``x`` the
    order by loss inside the layer.

    Examples
    --------
    >>> G = nx.DiGraph(); G.add_node("{}", loss_float=7.0, rank=0); G.add_node("{1}", loss_float=2.5, rank=1)
    >>> G.add_node("{1,2}", loss_float=0.5, rank=2); G.add_node("{1,2,3}", loss_float=0.0, rank=3)
    >>> [graph_layout(G)[n] for n in G]   # equally spaced layers
    [(0.0, 3.0), (1.0, 2.0), (2.0, 1.0), (3.0, 0.0)]
    """
    if by not in ("loss", "rank"):
        raise OptionError(f"`by` must be 'loss' or 'rank', got {by!r}")
    vals = sorted({round(float(d.get("loss_float", 0.0)), 12) for _, d in G.nodes(data=True)})
    level = {v: i for i, v in enumerate(vals)}
    top = max((int(d.get("rank", 0)) for _, d in G.nodes(data=True)), default=0)
    pos = {}
    if by == "loss":
        cells: dict[tuple, list] = {}
        for n, d in G.nodes(data=True):
            cells.setdefault((int(d.get("rank", 0)), level[round(float(d.get("loss_float", 0.0)), 12)]), []).append(n)
        # each rank a column as wide as its most crowded cell (0.6 per node), columns side by side
        widest: dict[int, int] = {}
        for (rank, _), nodes in cells.items():
            widest[rank] = max(widest.get(rank, 0), len(nodes))
        centre, x = {}, 0.0
        for rank in sorted(widest):
            w = max(1.0, 0.6 * widest[rank])
            centre[rank] = x + w / 2 - 0.5
            x += w
        for (rank, y), nodes in cells.items():
            nodes.sort(key=lambda n: (len(str(n)), str(n)))
            for i, n in enumerate(nodes):
                pos[n] = (centre[rank] + 0.6 * (i - (len(nodes) - 1) / 2), float(y))
        return pos
    layers: dict[int, list] = {}
    for n, d in G.nodes(data=True):
        layers.setdefault(top - int(d.get("rank", 0)), []).append(n)
    for y, nodes in layers.items():
        nodes.sort(key=lambda n: (-float(G.nodes[n].get("loss_float", 0.0)), str(n)))
        for i, n in enumerate(nodes):
            pos[n] = (i - (len(nodes) - 1) / 2, float(y))
    return pos


def draw_saddle_graph(G: nx.DiGraph, ax=None, *, title: str | None = None, by: str = "loss", highlight=None):
    """Draw ``G`` on matplotlib axes (module docstring); returns the ``Axes``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    pos = graph_layout(G, by=by)
    width = (max((x for x, _ in pos.values()), default=0) - min((x for x, _ in pos.values()), default=0)) + 2
    height = max((y for _, y in pos.values()), default=1) + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 1.6 * width), max(4.0, 1.3 * height)))
    hot = path_edges(G, highlight)
    for u, v, d in G.edges(data=True):
        on = (u, v) in hot
        w = 1.0 + 1.5 * math.log2(1 + int(d.get("count", 1)))
        nx.draw_networkx_edges(G, pos, edgelist=[(u, v)], ax=ax, width=w + (2 if on else 0), arrows=True,
                               arrowsize=16, node_size=1600, edge_color="#8b0000" if on else "#777777",
                               alpha=1.0 if on else 0.6, connectionstyle="arc3,rad=0.08")
    for kind, marker in _SHAPES.items():
        nodes = [n for n, d in G.nodes(data=True) if d.get("kind", "unknown") == kind]
        if nodes:
            nx.draw_networkx_nodes(G, pos, nodelist=nodes, ax=ax, node_shape=marker, node_size=1600,
                                   node_color=[_index_color(G.nodes[n]) for n in nodes], edgecolors="black")
    others = [n for n, d in G.nodes(data=True) if d.get("kind", "unknown") not in _SHAPES]
    if others:
        nx.draw_networkx_nodes(G, pos, nodelist=others, ax=ax, node_shape="p", node_size=1600,
                               node_color=[_index_color(G.nodes[n]) for n in others], edgecolors="black")
    fs = 7 if max((len(str(n)) for n in G), default=0) > 7 else 8
    for n, d in G.nodes(data=True):
        nx.draw_networkx_labels(G, pos, labels={n: n}, ax=ax, font_size=fs, font_color=_text_color(_index_color(d)))
    if by == "loss":
        seen = {}
        for n, (x, y) in pos.items():
            seen.setdefault(y, G.nodes[n].get("loss", ""))
        ax.set_yticks(sorted(seen), [f"ℒ = {seen[y]}" for y in sorted(seen)], fontsize=8)
        ax.set_ylabel("loss (one layer per critical value)")
        ranks = {}
        for n, (x, _) in pos.items():
            ranks.setdefault(int(G.nodes[n].get("rank", 0)), []).append(x)
        ax.set_xticks([sum(v) / len(v) for v in ranks.values()], [str(k) for k in ranks], fontsize=8)
        ax.set_xlabel("rank")
    else:
        ax.set_ylabel("rank (top: 0)")
        ax.set_xticks([])
    ax.tick_params(left=True, labelleft=True, bottom=by == "loss", labelbottom=by == "loss")
    for kind, marker in _SHAPES.items():
        if any(d.get("kind", "unknown") == kind for _, d in G.nodes(data=True)):
            ax.scatter([], [], marker=marker, color="white", edgecolors="black", label=kind)
    idx = sorted({int(d["index"]) for _, d in G.nodes(data=True) if "index" in d})
    for i in idx:
        ax.scatter([], [], marker="o", color=_index_color({"index": i}), label=f"index {i}")
    if hot:
        ax.plot([], [], color="#8b0000", lw=3, label="path")
    if G.number_of_nodes():
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)
    ax.margins(0.15)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def save_graph_figure(G: nx.DiGraph, path, *, title: str | None = None, by: str = "loss", highlight=None) -> Path:
    """Draw ``G`` to ``path`` (PNG, SVG or PDF by extension), written atomically."""
    path = Path(path)
    if path.suffix.lower() not in FIGURE_FORMATS:
        raise OptionError(f"figure {str(path)!r}: the extension must be one of {', '.join(FIGURE_FORMATS)}")
    ax = draw_saddle_graph(G, title=title, by=by, highlight=highlight)
    return save_figure_atomically(ax.figure, path)


def save_figure_atomically(fig, path) -> Path:
    """``fig`` saved to ``path`` (format by extension) through a temporary file renamed into place; the figure is
    closed.  A failed save leaves no file (and an existing one as it was)."""
    import matplotlib.pyplot as plt

    path = Path(path)
    fig.tight_layout()
    tmp = path.with_name(path.name + ".part")
    try:
        fig.savefig(tmp, format=path.suffix[1:].lower(), bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()
    return path


# -- a self-contained HTML view: inline SVG, the records as JSON, a few lines of script; no network -----------
def _svg_shape(kind: str, x: float, y: float, r: float) -> str:
    shape = _SVG_SHAPES.get(kind, "hexagon")
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"'
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}"'
    if shape == "diamond":
        pts = [(x, y - r * 1.2), (x + r * 1.2, y), (x, y + r * 1.2), (x - r * 1.2, y)]
    elif shape == "triangle":
        pts = [(x, y - r * 1.2), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)]
    else:
        pts = [(x + r * math.cos(a), y + r * math.sin(a)) for a in (k * math.pi / 3 for k in range(6))]
    return '<polygon points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"'


def write_graph_html(G: nx.DiGraph, path, *, title: str = "saddle graph", by: str = "loss", highlight=None) -> Path:
    """A self-contained HTML page (no network access needed): the graph as inline SVG; hovering (or focusing) a
    node or an edge shows its full record beside it.  Written atomically.

    Opening ``page.html#selftest`` makes the page hover its first node itself and record the outcome in
    ``<body data-selftest="pass|fail">`` (what the headless-Chromium test reads).
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise OptionError(f"`path` = {str(path)!r}: an HTML view needs the extension .html")
    pos = graph_layout(G, by=by)
    hot = path_edges(G, highlight)
    nodes = list(G.nodes)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    sx, sy, r = 130.0, 110.0, 30.0
    W = (max(xs) - min(xs)) * sx + 4 * r + 40
    H = (max(ys) - min(ys)) * sy + 4 * r + 40

    def to_px(n):
        x, y = pos[n]
        return (x - min(xs)) * sx + 2 * r + 20, (max(ys) - y) * sy + 2 * r + 20

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W:.0f}" height="{H:.0f}" role="img" '
             f'aria-label="{html.escape(title)}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>']
    records = {"nodes": {}, "edges": {}}
    for k, (u, v, d) in enumerate(G.edges(data=True)):
        (x1, y1), (x2, y2) = to_px(u), to_px(v)
        dist = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / dist, (y2 - y1) / dist
        on = (u, v) in hot
        w = 1.0 + 1.5 * math.log2(1 + int(d.get("count", 1))) + (2 if on else 0)
        eid = f"e{k}"
        records["edges"][eid] = {"tail": u, "head": v, **d}
        parts.append(f'<line class="edge{" path" if on else ""}" id="{eid}" tabindex="0" '
                     f'x1="{x1 + ux * r:.1f}" y1="{y1 + uy * r:.1f}" x2="{x2 - ux * r * 1.15:.1f}" '
                     f'y2="{y2 - uy * r * 1.15:.1f}" stroke="{"#8b0000" if on else "#777"}" stroke-width="{w:.1f}" '
                     f'marker-end="url(#arrow)"/>')
    for k, n in enumerate(nodes):
        d = G.nodes[n]
        x, y = to_px(n)
        nid = f"n{k}"
        records["nodes"][nid] = {"key": n, **d}
        parts.append(f'<g class="node" id="{nid}" tabindex="0">' + _svg_shape(d.get("kind", "unknown"), x, y, r)
                     + f' fill="{_index_color(d)}" stroke="black" stroke-width="1.5"/>'
                     f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" fill="{_text_color(_index_color(d))}" '
                     f'font-size="{11 if len(n) < 8 else 9}">'
                     f'{html.escape(n)}</text></g>')
    parts.append("</svg>")
    data = json.dumps(records, sort_keys=True, default=str).replace("</", "<\\/")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
#wrap {{ display: flex; gap: 1.5em; align-items: flex-start; }}
#info {{ min-width: 22em; max-width: 40em; white-space: pre-wrap; background: #f6f6f6; padding: .6em;
        border: 1px solid #ddd; font-size: 12px; }}
.node, .edge {{ cursor: pointer; }}
.node:hover polygon, .node:hover circle, .node:hover rect, .node:focus polygon {{ stroke-width: 3; }}
.edge:hover {{ stroke: #1d3557; }}
</style></head>
<body data-nodes="{len(nodes)}" data-edges="{G.number_of_edges()}">
<h3>{html.escape(title)}</h3>
<p>Layers by {html.escape(by)}; colour: Morse index (grey: unknown); shape: kind; dark red: the path.
Hover or focus a node or an edge to see its record.</p>
<div id="wrap">{''.join(parts)}<pre id="info">(hover a node or an edge)</pre></div>
<script id="records" type="application/json">{data}</script>
<script>
(function () {{
  var rec = JSON.parse(document.getElementById("records").textContent);
  var info = document.getElementById("info");
  function show(id) {{
    var r = rec.nodes[id] || rec.edges[id];
    info.textContent = JSON.stringify(r, null, 2);
    info.dataset.shown = id;
  }}
  document.querySelectorAll(".node, .edge").forEach(function (el) {{
    el.addEventListener("mouseover", function () {{ show(el.id); }});
    el.addEventListener("focus", function () {{ show(el.id); }});
  }});
  document.body.dataset.ready = "1";
  if (location.hash === "#selftest") {{
    var first = document.querySelector(".node");
    var ok = false;
    if (first) {{
      first.dispatchEvent(new MouseEvent("mouseover", {{bubbles: true}}));
      var shown = JSON.parse(info.textContent);
      ok = shown.key === rec.nodes[first.id].key && info.dataset.shown === first.id;
    }}
    document.body.dataset.selftest = ok ? "pass" : "fail";
  }}
}})();
</script>
</body></html>
"""
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
