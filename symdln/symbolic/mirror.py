"""The diagonal network in its dual (mirror) coordinates (MATH §1.2), compiled to arb arithmetic.

From ``u(0) = √2·α·1``, ``v(0) = 0`` the flow ``u' = −v⊙∇L(β)``, ``v' = −u⊙∇L(β)`` conserves ``u² − v² = 2α²``
and is, exactly, the mirror flow of the hyperbolic entropy::

    r' = −∇L(β(r)),     β(r) = α² sinh(2r),     r(0) = 0,

with ``u = √2α cosh r`` and ``v = √2α sinh r``.  The state is the column ``r`` (a one-layer state ``(r,)``).
Its Jacobian ``−XᵀX/n · diag(2α² cosh 2r)`` mixes rates ``O(1)`` of the fitted coordinates with the plateaus of
length ``log(1/α)``.  ``solver="auto"`` integrates it by GBS (switching to Radau IIA where it turns out stiff):
Radau IIA with RADAU5's tolerance relaxation missed its error on this form (about 3e-22 relative in β at every rtol
from 1e-25 to 1e-30), and a verification run after a Radau IIA run uses GBS.

Errors are measured relative to ``β``: ``|e_i| / √((tanh(2r_i)/2)² + τ²)`` (``dβ/β = 2 coth(2r) dr``), and the
end-to-end residual ``Xᵀ(Xβ − y)/n`` at its own scale, as for the ``(u, v)`` form (:mod:`symdln.flow.norms`).
"""

from __future__ import annotations

from fractions import Fraction

import flint
import sympy as sp

from ..errors import ModelError, describe
from ..models.diagonal import DiagonalLinearModel
from .compile import CompiledFlow

__all__ = ["MirrorFlow", "mirror_alpha2"]


def mirror_alpha2(model, theta0) -> Fraction:
    """``α²`` of a Pesme–Flammarion initialization ``(√2α·1, 0)``, exactly; an error for any other point.

    >>> from symdln.models import diagonal_linear, pf_init
    >>> m = diagonal_linear("1,0;0,1", "1,1")
    >>> mirror_alpha2(m, pf_init(m, "1e-3"))
    Fraction(1, 1000000)
    """
    if not isinstance(model, DiagonalLinearModel):
        raise ModelError(f"the mirror form is for diagonal networks, got {describe(model)}")
    u, v = theta0
    if any(sp.expand(x) != 0 for x in v):
        raise ModelError("the mirror form starts from v(0) = 0 (u(0) = √2α·1, Pesme–Flammarion); got a nonzero v(0)")
    squares = {sp.expand(sp.S(x) ** 2) for x in u}  # safe: u(0) holds exact numbers of an init, not text
    if len(squares) != 1:
        raise ModelError("the mirror form needs u(0) = √2α·1 (every entry equal); got entries of different sizes")
    (sq,) = squares
    if not (sq.is_Rational and sq > 0):
        raise ModelError(f"the mirror form needs u(0)² = 2α² rational and positive, got {sq}")
    a2 = Fraction(int(sq.p), int(sq.q)) / 2
    return a2


class MirrorFlow(CompiledFlow):
    """``r' = −∇L(α² sinh 2r)`` with the interface of :class:`~symdln.symbolic.compile.CompiledFlow`."""

    def __init__(self, model, precision, alpha2: Fraction) -> None:
        if not isinstance(model, DiagonalLinearModel):
            raise ModelError(f"the mirror form is for diagonal networks, got {describe(model)}")
        super().__init__(model, precision)
        self.kind = "diagonal_mirror"
        self.norm = "mirror"
        self.alpha2_exact = Fraction(alpha2)
        with precision.flint():
            self._c = flint.arb(flint.fmpq(self.alpha2_exact.numerator, self.alpha2_exact.denominator))

    @property
    def shapes(self) -> tuple:
        return ((self.model.dim, 1),)

    def state(self, theta):
        """``(r,)`` with ``r = 0``: the image of the initialization ``(√2α·1, 0)`` (checked by :func:`mirror_alpha2`)."""
        a2 = mirror_alpha2(self.model, theta)
        if a2 != self.alpha2_exact:
            raise ModelError(f"theta0 has α² = {a2}, this mirror flow was compiled for α² = {self.alpha2_exact}")
        with self.precision.flint():
            return (flint.arb_mat(self.model.dim, 1),)

    def _beta(self, r):
        d = r.nrows()
        return flint.arb_mat(d, 1, [self._c * (2 * r[i, 0]).sinh() for i in range(d)])

    def _dbeta(self, r, dr):
        d = r.nrows()
        return flint.arb_mat(d, 1, [2 * self._c * (2 * r[i, 0]).cosh() * dr[i, 0] for i in range(d)])

    def field(self, y, scale=None):
        """``−∇_r L`` (``scale`` times it when given)."""
        (r,) = y
        g = self._Xt * (self._X * self._beta(r) - self._y) * (self._invn if scale is None else self._invn * scale)
        return (-g,)

    def residual(self, y):
        (r,) = y
        return self._Xt * (self._X * self._beta(r) - self._y) * self._invn

    def residual_change(self, y, dy):
        return self._Xt * (self._X * self._dbeta(y[0], dy[0])) * self._invn

    def jvp(self, y, dy):
        return (-self.residual_change(y, dy),)

    def end_to_end(self, y):
        return self._beta(y[0])

    def loss(self, y):
        res = self._X * self._beta(y[0]) - self._y
        return (res.transpose() * res)[0, 0] * self._invn / 2

    def primal(self, y):
        """``(u, v) = (√2α cosh r, √2α sinh r)``."""
        (r,) = y
        d = r.nrows()
        a = (2 * self._c).sqrt()
        return (flint.arb_mat(d, 1, [a * r[i, 0].cosh() for i in range(d)]),
                flint.arb_mat(d, 1, [a * r[i, 0].sinh() for i in range(d)]))

    def scale(self, y):
        """``tanh(2r_i)/2 = β_i / (dβ_i/dr_i)``: the size against which an error in ``r_i`` is relative for ``β_i``."""
        (r,) = y
        return [(2 * r[i, 0]).tanh() / 2 for i in range(r.nrows())]
