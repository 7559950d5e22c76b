"""Error norms that see every reported quantity at its own scale (NUMERICS.md, MATH §3).

An absolute or state-relative tolerance does not control the small escape components that decide
later escape times, nor the residual ``A − M`` that the loss is made of near a minimum.  The norm of a
local error ``e`` at the state ``θ`` is the largest of:

* ``singular`` (deep linear networks), for each layer ``W`` with error ``e``::

      ‖e‖_W² = 2·vec(e)ᵀ (I ⊗ A_L + A_Rᵀ ⊗ I)⁻¹ vec(e),   A_L = WWᵀ + τ²I,  A_R = WᵀW + τ²I

  (the Sylvester operator ``X ↦ A_L X + X A_R``), which is ``Σ 2ẽ_ij² / (s_i² + s_j² + 2τ²)`` with ``ẽ = Uᵀ e V``
  in the SVD basis: the change of each singular value relative to it (floored at ``τ``, the initialization scale
  / 1024), a rotation between two singular directions relative to the larger of the two.  Measured relative to
  the smaller (as ``max(‖(WWᵀ + τ²)^{−1/2} e‖, ‖e (WᵀW + τ²)^{−1/2}‖)`` did), the rotation ``u₁ᵀ e v₂`` of a
  learned mode against a small one capped the steps approaching a depth-3 escape at ``0.05·(t* − t)``; it only
  turns ``v₁`` by ``ẽ₁₂/s₁``.  The operator's condition number ``~ ‖W‖²/τ²`` is bought with more bits;
* ``escape`` (deep linear networks of depth ≥ 3, NUMERICS.md): the error's *escape block*
  ``e_ss = (I − Π_L) e (I − Π_R)``, with soft projectors ``I − Π_L = κ²(WWᵀ + κ²I)⁻¹`` and
  ``I − Π_R = κ²(WᵀW + κ²I)⁻¹`` onto the singular directions below ``κ_W = max(√τ, b·‖W‖_F)``, is measured like
  ``singular`` (relative to the small modes it belongs to), the rest relative to ``‖W‖_F``.  ``b`` (``band``) is
  ten times the tolerance the rest is held to: a growing mode between ``√τ`` and ``rtol·‖W‖`` is otherwise seen
  neither by the error estimate nor by the Newton test, and an L-stable step with ``H·λ ≫ 1`` damps it instead of
  growing it (depth 3, σ = 1e-60, Newton from zero: the run stepped over its second escape).  The blocks that
  couple a learned mode to the small ones relax fast on the stiff plateaus of deep networks and are outside the
  escape block;
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

import math

import flint

__all__ = ["ErrorNorm", "FrozenNorm", "frobenius"]


class ErrorNorm:
    """A callable ``norm(state, error) -> arb`` (call inside ``Precision.flint()``).

    Parameters
    ----------
    kind : {"singular", "escape", "componentwise", "mirror"}
    floor : arb
        ``τ``.
    shapes : layer shapes
    flow : CompiledFlow, optional
        With ``residual_floor``, adds the residual term.
    residual_floor : arb, optional
        ``ρ``.
    band : arb, optional
        ``b`` of the escape block's ``κ_W = max(√τ, b·‖W‖_F)`` (``None``: ``√τ``).
    """

    def __init__(self, kind: str, floor: flint.arb, shapes, flow=None, residual_floor: flint.arb | None = None,
                 band: flint.arb | None = None) -> None:
        if kind not in ("singular", "componentwise", "escape", "mirror"):
            raise ValueError(f"unknown error norm {kind!r}")
        self.kind = kind
        self.floor2 = floor * floor
        self.kappa2 = floor  # κ² = τ
        self.band = band  # escape block: κ_W = max(√τ, band·‖W‖_F)
        self.flow = flow
        self.residual_floor = residual_floor
        self._eyes = {}  # τ²I, built once per size (not in every step)
        for r, c in shapes:
            for n in (r, c):
                if n not in self._eyes:
                    self._eyes[n] = _eye(n, self.floor2)

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

    def _singular(self, state, error, sizes=None) -> flint.arb:
        """``sizes``: the layers' ``‖W‖_F`` when the caller has them."""
        worst = flint.arb(0)
        for k, (W, e) in enumerate(zip(state, error)):
            with flint.ctx.workprec(flint.ctx.prec + self._extra_bits(W, None if sizes is None else sizes[k])):
                Wt = W.transpose()
                K = _sylvester(W * Wt + self._eyes[W.nrows()], Wt * W + self._eyes[W.ncols()])
                v = _vec(e)
                q = (v.transpose() * K.solve(v, nonstop=True, algorithm="approx"))[0, 0].mid() * 2
            if not q.is_finite():
                return flint.arb("inf")
            worst = max(worst, q, key=_key)
        return worst.sqrt().mid()

    def _extra_bits(self, W, size=None) -> int:
        """Bits for the condition number ``(s_max² + τ²)/τ²`` of the Sylvester operator of ``W`` (``size``: ``‖W‖_F``
        when the caller has it)."""
        big = float((frobenius(W) if size is None else size).mid())
        tau = math.sqrt(float(self.floor2.mid()))
        if not (big > 0 and tau > 0 and math.isfinite(big / tau)):
            return 64
        return 64 + 2 * max(0, int(math.log2(big / tau)) + 1)

    def _escape(self, state, error) -> flint.arb:
        worst = flint.arb(0)
        for W, e in zip(state, error):
            n, m = W.nrows(), W.ncols()
            size = frobenius(W)  # ‖W‖_F once: κ_W, the Sylvester bits and the rest's scale
            k2 = self.layer_kappa2(W, size)
            Wt = W.transpose()
            AL = W * Wt + _eye(n, k2)
            AR = Wt * W + _eye(m, k2)
            # e_ss = κ⁴ A_L⁻¹ e A_R⁻¹ (solve from both sides)
            left = AL.solve(e, nonstop=True) * k2
            ess = AR.solve(left.transpose(), nonstop=True).transpose() * k2
            small = self._singular((W,), (ess.mid(),), (size,))
            big = (frobenius(e - ess) / (size + k2)).mid()
            if not (small.is_finite() and big.is_finite()):
                return flint.arb("inf")
            worst = max(worst, small, big, key=_key)
        return worst

    def layer_kappa2(self, W, size=None) -> flint.arb:
        """``κ_W²``: the escape block of ``W`` holds its singular directions below ``κ_W = max(√τ, band·‖W‖_F)``
        (``size``: ``‖W‖_F`` when the caller has it)."""
        if self.band is None:
            return self.kappa2
        b = (self.band * (frobenius(W) if size is None else size)).mid()
        return max(self.kappa2, (b * b).mid(), key=_key)

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
            size = frobenius(W)
            bits = flint.ctx.prec + norm._extra_bits(W, size)
            with flint.ctx.workprec(bits):  # the Gram products at these bits serve the escape block's inverses too
                WWt, WtW = W * Wt, Wt * W
                K = _sylvester(WWt + norm._eyes[n], WtW + norm._eyes[m])
                S = (K.solve(_eye(n * m, 1), algorithm="approx") * 2).mid()  # condition ~ ‖W‖²/τ²: approximate LU
            if norm.kind == "escape":
                k2 = norm.layer_kappa2(W, size)
                AL = _inverse(WWt + _eye(n, k2)) * k2
                AR = _inverse(WtW + _eye(m, k2)) * k2
                layers.append(((S, bits), AL.mid(), AR.mid(), (size + k2).mid()))
            else:
                layers.append(((S, bits), None, None, None))
        self.layers = layers

    def __call__(self, state, error) -> flint.arb:
        norm = self.norm
        if self.layers is None:
            return norm(state, error)
        worst = flint.arb(0)
        for ((S, bits), AL, AR, size), e in zip(self.layers, error):
            e = e.mid()
            small = (AL * e * AR).mid() if AL is not None else e
            v = _vec(small)
            # the form is ≥ 0 in exact arithmetic; S is a rounded inverse of a matrix with condition ~ ‖W‖²/τ², so a
            # form far below the other terms can come out slightly negative (measured: −1e-131 beside 5e-71 at
            # depth 3, σ = 1e-60).  Its square root was NaN, read as a diverging Newton iteration: every step after
            # the escape failed and was halved (46,000 steps instead of 2,000).  Clamp at 0.
            with flint.ctx.workprec(bits):
                q = (v.transpose() * S * v)[0, 0].mid()
            worst = max(worst, _root(q), key=_key)
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


def _vec(M: flint.arb_mat) -> flint.arb_mat:
    """The columns of ``M`` stacked into one column (``vec``)."""
    n, m = M.nrows(), M.ncols()
    return flint.arb_mat(n * m, 1, [M[i, j] for j in range(m) for i in range(n)])


def _sylvester(AL: flint.arb_mat, AR: flint.arb_mat) -> flint.arb_mat:
    """``K = I ⊗ A_L + A_Rᵀ ⊗ I``, the matrix of ``X ↦ A_L X + X A_R`` on ``vec X`` (column-major)."""
    n, m = AL.nrows(), AR.nrows()
    N = n * m
    entries = [0] * (N * N)
    for j in range(m):
        for i in range(n):
            row = i + n * j
            for i2 in range(n):
                entries[row * N + i2 + n * j] = AL[i, i2]
            for j2 in range(m):
                k = row * N + i + n * j2
                entries[k] = entries[k] + AR[j2, j]
    return flint.arb_mat(N, N, entries)


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
