"""Following a saddle's escape directions downhill to the next critical point: the edges of a theory graph.

From a saddle's exact representative each escape direction ``d`` is followed from ``θ + εd`` to the first plateau
(:func:`_follow`: float64 LSODA; :func:`_follow_precise`: symdln's integrator at the digits a slow direction needs
beside a faster unstable one, :func:`follow_digits`), then polished to the critical point there
(:func:`_polish`, Levenberg–Marquardt on ``∇ℒ = 0``).  :func:`_escape_directions` lists what is followed.
:func:`symdln.graph.sources.landscape_graph` turns the end points into edges.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ..models.diagonal import DiagonalLinearModel
from ..symbolic.pointfloat import flat_gradient

__all__ = ["follow_digits"]

PLATEAU_DROP = 1e-2  # a plateau: the gradient norm below this fraction of its largest value so far


def _flat_state(model, mats):
    return np.concatenate([np.asarray(W, dtype=float).ravel() for W in mats])


def _unflat(model, x):
    """The layers of a flat state (views)."""
    out, k = [], 0
    for r, c in model.shapes:
        out.append(x[k:k + r * c].reshape(r, c))
        k += r * c
    return out


def _follow(model, data, x0, scale, max_steps: int = 20_000):
    """Float64 gradient flow from ``x0`` to the first plateau, then Levenberg–Marquardt on ``∇ℒ = 0`` to the
    critical point there: the end point, or ``None`` (no plateau within ``max_steps`` LSODA steps).  A plateau:
    ``‖∇ℒ‖`` below 1% of its largest value so far (so a slow start from a non-strict saddle is not one).  Stopping at
    the first plateau keeps the float64 noise in the next saddle's unstable directions (~1e-16, amplified) from
    carrying the run past it.  A dip of the gradient where the polish finds no critical point is a near miss, not a
    plateau: the flow goes on, and the next attempt waits for a gradient ten times smaller (an audit found a depth-3
    escape, widths (2, 1), dropped at a dip of ‖∇ℒ‖ = 0.059 whose flow goes on to a global minimum, 2026-12-07)."""
    from scipy.integrate import LSODA

    grad = flat_gradient(model, data)  # built once: a follow calls it ~3,000 times

    def rhs(t, x):
        return -grad(x)

    import warnings

    solver = LSODA(rhs, 0.0, x0, t_bound=np.inf, rtol=1e-10, atol=1e-14 * scale)
    gmax = float(np.linalg.norm(rhs(0.0, x0)))
    below = math.inf  # after a near miss: the gradient the next attempt waits for
    for _ in range(max_steps):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # LSODA's convergence chatter: a failed step ends the attempt below
            msg = solver.step()
        if msg is not None or solver.status != "running":
            return None
        g = float(np.linalg.norm(grad(solver.y)))
        gmax = max(gmax, g)
        if g > PLATEAU_DROP * gmax:
            below = math.inf  # left the dip: the next one is judged afresh
        elif g <= below:
            end = _polish(model, data, solver.y, scale)
            if end is not None and _reached(model, data, solver.y, end):
                return end
            below = 0.1 * g
    return None


def _reached(model, data, y, end) -> bool:
    """Whether the critical point ``end``, polished from the plateau point ``y``, can be where the flow through ``y``
    is going: a gradient flow only loses loss, so ``ℒ(end) ≤ ℒ(y)`` (to float64 rounding), unless ``end`` is within
    1e-3 of ``y`` (relative: a close pass at finite ε, a visit in the saddle-to-saddle sense).  An audit found an edge
    drawn to a saddle of loss 5/2 from a dip of the gradient at loss 2.456, 2 away (9 %), whose flow went on to loss
    1/2 (depth 3, widths 2, spectrum (3, 2, 1): ``Z{2}:generic (ranks 1,2) → {1}:cut 2``, 2026-12-07)."""
    from ..symbolic.pointfloat import float_loss

    ly, le = float_loss(model, _unflat(model, y), data), float_loss(model, _unflat(model, end), data)
    if le <= ly + 1e-10 * max(1.0, abs(ly)):
        return True
    return float(np.linalg.norm(end - y)) <= 1e-3 * max(1.0, float(np.linalg.norm(y)))


def _polish(model, data, x, scale, max_iter: int = 400):
    """Levenberg–Marquardt on ``∇ℒ = 0`` from a plateau point: the critical point there, or ``None``.

    With ``H = ∇²ℒ(x) = V diag(w) Vᵀ`` (symmetric: the Jacobian of ``∇ℒ``) the step minimizing
    ``‖∇ℒ + Hδ‖² + μ‖δ‖²`` is ``δ = −V diag(w/(w² + μ)) Vᵀ ∇ℒ``: directions along the critical set's tangent
    (``w ≈ 0``) are not moved, so the polish lands near the plateau point on the set.  ``μ`` falls tenfold after a
    step that lowers ``‖∇ℒ‖`` and rises tenfold otherwise; the loop ends when ``‖∇ℒ‖ ≤ 1e-15·scale`` or no step
    lowers it.  Every operation is NumPy's in a fixed order on one BLAS thread: the same plateau point gives the
    same bits (SciPy's MINPACK ``least_squares(method="lm")`` did not: its first call in a process took other
    iterates than the later ones, and theory graphs differed between runs).

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> from symdln.symbolic.landscape import float_data
    >>> m = deep_linear(spectrum=[2, 1], widths=2, rotation_seed=None)
    >>> x = _polish(m, float_data(m), np.array([1.01, 0, 0, 0.99, 1.02, 0, 0, 0.98]), 2.0)
    >>> bool(np.allclose(_unflat(m, x)[1] @ _unflat(m, x)[0], [[2, 0], [0, 1]], atol=1e-12))
    True
    """
    from ..symbolic.landscape import float_hessian_closed

    grad = flat_gradient(model, data)
    x = np.array(x, dtype=float)
    g = grad(x)
    f = math.fsum(g * g)  # exactly rounded: no summation order to vary
    mu = None
    target = (1e-15 * scale) ** 2
    for _ in range(max_iter):
        if f <= target:
            break
        # the Jacobian of ∇ℒ is the Hessian (closed form): finite differences cost n + 1 gradients an iteration
        w, V = np.linalg.eigh(float_hessian_closed(model, _unflat(model, x), data))
        c = V.T @ g
        top = float(np.max(w * w)) if w.size else 0.0
        if top == 0:
            break
        mu = 1e-3 * top if mu is None else mu
        while mu <= 1e20 * top:
            xn = x - V @ (w * c / (w * w + mu))
            gn = grad(xn)
            fn = math.fsum(gn * gn)
            if fn < f:
                x, g, f = xn, gn, fn
                mu = max(mu / 10, 1e-30 * top)
                break
            mu *= 10
        else:
            break  # no step lowers ‖∇ℒ‖: converged as far as float64 goes
    if not math.sqrt(f) <= 1e-12 * _gradient_size(model, data, x, scale):
        return None
    return x


def _gradient_size(model, data, x, scale: float) -> float:
    """The size of ``∇ℒ``'s terms at ``x``, against which float64 resolves it: ``scale`` for a diagonal network; for a
    DLN ``max_l Π_{k≠l} ‖W_k‖ · max(scale, ‖AΣxx‖)`` (``∇_l = W_{>l}ᵀ(AΣxx − Σyx)W_{<l}ᵀ``), at least ``scale``.  An
    unbalanced global minimum of depth 4 with layer norms 27, 13, 11, 24 has a float64 gradient floor ~1e-10, which a
    fixed ``1e-12·scale`` never admitted: the escape there had no edge (an audit, 2026-12-07)."""
    if isinstance(model, DiagonalLinearModel):
        return scale
    from ..symbolic.pointfloat import _end_to_end

    Ws = _unflat(model, x)
    norms = [float(np.linalg.norm(W)) for W in Ws]
    outer = max(scale, float(np.linalg.norm(_end_to_end(model, Ws) @ data[0])))
    prods = [math.prod(norms[:l] + norms[l + 1:]) for l in range(len(norms))]
    return max(scale, max(prods) * outer)


#: a direction is followed in high precision when another unstable rate at the same saddle is this much faster
SLOW_RATIO = 1.5
#: the precision a slow direction needs grows like (fastest/rate − 1)·log10(1/ε); past this it is not followed
MAX_FOLLOW_DIGITS = 160
#: at depth ≥ 3 a slow direction is followed in high precision up to this many digits, in at most DEEP_FOLLOW_STEPS
#: steps (a count, not a time: a theory graph is the same file run to run); past either, or without a plateau by the
#: horizon, the float64 run with its nudged probes decides (the edge's ``followed`` says which).  Measured at depth
#: 3, widths 2, spectrum (3, 2): 22–48 digits took 0.04–1.8 s a direction, 64 digits 10.8 s, 81 digits more than
#: 120 s (Radau IIA at rtol 1e-71, 8,642 steps); following every slow direction made a graph 4× slower and more
DEEP_FOLLOW_DIGITS = 50
DEEP_FOLLOW_STEPS = 80


def follow_digits(rate: float, fastest: float, eps: float) -> int:
    """``D = ⌈(fastest/rate − 1)·log10(1/ε)⌉ + 10``: the digits a slow direction of rate ``rate`` needs beside a faster
    unstable rate ``fastest`` when followed from ``θ + εd`` (:func:`_follow_precise`).

    >>> follow_digits(1.0, 2.0, 1e-2)
    12
    """
    return int(math.ceil((fastest / rate - 1) * math.log10(1 / eps) + 10))


def _exact_eigenpairs(st, digits: int = 60):
    """``[(−λ, eigenvector as mpf list)]`` for the negative eigenvalues of the exact Hessian of a strict saddle with a
    rational representative (mpmath's symmetric eigensolver in its own context at ``digits``), or ``None``."""
    import mpmath

    H = getattr(st.analysis, "hessian", None)
    if H is None or H.nrows() > 60:  # mpmath's eigensolver: 1.3 s at 48 parameters, ~3 s at 60
        return None
    ctx = mpmath.MPContext()
    ctx.dps = digits
    n = H.nrows()
    Hm = ctx.matrix([[ctx.mpf(int(H[i, j].p)) / int(H[i, j].q) for j in range(n)] for i in range(n)])
    w, V = ctx.eigsy(Hm)
    scale = max(1, max(abs(x) for x in w))
    return [(-w[i], [V[k, i] for k in range(n)]) for i in range(n) if w[i] < -ctx.mpf(10) ** (-digits // 2) * scale]


def _follow_precise(model, data, st, d, rate, fastest, eps, scale, max_time: float | None = 120,
                    extra_digits: int = 0, max_steps: int | None = None):
    """Follow the slow unstable direction ``d`` (high-precision unit vector) of ``st`` with symdln's integrator,
    from ``θ + εd`` with ``θ`` exact, to the first plateau; then polish in float64 (Levenberg–Marquardt).

    Rounding and truncation errors along a faster unstable direction (rate ``fastest``) grow by
    ``(1/ε)^{fastest/rate − 1}`` relative to the slow one before the slow escape is over, so the run's tolerance is
    ``10^{−D}`` with ``D = (fastest/rate − 1)·log10(1/ε) + 10`` (ten digits of margin) and it carries ``D + 10``
    digits (``extra_digits`` more: a check of the run's convergence); ``max_steps`` (both horizons together) or
    ``max_time`` (each run) bound the work.  Returns the end point, or ``None`` (needs more than
    :data:`MAX_FOLLOW_DIGITS`, no plateau by the horizon or within the budget, or the polish failed)."""
    from fractions import Fraction

    from ..flow.integrate import integrate_flow
    from ..precision import Precision

    digits = follow_digits(rate, fastest, eps) + extra_digits  # (extra: a check of the run's convergence)
    # the polish starts from the plateau's closest approach, not its first accepted state: which state came first
    # below the drop depends on the step sizes, and from a first state with |∇ℒ| = 7e-2 the polish failed where one
    # with 4e-2 converged (depth 3, spectrum (3, 2), widths 2: the same direction's end came and went with a change
    # of the iteration matrices' rounding)
    if digits > MAX_FOLLOW_DIGITS + extra_digits:
        return None
    step = Fraction(eps).limit_denominator(1000) * Fraction(math.sqrt(scale)).limit_denominator(1000)
    dq = [Fraction(str(v)) for v in d]  # the mpf's decimal digits, exactly
    theta, k = [], 0
    for W in st.point:
        W = sp.Matrix(W)
        r, c = W.shape
        theta.append(sp.Matrix(r, c, lambda a, b, W=W, k=k: W[a, b] + sp.Rational(step * dq[k + a * c + b])))
        k += r * c
    stop, gstop = None, math.inf
    grad = flat_gradient(model, data)
    # the plateau comes after ~log(1/ε)/rate (measured: at 21–32 % of the long horizon): the short horizon first
    steps_left = max_steps  # (both horizons together)
    for horizon in (1.2 * math.log(1 / eps) / rate + 6 / rate, 3 * math.log(1 / eps) / rate + 20 / rate):
        if steps_left is not None and steps_left <= 0:
            break
        sol = integrate_flow(model, theta, Fraction(horizon).limit_denominator(1000), precision=Precision(digits + 10),
                             rtol=Fraction(1, 10**digits), throw=False, progress=False, max_time=max_time,
                             **({} if steps_left is None else {"max_steps": steps_left}))
        if steps_left is not None:
            steps_left -= sol.stats.steps + sol.stats.rejected_steps
        gmax = 0.0
        for y in sol.states:
            x = np.concatenate([np.array([[float(W[a, b].mid()) for b in range(W.ncols())]
                                          for a in range(W.nrows())], dtype=float).ravel() for W in y])
            g = float(np.linalg.norm(grad(x)))
            if stop is not None:  # on the plateau: on to its closest approach (the gradient's local minimum)
                if g >= gstop:
                    break
                stop, gstop = x, g
                continue
            gmax = max(gmax, g)
            if g <= PLATEAU_DROP * gmax:
                stop, gstop = x, g
        if stop is not None:
            break
    end = None if stop is None else _polish(model, data, stop, scale)
    return end if end is not None and _reached(model, data, stop, end) else None


def _canonical_basis(V, rates, rel: float = 1e-9):
    """The columns of ``V`` (orthonormal eigenvectors for ``rates``) with each cluster of equal rates (within ``rel``)
    replaced by a basis that depends on the cluster's eigenspace only: ``eigh``'s basis of a multiple eigenvalue is
    arbitrary and moved with last-bit differences of the Hessian between runs (so did the edges followed from it).
    Gram–Schmidt on the projections ``P e_k`` of the coordinate vectors, the longest first (the lowest index among
    those within 1e-8 of it)."""
    V = np.array(V, dtype=float)
    out = V.copy()
    done = set()
    for a in range(len(rates)):
        if a in done:
            continue
        group = [b for b in range(len(rates)) if abs(rates[b] - rates[a]) <= rel * max(1.0, abs(rates[a]))]
        done.update(group)
        if len(group) < 2:
            continue
        Q = V[:, group]
        P = Q @ Q.T  # the eigenspace's projector: a stable function of the Hessian when the cluster is separated
        basis = []
        for _ in group:
            R = P - sum((np.outer(b, b) for b in basis), np.zeros_like(P))
            norms = np.linalg.norm(R, axis=0)
            k = int(np.flatnonzero(norms >= (1 - 1e-8) * norms.max())[0])
            basis.append(R[:, k] / norms[k])
        for b, v in zip(group, basis):
            out[:, b] = v
    return out.T


def _escape_directions(model, st, x0, eps: float = 3e-2):
    """``(unit direction, rate or None, order, high-precision direction or None, fastest rate)`` to follow from a
    saddle stratum's representative: every eigenvector of the Hessian with a negative eigenvalue (rate ``−λ``; from
    the exact Hessian at 60 digits when the representative is rational, else float64), and inside an eigenvalue
    cluster (a multiple rate: its eigenvectors are an arbitrary basis) also the normalized sums and differences of
    pairs; for a non-strict saddle, its exact escape directions of order ≥ 3."""
    from ..symbolic.landscape import float_hessian

    out = []
    H = float_hessian(model, _unflat(model, x0))
    w, V = np.linalg.eigh(H)
    tol = 1e-9 * max(1.0, float(np.abs(w).max()) if w.size else 1.0)
    neg = [i for i in range(len(w)) if w[i] < -tol]
    rates = [float(-w[i]) for i in neg]
    vecs = [list(v) for v in _canonical_basis(V[:, neg], rates)]
    pairs = None
    shallow = isinstance(model, DiagonalLinearModel) or model.depth == 2
    deep_ok = any(r * SLOW_RATIO < max(rates) and follow_digits(r, max(rates), eps) <= DEEP_FOLLOW_DIGITS
                  for r in rates)  # depth ≥ 3: some slow direction within DEEP_FOLLOW_DIGITS
    if rates and min(rates) * SLOW_RATIO < max(rates) and st.kind == "strict saddle" and (shallow or deep_ok):
        pairs = _exact_eigenpairs(st)  # slow directions will be followed in high precision: exact eigenvectors
        if pairs is not None:
            rates = [float(r) for r, _ in pairs]
            vecs = [v for _, v in pairs]
    fastest = max(rates, default=0.0)
    for rate, v in zip(rates, vecs):
        out.append((np.array([float(x) for x in v]), rate, 2, v if pairs is not None else None, fastest))
    for a in range(len(rates)):
        for b in range(a + 1, len(rates)):
            if abs(rates[a] - rates[b]) <= 1e-9 * max(1.0, rates[a]):
                for sgn in (1, -1):
                    v = [x + sgn * y for x, y in zip(vecs[a], vecs[b])]
                    norm = math.sqrt(sum(float(x) ** 2 for x in v))
                    v = [x / norm for x in v]
                    out.append((np.array([float(x) for x in v]), rates[a], 2, v if pairs is not None else None,
                                fastest))
    for e in st.escape:
        if e.rate is None and e.order >= 3:
            d = np.array([float(sp.N(v, 20)) for v in e.direction], dtype=float)
            if d.shape == x0.shape and np.linalg.norm(d):
                out.append((d / np.linalg.norm(d), None, e.order, None, None))
    return out
