"""Certified bounds on the dimension of a DLN critical stratum at an exact point.

A stratum ``S`` is a set of critical points on which the rank signature (the ranks of every product
``P_ij = W_j⋯W_i`` of consecutive layers, among other invariants) is constant.  At a point ``θ ∈ S``:

* **upper bound**: ``S`` lies in the variety ``V = {∇ℒ = 0} ∩ {rank P_ij ≤ ρ_ij}`` and ``dim_θ S ≤ dim_θ V ≤
  dim T_θV`` (the Zariski tangent space bounds the local dimension).  ``T_θV`` is cut out by the linearizations
  of the generators: the Hessian ``H`` (of ``∇ℒ``) and, at a point where ``rank P_ij = ρ_ij`` exactly, the
  tangent space of the determinantal variety, ``{δP : uᵀ δP v = 0 for u ∈ ker P_ijᵀ, v ∈ ker P_ij}`` with
  ``δP_ij = Σ_{i≤k≤j} W_j⋯W_{k+1} δW_k W_{k−1}⋯W_i``.  So
  ``upper = dim(ker H ∩ {uᵀ δP_ij v = 0})``, an exact rank over ℚ.
* **lower bound**: ``ℒ`` (λ = 0), criticality and every rank of the signature are invariant under
  ``W_l ↦ G_l W_l G_{l−1}⁻¹`` (``G_l ∈ GL(n_l)`` on the hidden layers), so the orbit of ``θ`` lies in ``S``;
  ``lower`` is its dimension, the rank of the infinitesimal action ``δW_l = X_l W_l − W_l X_{l−1}``.

When the two agree the dimension is exact (Morse–Bott-like strata); otherwise the true dimension lies between them.
"""

from __future__ import annotations

import flint
import numpy as np

from ..errors import ModelError
from ..matops import to_fmpq_mat
from .inertia import nullspace

__all__ = ["stratum_dimension_bounds"]


# primes below 2²⁶: a product of two residues is below 2⁵², so int64 matrix products of up to 2¹¹ terms do not overflow
_PRIMES = (67108859, 67108837, 67108819)


def _residues(M: flint.fmpq_mat, p: int) -> np.ndarray | None:
    """``M`` modulo ``p`` as an int64 array (``None`` when ``p`` divides the common denominator)."""
    N, d = M.numer_denom()
    if int(d) % p == 0:
        return None
    R = flint.nmod_mat(N, p) * flint.nmod(int(d), p) ** -1
    return np.array([int(x) for x in R.entries()], dtype=np.int64).reshape(M.nrows(), M.ncols())


def _rank_mod(A: np.ndarray, p: int) -> int:
    # through fmpz_mat: python-flint builds it from Python ints about twice as fast as an nmod_mat
    return flint.nmod_mat(flint.fmpz_mat(A.tolist()), p).rank() if A.size else 0


def stratum_dimension_bounds(model, point, hessian=None, nullity: int | None = None) -> tuple[int, int]:
    """``(lower, upper)`` (module docstring) for a DLN ``model`` (λ = 0) at an exact critical ``point``.

    The ranks are taken modulo a prime ``p < 2²⁶`` (exact, fast): a rank modulo ``p`` is at most the rank over ℚ,
    so ``n − rank`` can only grow and the orbit's rank only shrink — both bounds stay certified (and equal the ranks
    over ℚ unless ``p`` divides one of finitely many minors).  The kernels of the layer products are computed over
    ℚ and then reduced, so the constraints are the true ones modulo ``p``.  ``hessian``: the exact Hessian at the
    point (``flint.fmpq_mat``, e.g. ``PointAnalysis.hessian``), reduced instead of recomputed; ``nullity``: the
    Hessian's exact nullity (e.g. from the inertia), an upper bound already: when the orbit reaches it the tangent
    space is not needed.

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> from symdln.symbolic.landscape import landscape
    >>> land = landscape(deep_linear(spectrum=[2, 1], depth=3, widths=2))
    >>> z2 = next(s for s in land.strata if s.label.text == "Z{2}")
    >>> stratum_dimension_bounds(land.model, z2.point)  # W_2 = 0, W_1 = γxᵀ, W_3 = yβᵀ with yᵀMx = 0: 3 + 3 − 1
    (4, 5)
    """
    Ws = [W if isinstance(W, flint.fmpq_mat) else to_fmpq_mat(W) for W in point]
    if max(max(W.nrows(), W.ncols()) for W in Ws) > 2048:  # pragma: no cover - refused long before (max_params)
        raise ModelError("layers wider than 2048: int64 residue products could overflow")
    from .landscape import _rational_data

    sxx, syx = _rational_data(model)
    for p in _PRIMES:  # the orbit first: when it fills the Hessian's kernel the dimension is settled
        lower = _orbit_rank(Ws, p)
        if lower is not None:
            break
    else:  # pragma: no cover
        raise ModelError("every prime tried divides a denominator of the point")
    if nullity is not None and lower == nullity:
        return lower, lower
    # the kernels of the products are exact (over ℚ), then reduced: the constraints are the true ones modulo p
    kernels = {}
    for i in range(len(Ws)):
        P = None
        for j in range(i, len(Ws)):
            P = Ws[j] if P is None else Ws[j] * P
            U, V = nullspace(P.transpose()), nullspace(P)
            if U and V:
                kernels[i, j] = (flint.fmpq_mat(len(U), P.nrows(), [x for u in U for x in u]),
                                 flint.fmpq_mat(P.ncols(), len(V), [v[q] for q in range(P.ncols()) for v in V]))
    for p in _PRIMES:
        upper = _tangent_dimension(Ws, sxx, syx, kernels, p, hessian)
        if upper is not None:
            return lower, upper
    raise ModelError("every prime tried divides a denominator of the point")  # pragma: no cover


def _offsets(Ws) -> tuple[list, list]:
    """The layers' shapes and the offsets of their flattened (row-major) blocks in θ."""
    shapes = [(W.nrows(), W.ncols()) for W in Ws]
    off = [0]
    for r, c in shapes:
        off.append(off[-1] + r * c)
    return shapes, off


def _orbit_rank(Ws, p, skew: bool = False):
    """The rank modulo ``p`` of the hidden-layer GL action's differential at ``Ws`` (``None``: ``p`` divides a
    denominator); ``skew``: of the orthogonal groups' (``X = E_ab − E_ba``, ``a < b``), which also keep the weight
    decay ``λΣ‖W_l‖²``.  ``X = E_ab`` at hidden layer ``l`` gives ``δW_l = E_ab W_l`` (row ``a`` gets row ``b`` of
    ``W_l``) and ``δW_{l+1} = −W_{l+1} E_ab`` (column ``b`` gets minus column ``a`` of ``W_{l+1}``)."""
    mods = [_residues(W, p) for W in Ws]
    if any(m is None for m in mods):
        return None
    shapes, off = _offsets(Ws)
    n = off[-1]
    cols = []
    for l in range(1, len(Ws)):
        d = shapes[l - 1][0]
        c, (r2, c2) = shapes[l - 1][1], shapes[l]
        gens = {}
        for a in range(d):
            for b in range(d):
                vec = np.zeros(n, dtype=np.int64)
                vec[off[l - 1] + a * c: off[l - 1] + (a + 1) * c] = mods[l - 1][b, :]
                vec[off[l] + b: off[l] + r2 * c2: c2] = (-mods[l][:, a]) % p
                gens[a, b] = vec
        if skew:
            cols += [(gens[a, b] - gens[b, a]) % p for a in range(d) for b in range(a + 1, d)]
        else:
            cols += list(gens.values())
    return _rank_mod(np.array(cols), p) if cols else 0


def _kernel_mod(H: flint.nmod_mat, n: int, p: int) -> np.ndarray:
    """A basis of ``ker H`` modulo ``p`` (``n × k`` int64) from the reduced row echelon form: for each free column
    ``f``, ``e_f − Σ_i R_{i,f} e_{pivot_i}``.  Reads only the ``rank × n`` nonzero rows of ``R`` (the Hessians here
    have small ranks; converting all ``n²`` entries of flint's nullspace matrix cost more than the elimination)."""
    R, r = H.rref()
    Rn = np.array([[int(R[i, j]) for j in range(n)] for i in range(r)], dtype=np.int64).reshape(r, n)
    pivots = [int(np.flatnonzero(Rn[i])[0]) for i in range(r)]
    free = np.setdiff1d(np.arange(n), pivots)
    K = np.zeros((n, len(free)), dtype=np.int64)
    K[free, np.arange(len(free))] = 1
    if r:
        K[np.array(pivots)[:, None], np.arange(len(free))[None, :]] = (-Rn[:, free]) % p
    return K


def _tangent_dimension(Ws, sxx, syx, kernels, p, hessian=None):
    """``dim(ker H ∩ {uᵀ δP_ij v = 0})`` computed modulo ``p`` (at least the value over ℚ), or ``None``."""
    from .calculus import dln_hessian_entries

    shapes, off = _offsets(Ws)
    n = off[-1]
    mods = [_residues(W, p) for W in Ws]
    data = [None if M is None else _residues(M, p) for M in (sxx, syx)]
    if any(m is None for m in mods) or (sxx is not None and data[0] is None) or data[1] is None:
        return None

    def nm(A):
        return flint.nmod_mat(A.shape[0], A.shape[1], A.ravel().tolist(), p)

    # the Hessian modulo p (the exact one reduced, or the closed form in nmod arithmetic), then its kernel K (n × k)
    if hessian is not None:
        N, d = hessian.numer_denom()
        if int(d) % p == 0:
            return None
        H = flint.nmod_mat(N, p) * flint.nmod(int(d), p) ** -1
    else:
        H = flint.nmod_mat(dln_hessian_entries([nm(W) for W in mods], None if sxx is None else nm(data[0]),
                                               nm(data[1])), p)
    K = _kernel_mod(H, n, p)
    k = K.shape[1]
    # tangent of {rank P_ij ≤ ρ} on K: uᵀ (W_j⋯W_{k+1}) δW_m (W_{m−1}⋯W_i) v = 0 for every kernel vector
    blocks = []
    for (i, j), (Uq, Vq) in kernels.items():
        Um, Vm = _residues(Uq, p), _residues(Vq, p)
        if Um is None or Vm is None:
            return None
        left = {}
        a = Um
        for m in range(j, i - 1, -1):  # left[m] = Uᵀ W_j⋯W_{m+1}
            left[m] = a
            a = (a @ mods[m]) % p
        b = Vm
        acc = np.zeros((Um.shape[0], Vm.shape[1], k), dtype=np.int64)
        for m in range(i, j + 1):  # b = W_{m−1}⋯W_i V
            r, c = shapes[m]
            Km = K[off[m]:off[m + 1]].reshape(r, c, k)
            T = np.einsum("sa,ack->sck", left[m], Km) % p
            acc = (acc + np.einsum("sck,ct->stk", T, b) % p) % p
            b = (mods[m] @ b) % p
        blocks.append(acc.reshape(-1, k))
    upper = k
    if blocks and k:
        C = np.vstack(blocks)
        if C.shape[0] > k:
            # a random combination of the rows (k of them): its rank is at most C's, so the bound stays valid (and
            # equal with probability ≥ 1 − k/p); fewer entries to hand to flint
            rng = np.random.default_rng(C.shape[0])
            acc = np.zeros((k, k), dtype=np.int64)
            for lo in range(0, C.shape[0], 1024):  # 1024 products below 2⁵² per sum: no int64 overflow
                Rk = rng.integers(0, p, size=(k, min(1024, C.shape[0] - lo)), dtype=np.int64)
                acc = (acc + (Rk @ C[lo:lo + 1024]) % p) % p
            C = acc
        upper = k - _rank_mod(C, p)
    return upper
