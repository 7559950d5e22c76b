"""The α → 0 limit of diagonal linear networks: Pesme–Flammarion Algorithm 1 (MATH §4.1), exact or float64.

With ``L(β) = (1/2n)‖Xβ − y‖²`` and ``g = −∇L(β_k) = Xᵀ(y − Xβ_k)/n``, the dual variable moves linearly,
``s(τ) = s_k + (τ − τ_k) g``, until a coordinate reaches ``±1``::

    Δ = min_i  (sign(g_i) − s_k[i]) / g_i      over i with g_i ≠ 0 and |s_k[i]| < 1 or sign(g_i) ≠ s_k[i]
    τ_{k+1} = τ_k + Δ,   s_{k+1} = s_k + Δ g
    β_{k+1} = argmin L(β)  s.t.  β_i ≥ 0 if s_{k+1}[i] = 1,  β_i ≤ 0 if s_{k+1}[i] = −1,  β_i = 0 otherwise

and the flow from ``u = v = α·1`` (here ``β = u ⊙ v``) satisfies ``β_α(log(1/α)·τ) → β_k`` for
``τ ∈ (τ_k, τ_{k+1})`` (Pesme & Flammarion 2023).  ``τ`` is the *accelerated time* ``t / log(1/α)``.

Exact mode works over ℚ (python-flint ``fmpq``): ties are exact, several coordinates can reach ``±1`` at one
jump, the constrained least-squares step is an exact active-set solve (:func:`~symdln.limits.signqp.nonneg_qp`),
and a non-unique constrained minimizer raises :class:`NonUniqueLimitError` naming the coordinates.  A jump where
tied coordinates are coupled (``(XᵀX)_{ij} ≠ 0``) is flagged ``general_position=False``: the algorithm still
defines the path but the theorem's assumption fails there.  Float mode (``exact=False``) runs the same steps in
float64 with SciPy's NNLS for large problems; its numbers are not certified and say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np

from ..errors import ModelError, describe
from ..models.diagonal import DiagonalLinearModel
from .signqp import ambiguous_coordinates, nonneg_qp

__all__ = ["LimitSaddle", "LimitJump", "LimitPath", "NonUniqueLimitError", "diagonal_limit_path"]

_MAX_EXACT_DIM = 400


class NonUniqueLimitError(ModelError):
    """The constrained least-squares step has several minimizers: the limit path is not defined there."""

    def __init__(self, message: str, coordinates: tuple[int, ...], time):
        super().__init__(message)
        self.coordinates = coordinates
        self.time = time


def _frac(x) -> Fraction:
    if isinstance(x, flint.fmpq):
        return Fraction(int(x.p), int(x.q))
    return Fraction(x)


@dataclass(frozen=True)
class LimitSaddle:
    """One saddle of the limit path: ``β`` (exact ``Fraction`` tuple, or floats in float mode), its loss, and the
    accelerated-time interval ``[start, end)`` during which the limit flow sits there (``end`` is ``None`` for the
    last one).  ``signs`` is ``s`` on that interval's boundary coordinates (``+1``/``−1``, else ``0``)."""

    index: int
    beta: tuple
    loss: object
    start: object
    end: object
    signs: tuple

    @property
    def support(self) -> tuple[int, ...]:
        """Coordinates (0-based) with ``β_i ≠ 0``."""
        return tuple(i for i, b in enumerate(self.beta) if b != 0)


@dataclass(frozen=True)
class LimitJump:
    """A jump at accelerated time ``time``: the coordinates whose ``s`` reached ``±1`` (``hit``, with signs), those
    that entered or left the support, and whether the theorem's general-position assumption holds there."""

    time: object
    hit: tuple
    entered: tuple
    left: tuple
    general_position: bool
    note: str = ""


@dataclass(frozen=True)
class LimitPath:
    """The limit path of a diagonal network: saddles, jumps, and how far the numbers can be trusted.

    ``trust`` is ``"exact"`` (rationals) or ``"float64 (unverified)"``; ``complete`` is False when the run was
    interrupted (Ctrl-C) or reached ``max_jumps``; ``reason`` says why.
    """

    model: DiagonalLinearModel
    saddles: tuple
    jumps: tuple
    trust: str
    complete: bool = True
    reason: str = ""

    @property
    def jump_times(self) -> tuple:
        return tuple(j.time for j in self.jumps)

    def as_dict(self) -> dict:
        exact = self.trust == "exact"

        def num(x):
            if x is None:
                return None
            return {"exact": str(x), "float": float(x)} if exact else {"float": float(x)}

        return {
            "model": self.model.describe(),
            "algorithm": "Pesme-Flammarion Algorithm 1 (accelerated time tau = t / log(1/alpha))",
            "trust": self.trust, "complete": self.complete, "reason": self.reason,
            "saddles": [{"index": s.index, "beta": [num(b) for b in s.beta], "loss": num(s.loss),
                         "start": num(s.start), "end": num(s.end), "support": list(s.support),
                         "signs": list(s.signs)} for s in self.saddles],
            "jumps": [{"time": num(j.time), "hit": [list(h) for h in j.hit], "entered": list(j.entered),
                       "left": list(j.left), "general_position": j.general_position, "note": j.note}
                      for j in self.jumps],
        }


def diagonal_limit_path(model: DiagonalLinearModel, *, exact: bool = True, max_jumps: int | None = None,
                        progress: bool | None = None) -> LimitPath:
    """Pesme–Flammarion Algorithm 1 for a diagonal network (module docstring): saddles ``β_k``, jump times ``τ_k``.

    Parameters
    ----------
    model : DiagonalLinearModel
    exact : bool
        Exact rationals (default; dimensions up to 400) or float64 with SciPy's NNLS.
    max_jumps : int, optional
        Stop after this many jumps (default ``10·d + 10``); the path is then marked incomplete.
    progress : bool, optional
        tqdm bar over jumps (default: when stderr is a terminal).  Ctrl-C returns the jumps done so far with
        ``complete=False``.

    Examples
    --------
    >>> from symdln.models import diagonal_linear
    >>> p = diagonal_limit_path(diagonal_linear("1,1/2,7/10,0;1/2,1,1/10,7/10", "1,0"))
    >>> [str(t) for t in p.jump_times]
    ['2', '8', '552/49']
    >>> [str(b) for b in p.saddles[-1].beta], p.saddles[-1].loss
    (['0', '0', '10/7', '-10/49'], Fraction(0, 1))
    """
    if not isinstance(model, DiagonalLinearModel):
        raise ModelError(f"`model` must be a DiagonalLinearModel, got {describe(model)}")
    d = model.dim
    if exact and d > _MAX_EXACT_DIM:
        raise ModelError(f"exact limit path: d = {d} coordinates exceeds {_MAX_EXACT_DIM} (each jump solves a "
                         f"d×d rational system, whose entries grow); use exact=False (--float)")
    if max_jumps is None:
        max_jumps = 10 * d + 10
    elif not isinstance(max_jumps, int) or max_jumps < 1:
        raise ModelError(f"`max_jumps` must be a positive integer, got {describe(max_jumps)}")
    if exact:
        return _exact_run(model, max_jumps, progress)
    from .._threads import single_blas_thread

    with single_blas_thread():  # n × d matrix-vector products and small Cholesky factors: one BLAS thread
        return _float_run(model, max_jumps, progress)


def _bar(progress, total):
    import sys

    from tqdm.auto import tqdm

    show = sys.stderr.isatty() if progress is None else bool(progress)
    return tqdm(total=total, desc="limit path", unit="jump", disable=not show, leave=False)


def _exact_run(model, max_jumps, progress) -> LimitPath:
    q = flint.fmpq
    n, d = model.n_samples, model.dim
    X = [[q(int(x.p), int(x.q)) for x in row] for row in model.X.tolist()]
    y = [q(int(v.p), int(v.q)) for v in model.y]
    K = [[sum((X[r][i] * X[r][j] for r in range(n)), q(0)) / n for j in range(d)] for i in range(d)]
    b = [sum((X[r][i] * y[r] for r in range(n)), q(0)) / n for i in range(d)]

    def loss(beta):
        res = [sum((X[r][i] * beta[i] for i in range(d)), q(0)) - y[r] for r in range(n)]
        return sum((v * v for v in res), q(0)) / (2 * n)

    beta, s, t = [q(0)] * d, [q(0)] * d, q(0)
    saddles, jumps = [], []
    cur_loss = loss(beta)
    complete, reason = True, ""
    bar = _bar(progress, None)
    try:
        while True:
            g = [b[i] - sum((K[i][j] * beta[j] for j in range(d) if beta[j] != 0), q(0)) for i in range(d)]
            sig = tuple(int(v) if abs(v) == 1 else 0 for v in s)
            if all(v == 0 for v in g):
                saddles.append(LimitSaddle(len(saddles), tuple(map(_frac, beta)), _frac(cur_loss), _frac(t), None, sig))
                break
            if len(jumps) >= max_jumps:
                saddles.append(LimitSaddle(len(saddles), tuple(map(_frac, beta)), _frac(cur_loss), _frac(t), None, sig))
                complete, reason = False, f"stopped after max_jumps = {max_jumps} jumps"
                break
            steps = {}
            for i in range(d):
                if g[i] > 0 and s[i] < 1:
                    steps[i] = (1 - s[i]) / g[i]
                elif g[i] < 0 and s[i] > -1:
                    steps[i] = (-1 - s[i]) / g[i]
                elif g[i] != 0:
                    raise ModelError(f"internal error: coordinate {i} sits at s = {s[i]} with an outward gradient")
            delta = min(steps.values())
            hit = sorted(i for i, v in steps.items() if v == delta)
            t_new = t + delta
            s = [s[i] + delta * g[i] for i in range(d)]
            B = [i for i in range(d) if abs(s[i]) == 1]
            sign = {i: int(s[i]) for i in B}
            Kp = [[K[i][j] * sign[i] * sign[j] for j in B] for i in B]
            cp = [b[i] * sign[i] for i in B]
            z = nonneg_qp(Kp, cp)
            amb = ambiguous_coordinates(Kp, z)
            if amb:
                coords = tuple(B[k] for k in amb)
                raise NonUniqueLimitError(
                    f"the constrained least-squares step at tau = {_frac(t_new)} has several minimizers along "
                    f"coordinates {[c + 1 for c in coords]} (1-based): the limit path is not defined there "
                    f"(duplicate or collinear columns of X among them?)", coords, _frac(t_new))
            new_beta = [q(0)] * d
            for k, i in enumerate(B):
                new_beta[i] = z[k] * sign[i]
            new_loss = loss(new_beta)
            if not new_loss < cur_loss:
                raise ModelError(f"internal error: the loss did not decrease at the jump tau = {_frac(t_new)}")
            coupled = [(i, j) for a, i in enumerate(hit) for j in hit[a + 1:] if K[i][j] != 0]
            note = ""
            if coupled:
                note = (f"{len(hit)} coordinates reach ±1 together and are coupled (X^T X entries "
                        f"{[(i + 1, j + 1) for i, j in coupled]} ≠ 0): general position fails, the flow's limit "
                        f"may differ here")
            saddles.append(LimitSaddle(len(saddles), tuple(map(_frac, beta)), _frac(cur_loss), _frac(t), _frac(t_new), sig))
            jumps.append(LimitJump(_frac(t_new), tuple((i, int(s[i])) for i in hit),
                                   tuple(i for i in range(d) if beta[i] == 0 and new_beta[i] != 0),
                                   tuple(i for i in range(d) if beta[i] != 0 and new_beta[i] == 0),
                                   not coupled, note))
            beta, t, cur_loss = new_beta, t_new, new_loss
            bar.update()
    except KeyboardInterrupt:
        complete, reason = False, "interrupted (Ctrl-C): the jumps above are the ones finished"
    finally:
        bar.close()
    return LimitPath(model, tuple(saddles), tuple(jumps), "exact", complete, reason)


def _float_run(model, max_jumps, progress) -> LimitPath:
    from scipy.optimize import nnls

    X, y = model.float64
    n, d = X.shape
    rtol = 1e-9

    def loss(beta):
        supp = np.flatnonzero(beta)
        r = X[:, supp] @ beta[supp] - y
        return float(r @ r) / (2 * n)

    beta, s, t = np.zeros(d), np.zeros(d), 0.0
    at = np.zeros(d, dtype=int)  # boundary flags: ±1 when s_i sits on ±1
    saddles, jumps = [], []
    cur_loss = loss(beta)
    complete, reason = True, ""
    bar = _bar(progress, None)
    scale = float(np.abs(X.T @ y).max()) / n or 1.0
    active = _ActiveSet(X, y)
    try:
        while True:
            g = active.g  # −∇L(β), computed by the last solve
            sig = tuple(at.tolist())
            gmax = float(np.abs(g).max())
            if gmax <= 1e-12 * scale:
                saddles.append(LimitSaddle(len(saddles), tuple(beta.tolist()), cur_loss, t, None, sig))
                break
            if len(jumps) >= max_jumps:
                saddles.append(LimitSaddle(len(saddles), tuple(beta.tolist()), cur_loss, t, None, sig))
                complete, reason = False, f"stopped after max_jumps = {max_jumps} jumps"
                break
            moving = np.abs(g) > 1e-12 * scale
            inward = (at == 0) | (np.sign(g) != at)
            ok = moving & inward
            target = np.sign(g)
            steps = np.full(d, np.inf)
            steps[ok] = (target[ok] - s[ok]) / g[ok]
            delta = float(steps.min())
            if not math.isfinite(delta):
                raise ModelError("float limit path: no coordinate can move although the gradient is nonzero")
            hit = np.flatnonzero(steps <= delta * (1 + rtol))
            t_new = t + delta
            s = s + delta * g * ok  # coordinates held at the boundary stay there
            s[hit] = target[hit]
            at[hit] = target[hit].astype(int)
            leaving = (at != 0) & (np.abs(s) < 1 - rtol)
            at[leaving] = 0
            B = np.flatnonzero(at != 0)
            new_beta = active.step(at, g, beta, 1e-11 * scale)
            if new_beta is None:  # the warm start failed (cycling, ill-conditioning): SciPy's NNLS from scratch
                z, _ = nnls(X[:, B] * at[B], y, maxiter=50 * max(len(B), 1))
                _check_unique(X[:, B] * at[B], z, B, t_new)  # the warm start's Cholesky refused a dependent column?
                new_beta = np.zeros(d)
                new_beta[B] = z * at[B]
                new_beta[np.abs(new_beta) <= 1e-14 * max(1.0, float(np.abs(new_beta).max()))] = 0.0
                active.reset(new_beta, at)
            elif any(active.dependent(j, at[j]) for j in B[new_beta[B] == 0]):
                # a boundary coordinate left at zero whose column lies in the span of the support's: the minimizer
                # may be a segment (duplicate or collinear columns)
                _check_unique(X[:, B] * at[B], np.abs(new_beta[B]), B, t_new)
            new_loss = loss(new_beta)
            G = X[:, hit].T @ X[:, hit]
            coupled = len(hit) > 1 and bool(np.abs(G - np.diag(np.diag(G))).max() > 1e-12 * np.abs(G).max())
            saddles.append(LimitSaddle(len(saddles), tuple(beta.tolist()), cur_loss, t, t_new, sig))
            jumps.append(LimitJump(t_new, tuple((int(i), int(at[i])) for i in hit),
                                   tuple(int(i) for i in np.flatnonzero((beta == 0) & (new_beta != 0))),
                                   tuple(int(i) for i in np.flatnonzero((beta != 0) & (new_beta == 0))),
                                   not coupled, "tied coordinates are coupled: general position fails" if coupled else ""))
            beta, t, cur_loss = new_beta, t_new, new_loss
            bar.update()
    except KeyboardInterrupt:
        complete, reason = False, "interrupted (Ctrl-C): the jumps above are the ones finished"
    finally:
        bar.close()
    return LimitPath(model, tuple(saddles), tuple(jumps), "float64 (unverified)", complete, reason)



def _check_unique(A, z, B, t_new) -> None:
    """Raise :class:`NonUniqueLimitError` when :func:`_float_ambiguous` finds the step's minimizer not unique."""
    amb = _float_ambiguous(A, z)
    if amb:
        coords = tuple(int(B[k]) for k in amb)
        raise NonUniqueLimitError(
            f"the constrained least-squares step at tau = {t_new:.6g} has (numerically) several minimizers along "
            f"coordinates {[c + 1 for c in coords]} (1-based): the limit path is not defined there (duplicate or "
            f"collinear columns of X among them?); float mode decides this with a rank tolerance of 1e-9, exact mode "
            f"exactly", coords, t_new)


def _float_ambiguous(A, z, rank_tol: float = 1e-9) -> list[int]:
    """Float twin of :func:`~symdln.limits.signqp.ambiguous_coordinates` for ``min_{z ≥ 0} ½‖Az − y‖²`` at its
    minimizer ``z``: the coordinates a nonzero kernel direction ``δ`` of ``A`` (singular values below ``rank_tol``
    times the largest) moves while keeping ``δ_i ≥ 0`` where ``z_i = 0`` (an LP, SciPy's HiGHS), empty when none."""
    from scipy.optimize import linprog

    if A.shape[1] == 0:
        return []
    _, sv, Vt = np.linalg.svd(A, full_matrices=True)
    sv = np.concatenate([sv, np.zeros(A.shape[1] - len(sv))])
    N = Vt[sv <= rank_tol * max(float(sv.max()), 1e-300)].T  # columns: kernel basis
    if N.shape[1] == 0:
        return []
    support = sorted({int(i) for i in np.flatnonzero(np.abs(N).max(axis=1) > 1e-9)})
    Z = np.flatnonzero(z <= 1e-12 * max(1.0, float(np.abs(z).max())))
    if len(Z) == 0:
        return support  # every coordinate is free to move both ways
    NZ = N[Z]
    if np.linalg.matrix_rank(NZ, tol=1e-9) < N.shape[1]:
        return support  # a kernel direction that leaves the zero coordinates at zero
    k = N.shape[1]
    res = linprog(np.zeros(k), A_ub=-NZ, b_ub=np.zeros(len(Z)), A_eq=NZ.sum(axis=0)[None, :], b_eq=[1.0],
                  bounds=[(None, None)] * k, method="highs")
    return support if res.status == 0 else []


class _ActiveSet:
    """Sign-constrained least squares in float64 (Lawson–Hanson), warm-started across jumps.

    The passive set ``P`` (the support of the current saddle, with its signs) and the Cholesky factor ``R`` of
    ``X_Pᵀ X_P`` (signed columns) persist from one jump to the next: the previous saddle is feasible for the next
    constraints (a coordinate leaves the boundary only where ``β_i = 0``), a new column is appended to ``R`` by one
    triangular solve, and ``R`` is refactored only when the inner loop drops a column.  One jump then costs
    ``O(n·d)`` for the gradient and ``O(n·|P| + |P|²)`` for the solve.
    """

    def __init__(self, X, y):
        from scipy.linalg.lapack import dtrtrs

        self.X, self.y, self.n = X, y, X.shape[0]
        self.Xty = X.T @ y
        self.g = self.Xty / self.n  # −∇L at the last saddle
        self.P: list[int] = []
        self.sgn = np.zeros(X.shape[1])
        self.R = np.zeros((0, 0))
        self.z = np.zeros(0)
        # the signed columns of P, in P's order, kept in a buffer (column k appended in place; rebuilt on a drop)
        self._buf = np.empty((X.shape[0], X.shape[0] + 1), order="F")
        self._signs = np.zeros(0)  # the signs the buffer's columns were built with
        def tri(R, b, trans="N"):  # LAPACK's triangular solve without SciPy's argument checks (hot loop)
            x, info = dtrtrs(R, b, lower=0, trans=1 if trans == "T" else 0)
            if info != 0:
                raise np.linalg.LinAlgError(f"singular triangular factor (info {info})")
            return x

        self._tri = tri

    def _cols(self, idx):
        return self.X[:, idx] * self.sgn[idx]

    @property
    def _A(self):
        """The signed columns of ``P`` (a view of the buffer)."""
        return self._buf[:, :len(self.P)]

    def _refactor(self) -> bool:
        if len(self.P) > self._buf.shape[1]:
            return False
        A = self._cols(self.P)
        self._buf[:, :len(self.P)] = A
        self._signs = self.sgn[self.P]
        if not self.P:
            self.R = np.zeros((0, 0))
            return True
        try:
            self.R = np.linalg.cholesky(A.T @ A).T
        except np.linalg.LinAlgError:
            return False
        return True

    def _append(self, j) -> bool:
        a = self.X[:, j] * self.sgn[j]
        aa = float(a @ a)
        if not self.P:
            if aa <= 0:
                return False
            self.R = np.array([[math.sqrt(aa)]])
            self._buf[:, 0] = a
            self._signs = np.array([self.sgn[j]])
            return True
        k = len(self.P)
        if k >= self._buf.shape[1]:
            return False
        try:
            r12 = self._tri(self.R, self._A.T @ a, trans="T")
        except np.linalg.LinAlgError:
            return False
        r22sq = aa - float(r12 @ r12)
        if r22sq <= 1e-13 * aa:  # (numerically) dependent column: let the caller fall back
            return False
        R = np.zeros((k + 1, k + 1))
        R[:k, :k], R[:k, k], R[k, k] = self.R, r12, math.sqrt(r22sq)
        self.R = R
        self._buf[:, k] = a
        self._signs = np.append(self._signs, self.sgn[j])
        return True

    def dependent(self, j: int, sign: float, tol: float = 1e-10) -> bool:
        """Whether column ``j`` (times ``sign``) lies, to ``tol`` relative, in the span of the support's columns (one
        triangular solve with the kept Cholesky factor)."""
        a = self.X[:, j] * sign
        aa = float(a @ a)
        if aa == 0:
            return True
        if not self.P:
            return False
        try:
            r12 = self._tri(self.R, self._A.T @ a, trans="T")
        except np.linalg.LinAlgError:
            return True
        return aa - float(r12 @ r12) <= tol * aa

    def _solve(self):
        c = self.sgn[self.P] * self.Xty[self.P]
        try:
            return self._tri(self.R, self._tri(self.R, c, trans="T"))
        except np.linalg.LinAlgError:
            return None

    def step(self, at, g, beta, tol):
        """The next saddle ``β`` for boundary signs ``at`` (``g = −∇L(β)`` at the previous saddle ``beta``), or
        ``None`` when the warm start cannot settle (the caller then solves from scratch)."""
        self.sgn = at.astype(float)
        if self.P and not self.sgn[self.P].all():  # an active coordinate left the boundary
            return None
        if self.P and not np.array_equal(self.sgn[self.P], self._signs) and not self._refactor():
            return None
        z = np.zeros(self.X.shape[1])
        z[self.P] = np.abs(beta[self.P])
        w = self.sgn * g
        free = at == 0  # off the boundary: cannot enter
        for _ in range(3 * self.X.shape[1] + 10):
            w[free] = -np.inf
            if self.P:
                w[self.P] = -np.inf
            j = int(np.argmax(w))
            if not w[j] > tol:
                out = np.zeros_like(beta)
                out[self.P] = z[self.P] * self.sgn[self.P]
                self.g = g
                return out
            if not self._append(j):
                return None
            self.P.append(j)
            for _inner in range(len(self.P) + 1):
                zeta = self._solve()
                if zeta is None:
                    return None
                if (zeta > 0).all():
                    z[self.P] = zeta
                    break
                zP = z[self.P]
                neg = zeta <= 0
                alpha = float(np.min(zP[neg] / (zP[neg] - zeta[neg])))
                zP = zP + alpha * (zeta - zP)
                keep = zP > 1e-14 * max(1.0, float(zP.max()))
                for i, k in zip(self.P, keep):
                    if not k:
                        z[i] = 0.0
                self.P = [i for i, k in zip(self.P, keep) if k]
                z[self.P] = zP[keep]
                if not self._refactor():
                    return None
                if not self.P:
                    break
            else:
                return None
            r = self.y - self._A @ z[self.P] if self.P else self.y
            g = (self.X.T @ r) / self.n
            w = self.sgn * g
        return None

    def reset(self, beta, at) -> bool:
        """Restart from a saddle computed elsewhere (after a fallback)."""
        self.sgn = at.astype(float)
        self.P = [int(i) for i in np.flatnonzero(beta != 0)]
        self.g = self.X.T @ (self.y - self.X @ beta) / self.n
        return self._refactor()
