"""The landscape of a data-form DLN whose inputs ``X`` lack full row rank, from the network on ``X``'s row space.

With ``X = B X'`` (``B``: ``n_0 × r`` rational basis of ``X``'s column space, ``X'`` of full row rank ``r``), the loss
``ℒ(W_1, …, W_L) = (1/2N)‖W_L⋯W_1 X − Y‖²`` is ``ℒ'(W_1 B, W_2, …, W_L)`` with ``ℒ'`` the data-form loss on
``X'``.  The map ``W_1 ↦ W_1 B`` is linear and onto, so

* ``θ`` is critical for ``ℒ`` exactly when its image ``θ'`` is critical for ``ℒ'``;
* the critical strata of ``ℒ`` are the preimages of those of ``ℒ'``: each adds the ``n_1 (n_0 − r)`` directions
  ``W_1 ↦ W_1 + Z`` with ``Z X = 0`` (``Z B = 0``), along which ``ℒ`` is constant, to its dimension;
* the Hessian is ``Jᵀ H' J`` with ``J`` onto: the inertia is ``H'``'s plus ``n_1 (n_0 − r)`` zeros (Sylvester), and
  ``ℒ(θ + εd) − ℒ(θ) = ℒ'(θ' + εd') − ℒ'(θ')`` for every direction, so kinds and saddle orders are ``ℒ'``'s.

The representative of each stratum is the reduced one's with ``W_1 = W_1' B⁺``, ``B⁺ = (BᵀB)⁻¹Bᵀ`` (so ``W_1 B =
W_1'`` and ``W_1`` vanishes on ``X``'s null directions; its end-to-end map is the least-norm one).  Its inertia and
escape directions are computed again at that point (the escape *rates* are eigenvalues of ``ℒ``'s own Hessian, which
``B`` changes); the kind and order are ``ℒ'``'s where the direct analysis cannot decide them (a larger kernel).
:meth:`~symdln.symbolic.landscape.Landscape.locate` first replaces ``W_1`` by ``W_1 B B⁺``: the loss, its gradient
and Hessian are the same there (``ℒ`` is invariant under the translations).
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from ..errors import ModelError
from ..models.dln import DeepLinearModel, deep_linear

__all__ = ["row_space_reduction", "needs_row_space_reduction", "lift_landscape"]


def needs_row_space_reduction(model) -> bool:
    """A data-form DLN without weight decay whose ``X`` lacks full row rank (``XXᵀ`` singular)."""
    return (isinstance(model, DeepLinearModel) and model.form == "data" and model.weight_decay == 0
            and model.sxx.det() == 0)


def row_space_reduction(model: DeepLinearModel):
    """``(reduced, B, B⁺)``: the data-form DLN on ``X' = B⁺X`` (full row rank ``r``), the ``n_0 × r`` basis ``B`` of
    ``X``'s column space (its pivot columns) and ``B⁺ = (BᵀB)⁻¹Bᵀ``, all exact (module docstring).

    >>> from symdln.models import deep_linear
    >>> red, B, Bp = row_space_reduction(deep_linear(X="1,2;2,4;0,0", Y="1,0", widths=1))
    >>> red.X, B.T
    (Matrix([[1, 2]]), Matrix([[1, 2, 0]]))
    """
    X = sp.Matrix(model.X)
    _, pivots = X.rref()
    if not pivots:  # pragma: no cover - refused by deep_linear
        raise ModelError("`X` is zero: the loss is constant and every point is critical")
    B = X[:, list(pivots)]
    Bp = (B.T * B).inv() * B.T
    Xr = Bp * X
    if B * Xr != X:  # pragma: no cover - B spans X's columns
        raise ModelError("internal error: X is not B X' for its pivot columns B")
    reduced = deep_linear(X=Xr, Y=sp.Matrix(model.Y), depth=model.depth, widths=list(model.widths[1:-1]) or None)
    return reduced, sp.ImmutableMatrix(B), sp.ImmutableMatrix(Bp)


def lift_landscape(model: DeepLinearModel, reduced_landscape, Bp: sp.ImmutableMatrix, seed: int) -> list:
    """The strata of ``model`` from those of the reduced network (module docstring): ``[Stratum]``."""
    from .analysis import EscapeDirection, analyze_point
    from .landscape import Stratum

    n0, n1 = model.widths[0], model.widths[1]
    extra = n1 * (n0 - Bp.rows)
    out = []
    for s in reduced_landscape:
        point = (sp.ImmutableMatrix(sp.Matrix(s.point[0]) * Bp),) + tuple(s.point[1:])
        dim = None if s.dimension is None else s.dimension + extra
        a = analyze_point(model, point, family_dimension=dim, seed=seed)
        if not a.is_critical:  # pragma: no cover - the lift of a critical point is critical
            raise ModelError(f"internal error: the lifted representative of {s.label.text} is not critical")
        if (a.inertia.negative, a.inertia.zero, a.inertia.positive) != \
                (s.inertia.negative, s.inertia.zero + extra, s.inertia.positive):  # pragma: no cover - Sylvester
            raise ModelError(f"internal error: the lifted {s.label.text} has inertia {a.inertia.as_tuple()}, the "
                             f"reduced one {s.inertia.as_tuple()} plus {extra} zeros")
        if a.kind != s.kind or a.order != s.order:
            if "saddle" in a.kind and "saddle" in s.kind and a.inertia.negative > 0:  # pragma: no cover
                raise ModelError(f"internal error: the lifted {s.label.text} is a {a.kind} of order {a.order}, the "
                                 f"reduced one a {s.kind} of order {s.order}")
            # the direct analysis did not decide what the reduced one did (its kernel has the n_1(n_0 − r) flat
            # directions more): ℒ(θ + εd) − ℒ(θ) is the reduced loss's along the image direction
            escape = tuple(_lift_direction(e, s.point, Bp, EscapeDirection) for e in s.escape)
            a = replace(a, kind=s.kind, order=s.order, order_at_most=s.order_at_most, escape=escape,
                        reason=f"{s.analysis.reason} (on the network over X's row space: ℒ sees W_1 only through "
                               f"W_1 B, so kinds and orders are the reduced network's)")
        bounds = None if s.dimension_bounds is None else tuple(b + extra for b in s.dimension_bounds)
        end = None if s.end_to_end is None else sp.ImmutableMatrix(sp.Matrix(s.end_to_end) * Bp)
        out.append(Stratum(s.label, a.kind, a.inertia, a.order, a.order_at_most, dim, point, s.loss, end,
                           tuple(a.escape), a, model, bounds))
    return out


def _lift_direction(e, reduced_point, Bp, cls):
    """An escape direction of the reduced network (flattened layers, row-major) as one of the full network:
    ``W_1``'s block ``D`` becomes ``D B⁺``; the curve term likewise."""
    def lift(vec):
        if vec is None:
            return None
        r1, c1 = sp.Matrix(reduced_point[0]).shape
        D = sp.Matrix(r1, c1, list(vec[:r1 * c1])) * Bp
        return tuple(list(D) + list(vec[r1 * c1:]))

    return cls(lift(e.direction), e.order, e.rate, e.rate_exact, e.multiplicity, e.coefficient, lift(e.curve))
