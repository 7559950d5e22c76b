"""High-precision gradient-flow integration."""

from .integrate import integrate_flow as integrate_flow
from .integrate import initial_scale as initial_scale
from .solution import FlowSolution as FlowSolution
from .solution import FlowStats as FlowStats
from .solution import Status as Status

__all__ = ["FlowSolution", "FlowStats", "Status", "initial_scale", "integrate_flow"]
