"""Stiffness detection for ``solver="auto"``: an explicit run that turns out stiff switches to Radau IIA.

A problem is stiff for an explicit method when an L-stable one could take much longer steps (Hairer & Wanner,
*Solving ODEs II*, §IV.2): its steps are then bounded by its stability region, or by the accuracy of components
that have long relaxed.  After each accepted GBS step of size ``H`` the detector estimates the spectral radius
``ρ`` of the Jacobian ``J = −∇²ℒ`` (symmetric, so a power iteration with the closed-form Jacobian-vector product
converges to ``max |λ|``; the vector is kept from step to step) and counts the consecutive steps with::

    H·ρ ≥ 0.2·c_k,

``c_k`` the real stability boundary of GBS with ``k`` stages: its stability function on ``y' = λy`` is a
polynomial of degree ``2k`` with order ``2k``, hence the Taylor polynomial ``Σ_{m ≤ 2k} z^m/m!``, and
``c_k = sup{x : |R(−x')| ≤ 1 for 0 ≤ x' ≤ x}`` (2 for ``k = 1``, 3.55 for ``k = 3``, 14.8 for ``k = 18``).
After fifteen such steps in a row a trial Radau IIA step of ``10·H`` is attempted from the current point (it is
not kept); when its error is within the tolerance the run is stiff and goes on with Radau IIA from that step
size.  A failed trial doubles the number of steps before the next one, so trials cost a bounded fraction of the
run.

Examples (data form, depth 2, σ = 1e-10, 10 digits): inputs ``X = diag(1, 1/100)``: GBS took 3,861 steps (every
one at ``H·ρ ≈ 8.0``, ``c_9 = 8.07``: stability-bound), Radau IIA 42; ``X = diag(1, 1/30)``: GBS's steps are
accuracy-bound at ``H·ρ ≈ 2.1`` on the relaxed learned mode, 1,546 of them.
"""

from __future__ import annotations

from functools import lru_cache

import flint

from ..symbolic.compile import flatten, unflatten

__all__ = ["stability_boundary", "StiffnessDetector"]

#: Fraction of the stability boundary, and consecutive accepted steps above it, before a trial implicit step.
BOUNDARY_FRACTION = 0.2
CONSECUTIVE = 15
#: The trial implicit step, over the explicit one.
TRIAL_FACTOR = 10


@lru_cache(maxsize=64)
def stability_boundary(k: int) -> float:
    """``c_k``: the real stability boundary of ``Σ_{m ≤ 2k} z^m/m!`` (module docstring), to 1e-6.

    >>> stability_boundary(1)
    2.0
    """
    if k < 1:
        raise ValueError(f"`k` must be ≥ 1, got {k}")
    with flint.ctx.workprec(256):
        coeffs, c = [], flint.arb(1)
        for m in range(2 * k + 1):
            coeffs.append(c)
            c = c / (m + 1)
        poly = flint.arb_poly(coeffs)

        def stable(x: float) -> bool:
            return abs(float(poly(flint.arb(-x)).mid())) <= 1 + 1e-12

        x, step = 0.0, 0.01
        while stable(x + step):
            x += step
        lo, hi = x, x + step
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return round(lo, 6)


class StiffnessDetector:
    """Counts the consecutive accepted GBS steps near the stability boundary and tries the implicit solver
    (module docstring).

    Parameters
    ----------
    flow : CompiledFlow
        Gives ``J·v`` (:meth:`~symdln.symbolic.compile.CompiledFlow.jvp`).
    k : int
        The GBS stages of the run.
    make_stiff : callable
        Builds the :class:`~symdln.flow.control.Stepper` of the implicit solver (once, at the first trial).
    """

    def __init__(self, flow, k: int, make_stiff) -> None:
        self.flow = flow
        self.limit = BOUNDARY_FRACTION * stability_boundary(k)
        self.make_stiff = make_stiff
        self.streak = 0
        self.wait = CONSECUTIVE
        self._stiff = None
        self._v = None

    def spectral_radius(self, y, iterations: int = 2) -> float:
        """``max |λ(J(y))|`` by power iteration, warm-started from the last call's vector (call in scope)."""
        shapes = [(W.nrows(), W.ncols()) for W in y]
        v = self._v
        if v is None:
            n = sum(r * c for r, c in shapes)
            v = flint.arb_mat(n, 1, [flint.arb(1) / (i + 2) for i in range(n)])  # not orthogonal to any eigenvector
        rho = 0.0
        for _ in range(iterations):
            Jv = flatten(self.flow.jvp(y, unflatten(v, shapes)))
            size = (Jv.transpose() * Jv)[0, 0].sqrt()
            rho = float(size.mid()) / max(float((v.transpose() * v)[0, 0].sqrt().mid()), 1e-300)
            if not size > 0:
                break
            v = (Jv * (1 / size)).mid()
        self._v = v
        return rho

    @property
    def trial_nfev(self) -> int:
        """Vector-field evaluations spent on trials (while no trial has succeeded)."""
        return 0 if self._stiff is None else self._stiff.nfev

    def observe(self, y, f0, H):
        """After an accepted step of size ``H`` ending at ``y`` (``f0 = f(y)``): ``(stepper, H_next)`` of the implicit
        solver once the run is stiff, else ``None``."""
        h = float(H.mid())
        near = h * self.spectral_radius(y) >= self.limit
        self.streak = self.streak + 1 if near else 0
        if self.streak < self.wait:
            return None
        if self._stiff is None:
            self._stiff = self.make_stiff()
        trial = (H * TRIAL_FACTOR).mid()
        _, r, _ = self._stiff.attempt(y, f0, trial)
        if r <= 1:
            return self._stiff, trial
        self.streak, self.wait = 0, 2 * self.wait
        return None
