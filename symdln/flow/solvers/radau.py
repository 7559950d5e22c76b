"""Radau IIA collocation (order ``2s − 1``) with simplified Newton iterations, in arb arithmetic.

For the stiff plateaus of deep networks (NUMERICS.md): after an escape the learned modes relax at rate
``O(1)`` while the next plateau lasts ``~σ^{−(L−2)}``, a singularly perturbed problem with ``ε/H`` down to
``1e-30``.  Extrapolated linearly implicit Euler loses its order there (the perturbation terms of its
``h``-expansion cap the local error at ``O(H³)``, docs/flow.md); Radau IIA is stiffly accurate and keeps order
``2s − 1`` in the limit ``ε → 0`` (Hairer & Wanner, *Solving ODEs II*, §VI.7).  One step of size ``h``::

    Z_i = h Σ_j a_ij f(y0 + Z_j)   (i = 1 … s),     y1 = y0 + Z_s

with ``c_i`` the zeros of ``d^{s−1}/dx^{s−1} [x^{s−1}(x − 1)^s]`` and ``A = (a_ij)`` the collocation matrix
(``a_ij = ∫_0^{c_i} ℓ_j``), both computed at the working precision.  The stage equations are solved by simplified
Newton iterations with the exact Jacobian ``J = −∇²ℒ(y0)`` (closed form, at working precision) decoupled by the
eigenvalues ``d_k`` of ``A⁻¹ = V D V⁻¹``: ``(d_k/h − J) ΔW_k = (V⁻¹F)_k − d_k W_k / h`` with ``Z = V W``, one
``P × P`` complex inverse per eigenvalue pair and step.

**Error estimate** (Hairer's RADAU5, generalized): ``ŷ1 = y0 + h(γ0 f(y0) + Σ b̂_i f(Y_i))`` has order ``s``
(``γ0 = 1/d_real``, ``b̂`` from the quadrature conditions on the nodes ``0, c_1 … c_s``), and
``err = (I − hγ0 J)⁻¹ (ŷ1 − y1)`` filters its stiff components; the controller therefore sees an ``O(h^{s+1})``
estimate of a step whose error is ``O(h^{2s})``: the steps are chosen conservatively, and the second run of
:mod:`symdln.flow.verify` measures what they achieved.
"""

from __future__ import annotations

import math
from functools import lru_cache

import flint

from ...symbolic.compile import flatten, unflatten
from .base import Solver
from .radau_newton import layers as _layers, newton
from .radau_tableau import radau_tableau

__all__ = ["RadauIIA", "radau_tableau"]

_SAFETY = 0.9
_TARGET = 0.65


def stages_for_tolerance(rtol, strict: bool = False) -> int:
    """Odd stage count by tolerance, 5 (order 9) to 11 (order 21): the error estimate has order ``s``, so tight
    tolerances want more stages (measured on deep plateaus: at ``rtol = 1e-13`` nine stages take 2.5× fewer steps
    than seven).  A ``strict`` run (the estimate held to ``rtol`` itself) takes four more: measured at depth 3,
    σ = 1e-60, rtol = 1e-16 strict, 11 stages 48.9 s, 13 stages 32.6 s, 15 stages 28.7 s."""
    digits = math.log10(rtol.denominator) - math.log10(rtol.numerator)
    s = 5 if digits <= 6 else (7 if digits <= 9 else (9 if digits <= 15 else 11))
    return s + 4 if strict else s


class RadauIIA(Solver):
    """Radau IIA with ``s`` stages (odd), simplified Newton iterations, embedded error estimate of order ``s``."""

    name = "radau"
    stiff = True
    max_newton = 12
    floor = 0.0  # the error norm's floor τ (set by the step controller's builder)
    newton_measure = True  # the stepper passes a norm frozen at the step's start for the Newton iterations
    relax = 1.0  # the error ratio's factor (set by the step controller's builder: :meth:`tolerance_relaxation`)
    reuse_theta = 0.05  # the last Newton contraction below which a held step size reuses the iteration matrices
    theta_target = 0.04  # a Newton contraction above which the next step shrinks (:meth:`_factor`)
    predicted_jacobian = True  # iteration matrices from the Jacobian at a predicted stage (:meth:`adaptive_step`)
    predicted_theta = 0.3  # ... and left after an iteration contracting slower than this (a failure, counted below)
    predicted_failures = (20, 0.25)  # ... given up for the run once Newton failed with them in more than this share of
    # at least this many attempts (measured: depth 3, 3×3, σ = 1e-30: 36 failures in 603; depth 5, 2×2, σ = 1e-6,
    # where the starts are off by 1e11–1e13 tolerances: 1,763 in 2,280, and 65 % more f-evaluations than at y0).  A
    # switch once per run: switching back and forth mid-escape, the step control, which reads Newton's contraction,
    # took 50–90 % more steps at depth 3
    moving = 1e3  # ... where the predicted step moves the state by more than this many tolerances (the error norm):
    # at rest the Jacobian is the same, and Newton's first correction, at the rounding, may not contract (measured:
    # a strict run at rest, depth 3, σ = 1e-30, stalled when every step had to take two iterations)

    def __init__(self, flow, k: int) -> None:
        super().__init__(flow, k)
        self.s = k if k % 2 == 1 else k + 1
        self.newton_iterations = 0
        self._eta = 1.0
        self._jac = None  # (y, J, max |J_ij|) for rejected attempts from the same point
        self._src = None  # (y1, H, Z, c, prev) of the last step: starting stages for a step from y1; prev = (H, Z,
        # copy?) of the step before and whether the scaled copy beat the polynomial on the last one (:meth:`_start`)
        self._acc = None  # (H, ratio) of the last accepted step (predictive step control)
        self._extra = 80  # the inverses' bits beyond condition and range (doubled when full precision did what these
        # did not)
        self._lin = None  # (H, J, inverses) of the last step: reused while H is held and Newton contracts fast
        self._theta = 1.0  # the last Newton contraction rate
        self._predicted = [0, 0, True]  # Newton attempts and failures with a predicted stage's Jacobian; still in use
        self._limit = None  # after a Newton failure: a step size the next accepted steps grow towards (×1.2 each)

    def estimate_weight(self) -> float:
        """``Σ|e_i|``: the error estimate ``Σ e_i Z_i`` carries this many roundings of the stage increments."""
        e = radau_tableau(self.s, 64)[6]
        return sum(abs(float(x)) for x in e)

    @property
    def error_order(self) -> int:
        return self.s

    def tolerance_relaxation(self, rtol) -> float:
        """The factor ``10·rtol^{(s−1)/(2s)}`` applied to the error ratio (Hairer's RADAU5 and RADAU transform the
        user's tolerance the same way): the estimate has order ``s`` and the step order ``2s − 1``, so an estimate of
        ``0.1·rtol^{(s+1)/(2s)}`` goes with a local error of about ``rtol``.  Newton iterations still converge to
        ``0.03·rtol``; the second run of :mod:`symdln.flow.verify` measures what the steps achieved."""
        q = float(rtol)
        return 10.0 * q ** ((self.s - 1) / (2 * self.s))

    def state(self):
        return (self._eta, self._jac, self._src, self._acc, self._extra, self._lin, self._theta, self._limit)

    def restore(self, state) -> None:
        if state is None:
            state = (1.0, None, None, None, 80, None, 1.0, None)
        self._eta, self._jac, self._src, self._acc, self._extra, self._lin, self._theta, self._limit = state

    def _jacobian(self, y):
        if self._jac is not None and self._jac[0] is y:
            return self._jac[1]
        J = self.flow.jacobian(y).mid()
        self.njev += 1
        self._jac = (y, J, max((abs(float(x.mid())) for x in J.entries()), default=0.0))  # max |J_ij| once per J
        return J

    def _inverses(self, J, H, blocks, range_bits: int, full: bool):
        """``(γ/H − J)⁻¹`` (``P × P``) and, per pair ``α ± iβ``, what solves ``((α − iβ)/H − J)(u + iv) = r + iq``:
        ``(G⁻¹, a, b)`` (midpoints; ``a = α/H``, ``b = β/H``), with ``[u v] = G⁻¹(K[r q] + b[−q r])``, ``K = a − J``
        (``P × 2`` matrices, :func:`.radau_newton.newton`).

        ``J = −∇²ℒ`` is symmetric, so with ``K = aI − J`` (``K`` commutes with itself and with ``G``)::

            C = (K − ib)⁻¹ = (K + ib)(K² + b²I)⁻¹,   Re C = K G⁻¹ = G⁻¹K,  Im C = b G⁻¹,  G = K² + b²I

        one real inverse per pair instead of a complex inverse (2.5× less work), and with ``G = J² − 2aJ + (a² + b²)I``
        no product per pair once ``J²`` is formed; ``Re C`` is never formed: Newton applies ``K`` (one product with
        ``J``) then ``G⁻¹`` to its ``P × 2`` residuals, as many products as ``Re C`` and ``Im C`` took (measured, depth
        3, σ = 1e-30, 3×3: the products ``K G⁻¹`` were a third of this method's time).  ``G``'s condition number is
        about the square of ``K``'s (its eigenvalues ``(a − λ)² + b²`` lie in ``[b², ‖K‖² + b²]``), so the pairs are
        computed with the condition number's bits once more, and Newton applies them at those bits (``pair_bits``).
        Returns ``(bits, matrices, J, pair_bits)``."""
        P = J.nrows()
        eye = _eye(P)
        # an approximate inverse serves simplified Newton, but its rounding must stay below the smallest components
        # the error norm resolves: bits for the condition number ~ 1 + H‖J‖, for the state's dynamic range, and 80 more
        # (the run's current margin, self._extra)
        size = self._jac[2] if self._jac is not None and self._jac[1] is J else \
            max((abs(float(x.mid())) for x in J.entries()), default=0.0)
        cond_bits = int(math.log2(1 + float((H * size).mid()) * P))
        prec = flint.ctx.prec
        bits = prec if full else min(prec, self._extra + cond_bits + range_bits)
        with flint.ctx.workprec(bits):
            out = [((eye * (blocks[0] / H)) - J).solve(eye, algorithm="approx").mid()]
        with flint.ctx.workprec(bits + cond_bits):
            # G = K² + b²I = J² − 2(α/H)J + ((α/H)² + b²)I: one product J² for all pairs (the squares K² were 6 of the
            # step's products at 15 stages), the rest scalar; the rounding of J² is that of K² (both ~2^-bits·‖K‖²)
            J2 = (J * J).mid() if len(blocks) > 1 else None
            for a, b in blocks[1:]:
                ah, bh = (a / H).mid(), (b / H).mid()
                Ginv = (J2 - J * (2 * ah) + eye * (ah * ah + bh * bh)).solve(eye, algorithm="approx").mid()
                out.append((Ginv, ah, bh))
        self.nlu += len(out)
        return bits, out, J, bits + cond_bits

    def _start(self, y, H, P):
        """Starting stages for a step from ``y``: ``(poly, copy)``, either ``None``.

        ``poly`` is the previous step's collocation polynomial extrapolated over the new step, ``Z_i = u(t1 + c_i H)
        − y1`` (float64 weights: a starting guess needs no more).  ``copy`` is the previous step's stages scaled,
        ``κ Z_prev`` with ``κ = ⟨Z_prev, Z_prev2⟩ / ‖Z_prev2‖²`` (float64, over the full increments), offered only
        when the step ratio repeats (``H/H_prev`` within 1 % of ``H_prev/H_prev2``): on the geometric approach to an
        escape at depth ``L ≥ 3`` the solution is nearly self-similar, ``u ~ (t* − t)^{−1/(L−2)}``, and each step a
        scaled copy of the last one, while the polynomial extrapolates towards the singularity at ``t*`` (measured:
        depth 3, σ = 1e-30, 3×3: the polynomial's start was off by 6e-4 of the increment on every such step, the
        copy by 1e-5 … 1e-9, 3–5 Newton iterations fewer of 7 late in an escape, one more early on; the verified run
        with 10 digits of its crossings 42.2 → 38.3 s, 19 % and 8 % fewer f-evaluations in its two runs).  Which one
        starts the iterations is decided by how the two did on the last step (:meth:`adaptive_step`)."""
        src = self._src
        if src is None or src[0] is not y:
            return None, None
        _, Hp, Zp, c, prev = src
        r = float((H / Hp).mid())
        if not (math.isfinite(r) and 0 < r < 10):
            return None, None
        poly = flint.arb_mat(_extrapolation(tuple(float(ci.mid()) for ci in c), r)) * Zp
        copy = None
        if prev is not None:
            Hpp, Zpp = prev[:2]
            rp = float((Hp / Hpp).mid())
            if math.isfinite(rp) and rp > 0 and abs(r / rp - 1) <= 0.01:
                s = Zp.nrows()
                a = [float(x.mid()) for x in Zp.entries()[(s - 1) * P:]]
                b = [float(x.mid()) for x in Zpp.entries()[(s - 1) * P:]]
                bb = sum(x * x for x in b)
                kappa = sum(x * y for x, y in zip(a, b)) / bb if bb > 0 else math.nan
                if math.isfinite(kappa) and kappa > 0:
                    copy = (Zp * flint.arb(kappa)).mid()
        return poly, copy

    def adaptive_step(self, y, f0, H, measure, newton_measure=None):
        """One step: ``(y1, err/rtol, factor)``; a Newton failure is ``inf`` (the controller shrinks the step).

        Stage increments are the rows of ``s × P`` matrices ``Z``; ``W = T⁻¹ Z`` are the transformed ones.  The
        iteration matrices' inverses are computed at the bits the step needs (:meth:`_inverses`); when Newton diverges
        with them, once more at full precision before the step is given up.
        """
        s = self.s
        c, A, Ainv, blocks, T, Tinv, e, gamma0 = radau_tableau(s, flint.ctx.prec)
        shapes = [(W.nrows(), W.ncols()) for W in y]
        y0l = flatten(y).entries()
        P = len(y0l)
        # the dynamic range the error norm resolves: largest component over the smallest one above the norm's floor
        mags = [abs(float(x.mid())) for x in y0l if x != 0]
        mags = [m for m in mags if m > 0] or [1.0]
        low = max(min(mags), self.floor)
        range_bits = max(0, int(math.log2(max(mags) / low)) + 1) if math.isfinite(max(mags) / low) else flint.ctx.prec
        Lam = flint.arb_mat(s, s)  # block diagonal T⁻¹A⁻¹T, divided by H
        Lam[0, 0] = blocks[0] / H
        for k, (a, b) in enumerate(blocks[1:]):
            i = 2 * k + 1
            Lam[i, i] = Lam[i + 1, i + 1] = a / H
            Lam[i, i + 1], Lam[i + 1, i] = b / H, -b / H
        before = self._src if self._src is not None and self._src[0] is y else None  # the step that ended at y
        poly, copy = self._start(y, H, P)
        use_copy = copy is not None and before[4][2]
        Z0 = copy if use_copy else poly
        extrapolated = Z0 is not None
        if Z0 is None:
            Z0 = flint.arb_mat(s, P)
        # the iteration matrices' Jacobian: at the predicted stage nearest c = 0.7 (simplified Newton converges at the
        # rate of the largest gap between the matrix and the stages' Jacobians; on an escape the state changes most
        # across the step, and a Jacobian inside the step halves that gap: measured at depth 3, 3×3, σ = 1e-30,
        # f-evaluations 32405 → 25827 and 63950 → 52790 in the two runs of a verified run, 38.3 → 35.6 s; depth 3 and
        # 4 on five other configurations 10–25 % less time; class attributes above), at y0 without a prediction or
        # movement, and as the last resort when Newton fails with the other one
        J = None
        if extrapolated and self.predicted_jacobian and self._predicted[2] and \
                (newton_measure or measure)(y, _layers(Z0.entries(), (s - 1) * P, shapes)) > self.moving:
            m = min(range(s), key=lambda i: abs(float(c[i].mid()) - 0.7))
            ym = _layers((Z0 + flint.arb_mat(s, P, y0l * s)).entries(), m * P, shapes)
            J = self.flow.jacobian(tuple(W.mid() for W in ym)).mid()
            self.njev += 1
        # the linear algebra, cheapest first: the last step's (same H, Newton contracting fast), fresh at reduced
        # bits, fresh at full precision (then with the Jacobian at y0, when the first was at a predicted stage)
        tries = []
        if self._lin is not None and self._theta < self.reuse_theta and (self._lin[0] - H).is_zero():
            tries.append("reuse")
        if self._extra < flint.ctx.prec:
            tries.append("reduced")
        tries.append("full")
        if J is not None:
            tries.append("at y0")
        else:
            J = self._jacobian(y)
        out, reduced_bits = None, 0
        for how in tries:
            if how == "reuse":
                inv = self._lin[2]
            elif how == "full" and reduced_bits >= flint.ctx.prec:
                continue  # the reduced bits were the full precision already
            else:
                if how == "at y0":
                    J = self._jacobian(y)
                inv = self._inverses(J, H, blocks, range_bits, how != "reduced")
                self._lin = (H, J, inv)
                if how == "reduced":
                    reduced_bits = inv[0]
            predicted = "at y0" in tries and how != "at y0"  # the matrices come from a predicted stage's Jacobian
            out = newton(self, y0l, shapes, inv, Lam, A, H, T, Tinv, Z0, newton_measure or measure, predicted)
            if predicted:
                tried = self._predicted
                tried[0] += 1
                tried[1] += out is None
                least, share = self.predicted_failures
                if tried[0] >= least and tried[1] > share * tried[0]:
                    tried[2] = False
            if out is None and extrapolated:
                # the last step's polynomial, extrapolated, can start the iterations where the linearization at y0
                # does not hold (near a blow-up it overshoots): from zero stages, as RADAU5's STARTN (measured:
                # depth 3, σ = 1e-30, 3×3, strict: 12 of 24 Newton failures, each halving the step, went away)
                out = newton(self, y0l, shapes, inv, Lam, A, H, T, Tinv, flint.arb_mat(s, P), newton_measure or measure,
                                   predicted)
            if out is not None:
                break
        if out is not None and how == "full" and "reduced" in tries:
            # the reduced bits did not carry the Newton iterations, full ones did: twice the margin from now on (measured:
            # a sticky switch to full precision, 351 bits where ~90 had served, after one such step at depth 3,
            # σ = 1e-30, 3×3, made the later inverses 4× dearer)
            self._extra = min(2 * self._extra, flint.ctx.prec)
        if out is None:
            # Newton failed: halve the step (RADAU5), and let the next steps grow back towards this size slowly
            self._lin = None
            self._limit = (H * 0.5).mid()
            return y, math.inf, 0.5
        Zm, y1 = out
        # error estimate: (I − hγ0J)⁻¹ (γ0 h f0 + Σ e_i Z_i) = (γ/h − J)⁻¹ (·) γ/h
        est = flatten(f0) * (gamma0 * H) + (flint.arb_mat(1, s, list(e)) * Zm).transpose()
        err = (inv[1][0] * est) * (blocks[0] / H)
        y1t = tuple(W.mid() for W in unflatten(y1, shapes))
        # which start serves the next step: the one that came closer to this step's stages (last rows, Newton's norm);
        # without a copy this step (the ratio changed) the last choice stands
        copy_next = bool(before is not None and before[4] is not None and before[4][2])
        if poly is not None and copy is not None:
            last, nm = (s - 1) * P, newton_measure or measure
            errs = [nm(y1t, _layers((Zs - Zm).entries(), last, shapes)) for Zs in (poly, copy)]
            copy_next = errs[1] < errs[0]
        self._src = (y1t, H, Zm, c, None if before is None else (before[1], before[2], copy_next))
        r = measure(y1t, unflatten(err.mid(), shapes)) * self.relax
        return y1t, r, self._factor(H, r)

    def _factor(self, H, r):
        """The controller's factor, made predictive after Gustafsson (as RADAU5): after an accepted step the smaller of
        ``0.94(0.65/r)^{1/(q+1)}`` and that times ``(H/H_acc)(r_acc/r)^{1/(q+1)}`` — escapes, where every step must
        be shorter than the last, are then not taken by trial and rejection; after a slow Newton contraction ``θ`` at
        most ``√(θ_target/θ)``."""
        if not (math.isfinite(r) and r > 0):
            return None
        x = 1.0 / (self.s + 1)
        fac = min(4.0, max(0.2, 0.94 * (0.65 / r) ** x))
        if r > 1:
            return min(fac, 0.9)
        if self._acc is not None and self._acc[1] > 0:
            Hp, rp = self._acc
            pred = fac * float((H / Hp).mid()) * (rp / r) ** x
            if math.isfinite(pred):
                fac = max(0.2, min(fac, pred))
        self._acc = (H, max(r, 1e-2))
        if self._theta > self.theta_target:
            # Newton contracted slowly: the linearization at y0 is near the end of its reach (the contraction grows
            # fast with H), so the next step shrinks before Newton diverges (measured: depth 3, σ = 1e-30, 3×3,
            # strict: before escapes steps were held where θ had reached 0.05–0.1 and the next one diverged and was
            # halved; 13 Newton failures instead of 18)
            fac = min(fac, math.sqrt(self.theta_target / self._theta))
        if self._limit is not None:
            # after a Newton failure at 2·limit the step grows back only to the limit, which relaxes by 1.2 a step
            # (without it, steps with tiny errors grew ×4 into the failure and shrank again, for ever: depth 3,
            # σ = 1e-30, rtol = 1e-11 after the first escape)
            fac = min(fac, max(1.0, float((self._limit / H).mid())))
            self._limit = (self._limit * flint.arb("1.2")).mid()
            if float((self._limit / H).mid()) > 1e6:
                self._limit = None
        if 1.0 <= fac <= 1.2:
            return 1.0  # hold H: the next step reuses the Jacobian and the inverses (RADAU5's rule)
        # no extra shrink below the factor: with the predictive factor, shrinking 20 % more made every rate of shrinking
        # a fixed point, and on the geometric approach to an escape the steps kept error ratios of 0.038 where 0.35 is
        # the controller's equilibrium (depth 3, σ = 1e-30, 3×3, rtol 1e-13: 747 steps, now 625)
        return fac


@lru_cache(maxsize=16)
def _eye(P: int) -> flint.arb_mat:
    """The ``P × P`` identity (exact entries: valid at every precision; built once per size)."""
    return flint.arb_mat(P, P, [1 if i == j else 0 for i in range(P) for j in range(P)])


@lru_cache(maxsize=64)
def _extrapolation(c: tuple, r: float) -> tuple:
    """Rows ``i`` of weights ``w_ij`` with ``u(1 + c_i r) − u(1) = Σ_j w_ij Z_j``, ``u`` the collocation polynomial
    through ``(0, 0), (c_j, Z_j)`` on the unit step and ``Z_s = u(1)`` (cached: a held step size repeats ``r = 1``)."""
    nodes = (0.0, *c)
    s = len(c)
    rows = []
    for i in range(s):
        x = 1.0 + c[i] * r
        row = []
        for j in range(1, s + 1):
            v = 1.0
            for m in range(s + 1):
                if m != j:
                    v *= (x - nodes[m]) / (nodes[j] - nodes[m])
            row.append(v - (1.0 if j == s else 0.0))
        rows.append(tuple(row))
    return tuple(rows)
