"""Independent float64 oracles shared by the tests: the DLN loss gradient in plain NumPy (no symdln code), its
Hessian by central differences, and a stiff gradient flow (SciPy's LSODA)."""

import numpy as np


def dln_gradient(shapes, M=None, X=None, Y=None):
    """``(unpack, grad, loss)`` of ``½‖W_L⋯W_1 − M‖²`` (teacher) or ``(1/2N)‖W_L⋯W_1 X − Y‖²`` (data form) on flat
    states (layers in order, each row-major): ``∇_l = W_{>l}ᵀ R W_{<l}ᵀ`` with ``R = A − M`` or ``(AX − Y)Xᵀ/N``."""
    sizes = [r * c for r, c in shapes]

    def unpack(x):
        out, k = [], 0
        for (r, c), n in zip(shapes, sizes):
            out.append(x[k:k + n].reshape(r, c))
            k += n
        return out

    def product(Ws):
        A = np.eye(Ws[0].shape[1])
        for W in Ws:
            A = W @ A
        return A

    def grad(x):
        Ws = unpack(x)
        pre = [np.eye(Ws[0].shape[1])]
        for W in Ws:
            pre.append(W @ pre[-1])
        B = pre[-1] - M if X is None else (pre[-1] @ X - Y) @ X.T / X.shape[1]
        out = [None] * len(Ws)
        for l in range(len(Ws), 0, -1):
            out[l - 1] = B @ pre[l - 1].T
            B = Ws[l - 1].T @ B
        return np.concatenate([g.ravel() for g in out])

    def loss(x):
        A = product(unpack(x))
        return 0.5 * float(np.sum((A - M) ** 2)) if X is None else 0.5 * float(np.sum((A @ X - Y) ** 2)) / X.shape[1]

    return unpack, grad, loss


def fd_hessian(grad, x, h=1e-6):
    """The Hessian at ``x`` by central differences of ``grad``, symmetrized."""
    H = np.array([(grad(x + h * e) - grad(x - h * e)) / (2 * h) for e in np.eye(x.size)])
    return (H + H.T) / 2


def descartes_inertia(coeffs):
    """``(negative, zero, positive)`` root counts of a real-rooted polynomial (the characteristic polynomial of a
    symmetric matrix) from its exact coefficients, highest degree first: Descartes' rule of signs, exact for
    real-rooted polynomials."""
    deg = len(coeffs) - 1
    zero = deg - max(i for i, c in enumerate(coeffs) if c != 0)

    def changes(cs):
        nz = [c for c in cs if c != 0]
        return sum(1 for a, b in zip(nz, nz[1:]) if a * b < 0)

    return changes([c * (-1) ** (deg - i) for i, c in enumerate(coeffs)]), zero, changes(coeffs)


def lm_critical_points(grad, hess, n, *, seed, starts):
    """``(x, (index, nullity))`` for the critical points Levenberg–Marquardt on ``grad = 0`` (SciPy's MINPACK, float64)
    reaches from ``starts`` random starts in ``ℝⁿ`` (those with ‖grad‖ ≤ 1e-9), the index and nullity from ``hess``
    (eigenvalues within 1e-5 of the largest count as zero)."""
    from scipy.optimize import least_squares

    rng = np.random.default_rng(seed)
    for _ in range(starts):
        x0 = rng.normal(size=n) * rng.choice([0.3, 1.0])
        r = least_squares(grad, x0, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=3000)
        if np.linalg.norm(grad(r.x)) > 1e-9:
            continue
        ev = np.linalg.eigvalsh(hess(r.x))
        tol = 1e-5 * max(1.0, np.abs(ev).max())
        yield r.x, (int((ev < -tol).sum()), int((np.abs(ev) <= tol).sum()))
