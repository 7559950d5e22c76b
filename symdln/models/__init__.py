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
    "model_from_description",
    "pf_init",
    "teacher_from_spectrum",
]


def model_from_description(d: dict):
    """Rebuild a model from :meth:`describe` output (exact strings; the target, not its rotations, is kept).

    >>> m = deep_linear(spectrum=[2, 1], depth=3, widths=2)
    >>> model_from_description(m.describe()).syx == m.syx
    True
    """
    from ..errors import ModelError
    from ..parse import exact_matrix

    if not isinstance(d, dict) or d.get("kind") not in ("deep_linear", "diagonal_linear"):
        raise ModelError(f"not a model description: expected a dict with kind 'deep_linear' or 'diagonal_linear', got {str(d)[:80]!r}")
    if d["kind"] == "diagonal_linear":
        return diagonal_linear(exact_matrix(d["X"], name="X"), [exact_matrix([[x]], name="y")[0, 0] for x in d["y"]])
    widths = list(d["widths"])
    common = dict(depth=int(d["depth"]), widths=widths[1:-1] or None, weight_decay=d.get("weight_decay", "0"))
    if d.get("form") == "teacher":
        return deep_linear(exact_matrix(d["target"], name="target"), **common)
    return deep_linear(X=exact_matrix(d["X"], name="X"), Y=exact_matrix(d["Y"], name="Y"), **common)
