"""Error norms that see small components at their own scale (NUMERICS.md, MATH §3).

An absolute or state-relative tolerance does not control the small escape components
that decide later escape times.  These norms measure a local error ``e`` relative to the
state in every direction:

* ``singular`` (deep linear networks): for each layer ``W`` with error ``e``::

      ‖e‖_W = max( ‖(WWᵀ + τ²I)^{−1/2} e‖_F , ‖e (WᵀW + τ²I)^{−1/2}‖_F )

  computed as ``tr(eᵀ (WWᵀ + τ²I)⁻¹ e)`` by one linear solve (no square roots of
  matrices).  Along a singular direction of ``W`` with singular value ``s`` this is the
  error divided by ``√(s² + τ²)``: the relative error of that mode, floored at ``τ``.
* ``componentwise`` (diagonal networks): ``max_i |e_i| / √(x_i² + τ²)``.

The overall norm is the maximum over layers.  ``τ`` (``floor``) is set from the
initialization scale by the integrator.
"""

from __future__ import annotations

import flint

__all__ = ["ErrorNorm"]


class ErrorNorm:
    """A callable ``norm(state, error) -> arb`` of one kind with floor ``τ`` (call inside ``Precision.flint()``)."""

    def __init__(self, kind: str, floor: flint.arb, shapes) -> None:
        if kind not in ("singular", "componentwise"):
            raise ValueError(f"unknown error norm {kind!r}")
        self.kind = kind
        self.floor2 = floor * floor
        self._eyes = {}
        for r, c in shapes:
            for n in (r, c):
                if n not in self._eyes:
                    self._eyes[n] = flint.arb_mat(n, n, [self.floor2 if i == j else 0 for i in range(n) for j in range(n)])

    def __call__(self, state, error) -> flint.arb:
        if self.kind == "componentwise":
            return self._componentwise(state, error)
        worst = flint.arb(0)
        for W, e in zip(state, error):
            Wt, et = W.transpose(), e.transpose()
            left = (W * Wt + self._eyes[W.nrows()]).solve(e, nonstop=True)
            right = (Wt * W + self._eyes[W.ncols()]).solve(et, nonstop=True)
            a = (et * left).trace().mid()
            b = (e * right).trace().mid()
            worst = max(worst, a, b, key=_key)
            if not (a.is_finite() and b.is_finite()):
                return flint.arb("inf")
        return worst.sqrt().mid()

    def _componentwise(self, state, error) -> flint.arb:
        worst = flint.arb(0)
        for x, e in zip(state, error):
            for i in range(x.nrows()):
                for j in range(x.ncols()):
                    v = (e[i, j] * e[i, j] / (x[i, j] * x[i, j] + self.floor2)).mid()
                    if not v.is_finite():
                        return flint.arb("inf")
                    worst = max(worst, v, key=_key)
        return worst.sqrt().mid()


def _key(x: flint.arb) -> float:
    return float(x.mid()) if x.is_finite() else float("inf")
