"""symdln: saddle-to-saddle dynamics of deep linear networks.

Stages (one front door each): :func:`deep_linear` / :func:`diagonal_linear` build models;
:func:`critical_sets` and :func:`analyze_point` derive saddle structure exactly;
:func:`integrate_flow` follows gradient flow in arbitrary precision; :func:`detect_visits`
finds the saddles a run visits; :func:`saddle_graph` turns visits into a networkx graph;
:func:`explore` runs the whole pipeline and writes a report.
"""

__version__ = "0.1.0"

import importlib

from .errors import FlowError as FlowError
from .errors import ModelError as ModelError
from .errors import OptionError as OptionError
from .errors import ParseError as ParseError
from .errors import PrecisionError as PrecisionError
from .errors import SymdlnError as SymdlnError

# Everything else loads on first use (PEP 562), so `import symdln` does not import SymPy or networkx.
_LAZY = {
    "CriticalSet": ".symbolic.critical",
    "DeepLinearModel": ".models",
    "DiagonalLinearModel": ".models",
    "Event": ".flow.events",
    "FlowSolution": ".flow",
    "Inertia": ".symbolic.inertia",
    "Landscape": ".symbolic.landscape",
    "InitSpec": ".flow.plan",
    "PivotFamily": ".symbolic.pivots",
    "PointAnalysis": ".symbolic.analysis",
    "Precision": ".precision",
    "RunPlan": ".flow.plan",
    "SaddleVisit": ".saddles",
    "Status": ".flow",
    "VerifiedFlow": ".flow.verify",
    "analyze_point": ".symbolic.analysis",
    "balanced_init": ".models",
    "balancedness": ".models",
    "citation": "._citation",
    "classify_real_points": ".symbolic.isolated",
    "compile_flow": ".symbolic",
    "count_critical_points": ".symbolic.isolated",
    "count_tikhonov": ".symbolic.tikhonov",
    "classify_tikhonov": ".symbolic.tikhonov",
    "tikhonov_data": ".symbolic.tikhonov",
    "critical_sets": ".symbolic.critical",
    "deep_linear": ".models",
    "detect_visits": ".saddles",
    "diagonal_linear": ".models",
    "draw_saddle_graph": ".graph",
    "explore": ".report",
    "gaussian_init": ".models",
    "gradient": ".symbolic",
    "hessian": ".symbolic",
    "inertia": ".symbolic.inertia",
    "landscape": ".symbolic.landscape",
    "landscape_graph": ".graph",
    "limit_graph": ".graph",
    "merge_graphs": ".graph",
    "observed_graph": ".graph",
    "limit_path": ".limits",
    "LimitPath": ".limits",
    "DLNLimitPath": ".limits",
    "NonUniqueLimitError": ".limits",
    "integrate_flow": ".flow",
    "load_solution": ".flow.store",
    "loss_expr": ".symbolic",
    "parse_matrix": ".parse",
    "parse_number": ".parse",
    "pf_init": ".models",
    "pivot_families": ".symbolic.pivots",
    "plateau_events": ".flow.events",
    "plan_run": ".flow.plan",
    "read_graph": ".graph",
    "representation_cost": ".symbolic.weight_decay",
    "saddle_graph": ".graph",
    "verified_flow": ".flow.verify",
    "weight_decay_analysis": ".symbolic.weight_decay",
    "write_graph": ".graph",
}



def __getattr__(name: str):
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'symdln' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CriticalSet",
    "Event",
    "DeepLinearModel",
    "DiagonalLinearModel",
    "FlowError",
    "FlowSolution",
    "Inertia",
    "InitSpec",
    "Landscape",
    "ModelError",
    "OptionError",
    "ParseError",
    "PivotFamily",
    "PointAnalysis",
    "Precision",
    "PrecisionError",
    "RunPlan",
    "SaddleVisit",
    "Status",
    "SymdlnError",
    "VerifiedFlow",
    "__version__",
    "analyze_point",
    "balanced_init",
    "balancedness",
    "citation",
    "classify_real_points",
    "compile_flow",
    "count_critical_points",
    "count_tikhonov",
    "classify_tikhonov",
    "tikhonov_data",
    "critical_sets",
    "deep_linear",
    "detect_visits",
    "diagonal_linear",
    "draw_saddle_graph",
    "explore",
    "gaussian_init",
    "gradient",
    "hessian",
    "inertia",
    "landscape",
    "landscape_graph",
    "limit_graph",
    "limit_path",
    "LimitPath",
    "DLNLimitPath",
    "NonUniqueLimitError",
    "merge_graphs",
    "observed_graph",
    "integrate_flow",
    "load_solution",
    "loss_expr",
    "parse_matrix",
    "parse_number",
    "pf_init",
    "pivot_families",
    "plateau_events",
    "plan_run",
    "read_graph",
    "representation_cost",
    "saddle_graph",
    "verified_flow",
    "weight_decay_analysis",
    "write_graph",
]
