"""Numeric callables for the gradient flow, bound to a :class:`~symdln.precision.Precision`.

:func:`compile_flow` turns a model into a :class:`CompiledFlow` whose methods take and
return tuples of flint ``arb_mat`` (one per layer; ``(u, v)`` as ``d × 1`` columns for a
diagonal network).  The vector field is the closed form of
:func:`symdln.symbolic.calculus.dln_gradient` evaluated in arb arithmetic; the data are
rounded once, here.  No SymPy runs inside a step.  Call the methods inside
``precision.flint()``.
"""

from __future__ import annotations

from typing import Sequence

import flint

from ..errors import ModelError, describe
from ..matops import to_arb_mat
from ..models.diagonal import DiagonalLinearModel
from ..models.dln import DeepLinearModel
from ..models.init import check_point
from ..precision import Precision

__all__ = ["CompiledFlow", "compile_flow"]

State = tuple  # tuple of flint.arb_mat


class CompiledFlow:
    """The flow ``θ' = −∇ℒ(θ)`` of one model at one precision, in arb arithmetic.

    Attributes
    ----------
    model, precision
    kind : {"deep_linear", "diagonal_linear"}
    norm : {"singular", "componentwise"}
        How the integrator should measure local errors (see :mod:`symdln.flow.norms`).
    """

    def __init__(self, model, precision: Precision) -> None:
        if not isinstance(precision, Precision):
            raise ModelError(f"`precision` must be a Precision, got {describe(precision)}")
        self.model = model
        self.precision = precision
        bits = precision.bits
        with precision.flint():
            if isinstance(model, DeepLinearModel):
                self.kind = "deep_linear"
                self.norm = "singular"
                self._teacher = model.form == "teacher"
                self._syx = to_arb_mat(model.syx, bits)
                self._sxx = None if self._teacher else to_arb_mat(model.sxx, bits)
                if not self._teacher:
                    self._X = to_arb_mat(model.X, bits)
                    self._Y = to_arb_mat(model.Y, bits)
                    self._inv2n = flint.arb(1) / (2 * model.X.shape[1])
                lam = model.weight_decay
                self._lam = flint.arb(flint.fmpq(lam.numerator, lam.denominator)) if lam else None
            elif isinstance(model, DiagonalLinearModel):
                self.kind = "diagonal_linear"
                self.norm = "componentwise"
                self._X = to_arb_mat(model.X, bits)
                self._Xt = self._X.transpose()
                self._y = to_arb_mat(model.y, bits)
                self._invn = flint.arb(1) / model.n_samples
            else:
                raise ModelError(f"`model` must be a DeepLinearModel or DiagonalLinearModel, got {describe(model)}")

    # -- conversion ---------------------------------------------------------------------------
    def state(self, theta: Sequence) -> State:
        """Round an exact point (validated against the model's shapes) into an arb state."""
        theta = check_point(self.model, theta)
        with self.precision.flint():
            return tuple(to_arb_mat(W, self.precision.bits) for W in theta)

    # -- vector field -------------------------------------------------------------------------
    def field(self, y: State) -> State:
        """``−∇ℒ(θ)``."""
        if self.kind == "diagonal_linear":
            return self._diag_field(y)
        L = len(y)
        Q = [None] * (L + 1)
        Q[1] = y[0]
        for l in range(2, L + 1):
            Q[l] = y[l - 1] * Q[l - 1]
        A = Q[L]
        # minus the residual: −G = Σyx − AΣxx
        B = (self._syx - A) if self._teacher else (self._syx - A * self._sxx)
        out = [None] * L
        for l in range(L, 0, -1):
            out[l - 1] = B if l == 1 else B * Q[l - 1].transpose()
            if l > 1:
                B = y[l - 1].transpose() * B
        if self._lam is not None:
            out = [g - W * self._lam for g, W in zip(out, y)]
        return tuple(out)

    def _beta_and_grad(self, y: State):
        u, v = y
        d = u.nrows()
        beta = flint.arb_mat(d, 1, [u[i, 0] * v[i, 0] for i in range(d)])
        g = self._Xt * (self._X * beta - self._y) * self._invn
        return beta, g

    def _diag_field(self, y: State) -> State:
        u, v = y
        d = u.nrows()
        _, g = self._beta_and_grad(y)
        return (
            flint.arb_mat(d, 1, [-(v[i, 0] * g[i, 0]) for i in range(d)]),
            flint.arb_mat(d, 1, [-(u[i, 0] * g[i, 0]) for i in range(d)]),
        )

    # -- observables --------------------------------------------------------------------------
    def end_to_end(self, y: State) -> flint.arb_mat:
        """``A_θ = W_L⋯W_1`` (DLN) or ``β = u ⊙ v`` (diagonal, a column)."""
        if self.kind == "diagonal_linear":
            return self._beta_and_grad(y)[0]
        A = y[0]
        for W in y[1:]:
            A = W * A
        return A

    def loss(self, y: State) -> flint.arb:
        """``ℒ(θ)``, computed from the residual (no cancellation near a minimum)."""
        if self.kind == "diagonal_linear":
            beta = self._beta_and_grad(y)[0]
            r = self._X * beta - self._y
            return (r.transpose() * r)[0, 0] * self._invn / 2
        A = self.end_to_end(y)
        if self._teacher:
            E = A - self._syx
            fit = (E.transpose() * E).trace() / 2
        else:
            E = A * self._X - self._Y
            fit = (E.transpose() * E).trace() * self._inv2n
        if self._lam is not None:
            fit += self._lam * sum((W.transpose() * W).trace() for W in y) / 2
        return fit


def compile_flow(model, precision: Precision) -> CompiledFlow:
    """Compile ``θ' = −∇ℒ(θ)`` of ``model`` to arb arithmetic at ``precision``.

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> from symdln.precision import Precision
    >>> p = Precision(30)
    >>> flow = compile_flow(deep_linear("2", depth=2, widths=1), p)
    >>> y = flow.state(([[1]], [[1]]))
    >>> with p.flint():
    ...     p.decimal(flow.field(y)[0][0, 0], 5), p.decimal(flow.loss(y), 5)
    ('1.0000', '0.50000')
    """
    return CompiledFlow(model, precision)
