"""Seeded initializations, exact: a point ``θ`` is a tuple of SymPy ImmutableMatrices.

* :func:`gaussian_init`: ``W_l(0) = σ·G_l``, ``G_l`` i.i.d. N(0, 1) from
  ``numpy.random.default_rng(seed)`` drawn layer by layer (l = 1 … L), each draw's
  binary value kept exactly, so ``θ`` is an exact rational point.
* :func:`balanced_init`: Saxe's balanced aligned init: with ``M = U diag(s) Vᵀ``,
  ``W_L = U D R_{L−1}ᵀ``, …, ``W_1 = R_1 D Vᵀ``, ``D = diag(a0^{1/L})`` on the top
  ``r = min(rank M, r_max)`` modes, ``R_l`` the first ``r`` columns of the identity.
  Then ``A(0) = a0 Σ_{i≤r} u_i v_iᵀ`` and every ``D_l = 0``.
* :func:`pf_init`: Pesme–Flammarion ``u(0) = √2·α·1``, ``v(0) = 0``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp

from ..errors import ModelError, describe
from ..parse import exact_matrix, positive_number
from .diagonal import DiagonalLinearModel
from .dln import DeepLinearModel

__all__ = ["gaussian_init", "balanced_init", "pf_init", "check_point", "layer_scale"]

Point = tuple[sp.ImmutableMatrix, ...]


def _rational(q) -> sp.Rational:
    return sp.Rational(q.numerator, q.denominator)


def layer_scale(product_scale, depth: int) -> Fraction:
    """A rational within 1e-3 relative of ``a0^{1/L}``: the per-layer size of a balanced init with products ``a0``.

    Only used to choose digits, horizons and accelerated times (which take the per-layer scale σ);
    the initialization itself stays exact.

    >>> layer_scale("1e-60", 2)
    Fraction(1, 1000000000000000000000000000000)
    """
    q = positive_number(product_scale, name="scale")
    if depth <= 1:
        return q
    lg = (math.log(q.numerator) - math.log(q.denominator)) / depth
    if lg > -700:
        est = Fraction(repr(math.exp(lg)))
        ten = round(-lg / math.log(10))
        # exact powers of ten stay exact (1e-60 at depth 2 gives 1e-30, not its float neighbour)
        return Fraction(1, 10**ten) if ten > 0 and abs(est * 10**ten - 1) < Fraction(1, 10**9) else est
    return Fraction(1, 10 ** round(-lg / math.log(10)))


def gaussian_init(model: DeepLinearModel, sigma, seed: int = 0) -> Point:
    """``W_l(0) = σ·G_l`` with ``G_l`` standard normal from ``default_rng(seed)`` (exact binary values).

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> th = gaussian_init(deep_linear(spectrum=[2, 1], widths=2), "1e-30", seed=0)
    >>> [W.shape for W in th]
    [(2, 2), (2, 2)]
    """
    if not isinstance(model, DeepLinearModel):
        raise ModelError(f"`model` must be a DeepLinearModel, got {describe(model)}")
    s = _rational(positive_number(sigma, name="sigma"))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ModelError(f"`seed` must be a non-negative int, got {describe(seed)}")
    rng = np.random.default_rng(int(seed))
    out = []
    for rows, cols in model.shapes:
        G = rng.standard_normal((rows, cols))
        out.append(sp.ImmutableMatrix(rows, cols, [s * sp.Rational(float(g)) for g in G.ravel()]))
    return tuple(out)


def balanced_init(model: DeepLinearModel, scale) -> Point:
    """Saxe's balanced aligned init with every mode's product equal to ``scale`` (``a0``).

    Needs the exact SVD of the target (a teacher built from a spectrum).  Entries are
    exact algebraic numbers (``a0^{1/L}``).

    >>> from symdln.models import deep_linear
    >>> m = deep_linear(spectrum=[3, 2, 1], widths=3)
    >>> th = balanced_init(m, "1e-60")
    >>> (th[1] * th[0] - m.svd.U * sp.diag(*[sp.Rational(1, 10**60)]*3) * m.svd.V.T).is_zero_matrix
    True
    """
    if not isinstance(model, DeepLinearModel) or model.svd is None:
        raise ModelError(
            "`balanced_init` needs a teacher model with an exact SVD: build it with "
            "deep_linear(spectrum=..., ...)"
        )
    a0 = _rational(positive_number(scale, name="scale"))
    L = model.depth
    U, V = model.svd.U, model.svd.V
    # every mode the network can carry, a target value of 0 included (its mode then decays from a0: at depth 2
    # a(t) = a0/(1 + 2a0·t)); leaving it at 0 made a singular value that is 0 for ever, which two runs can only
    # measure as rounding noise (an audit, 2026-12-07: `--spectrum 3,2,0 --init balanced`)
    r = min(U.cols, V.cols, model.r_max)
    d = sp.root(a0, L) if L > 1 else a0
    ws = model.widths
    layers = []
    for l in range(1, L + 1):
        n_out, n_in = ws[l], ws[l - 1]
        left = U[:, :r] if l == L else sp.eye(n_out)[:, :r]
        right = V[:, :r] if l == 1 else sp.eye(n_in)[:, :r]
        layers.append(sp.ImmutableMatrix(left * (d * sp.eye(r)) * right.T))
    return tuple(layers)


def pf_init(model: DiagonalLinearModel, alpha) -> Point:
    """Pesme–Flammarion init ``u(0) = √2·α·1``, ``v(0) = 0`` (so ``u² − v² ≡ 2α²``).

    >>> from symdln.models import diagonal_linear
    >>> u, v = pf_init(diagonal_linear("1,0;0,1", "1,1"), "1e-40")
    >>> u[0] == sp.sqrt(2) / 10**40, v.is_zero_matrix
    (True, True)
    """
    if not isinstance(model, DiagonalLinearModel):
        raise ModelError(f"`model` must be a DiagonalLinearModel, got {describe(model)}")
    a = _rational(positive_number(alpha, name="alpha"))
    d = model.dim
    u = sp.ImmutableMatrix([[sp.sqrt(2) * a] for _ in range(d)])
    v = sp.ImmutableMatrix(sp.zeros(d, 1))
    return (u, v)


def check_point(model, theta, *, name: str = "theta0") -> Point:
    """Validate a user point against the model's layer shapes and make it exact.

    Each entry must be exact (int, Fraction, Rational, decimal string); SymPy algebraic
    numbers from the init functions above are accepted as they are.
    """
    shapes = model.shapes
    if isinstance(theta, (str, bytes)) or not hasattr(theta, "__len__"):
        raise ModelError(f"`{name}` must be a sequence of {len(shapes)} matrices, got {describe(theta)}")
    if len(theta) != len(shapes):
        raise ModelError(f"`{name}` has {len(theta)} matrices but the model has {len(shapes)} layers")
    out = []
    for l, (W, shp) in enumerate(zip(theta, shapes), start=1):
        if isinstance(W, sp.MatrixBase) and all(
            isinstance(x, sp.Expr) and not x.has(sp.Float) and x.is_real and not x.free_symbols for x in W
        ):
            Wm = sp.ImmutableMatrix(W)
        else:
            Wm = exact_matrix(W, name=f"{name}[{l}]")
        if Wm.shape != shp:
            raise ModelError(
                f"`{name}` layer {l} has shape {Wm.shape} but the model needs {shp} "
                f"(W_l is n_l × n_(l-1))"
            )
        out.append(Wm)
    return tuple(out)
