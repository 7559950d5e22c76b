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

__all__ = ["CompiledFlow", "compile_flow", "flatten", "unflatten"]

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

    @property
    def shapes(self) -> tuple:
        """The state's layer shapes."""
        return self.model.shapes

    # -- conversion ---------------------------------------------------------------------------
    def state(self, theta: Sequence) -> State:
        """Round an exact point (validated against the model's shapes) into an arb state."""
        theta = check_point(self.model, theta)
        with self.precision.flint():
            return tuple(to_arb_mat(W, self.precision.bits) for W in theta)

    # -- vector field -------------------------------------------------------------------------
    def field(self, y: State, scale: flint.arb | None = None) -> State:
        """``−∇ℒ(θ)``, or ``scale · (−∇ℒ(θ))`` (one scalar product on the residual instead of one per layer: the
        explicit steps take ``z + h·f(z)``)."""
        if self.kind == "diagonal_linear":
            return self._diag_field(y, scale)
        L = len(y)
        if L == 2 and self._teacher and self._lam is None:  # the common case without the loops
            W1, W2 = y
            B = self._syx - W2 * W1
            if scale is not None:
                B = B * scale
            return (W2.transpose() * B, B * W1.transpose())
        Q = [None] * (L + 1)
        Q[1] = y[0]
        for l in range(2, L + 1):
            Q[l] = y[l - 1] * Q[l - 1]
        A = Q[L]
        # minus the residual: −G = Σyx − AΣxx
        B = (self._syx - A) if self._teacher else (self._syx - A * self._sxx)
        if scale is not None:
            B = B * scale
        out = [None] * L
        for l in range(L, 0, -1):
            out[l - 1] = B if l == 1 else B * Q[l - 1].transpose()
            if l > 1:
                B = y[l - 1].transpose() * B
        if self._lam is not None:
            lam = self._lam if scale is None else self._lam * scale
            out = [g - W * lam for g, W in zip(out, y)]
        return tuple(out)

    def _beta_and_grad(self, y: State):
        u, v = y
        d = u.nrows()
        beta = flint.arb_mat(d, 1, [u[i, 0] * v[i, 0] for i in range(d)])
        g = self._Xt * (self._X * beta - self._y) * self._invn
        return beta, g

    def _diag_field(self, y: State, scale: flint.arb | None = None) -> State:
        u, v = y
        d = u.nrows()
        _, g = self._beta_and_grad(y)
        if scale is not None:
            g = g * scale
        return (
            flint.arb_mat(d, 1, [-(v[i, 0] * g[i, 0]) for i in range(d)]),
            flint.arb_mat(d, 1, [-(u[i, 0] * g[i, 0]) for i in range(d)]),
        )

    # -- end-to-end residual --------------------------------------------------------------------
    def residual(self, y: State) -> flint.arb_mat:
        """The end-to-end gradient ``G``: ``AΣxx − Σyx`` (DLN; ``A − M`` in the teacher form) or
        ``Xᵀ(Xβ − y)/n`` (diagonal).  Near a minimum the loss is a quadratic form in ``G``."""
        if self.kind == "diagonal_linear":
            return self._beta_and_grad(y)[1]
        A = self.end_to_end(y)
        return (A - self._syx) if self._teacher else (A * self._sxx - self._syx)

    def residual_change(self, y: State, dy: State) -> flint.arb_mat:
        """``δG`` to first order for a change ``dy`` of the state (the error of ``G`` made by an error ``dy``)."""
        if self.kind == "diagonal_linear":
            u, v = y
            du, dv = dy
            d = u.nrows()
            dbeta = flint.arb_mat(d, 1, [du[i, 0] * v[i, 0] + u[i, 0] * dv[i, 0] for i in range(d)])
            return self._Xt * (self._X * dbeta) * self._invn
        Q, dQ = y[0], dy[0]
        for W, dW in zip(y[1:], dy[1:]):
            Q, dQ = W * Q, dW * Q + W * dQ
        return dQ if self._teacher else dQ * self._sxx

    # -- linearization ------------------------------------------------------------------------
    def jvp(self, y: State, dy: State) -> State:
        """``J(y)·dy``, the derivative of :meth:`field` at ``y`` along ``dy`` (``J = −∇²ℒ``), in closed form.

        DLN: with prefix products ``Q_l = W_l⋯W_1`` and back-propagated residuals ``B_l``
        (``B_L = Σyx − AΣxx``, ``B_{l−1} = W_lᵀB_l``), ``f_l = B_l Q_{l−1}ᵀ − λW_l``, so
        ``df_l = dB_l Q_{l−1}ᵀ + B_l dQ_{l−1}ᵀ − λ dW_l`` with ``dQ_l = dW_l Q_{l−1} + W_l dQ_{l−1}``,
        ``dB_L = −dA Σxx`` and ``dB_{l−1} = dW_lᵀ B_l + W_lᵀ dB_l``.
        """
        if self.kind == "diagonal_linear":
            u, v = y
            du, dv = dy
            d = u.nrows()
            _, g = self._beta_and_grad(y)
            dg = self.residual_change(y, dy)  # δ(Xᵀ(Xβ − y)/n)
            return (
                flint.arb_mat(d, 1, [-(dv[i, 0] * g[i, 0] + v[i, 0] * dg[i, 0]) for i in range(d)]),
                flint.arb_mat(d, 1, [-(du[i, 0] * g[i, 0] + u[i, 0] * dg[i, 0]) for i in range(d)]),
            )
        L = len(y)
        Q, dQ = [None] * (L + 1), [None] * (L + 1)
        Q[1], dQ[1] = y[0], dy[0]
        for l in range(2, L + 1):
            Q[l] = y[l - 1] * Q[l - 1]
            dQ[l] = dy[l - 1] * Q[l - 1] + y[l - 1] * dQ[l - 1]
        B = (self._syx - Q[L]) if self._teacher else (self._syx - Q[L] * self._sxx)
        dB = -dQ[L] if self._teacher else -(dQ[L] * self._sxx)
        out = [None] * L
        for l in range(L, 0, -1):
            out[l - 1] = dB if l == 1 else dB * Q[l - 1].transpose() + B * dQ[l - 1].transpose()
            if l > 1:
                dB = dy[l - 1].transpose() * B + y[l - 1].transpose() * dB
                B = y[l - 1].transpose() * B
        if self._lam is not None:
            out = [g - dW * self._lam for g, dW in zip(out, dy)]
        return tuple(out)

    def jacobian(self, y: State) -> flint.arb_mat:
        """``J(y) = −∇²ℒ(θ)`` as a ``P × P`` ``arb_mat`` (layers in order, each row-major), by ``P`` JVPs."""
        shapes = [(W.nrows(), W.ncols()) for W in y]
        P = sum(r * c for r, c in shapes)
        zeros = [flint.arb_mat(r, c) for r, c in shapes]
        cols = []
        for l, (r, c) in enumerate(shapes):
            for i in range(r):
                for j in range(c):
                    dy = list(zeros)
                    E = flint.arb_mat(r, c)
                    E[i, j] = 1
                    dy[l] = E
                    cols.append(flatten(self.jvp(y, tuple(dy))))
        J = flint.arb_mat(P, P)
        for k, col in enumerate(cols):
            for i in range(P):
                J[i, k] = col[i, 0]
        return J

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


def flatten(y: State) -> flint.arb_mat:
    """A state as one column (layers in order, each row-major)."""
    entries = [W[i, j] for W in y for i in range(W.nrows()) for j in range(W.ncols())]
    return flint.arb_mat(len(entries), 1, entries)


def unflatten(v: flint.arb_mat, shapes) -> State:
    """The inverse of :func:`flatten` for the given layer shapes."""
    out, k = [], 0
    for r, c in shapes:
        out.append(flint.arb_mat(r, c, [v[k + t, 0] for t in range(r * c)]))
        k += r * c
    return tuple(out)


def compile_flow(model, precision: Precision, coordinates: str = "primal", alpha2=None) -> CompiledFlow:
    """Compile ``θ' = −∇ℒ(θ)`` of ``model`` to arb arithmetic at ``precision``.

    ``coordinates="mirror"`` (diagonal networks from ``(√2α·1, 0)``, with ``alpha2 = α²``): the dual form
    :class:`~symdln.symbolic.mirror.MirrorFlow` instead.

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
    if coordinates == "mirror":
        from .mirror import MirrorFlow

        if alpha2 is None:
            raise ModelError("the mirror form needs `alpha2` = α² of the initialization")
        return MirrorFlow(model, precision, alpha2)
    if coordinates != "primal":
        raise ModelError(f"`coordinates` must be 'primal' or 'mirror', got {coordinates!r}")
    return CompiledFlow(model, precision)
