"""The α → 0 limit of diagonal linear networks: Pesme–Flammarion Algorithm 1 (MATH §4.1), exact or float64.

With ``L(β) = (1/2n)‖Xβ − y‖²`` and ``g = −∇L(β_k) = Xᵀ(y − Xβ_k)/n``, the dual variable moves linearly,
``s(τ) = s_k + (τ − τ_k) g``, until a coordinate reaches ``±1``::

    Δ = min_i  (sign(g_i) − s_k[i]) / g_i      over i with g_i ≠ 0 and |s_k[i]| < 1 or sign(g_i) ≠ s_k[i]
    τ_{k+1} = τ_k + Δ,   s_{k+1} = s_k + Δ g
    β_{k+1} = argmin L(β)  s.t.  β_i ≥ 0 if s_{k+1}[i] = 1,  β_i ≤ 0 if s_{k+1}[i] = −1,  β_i = 0 otherwise

and the flow from ``u = √2·α·1``, ``v = 0`` (MATH §1.2; here ``β = u ⊙ v``) satisfies ``β_α(log(1/α)·τ) → β_k`` for
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
from .activeset import ActiveSet
from .vector import FrozenVector
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
    """One saddle of the limit path: ``β`` (exact ``Fraction`` tuple, or a tuple-like read-only
    :class:`~symdln.limits.vector.FrozenVector` of floats in float mode), its loss, and the
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
        if isinstance(self.beta, FrozenVector):
            return self.beta.nonzero()
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
            try:
                f = float(x)
            except OverflowError:  # an exact value past float64's range (|x| > 1.8e308): the exact string only
                f = None
            return {"exact": str(x), "float": f} if exact else {"float": f}

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
    if not show:  # (a disabled tqdm still costs 0.2 ms to build: 1% of a d = 1000 float path)
        return _NoBar()
    return tqdm(total=total, desc="limit path", unit="jump", leave=False)


class _NoBar:
    """What :func:`_bar` returns when no bar is shown."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


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


#: float mode's range for the nonzero entries of X and y (their squares, products and reciprocals stay normal floats)
FLOAT_RANGE = (1e-100, 1e100)


def _float_run(model, max_jumps, progress) -> LimitPath:
    with np.errstate(divide="ignore", invalid="ignore"):  # jump times divide by gradients that may be 0 (masked)
        return _float_loop(model, max_jumps, progress)


def _float_loop(model, max_jumps, progress) -> LimitPath:
    X, y = model.float64
    n, d = X.shape
    rtol = 1e-9
    for name, (lo, hi) in zip(("X", "y"), model.float64_ranges):  # float64 keeps the path's products (X_ij²,
        if lo is not None and not (FLOAT_RANGE[0] <= lo and hi <= FLOAT_RANGE[1]):  # τ = 1/|∇L|) in range only here
            raise ModelError(f"float mode: the nonzero entries of {name} range over [{lo:.3g}, {hi:.3g}], "
                             f"outside [{FLOAT_RANGE[0]:g}, {FLOAT_RANGE[1]:g}] where float64 holds the path's squares "
                             f"and jump times; use the exact mode (without --float), or rescale the data")

    def loss(beta):
        supp = np.flatnonzero(beta)
        r = X[:, supp] @ beta[supp] - y
        return float(r @ r) / (2 * n)

    s, t = np.zeros(d), 0.0
    at = np.zeros(d)  # boundary flags: ±1.0 when s_i sits on ±1
    steps = np.empty(d)  # time to reach the boundary, per coordinate (buffers reused by every jump)
    tmp = np.empty(d)
    # per saddle: its support and values (P, β_P), its signs s on the boundary, loss, start; per jump: time, hit,
    # entered, left, coupled.  The records are built after the loop, in one pass.
    supports, sigs, losses, starts, jumps_raw = [], [], [], [], []
    P, vals = np.zeros(0, dtype=np.intp), np.zeros(0)
    cur_loss = loss(np.zeros(d))
    complete, reason = True, ""
    bar = _bar(progress, None)
    scale = float(np.abs(X.T @ y).max()) / n or 1.0
    floor = 1e-12 * scale
    active = ActiveSet(X, y)
    cnorm = active.column_norms
    ynorm = float(np.linalg.norm(y))
    cmax = float(cnorm.max())
    nu_buf = np.empty(d)  # each gradient entry's noise level (below it: zero)
    try:
        while True:
            g = active.g  # −∇L(β), computed by the last solve
            supports.append((P, vals))
            sigs.append(at.astype(np.int8))
            losses.append(cur_loss)
            starts.append(t)
            absg = np.abs(g)
            # each gradient entry's noise: ‖x_j‖/n times the residual's, that is the solve's rounding seen through the
            # support's conditioning (ActiveSet.residual_noise, from the gradient left on the support, where it
            # vanishes exactly) and the residual's own rounding; a gradient entry not above NOISE times it is zero
            # (an independent exact check found float paths that went on from their last saddle on such noise to
            # spurious saddles, 2026-12-07)
            c = 0.0
            if len(P):  # (a bound with the largest column norm first: on well-conditioned data it is below the floor)
                rn = active.residual_noise()
                c = NOISE * (rn + EPS * (ynorm + len(P) * cmax * active.beta_l1())) / n
                if c * cmax > floor:
                    c = NOISE * (rn + EPS * (ynorm + len(P) * float(cnorm[P] @ np.abs(vals)))) / n
            if c * cmax > floor:
                nu = np.multiply(cnorm, c, out=nu_buf)
                np.maximum(nu, floor, out=nu)
                ok = absg > nu
            else:
                nu = floor
                ok = absg > floor
            target = np.sign(g)
            # a coordinate moves when its gradient is nonzero, unless it is held on the boundary it pushes towards
            moves = ok & (target != at)
            # time to reach the boundary: (target − s)/g = (1 − target·s)/|g| where a coordinate moves, else ∞
            np.subtract(target, s, out=tmp)
            np.divide(tmp, g, out=steps)  # (0/0 where g = 0: masked next; the loop runs under errstate)
            steps[~moves] = np.inf
            delta = float(steps[steps.argmin()])  # argmin: a third of min's cost on 1000 entries
            if not math.isfinite(delta):
                gmax = absg[absg.argmax()]  # (argmax: a third of max's cost; a NaN is its own maximum)
                if not ok.any():
                    if not gmax <= floor:  # (a NaN too)
                        level = float(nu if np.isscalar(nu) else nu[absg.argmax()])
                        complete, reason = False, _noise_reason(t, gmax, level)
                else:
                    # coordinates off the support push outward against a constrained solution that leaves them at
                    # zero: impossible in exact arithmetic (the solve would take them in), so rounding decided it
                    complete, reason = False, _noise_reason(t, gmax, nu, held=True)
                break
            if len(jumps_raw) >= max_jumps:
                complete, reason = False, f"stopped after max_jumps = {max_jumps} jumps"
                break
            # ties: jump times within rtol of the time itself (their rounding grows with it)
            hit = (steps <= delta + rtol * (t + delta)).nonzero()[0]
            t_new = t + delta
            np.multiply(g, delta, out=tmp)
            np.add(s, tmp, out=s, where=moves)  # coordinates held at the boundary stay there
            s[hit] = at[hit] = target[hit]
            on = (at != 0).nonzero()[0]  # (on a bool array: half the cost of at.nonzero() on floats)
            gone = np.abs(s[on]) < 1 - rtol  # left the boundary
            if np.count_nonzero(gone):
                at[on[gone]] = 0.0
                on = on[~gone]
            if active.step(at, on, g, 1e-11 * scale):
                idle = on[~active._inP[on]]
                if len(idle) and active.dependent(idle):
                    # a boundary coordinate left at zero whose column lies in the span of the support's: the
                    # minimizer may be a segment (duplicate or collinear columns)
                    _check_unique(X[:, on] * at[on], np.abs(_dense(d, *active.coefficients())[on]), on, t_new)
                new_P, new_vals = active.coefficients()
                entered, left = active.entered, active.left
                new_loss = active.loss()
            else:  # the warm start failed (cycling, ill-conditioning): SciPy's NNLS from scratch
                from scipy.optimize import nnls

                z, _ = nnls(X[:, on] * at[on], y, maxiter=50 * max(len(on), 1))
                _check_unique(X[:, on] * at[on], z, on, t_new)  # the warm start's Cholesky refused a dependent column?
                new_beta = np.zeros(d)
                new_beta[on] = z * at[on]
                new_beta[np.abs(new_beta) <= 1e-14 * float(np.abs(new_beta).max())] = 0.0  # rounding of zeros
                active.reset(new_beta, at)
                new_P = np.flatnonzero(new_beta)
                new_vals = new_beta[new_P]
                old, cur = set(P.tolist()), set(new_P.tolist())
                entered, left = tuple(sorted(cur - old)), tuple(sorted(old - cur))
                new_loss = loss(new_beta)
            if new_loss > cur_loss * (1 + 1e-9) + 1e-15 * losses[0]:
                # the loss decreases strictly along the exact path: float64 has lost it (ill-conditioned columns)
                complete = False
                reason = (f"float64 lost the path at tau = {t_new:.6g}: the next saddle's loss {new_loss:.6g} is above "
                          f"the last one's {cur_loss:.6g}, which the exact path never does (ill-conditioned columns "
                          f"of X?); the saddles above are float64's; the exact mode (without --float) decides")
                break
            coupled = False
            if len(hit) > 1:
                G = X[:, hit].T @ X[:, hit]
                coupled = bool(np.abs(G - np.diag(np.diag(G))).max() > 1e-12 * np.abs(G).max())
            jumps_raw.append((t_new, tuple(zip(hit.tolist(), map(int, at[hit].tolist()))), entered, left,
                              coupled))
            P, vals, t, cur_loss = new_P, new_vals, t_new, new_loss
            bar.update()
    except KeyboardInterrupt:
        complete, reason = False, "interrupted (Ctrl-C): the jumps above are the ones finished"
        # a saddle is kept with the jump that ends it, and only when all four of its entries were recorded
        keep = min(len(jumps_raw) + 1, len(supports), len(sigs), len(losses), len(starts))
        del supports[keep:], sigs[keep:], losses[keep:], starts[keep:], jumps_raw[keep - 1:]
    finally:
        bar.close()
    ends = [j[0] for j in jumps_raw] + [None] * (len(supports) - len(jumps_raw))
    S = np.stack(sigs) if sigs else np.zeros((0, d), dtype=np.int8)
    S.flags.writeable = False
    saddles = tuple(LimitSaddle(k, FrozenVector._owning(d, *supports[k]), losses[k], starts[k], ends[k],
                                FrozenVector._owning(d, dense=S[k])) for k in range(len(supports)))
    jumps = tuple(LimitJump(t_new, hit_pairs, entered, left, not coupled,
                            "tied coordinates are coupled: general position fails" if coupled else "")
                  for t_new, hit_pairs, entered, left, coupled in jumps_raw)
    return LimitPath(model, saddles, jumps, "float64 (unverified)", complete, reason)


#: a gradient entry counts as zero unless above this multiple of its estimated rounding noise (:func:`_float_run`)
NOISE = 10.0
EPS = float(np.finfo(float).eps)


def _noise_reason(t, gmax, nu, held: bool = False) -> str:
    """Why a float path stopped where its gradient is rounding noise (:func:`_float_run`)."""
    what = ("coordinates at zero push outward against the constrained solution, which exact arithmetic never "
            "allows" if held else f"the gradient left, max |grad L| = {gmax:.3g}, is within {nu:.3g}")
    return (f"float64 cannot tell whether the path goes on after tau = {t:.6g}: {what}, the rounding noise of the "
            f"constrained solve at that saddle (ill-conditioned columns of X?); the exact mode (without --float) "
            f"decides")


def _dense(d, P, vals) -> np.ndarray:
    """The length-``d`` vector with ``vals`` at positions ``P``, zero elsewhere."""
    out = np.zeros(d)
    out[P] = vals
    return out


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
