"""Error norms that see every reported quantity at its own scale (NUMERICS.md, MATH §3).

An absolute or state-relative tolerance does not control the small escape components that decide
later escape times, nor the residual ``A − M`` that the loss is made of near a minimum.  The norm of a
local error ``e`` at the state ``θ`` is the largest of:

* ``singular`` (deep linear networks), for each layer ``W`` with error ``e``::

      ‖e‖_W = max( ‖(WWᵀ + τ²I)^{−1/2} e‖_F , ‖e (WᵀW + τ²I)^{−1/2}‖_F )

  computed as ``tr(eᵀ (WWᵀ + τ²I)⁻¹ e)`` by one linear solve.  Along a singular direction of ``W`` with
  singular value ``s`` this is the error divided by ``√(s² + τ²)``: the relative error of that mode,
  floored at ``τ`` (the initialization scale / 1024);
* ``escape`` (deep linear networks of depth ≥ 3, NUMERICS.md): the error's *escape block*
  ``e_ss = (I − Π_L) e (I − Π_R)``, with soft projectors ``I − Π_L = κ²(WWᵀ + κ²I)⁻¹`` and
  ``I − Π_R = κ²(WᵀW + κ²I)⁻¹`` onto the singular directions below ``κ = √τ``, is measured like ``singular``
  (relative to the small modes it belongs to), the rest relative to ``‖W‖_F``.  The blocks that couple a
  learned mode to the small ones relax fast on the stiff plateaus of deep networks: measured against the small
  singular values they would cap the steps at the relaxation time, while their errors are forgotten;
* ``componentwise`` (diagonal networks): ``max_i |e_i| / √(x_i² + τ²)``;
* ``mirror`` (diagonal networks in dual coordinates ``r``, :mod:`symdln.symbolic.mirror`):
  ``max_i |e_i| / √((tanh(2r_i)/2)² + τ²)``, the relative error it makes in ``β_i = α² sinh 2r_i``;
* ``residual``: ``‖δG‖_F / (‖G‖_F + ρ)`` with ``G`` the end-to-end gradient (``A − M``, ``AΣxx − Σyx``,
  ``Xᵀ(Xβ − y)/n``) and ``δG`` the change an error ``e`` makes in it, to first order.  Near a minimum
  ``ℒ − ℒ*`` is a quadratic form in ``G``, so this keeps the loss's relative accuracy when it is 1e-80:
  the O(1) modes, accurate to ``rtol`` relative, would otherwise leave ``G`` (~1e-27) with no digit.
  ``ρ`` sits a hundred roundings above the arithmetic's resolution of ``G``, divided by ``rtol``.
"""

from __future__ import annotations

import flint

__all__ = ["ErrorNorm", "FrozenNorm", "frobenius"]


class ErrorNorm:
    """A callable ``norm(state, error) -> arb`` (call inside ``Precision.flint()``).

    Parameters
    ----------
    kind : {"singular", "componentwise"}
    floor : arb
        ``τ``.
    shapes : layer shapes
    flow : CompiledFlow, optional
        With ``residual_floor``, adds the residual term.
    residual_floor : arb, optional
        ``ρ``.
    """

    def __init__(self, kind: str, floor: flint.arb, shapes, flow=None, residual_floor: flint.arb | None = None) -> None:
        if kind not in ("singular", "componentwise", "escape", "mirror"):
            raise ValueError(f"unknown error norm {kind!r}")
        self.kind = kind
        self.floor2 = floor * floor
        self.kappa2 = floor  # κ² = τ
        self.flow = flow
        self.residual_floor = residual_floor
        self._eyes = {}  # τ²I, and κ²I for the escape block, built once per size (not in every step)
        self._kappa_eyes = {}
        for r, c in shapes:
            for n in (r, c):
                if n not in self._eyes:
                    self._eyes[n] = _eye(n, self.floor2)
                    self._kappa_eyes[n] = _eye(n, self.kappa2)

    def __call__(self, state, error) -> flint.arb:
        error = tuple(e.mid() for e in error)  # an estimate: its ball radius carries no information
        if self.kind == "componentwise":
            worst = self._componentwise(state, error)
        elif self.kind == "escape":
            worst = self._escape(state, error)
        elif self.kind == "mirror":
            worst = self._mirror(state, error)
        else:
            worst = self._singular(state, error)
        if self.residual_floor is not None and worst.is_finite():
            worst = max(worst, self._residual(state, error), key=_key)
        return worst

    def _singular(self, state, error) -> flint.arb:
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

    def _escape(self, state, error) -> flint.arb:
        worst = flint.arb(0)
        k2 = self.kappa2
        for W, e in zip(state, error):
            n, m = W.nrows(), W.ncols()
            Wt = W.transpose()
            AL = W * Wt + self._kappa_eyes[n]
            AR = Wt * W + self._kappa_eyes[m]
            # e_ss = κ⁴ A_L⁻¹ e A_R⁻¹ (solve from both sides)
            left = AL.solve(e, nonstop=True) * k2
            ess = AR.solve(left.transpose(), nonstop=True).transpose() * k2
            small = self._singular((W,), (ess.mid(),))
            big = (frobenius(e - ess) / (frobenius(W) + k2)).mid()
            if not (small.is_finite() and big.is_finite()):
                return flint.arb("inf")
            worst = max(worst, small, big, key=_key)
        return worst

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

    def _mirror(self, state, error) -> flint.arb:
        (e,) = error
        worst = flint.arb(0)
        for i, sc in enumerate(self.flow.scale(state)):
            v = (e[i, 0] * e[i, 0] / (sc * sc + self.floor2)).mid()
            if not v.is_finite():
                return flint.arb("inf")
            worst = max(worst, v, key=_key)
        return worst.sqrt().mid()

    def _residual(self, state, error) -> flint.arb:
        G = self.flow.residual(state)
        dG = self.flow.residual_change(state, error)
        return (frobenius(dG) / (frobenius(G) + self.residual_floor)).mid()


class FrozenNorm:
    """The norm of :class:`ErrorNorm` with its layer weights computed once at a state ``θ0`` (inverses instead of a
    solve per call): for iterations that measure many small changes near ``θ0``, such as the simplified Newton
    iterations of an implicit step.  The residual term is evaluated at the state it is given (``‖G‖`` may fall
    by orders of magnitude over one step near a minimum); the layer weights are ``θ0``'s (singular values change by
    a bounded factor over one accepted step).  Kinds other than ``singular`` and ``escape`` call the full norm.
    """

    def __init__(self, norm: ErrorNorm, state) -> None:
        self.norm = norm
        self.layers = None
        if norm.kind not in ("singular", "escape"):
            return
        layers = []
        for W in state:
            n, m = W.nrows(), W.ncols()
            Wt = W.transpose()
            WWt, WtW = W * Wt, Wt * W
            SL = _inverse(WWt + norm._eyes[n])
            SR = _inverse(WtW + norm._eyes[m])
            if norm.kind == "escape":
                AL = _inverse(WWt + norm._kappa_eyes[n]) * norm.kappa2
                AR = _inverse(WtW + norm._kappa_eyes[m]) * norm.kappa2
                layers.append((SL, SR, AL.mid(), AR.mid(), (frobenius(W) + norm.kappa2).mid()))
            else:
                layers.append((SL, SR, None, None, None))
        self.layers = layers

    def __call__(self, state, error) -> flint.arb:
        norm = self.norm
        if self.layers is None:
            return norm(state, error)
        worst = flint.arb(0)
        for (SL, SR, AL, AR, size), e in zip(self.layers, error):
            e = e.mid()
            small = (AL * e * AR).mid() if AL is not None else e
            st = small.transpose()
            # the quadratic forms are ≥ 0 in exact arithmetic; SL, SR are rounded inverses of matrices with
            # condition ~ 1/τ², so a form far below the other can come out slightly negative (measured: −1e-131
            # beside 5e-71 at depth 3, σ = 1e-60).  Its square root was NaN, read as a diverging Newton iteration:
            # every step after the escape failed and was halved (46,000 steps instead of 2,000).  Clamp at 0.
            a = (st * SL * small).trace().mid()
            b = (small * SR * st).trace().mid()
            worst = max(worst, _root(a), _root(b), key=_key)
            if size is not None:
                worst = max(worst, frobenius(e - small) / size, key=_key)
        if not worst.is_finite():
            return flint.arb("inf")
        if norm.residual_floor is not None:
            worst = max(worst, norm._residual(state, error), key=_key)
        return worst.mid()


def _root(q: flint.arb) -> flint.arb:
    """``√max(q, 0)`` of a rounded quadratic form (non-finite stays non-finite)."""
    if not q.is_finite():
        return flint.arb("inf")
    return q.sqrt() if q > 0 else flint.arb(0)


def _inverse(A: flint.arb_mat) -> flint.arb_mat:
    n = A.nrows()
    return A.solve(_eye(n, 1), nonstop=True).mid()


def _eye(n: int, c) -> flint.arb_mat:
    return flint.arb_mat(n, n, [c if i == j else 0 for i in range(n) for j in range(n)])


def frobenius(M: flint.arb_mat) -> flint.arb:
    """``‖M‖_F`` (midpoint arithmetic)."""
    P = (M * M.transpose()) if M.nrows() <= M.ncols() else (M.transpose() * M)
    return P.trace().mid().sqrt()


def _key(x: flint.arb) -> float:
    return float(x.mid()) if x.is_finite() else float("inf")
