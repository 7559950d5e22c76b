"""Models (deep and diagonal linear networks), exact data, initializations and invariants."""

from .diagonal import DiagonalLinearModel as DiagonalLinearModel
from .diagonal import diagonal_linear as diagonal_linear
from .dln import DeepLinearModel as DeepLinearModel
from .dln import deep_linear as deep_linear
from .init import balanced_init as balanced_init
from .init import check_point as check_point
from .init import gaussian_init as gaussian_init
from .init import layer_scale as layer_scale
from .init import pf_init as pf_init
from .invariants import balancedness as balancedness
from .targets import ExactSVD as ExactSVD
from .targets import cayley_orthogonal as cayley_orthogonal
from .targets import teacher_from_spectrum as teacher_from_spectrum

__all__ = [
    "DeepLinearModel",
    "DiagonalLinearModel",
    "ExactSVD",
    "balanced_init",
    "balancedness",
    "cayley_orthogonal",
    "check_point",
    "deep_linear",
    "diagonal_linear",
    "gaussian_init",
    "layer_scale",
    "pf_init",
    "teacher_from_spectrum",
]
