"""Saddle graphs (networkx DiGraphs): building (theory, runs, limit paths), merging, export, drawing."""

from .build import family_kind as family_kind
from .build import saddle_graph as saddle_graph
from .draw import draw_saddle_graph as draw_saddle_graph
from .io import read_graph as read_graph
from .io import write_graph as write_graph
from .sources import landscape_graph as landscape_graph
from .sources import limit_graph as limit_graph
from .sources import merge_graphs as merge_graphs
from .sources import observed_graph as observed_graph

__all__ = ["draw_saddle_graph", "family_kind", "landscape_graph", "limit_graph", "merge_graphs", "observed_graph",
           "read_graph", "saddle_graph", "write_graph"]
