"""Saddle graphs (networkx DiGraphs): building, export, drawing."""

from .build import family_kind as family_kind
from .build import saddle_graph as saddle_graph
from .draw import draw_saddle_graph as draw_saddle_graph
from .io import read_graph as read_graph
from .io import write_graph as write_graph

__all__ = ["draw_saddle_graph", "family_kind", "read_graph", "saddle_graph", "write_graph"]
