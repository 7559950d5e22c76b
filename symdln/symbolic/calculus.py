"""Closed-form matrix calculus of DLN and diagonal-network losses (MATH §1.1, §1.2).

With ``A = W_L ⋯ W_1``, ``P_{>l} = W_L ⋯ W_{l+1}``, ``P_{<l} = W_{l−1} ⋯ W_1`` and
``G = ∂ℒ/∂A = A Σxx − Σyx``::

    ∇_{W_l} ℒ = P_{>l}ᵀ G P_{<l}ᵀ + λ W_l

    ∂²ℒ / ∂W_l[i,j] ∂W_m[p,q] = (P_{>l}ᵀ P_{>m})[i,p] · (P_{<l} Σxx P_{<m}ᵀ)[j,q]      (Gauss–Newton)
                               + [l < m] · (W_{m−1}⋯W_{l+1})[q,i] · (P_{>m}ᵀ G P_{<l}ᵀ)[p,j]  (residual)
                               + λ [l = m, i = p, j = q]

(and the symmetric entries).  The formulas are written once over the operations of
:mod:`symdln.matops`, so they evaluate on SymPy matrices (symbolic or exact), flint
``fmpq_mat`` (exact rationals) and ``arb_mat`` (balls).  Parameters are ordered layer by
layer, each ``W_l`` row-major.
"""

from __future__ import annotations

from typing import Sequence

import sympy as sp

from ..errors import ModelError, describe
from ..matops import frobenius_sq, transpose
from ..models.diagonal import DiagonalLinearModel
from ..models.dln import DeepLinearModel

__all__ = [
    "weight_symbols",
    "loss_expr",
    "gradient",
    "hessian",
    "dln_gradient",
    "dln_hessian_entries",
    "dln_hessian_fmpq",
    "dln_hessian_float",
    "diagonal_hessian_entries",
    "parameter_index",
]


def weight_symbols(model) -> tuple[sp.Matrix, ...]:
    """Symbolic weights: ``W_l[i, j] = w{l}_{i}_{j}`` (1-based layer, 0-based entries); ``u_i, v_i`` for diagonal nets.

    >>> from symdln.models import deep_linear
    >>> weight_symbols(deep_linear("1", depth=2, widths=1))[0]
    Matrix([[w1_0_0]])
    """
    if isinstance(model, DiagonalLinearModel):
        d = model.dim
        return (
            sp.Matrix(d, 1, sp.symbols(f"u0:{d}", real=True)),
            sp.Matrix(d, 1, sp.symbols(f"v0:{d}", real=True)),
        )
    _check_dln(model)
    return tuple(
        sp.Matrix(r, c, lambda i, j, l=l: sp.Symbol(f"w{l}_{i}_{j}", real=True))
        for l, (r, c) in enumerate(model.shapes, start=1)
    )


def parameter_index(model) -> list[tuple[int, int, int]]:
    """``[(l, i, j), …]``: the order of parameters in gradients and Hessians (``l`` 1-based)."""
    return [(l, i, j) for l, (r, c) in enumerate(model.shapes, start=1) for i in range(r) for j in range(c)]


def _check_dln(model) -> None:
    if not isinstance(model, DeepLinearModel):
        raise ModelError(f"`model` must be a DeepLinearModel or DiagonalLinearModel, got {describe(model)}")


def _products(theta: Sequence):
    """Prefix ``Q_l = W_l⋯W_1`` (``Q_0 = None`` for the identity) and suffix ``R_l = W_L⋯W_l``."""
    L = len(theta)
    Q = [None] * (L + 1)
    for l in range(1, L + 1):
        Q[l] = theta[l - 1] if Q[l - 1] is None else theta[l - 1] * Q[l - 1]
    R = [None] * (L + 2)
    for l in range(L, 0, -1):
        R[l] = theta[l - 1] if R[l + 1] is None else R[l + 1] * theta[l - 1]
    return Q, R


def _mul(a, b):
    """``a·b`` where ``None`` stands for the identity."""
    if a is None:
        return b
    if b is None:
        return a
    return a * b


def dln_gradient(theta: Sequence, sxx, syx, lam=0):
    """``(∇_{W_1}ℒ, …, ∇_{W_L}ℒ)`` and ``G = AΣxx − Σyx`` in the matrices' own arithmetic.

    ``sxx=None`` stands for the identity (teacher form, ``Σyx = M``).
    """
    L = len(theta)
    Q, _ = _products(theta)
    A = Q[L]
    G = (A - syx) if sxx is None else (A * sxx - syx)
    grads = [None] * L
    B = G
    for l in range(L, 0, -1):
        g = B if l == 1 else B * transpose(Q[l - 1])
        grads[l - 1] = g + theta[l - 1] * lam if lam else g
        if l > 1:
            B = transpose(theta[l - 1]) * B
    return tuple(grads), G


def _identity_rows(n: int) -> list[list[int]]:
    return [[1 if i == j else 0 for j in range(n)] for i in range(n)]


def dln_hessian_entries(theta: Sequence, sxx, syx, lam=0) -> list[list]:
    """The Hessian of the DLN loss as a list of rows, by the closed form in the module docstring."""
    L = len(theta)
    shapes = [(W.shape if hasattr(W, "shape") else (W.nrows(), W.ncols())) for W in theta]
    _, G = dln_gradient(theta, sxx, syx, 0)
    Q, R = _products(theta)
    above = [R[l + 2] if l + 2 <= L else None for l in range(L)]  # P_{>l} for 0-based layer l
    below = [Q[l] for l in range(L)]  # P_{<l}
    offsets, n = [], 0
    for r, c in shapes:
        offsets.append(n)
        n += r * c
    H = [[0] * n for _ in range(n)]
    for l in range(L):
        for m in range(l, L):
            left = _mul(transpose(above[l]) if above[l] is not None else None, above[m])
            rb = _mul(below[l], sxx)
            right = _mul(rb, transpose(below[m]) if below[m] is not None else None)
            if m > l:
                mid = None
                for k in range(l + 1, m):
                    mid = _mul(theta[k], mid)
                K = _mul(_mul(transpose(above[m]) if above[m] is not None else None, G),
                         transpose(below[l]) if below[l] is not None else None)
            rl, cl = shapes[l]
            rm, cm = shapes[m]
            # the factors as nested lists (entry access on flint/SymPy matrices dominates otherwise); None: identity
            left_r = left.tolist() if left is not None else _identity_rows(rl)
            right_r = right.tolist() if right is not None else _identity_rows(cl)
            if m > l:
                mid_r = mid.tolist() if mid is not None else _identity_rows(rl)
                K_r = K.tolist()
            for i in range(rl):
                li = left_r[i]
                for j in range(cl):
                    a = offsets[l] + i * cl + j
                    rj = right_r[j]
                    Ha = H[a]
                    for p in range(rm):
                        lv = li[p]
                        b0 = offsets[m] + p * cm
                        for q in range(cm):
                            b = b0 + q
                            if m == l and b < a:
                                continue
                            v = lv * rj[q]
                            if m > l:
                                mv = mid_r[q][i]
                                if mv:
                                    v = v + mv * K_r[p][j]
                            elif lam and a == b:
                                v = v + lam
                            Ha[b] = v
                            H[b][a] = v
    return H


def dln_hessian_fmpq(theta: Sequence, sxx, syx, lam=0):
    """The exact Hessian of the DLN loss at rational layers (``flint.fmpq_mat``) as one ``fmpq_mat``, through
    matrix products instead of entry loops::

        H = Jᵀ (I ⊗ Σxx) J  +  U V + (U V)ᵀ  +  λ I

    ``J`` is the Jacobian of ``vec A`` (``J[(α,β), (l,i,j)] = P_{>l}[α,i] · P_{<l}[j,β]``), which gives the
    Gauss–Newton term of the module docstring; the residual term ``(W_{m−1}⋯W_{l+1})[q,i] · (P_{>m}ᵀ G P_{<l}ᵀ)[p,j]``
    (``l < m``) is split along the columns ``β`` of ``G``: ``U[(l,i,j), (l,i,β)] = P_{<l}[j,β]`` and
    ``V[(l,i,β), (m,p,q)] = (P_{>m}ᵀ G e_β)[p] · (W_{m−1}⋯W_{l+1})[q,i]`` for ``m > l``.  Only ``n·(d_out·d_in + Σ_l
    n_l·d_in)`` entries are formed in Python (``n`` parameters), not ``n²``.  Equal to :func:`dln_hessian_entries`.

    Examples
    --------
    >>> import flint
    >>> th = [flint.fmpq_mat([[1, 0]]), flint.fmpq_mat([[2], [1]])]  # 2 → 1 → 2, teacher M = diag(3, 1)
    >>> H = dln_hessian_fmpq(th, None, flint.fmpq_mat([[3, 0], [0, 1]]))
    >>> H.nrows(), H == flint.fmpq_mat(dln_hessian_entries(th, None, flint.fmpq_mat([[3, 0], [0, 1]])))
    (4, True)
    """
    import flint

    L = len(theta)
    shapes = [(W.nrows(), W.ncols()) for W in theta]
    d_out, d_in = shapes[-1][0], shapes[0][1]
    off = [0]
    for r, c in shapes:
        off.append(off[-1] + r * c)
    n = off[-1]
    _, G = dln_gradient(theta, sxx, syx, 0)
    Q, R = _products(theta)
    above = [R[l + 2].tolist() if l + 2 <= L else None for l in range(L)]  # P_{>l} (d_out × n_l); None: identity
    below = [Q[l].tolist() if Q[l] is not None else None for l in range(L)]  # P_{<l} (n_{l−1} × d_in)
    zero = flint.fmpq(0)

    def eye_entry(M, a, b):
        return M[a][b] if M is not None else (1 if a == b else 0)

    J = [[zero] * n for _ in range(d_out * d_in)]
    for l, (r, c) in enumerate(shapes):
        for a in range(d_out):
            for i in range(r):
                x = eye_entry(above[l], a, i)
                if x == 0:
                    continue
                for b in range(d_in):
                    row, base = J[a * d_in + b], off[l] + i * c
                    for j in range(c):
                        y = eye_entry(below[l], j, b)
                        if y:
                            row[base + j] = x * y
    Jm = flint.fmpq_mat(J)
    if sxx is None:
        H = Jm.transpose() * Jm
    else:
        S = sxx.tolist()
        K = flint.fmpq_mat(d_out * d_in, d_out * d_in, [S[b][b2] if a == a2 else 0 for a in range(d_out)
                                                       for b in range(d_in) for a2 in range(d_out) for b2 in range(d_in)])
        H = Jm.transpose() * (K * Jm)
    if L >= 2 and any(x != 0 for x in G.entries()):
        Gl = G.tolist()
        # u[m][β] = P_{>m}ᵀ G e_β (length n_m)
        u = [[[Gl[p][b] for p in range(shapes[m][0])] if above[m] is None else
              [sum((above[m][a][p] * Gl[a][b] for a in range(d_out)), zero) for p in range(shapes[m][0])]
              for b in range(d_in)] for m in range(L)]
        cols = [(l, i, b) for l in range(L - 1) for i in range(shapes[l][0]) for b in range(d_in)]
        U = flint.fmpq_mat(n, len(cols))
        V = []
        for k, (l, i, b) in enumerate(cols):
            c = shapes[l][1]
            for j in range(c):
                y = eye_entry(below[l], j, b)
                if y:
                    U[off[l] + i * c + j, k] = y
        for l in range(L - 1):
            mids, mid = {}, None  # mids[m] = W_{m−1}⋯W_{l+1} (None: identity)
            for m in range(l + 1, L):
                mids[m] = mid.tolist() if mid is not None else None
                mid = theta[m] if mid is None else theta[m] * mid
            for i in range(shapes[l][0]):
                for b in range(d_in):
                    row = [zero] * off[l + 1]
                    for m in range(l + 1, L):
                        rm, cm = shapes[m]
                        for up in u[m][b]:
                            if up == 0:
                                row.extend([zero] * cm)
                            else:
                                row.extend([up * eye_entry(mids[m], q, i) for q in range(cm)])
                    V.append(row)
        UV = U * flint.fmpq_mat(V)
        H = H + UV + UV.transpose()
    if lam:
        H = H + flint.fmpq_mat(n, n, [lam if a == b else 0 for a in range(n) for b in range(n)])
    return H


def dln_hessian_float(theta: Sequence, sxx, syx, lam: float = 0.0):
    """The DLN Hessian in float64 (NumPy) by the closed form of the module docstring, block by block with
    ``einsum`` (no per-entry Python): for eigenvectors, where float64 is what is reported.  ``theta``, ``sxx``
    (``None``: identity) and ``syx`` are float arrays.

    Examples
    --------
    >>> import numpy as np
    >>> H = dln_hessian_float([np.array([[1.0, 0.0]]), np.array([[2.0], [1.0]])], None, np.diag([3.0, 1.0]))
    >>> H.shape, bool(np.allclose(H, H.T))
    ((4, 4), True)
    """
    import numpy as np

    L = len(theta)
    theta = [np.asarray(W, dtype=float) for W in theta]
    shapes = [W.shape for W in theta]
    Q = [None] * (L + 1)  # Q[l] = W_l⋯W_1 (Q[0]: identity of the input)
    Q[0] = np.eye(shapes[0][1])
    for l in range(1, L + 1):
        Q[l] = theta[l - 1] @ Q[l - 1]
    R = [None] * (L + 2)  # R[l] = W_L⋯W_l (R[L+1]: identity of the output)
    R[L + 1] = np.eye(shapes[-1][0])
    for l in range(L, 0, -1):
        R[l] = R[l + 1] @ theta[l - 1]
    S = np.eye(shapes[0][1]) if sxx is None else np.asarray(sxx, dtype=float)
    G = Q[L] @ S - np.asarray(syx, dtype=float)
    off = np.cumsum([0] + [r * c for r, c in shapes])
    H = np.zeros((off[-1], off[-1]))
    for l in range(L):
        above_l, below_l = R[l + 2], Q[l]  # P_{>l}, P_{<l} (0-based layer l)
        for m in range(l, L):
            above_m, below_m = R[m + 2], Q[m]
            left = above_l.T @ above_m
            right = below_l @ S @ below_m.T
            blk = np.einsum("ip,jq->ijpq", left, right)
            if m > l:
                mid = np.eye(shapes[l][0])
                for k in range(l + 1, m):
                    mid = theta[k] @ mid
                K = above_m.T @ G @ below_l.T
                blk = blk + np.einsum("qi,pj->ijpq", mid, K)
            blk = blk.reshape(shapes[l][0] * shapes[l][1], shapes[m][0] * shapes[m][1])
            H[off[l]:off[l + 1], off[m]:off[m + 1]] = blk
            H[off[m]:off[m + 1], off[l]:off[l + 1]] = blk.T
    return H + lam * np.eye(off[-1]) if lam else H


def diagonal_hessian_entries(u, v, X, y, n: int) -> list[list]:
    """Hessian of ``F(u, v) = (1/2n)‖X(u⊙v) − y‖²`` in the order ``(u_1…u_d, v_1…v_d)``.

    With ``S = XᵀX/n`` and ``g = ∇L(u⊙v)``: ``∂²F/∂u_i∂u_j = v_i S_ij v_j``,
    ``∂²F/∂v_i∂v_j = u_i S_ij u_j``, ``∂²F/∂u_i∂v_j = v_i S_ij u_j + δ_ij g_i``.
    """
    d = len(u)
    S = X.T * X / n
    beta = sp.Matrix([u[i] * v[i] for i in range(d)])
    g = X.T * (X * beta - y) / n
    H = sp.zeros(2 * d, 2 * d)
    for i in range(d):
        for j in range(d):
            H[i, j] = v[i] * S[i, j] * v[j]
            H[d + i, d + j] = u[i] * S[i, j] * u[j]
            H[i, d + j] = v[i] * S[i, j] * u[j] + (g[i] if i == j else 0)
            H[d + j, i] = H[i, d + j]
    return H.tolist()


def loss_expr(model, theta=None) -> sp.Expr:
    """``ℒ(θ)`` as a SymPy expression (symbolic weights by default).

    Teacher: ``½‖A − M‖² + (λ/2)Σ‖W_l‖²``; data: ``(1/2N)‖AX − Y‖² + …``; diagonal:
    ``(1/2n)‖X(u⊙v) − y‖²``.
    """
    theta = weight_symbols(model) if theta is None else theta
    if isinstance(model, DiagonalLinearModel):
        u, v = theta
        beta = sp.Matrix([u[i] * v[i] for i in range(model.dim)])
        return model.loss_beta(beta)
    _check_dln(model)
    Q, _ = _products([sp.Matrix(W) for W in theta])
    A = Q[-1]
    if model.form == "teacher":
        fit = frobenius_sq(A - model.target) / 2
    else:
        fit = frobenius_sq(A * model.X - model.Y) / (2 * model.X.shape[1])
    lam = sp.Rational(model.weight_decay.numerator, model.weight_decay.denominator)
    return fit + lam / 2 * sum(frobenius_sq(sp.Matrix(W)) for W in theta)


def gradient(model, theta=None) -> tuple[sp.Matrix, ...]:
    """``∇ℒ`` by the closed form, one matrix per layer (``(∇_u, ∇_v)`` for diagonal nets)."""
    theta = weight_symbols(model) if theta is None else tuple(sp.Matrix(W) for W in theta)
    if isinstance(model, DiagonalLinearModel):
        u, v = theta
        beta = sp.Matrix([u[i] * v[i] for i in range(model.dim)])
        g = model.gradient_beta(beta)
        return (
            sp.Matrix([v[i] * g[i] for i in range(model.dim)]),
            sp.Matrix([u[i] * g[i] for i in range(model.dim)]),
        )
    _check_dln(model)
    sxx = None if model.form == "teacher" else sp.Matrix(model.sxx)
    lam = sp.Rational(model.weight_decay.numerator, model.weight_decay.denominator)
    grads, _ = dln_gradient(theta, sxx, sp.Matrix(model.syx), lam)
    return tuple(sp.Matrix(g) for g in grads)


def hessian(model, theta=None) -> sp.Matrix:
    """The Hessian ``∇²ℒ`` by the closed form, parameters ordered as :func:`parameter_index`."""
    theta = weight_symbols(model) if theta is None else tuple(sp.Matrix(W) for W in theta)
    if isinstance(model, DiagonalLinearModel):
        u, v = theta
        return sp.Matrix(diagonal_hessian_entries(u, v, model.X, model.y, model.n_samples))
    _check_dln(model)
    sxx = None if model.form == "teacher" else sp.Matrix(model.sxx)
    lam = sp.Rational(model.weight_decay.numerator, model.weight_decay.denominator)
    return sp.Matrix(dln_hessian_entries(theta, sxx, sp.Matrix(model.syx), lam))
