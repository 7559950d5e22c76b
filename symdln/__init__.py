"""symdln: saddle-to-saddle dynamics of deep linear networks.

Stages (one front door each): :func:`deep_linear` / :func:`diagonal_linear` build models;
:func:`critical_sets` and :func:`analyze_point` derive saddle structure exactly;
:func:`integrate_flow` follows gradient flow in arbitrary precision; :func:`detect_visits`
finds the saddles a run visits; :func:`saddle_graph` turns visits into a networkx graph;
:func:`explore` runs the whole pipeline and writes a report.
"""

__version__ = "0.1.0"

from .errors import FlowError as FlowError
from .errors import ModelError as ModelError
from .errors import OptionError as OptionError
from .errors import ParseError as ParseError
from .errors import PrecisionError as PrecisionError
from .errors import SymdlnError as SymdlnError
from .flow import FlowSolution as FlowSolution
from .flow import Status as Status
from .flow import integrate_flow as integrate_flow
from .graph import draw_saddle_graph as draw_saddle_graph
from .graph import read_graph as read_graph
from .graph import saddle_graph as saddle_graph
from .graph import write_graph as write_graph
from .models import DeepLinearModel as DeepLinearModel
from .models import DiagonalLinearModel as DiagonalLinearModel
from .models import balanced_init as balanced_init
from .models import balancedness as balancedness
from .models import deep_linear as deep_linear
from .models import diagonal_linear as diagonal_linear
from .models import gaussian_init as gaussian_init
from .models import pf_init as pf_init
from .parse import parse_matrix as parse_matrix
from .parse import parse_number as parse_number
from .precision import Precision as Precision
from .report import explore as explore
from .saddles import SaddleVisit as SaddleVisit
from .saddles import detect_visits as detect_visits
from .symbolic import compile_flow as compile_flow
from .symbolic import gradient as gradient
from .symbolic import hessian as hessian
from .symbolic import loss_expr as loss_expr
from .symbolic.analysis import PointAnalysis as PointAnalysis
from .symbolic.analysis import analyze_point as analyze_point
from .symbolic.critical import CriticalSet as CriticalSet
from .symbolic.critical import critical_sets as critical_sets
from .symbolic.inertia import Inertia as Inertia
from .symbolic.inertia import inertia as inertia
from .symbolic.isolated import classify_real_points as classify_real_points
from .symbolic.isolated import count_critical_points as count_critical_points
from .symbolic.pivots import PivotFamily as PivotFamily
from .symbolic.pivots import pivot_families as pivot_families
from .symbolic.weight_decay import representation_cost as representation_cost
from .symbolic.weight_decay import weight_decay_analysis as weight_decay_analysis
from ._citation import citation as citation

__all__ = [
    "CriticalSet",
    "DeepLinearModel",
    "DiagonalLinearModel",
    "FlowError",
    "FlowSolution",
    "Inertia",
    "ModelError",
    "OptionError",
    "ParseError",
    "PivotFamily",
    "PointAnalysis",
    "Precision",
    "PrecisionError",
    "SaddleVisit",
    "Status",
    "SymdlnError",
    "__version__",
    "analyze_point",
    "balanced_init",
    "balancedness",
    "citation",
    "classify_real_points",
    "compile_flow",
    "count_critical_points",
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
    "integrate_flow",
    "loss_expr",
    "parse_matrix",
    "parse_number",
    "pf_init",
    "pivot_families",
    "read_graph",
    "representation_cost",
    "saddle_graph",
    "weight_decay_analysis",
    "write_graph",
]
