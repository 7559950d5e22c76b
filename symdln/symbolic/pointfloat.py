"""Float64 numerics at a point of a DLN or diagonal network, for :meth:`~symdln.symbolic.landscape.Landscape.locate`
and the graph builder: end-to-end map, gradient, loss and closed-form Hessian in float64, the Hessian's inertia, the
scalar-symmetry balancing, and the rank signature (ranks of every layer and every product of consecutive layers,
with the residual's), whose exact twin is :func:`~symdln.symbolic.landscape.rational_signature`.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ..errors import OptionError
from ..models.diagonal import DiagonalLinearModel

__all__ = ["flat_gradient", "float_data", "float_gradient", "float_hessian", "float_hessian_closed", "float_loss"]


def float_hessian(model, mats) -> np.ndarray:
    """The Hessian of ℒ at a float point, symmetric float64 (closed-form Jacobian of the flow at 30 digits);
    parameters ordered layer by layer, row-major (``u`` then ``v`` for a diagonal network)."""
    import flint

    from ..precision import Precision
    from .compile import compile_flow

    p = Precision(30)
    flow = compile_flow(model, p)
    with p.flint():
        y = tuple(flint.arb_mat([[float(x) for x in row] for row in np.asarray(W).tolist()]) for W in mats)
        J = flow.jacobian(y)
        H = -np.array([[float(J[i, j].mid()) for j in range(J.ncols())] for i in range(J.nrows())])
    return (H + H.T) / 2


def _float_inertia(model, mats, rel: float = 1e-11) -> tuple[int, int]:
    """Negative and zero eigenvalue counts of :func:`float_hessian` (``|λ| ≤ rel·max|λ|`` counts as zero)."""
    ev = np.linalg.eigvalsh(float_hessian(model, mats))
    tol = rel * max(1.0, float(np.abs(ev).max()) if ev.size else 1.0)
    return int((ev < -tol).sum()), int((np.abs(ev) <= tol).sum())


def _balanced(mats, rtol: float) -> list:
    """The layers rescaled by ``W_l ↦ (g/‖W_l‖) W_l`` with ``g`` the geometric mean of the norms, when every layer
    is above ``rtol`` times the largest: the scalar case ``G_l = c_l I`` of the hidden-layer symmetry
    ``W_l ↦ G_l W_l G_{l−1}⁻¹`` (the factors multiply to 1), which keeps ``A_θ``, criticality, the stratum and the
    inertia.  A critical set that is a cone in some layers (e.g. ``W_2W_1 = 0``, ``W_4W_3 = 0``: any scale of ``W_2``)
    then shows no layer small against the others, which would read as being near a smaller stratum."""
    norms = [float(np.linalg.norm(W)) for W in mats]
    top = max(norms, default=0.0)
    if top == 0 or min(norms) <= rtol * top:
        return mats  # a (numerically) zero layer: the factors cannot be chosen freely without touching it
    g = math.exp(sum(math.log(x) for x in norms) / len(norms))
    return [W * (g / x) for W, x in zip(mats, norms)]


def _unit_layers(mats, rtol: float, grad: float, model) -> list:
    """Every layer above ``rtol`` times the largest divided by its norm (the others kept), at a point that is critical
    at its own scale: the rank signature is the same (ranks of products and of ``(W…)ᵀ G (W…)ᵀ`` do not see positive
    factors on the layers), and a layer's singular values are then compared with its own scale, not with an absolute
    floor that a small factor of a cone-shaped critical set falls under.  "Critical at its own scale":
    ``‖∇ℒ‖ ≤ √rtol · g^{L−1} · m`` and ``g ≥ √rtol · m^{1/L}``, ``m = max(1, ‖Σyx‖)``, with ``g`` the geometric
    mean of the nonzero layers' norms (near the origin ``‖∇ℒ‖ ~ g^{L−1} m``: such a point is left as it is, and
    reads as near the origin)."""
    norms = [float(np.linalg.norm(W)) for W in mats]
    top = max(norms, default=0.0)
    live = [x for x in norms if x > rtol * top]
    if not live:
        return mats
    g = math.exp(sum(math.log(x) for x in live) / len(live))
    m = max(1.0, float(np.linalg.norm(float_data(model)[1])))
    if g < math.sqrt(rtol) * m ** (1 / len(mats)) or not grad <= math.sqrt(rtol) * g ** (len(mats) - 1) * m:
        return mats
    return [W / x if x > rtol * top else W for W, x in zip(mats, norms)]


def _residual_float(model, A) -> np.ndarray:
    syx = np.array(sp.Matrix(model.syx).evalf(30).tolist(), dtype=float)
    sxx = np.array(sp.Matrix(model.sxx).evalf(30).tolist(), dtype=float)
    return A @ sxx - syx


# -- numerics of locate -----------------------------------------------------------------------------------------
def _exact_inertia(model, theta):
    """The exact Hessian inertia at ``theta`` when every entry is an exact rational (int, Fraction, SymPy Rational),
    else ``None`` (floats and balls: the float64 count is used)."""
    from fractions import Fraction

    import flint

    from ..models.init import check_point
    from .analysis import _Loss, _rational_point
    from .inertia import charpoly_inertia, symmetric_charpoly

    def exact(x):
        return not isinstance(x, bool) and isinstance(x, (int, Fraction, sp.Rational))

    for W in theta:
        rows = W.tolist() if isinstance(W, sp.MatrixBase) else W
        if not (isinstance(rows, (list, tuple)) and all(isinstance(r, (list, tuple)) and all(exact(x) for x in r)
                                                         for r in rows)):
            return None
    H = _Loss(model).hessian(_rational_point(check_point(model, theta)))
    return charpoly_inertia(symmetric_charpoly(H if isinstance(H, flint.fmpq_mat) else flint.fmpq_mat(H)))


def _as_float_matrix(W) -> np.ndarray:
    if hasattr(W, "mid") and hasattr(W, "nrows"):  # flint arb_mat
        return np.array([[float(W[i, j].mid()) for j in range(W.ncols())] for i in range(W.nrows())])
    if isinstance(W, sp.MatrixBase):
        return np.array(W.evalf(30).tolist(), dtype=float)
    return np.array([[_as_float(x) for x in row] for row in (W.tolist() if hasattr(W, "tolist") else W)], dtype=float)


def _as_float(x) -> float:
    """One entry as float64: numbers directly, exact text parsed (never evaluated), SymPy numbers at 30 digits."""
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    if isinstance(x, str):
        from ..parse import parse_number

        q = parse_number(x, name="theta entry")
        return q.numerator / q.denominator
    if isinstance(x, sp.Basic):
        return float(sp.N(x, 30))
    try:
        return float(x)
    except (TypeError, ValueError):
        raise OptionError(f"`theta` entry {x!r} is not a number") from None


def _end_to_end(model, mats) -> np.ndarray:
    if isinstance(model, DiagonalLinearModel):
        return (mats[0] * mats[1]).reshape(-1, 1)
    A = mats[0]
    for W in mats[1:]:
        A = W @ A
    return A


def float_data(model) -> tuple[np.ndarray, np.ndarray]:
    """The data of ``model`` in float64: ``(X, y)`` (diagonal networks, ``y`` a column) or ``(Σxx, Σyx)``."""
    if isinstance(model, DiagonalLinearModel):
        X, y = model.float64
        return X, y.reshape(-1, 1)
    syx = np.array(sp.Matrix(model.syx).evalf(30).tolist(), dtype=float)
    sxx = np.array(sp.Matrix(model.sxx).evalf(30).tolist(), dtype=float)
    return sxx, syx


def float_gradient(model, mats, data=None) -> list:
    """``∇ℒ`` at a float point, one array per layer (``[∇_u, ∇_v]`` for a diagonal network), in float64;
    ``data`` is :func:`float_data` (pass it when calling often).  The formula is :func:`flat_gradient`'s."""
    x = np.concatenate([np.asarray(W, dtype=float).reshape(-1) for W in mats])
    g = flat_gradient(model, data)(x)
    out, k = [], 0
    for r, c in model.shapes:
        out.append(g[k:k + r * c].reshape(r, c))
        k += r * c
    return out


def flat_gradient(model, data=None):
    """``x ↦ ∇ℒ(x)`` on flat float64 states (the layers' entries, row-major, one layer after the other), with the
    model's data, shapes and weight decay read once: for integrators and solvers that call it a million times.

    With ``P_l = W_l⋯W_1`` and ``B = P_L − Σyx`` (teacher) or
    ``P_L Σxx − Σyx`` (data), ``∇_{W_l}ℒ = (W_L⋯W_{l+1})ᵀ B P_{l−1}ᵀ + λW_l``; diagonal networks:
    ``g = Xᵀ(X(u ⊙ v) − y)/n``, ``∇_u = v ⊙ g``, ``∇_v = u ⊙ g``.

    Examples
    --------
    >>> import numpy as np
    >>> from symdln.models import deep_linear
    >>> g = flat_gradient(deep_linear(spectrum=[2, 1], depth=2, widths=1))
    >>> g(np.zeros(4)).tolist()
    [0.0, 0.0, 0.0, 0.0]
    """
    first, second = float_data(model) if data is None else data
    cuts, k = [], 0
    for r, c in model.shapes:
        cuts.append((k, k + r * c, r, c))
        k += r * c
    size = k
    if isinstance(model, DiagonalLinearModel):
        X, y, n = first, second, first.shape[0]
        (a0, b0, r0, c0), (a1, b1, r1, c1) = cuts

        def grad_diagonal(x):
            u, v = x[a0:b0].reshape(r0, c0), x[a1:b1].reshape(r1, c1)
            g = X.T @ (X @ (u * v) - y) / n
            return np.concatenate(((v * g).ravel(), (u * g).ravel()))

        return grad_diagonal
    sxx, syx = first, second
    lam = float(model.weight_decay)
    teacher = model.form == "teacher"

    def grad(x):
        mats = [x[a:b].reshape(r, c) for a, b, r, c in cuts]
        prefix = [None]
        for W in mats:
            prefix.append(W if prefix[-1] is None else W @ prefix[-1])
        B = (prefix[-1] - syx) if teacher else (prefix[-1] @ sxx - syx)
        out = np.empty(size)
        for l in range(len(mats), 0, -1):
            a, b, _, _ = cuts[l - 1]
            g = B if prefix[l - 1] is None else B @ prefix[l - 1].T
            out[a:b] = (g + lam * mats[l - 1]).ravel() if lam else g.ravel()
            B = mats[l - 1].T @ B
        return out

    return grad


def float_hessian_closed(model, mats, data=None) -> np.ndarray:
    """``∇²ℒ`` at a float point in float64 by the closed forms (NumPy; no arb): the Jacobian of ``∇ℒ`` for
    Levenberg–Marquardt polishes.  :func:`float_hessian` (30 digits) is the one for eigenvalue counts."""
    from .calculus import dln_hessian_float

    first, second = float_data(model) if data is None else data
    if isinstance(model, DiagonalLinearModel):
        u, v = (np.asarray(w, dtype=float).ravel() for w in mats)
        X, y = first, second.ravel()
        n = X.shape[0]
        S = X.T @ X / n
        g = X.T @ (X @ (u * v) - y) / n
        Huv = v[:, None] * S * u[None, :] + np.diag(g)
        return np.block([[v[:, None] * S * v[None, :], Huv], [Huv.T, u[:, None] * S * u[None, :]]])
    return dln_hessian_float(mats, first, second, float(model.weight_decay))


def _grad_and_loss(model, mats) -> tuple[float, float]:
    """``(‖∇ℒ‖, ℒ)`` at a float point, float64."""
    data = float_data(model)
    gnorm = math.sqrt(sum(float(np.sum(g * g)) for g in float_gradient(model, mats, data)))
    return gnorm, float_loss(model, mats, data)


def float_loss(model, mats, data=None) -> float:
    """``ℒ`` at a float point, float64: ``(1/2n)‖X(u ⊙ v) − y‖²`` (diagonal) or
    ``½tr(AΣxxAᵀ) − ⟨A, Σyx⟩ + c + (λ/2)Σ‖W_l‖²``; ``data`` is :func:`float_data` (pass it when calling often).

    >>> from symdln.models import deep_linear
    >>> float_loss(deep_linear(spectrum=[2, 1], depth=2, widths=1), [np.zeros((1, 2)), np.zeros((2, 1))])
    2.5
    """
    if data is None:
        data = float_data(model)
    if isinstance(model, DiagonalLinearModel):
        X, y = data
        r = X @ (mats[0] * mats[1]) - y
        return float(0.5 * np.sum(r * r) / model.n_samples)
    sxx, syx = data
    lam = float(model.weight_decay)
    A = mats[0]
    for W in mats[1:]:
        A = W @ A
    c = float(sp.N(model.loss_constant, 30))
    loss = 0.5 * float(np.trace(A @ sxx @ A.T)) - float(np.sum(A * syx)) + c
    return loss + 0.5 * lam * sum(float(np.sum(W * W)) for W in mats)


def _shape(M) -> tuple[int, int]:
    return (M.nrows(), M.ncols()) if hasattr(M, "nrows") and not hasattr(M, "shape") else M.shape


def _signature(mats, G, *, mul, eye, transpose, rank) -> tuple:
    """Ranks of ``W_l`` and of every product ``W_j⋯W_i`` (``i < j``), then — with the end-to-end gradient ``G``
    (``AΣxx − Σyx``) — of every coupling ``(W_L⋯W_{j+1})ᵀ G (W_{i−1}⋯W_1)ᵀ`` (``i < j``), the block of the Hessian
    that pairs ``δW_j`` with ``δW_i``; all are invariant under the symmetries and constant on a stratum.  The
    arithmetic (``mul``, ``eye``, ``transpose``, ``rank``) is the caller's: exact or float64."""
    L = len(mats)
    out = []
    for i in range(L):
        P = mats[i]
        out.append(rank(P))
        for j in range(i + 1, L):
            P = mul(mats[j], P)
            out.append(rank(P))
    if L >= 2:
        pre = [eye(_shape(mats[0])[1])]  # pre[l] = W_l⋯W_1
        for W in mats:
            pre.append(mul(W, pre[-1]))
        suf = [None] * (L + 2)  # suf[l] = W_L⋯W_l
        suf[L + 1] = eye(_shape(mats[-1])[0])
        for l in range(L, 0, -1):
            suf[l] = mul(suf[l + 1], mats[l - 1])
        for i in range(1, L + 1):
            for j in range(i + 1, L + 1):
                out.append(rank(mul(mul(transpose(suf[j + 1]), G), transpose(pre[i - 1]))))
    return tuple(out)


def _float_signature(mats, G, rtol: float) -> tuple[tuple, float]:
    """:func:`_signature` in float64 (rank: singular values above ``rtol`` times the largest, at least 1; for the
    couplings, times ``max(1, max|G|)``) and the smallest relative singular value counted in a rank."""
    margin = [math.inf]
    gscale = max(1.0, float(np.abs(G).max()) if G.size else 1.0)
    n_products = len(mats) * (len(mats) + 1) // 2
    count = [0]

    def rank(M):
        count[0] += 1
        if M.size == 0:
            return 0
        s = np.linalg.svd(M, compute_uv=False)
        ref = max(1.0 if count[0] <= n_products else gscale, float(s[0]))
        kept = s[s > rtol * ref]
        if kept.size:
            margin[0] = min(margin[0], float(kept[-1]) / ref)
        return int(kept.size)

    sig = _signature(list(mats), G, mul=lambda X, Y: X @ Y, eye=np.eye, transpose=lambda X: X.T, rank=rank)
    return sig, margin[0]
