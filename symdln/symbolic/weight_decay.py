"""L2 regularization in the teacher form: per-singular-value analysis (MATH §1.3).

With weight decay λ > 0 every critical point is balanced and, in the teacher form, the
problem decouples over the singular values ``s`` of ``M``: each mode's end-to-end value
``a ≥ 0`` is a critical point of::

    f(a) = ½(a − s)² + (λL/2) a^{2/L},      f'(a) = a − s + λ a^{2/L − 1}

With ``a = b^L`` the positive critical points solve ``b^{2L−2} − s b^{L−2} + λ = 0`` (exact
real roots, SymPy ``CRootOf``).  ``L = 1``: ``a = s/(1 + λ)``.  ``L = 2``: ``a = s − λ`` when
``s > λ`` (soft threshold) and ``a = 0`` is a minimum of the mode iff ``s ≤ λ``.  ``L ≥ 3``:
``a = 0`` is always a local minimum of the mode (``λ a^{2/L}`` dominates ``−s a``), and above a
threshold on ``s`` there is a positive local minimum (the larger root) and a local maximum
between them; so local minima of different ranks coexist (spurious local minima).

The loss of a choice of per-mode values is ``Σ_i f_i(a_i)`` (with ``f_i(0) = ½ s_i²``), at most
``r_max`` modes nonzero.  :func:`representation_cost` gives ``min {Σ‖W_l‖² : W_L⋯W_1 = A}
= L Σ_i s_i(A)^{2/L}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import ModelError
from ..models.dln import DeepLinearModel
from ..parse import exact_matrix
from .algebraic import exact_compare, exact_sign, exact_sorted

__all__ = ["ModePoint", "WeightDecayAnalysis", "mode_critical_points", "weight_decay_analysis", "representation_cost"]


@dataclass(frozen=True)
class ModePoint:
    """A critical point ``a`` of one mode's ``f``, its value and whether it is a local minimum of ``f`` on ``a ≥ 0``."""

    a: sp.Expr
    value: sp.Expr
    is_min: bool


@dataclass(frozen=True)
class WeightDecayAnalysis:
    """Per-mode critical points, the global minimum and the (spurious) local minima of a teacher DLN with λ > 0.

    ``local_minima`` lists ``(values, loss)`` with ``values`` the per-mode ``a_i``, sorted by loss
    (exact comparisons); the first ``n_global`` entries share the least loss exactly: they are the
    global minima (an exact tie between ranks happens, e.g. ``s = (2, 1)``, ``L = 3``, ``λ = 1``).
    """

    spectrum: tuple
    depth: int
    weight_decay: sp.Rational
    modes: tuple
    local_minima: tuple
    n_global: int = 1

    @property
    def global_minimum(self):
        """One global minimum (the first of :attr:`global_minima`)."""
        return self.local_minima[0]

    @property
    def global_minima(self):
        return self.local_minima[: self.n_global]

    @property
    def spurious_local_minima(self):
        """Local minima whose loss is strictly above the global minimum value."""
        return self.local_minima[self.n_global :]


def _f(a, s, lam, L):
    return (a - s) ** 2 / 2 + lam * L / 2 * a ** sp.Rational(2, L)


def _n(x):
    return sp.N(x, 60)


def mode_critical_points(s, depth: int, weight_decay) -> tuple[ModePoint, ...]:
    """Every critical point of ``f(a) = ½(a − s)² + (λL/2)a^{2/L}`` on ``a ≥ 0``, exact, in increasing ``a``.

    >>> [(p.a, p.is_min) for p in mode_critical_points(3, 2, sp.Rational(1, 2))]
    [(0, False), (5/2, True)]
    >>> [p.is_min for p in mode_critical_points(3, 3, sp.Rational(1, 10))]
    [True, False, True]
    """
    s = sp.Rational(s)
    lam = sp.Rational(weight_decay)
    L = int(depth)
    if L < 1 or s < 0 or lam <= 0:
        raise ModelError(f"need depth ≥ 1, s ≥ 0 and weight_decay > 0; got {L}, {s}, {lam}")
    if L == 1:
        a = s / (1 + lam)
        return (ModePoint(a, _f(a, s, lam, 1), True),)
    pts = [ModePoint(sp.Integer(0), s**2 / 2, L >= 3 or s <= lam)]
    b = sp.Symbol("b")
    roots = [r for r in sp.Poly(b ** (2 * L - 2) - s * b ** (L - 2) + lam, b).real_roots() if r > 0]
    for r in sorted(set(roots), key=_n):
        a = sp.simplify(r**L)
        f2 = 1 + lam * (sp.Rational(2, L) - 1) * a ** (sp.Rational(2, L) - 2)
        pts.append(ModePoint(a, sp.simplify(_f(a, s, lam, L)), exact_sign(f2) > 0))
    return tuple(pts)


def weight_decay_analysis(model: DeepLinearModel) -> WeightDecayAnalysis:
    """Per-mode analysis, global minimum and spurious local minima (teacher form, known SVD, λ > 0).

    Local minima of ``ℒ`` learn the top ``k`` modes at their positive local minima and leave the
    others at 0, for every ``k ≤ K`` (``K``: how many leading modes have a positive local minimum,
    at most ``r_max``) at depth ≥ 3, and only ``k = K`` at depth 2 (no spurious minima); they
    are sorted by loss (exact comparisons), the first being the global minimum.
    """
    if not isinstance(model, DeepLinearModel) or model.form != "teacher" or model.svd is None:
        raise ModelError("the weight-decay analysis needs a teacher model built with deep_linear(spectrum=...)")
    lam = sp.Rational(model.weight_decay.numerator, model.weight_decay.denominator)
    if lam == 0:
        raise ModelError("`weight_decay` is 0: use critical_sets for the unregularized loss")
    spectrum = tuple(x for x in model.svd.s if x != 0)
    L = model.depth
    modes = tuple(mode_critical_points(s, L, lam) for s in spectrum)
    positive_min = [next((p for p in pts if p.is_min and p.a != 0), None) for pts in modes]
    # modes with a positive local minimum form a prefix (the threshold is on s, and s decreases)
    K = 0
    while K < len(spectrum) and K < model.r_max and positive_min[K] is not None:
        K += 1
    zero = [next(p for p in pts if p.a == 0) if L > 1 else None for pts in modes]
    out = []
    # a local minimum learns a top-k set of modes: a used mode j and an unused mode i with s_i > s_j
    # give a descent direction (rotating the unit from v_j, u_j towards v_i, u_i raises ⟨A, M⟩ at
    # fixed Σ‖W_l‖²).  At depth ≥ 3 every k ≤ K is a local minimum (the zero mode is a minimum of
    # its f); at depth 2 the zero mode of s > λ is not, so only k = K; at depth 1, k = all modes.
    ks = [len(spectrum)] if L == 1 else ([K] if L == 2 else list(range(K + 1)))
    for k in ks:
        choice = [positive_min[i] if i < k else zero[i] for i in range(len(spectrum))]
        if L == 1:
            choice = [pts[0] for pts in modes]
        loss = sum((p.value for p in choice), sp.Integer(0))
        out.append((tuple(p.a for p in choice), sp.simplify(loss)))
    out = exact_sorted(out, key=lambda c: c[1])
    n_global = sum(1 for c in out if exact_compare(c[1], out[0][1]) == 0)
    return WeightDecayAnalysis(spectrum, L, lam, modes, tuple(out), n_global)


def representation_cost(A, depth: int) -> sp.Expr:
    """``min {Σ_l ‖W_l‖_F² : W_L⋯W_1 = A} = L Σ_i s_i(A)^{2/L}`` (exact; ``s_i²`` are eigenvalues of ``AᵀA``).

    >>> representation_cost([[3, 0], [0, 4]], 2)
    14
    """
    Am = exact_matrix(A, name="A")
    L = int(depth)
    if L < 1:
        raise ModelError(f"`depth` must be ≥ 1, got {depth}")
    x = sp.Symbol("x")
    G = Am.T * Am if Am.shape[1] <= Am.shape[0] else Am * Am.T
    roots = sp.Poly(G.charpoly(x).as_expr(), x).all_roots()
    return sp.nsimplify(L * sum(r ** sp.Rational(1, L) for r in roots if r != 0)) if all(r.is_Rational and sp.root(r, L).is_Rational for r in roots) else L * sum(r ** sp.Rational(1, L) for r in roots if r != 0)
