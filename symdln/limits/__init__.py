"""Limit algorithms of saddle-to-saddle dynamics (σ, α → 0): :func:`limit_path` is the front door.

* diagonal networks: Pesme–Flammarion Algorithm 1, exact over ℚ or float64 (:mod:`.diagonal`);
* deep linear networks: the greedy rank-incremental path (:mod:`.dln`).
"""

from __future__ import annotations

from ..errors import ModelError, describe
from .diagonal import LimitJump, LimitPath, LimitSaddle, NonUniqueLimitError, diagonal_limit_path
from .dln import DLNLimitPath, DLNLimitSaddle, dln_limit_path
from .compare import Comparison, ScaleComparison, SaddleComparison, compare, convergence_study  # noqa: E402

__all__ = ["limit_path", "LimitPath", "LimitSaddle", "LimitJump", "NonUniqueLimitError", "DLNLimitPath",
           "DLNLimitSaddle", "diagonal_limit_path", "dln_limit_path", "compare", "convergence_study", "Comparison",
           "ScaleComparison", "SaddleComparison"]


def limit_path(model, *, exact: bool = True, max_jumps: int | None = None, progress: bool | None = None):
    """The σ, α → 0 limit path of ``model``: saddles in order, jump times in accelerated time, exact losses.

    Diagonal networks: :func:`diagonal_limit_path` (``exact``, ``max_jumps``, ``progress``); deep linear
    networks: :func:`dln_limit_path` (always exact).

    Examples
    --------
    >>> from symdln.models import diagonal_linear
    >>> [str(t) for t in limit_path(diagonal_linear("1,0;0,1", "2,1")).jump_times]
    ['1', '2']
    """
    from ..models.diagonal import DiagonalLinearModel
    from ..models.dln import DeepLinearModel

    if isinstance(model, DiagonalLinearModel):
        return diagonal_limit_path(model, exact=exact, max_jumps=max_jumps, progress=progress)
    if isinstance(model, DeepLinearModel):
        if not exact:
            raise ModelError("`exact=False`: the DLN limit path is computed exactly (closed-form saddles); drop it")
        return dln_limit_path(model)
    raise ModelError(f"`model` must be a DeepLinearModel or DiagonalLinearModel, got {describe(model)}")
