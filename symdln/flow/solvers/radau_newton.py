"""Simplified Newton iterations on the stage equations of a Radau IIA step (:mod:`.radau`), in arb arithmetic.

The stage increments ``Z`` (rows of an ``s × P`` matrix) solve ``Z = h (A ⊗ I) F(y0 + Z)``; with ``A⁻¹ = T Λ T⁻¹``
(one real eigenvalue ``γ`` and complex pairs ``α ± iβ``) and ``W = T⁻¹Z`` each iteration solves, per block,
``(Λ_k/h − J) ΔW_k = (T⁻¹F)_k − (Λ W)_k/h`` with one iteration matrix ``J`` for the whole step (Hairer & Wanner,
*Solving ODEs II*, §IV.8).  :func:`newton` iterates and decides convergence; :func:`pair_corrections` applies the
complex pairs' inverses; :func:`stages_converged`, :func:`stagnant` and :func:`unresolved` are its extra tests of
convergence.
"""

from __future__ import annotations

import math

import flint

__all__ = ["layers", "newton", "pair_corrections", "stages_converged", "stagnant", "unresolved"]

_ROT = flint.arb_mat([[0, 1], [-1, 0]])  # [r q]·_ROT = [−q r]


def newton(solver, y0l, shapes, inv, Lam, A, H, T, Tinv, Zm, measure, measured: bool = False):
    """Simplified Newton iterations on the stage equations from ``Zm``; ``(Z, y1)``, or ``None`` when they diverge
    or do not converge in ``max_newton`` iterations.  Converged: ``η‖ΔZ_i‖ ≤ 0.03·rtol`` at every stage ``i``,
    ``η = θ/(1 − θ)`` with ``θ`` the observed contraction of the last stage ``Z_s = y1 − y0`` (Hairer & Wanner
    IV.8; the other stages are measured once the last one passes, :func:`stages_converged`: the dense output and
    the error estimate are built from all of them), and no entry whose correction stagnates from one iteration to the
    next has a stage equation off by more than the tolerance (:func:`stagnant`, :func:`unresolved`: the norm is a
    maximum and shows the largest entries' contraction only); the first iteration borrows the last step's ``θ``,
    unless ``measured`` (an iteration matrix not built at ``y0``: a small first correction could then come from a
    matrix far off, which only the contraction of a second iteration tells).  ``Lam`` is ``Λ/h`` (block diagonal
    ``T⁻¹A⁻¹T/h``), ``A`` the collocation matrix and ``H`` the step, for the stage equations' defect.  The stage
    states ``y0 + Z_i`` are the rows of one ``s × P`` matrix; each row's layers are cut from its entries."""
    s, P = Zm.nrows(), len(y0l)
    Y0 = flint.arb_mat(s, P, y0l * s)
    Wm = (Tinv * Zm).mid()
    Yl = (Zm + Y0).entries()
    eta = max(solver._eta, 1e-16) ** 0.8
    old = old_dZ = None
    nblocks = (s + 1) // 2
    field = solver.flow.field
    mats = inv[1]
    for _ in range(solver.max_newton):
        flat = []
        for i in range(s):
            for F in field(layers(Yl, i * P, shapes)):
                flat += F.entries()
        solver.nfev += s
        rhs = (Tinv * flint.arb_mat(s, P, flat) - Lam * Wm).mid().entries()
        # (computing the corrections at the inverses' reduced bits took 60 % more iterations: depth 3, σ = 1e-10)
        out = (mats[0] * flint.arb_mat(P, 1, rhs[:P])).entries()
        if nblocks > 1:
            out += pair_corrections(rhs, inv, nblocks, P)
        dW = flint.arb_mat(s, P, out).mid()
        dZ = (T * dW).mid()
        Wm = (Wm + dW).mid()
        Zm = (Zm + dZ).mid()
        solver.newton_iterations += 1
        Yl = (Zm + Y0).entries()
        last = (s - 1) * P
        y1 = layers(Yl, last, shapes)
        size = measure(y1, layers(dZ.entries(), last, shapes))
        if not math.isfinite(size):
            return None
        if old is not None and old > 0:
            theta = size / old
            if theta >= 0.99 or (measured and theta > solver.predicted_theta):
                return None  # diverging (or, with matrices from a predicted stage, slow: the ones at y0 next)
            eta = theta / (1 - theta)
        dZl = dZ.entries()
        if (eta * size <= 0.03 or size == 0) and not (measured and old is None and size != 0) and \
                stages_converged(measure, Yl, dZl, s, P, shapes, 0.03 / eta if eta > 0 else math.inf) and \
                not (old_dZ is not None and unresolved(stagnant(dZl, old_dZ, Yl), rhs, A, H, T, Yl, s, P, shapes,
                                                       measure)):
            solver._eta = eta
            solver._theta = 0.0 if old is None else size / old
            return Zm, flint.arb_mat(P, 1, Yl[last:])
        old, old_dZ = size, dZl
    return None


def pair_corrections(rhs, inv, nblocks: int, P: int) -> list:
    """The complex pairs' corrections, rows ``u`` then ``v`` of each pair (:func:`newton`), from the transformed
    residual ``rhs`` (entries) and the inverses of :meth:`.radau.RadauIIA._inverses`.

    Formed at ``G``'s own bits at least (``pair_bits``): ``G⁻¹`` is ``~1/b²`` where the result is ``~1/b``, so
    products at fewer bits lose the condition number's (measured: at the working precision, depth 4, σ = 1e-30,
    where those bits exceed it, Newton failed on 8,278 of 49,700 steps and the run hit max_time; the regression
    test ``test_pair_corrections_keep_their_condition_bits_at_depth_4``)."""
    _, mats, J, pair_bits = inv
    out = []
    with flint.ctx.workprec(max(flint.ctx.prec, pair_bits)):
        for k in range(1, nblocks):
            i = (2 * k - 1) * P
            # rows 2k − 1 and 2k of the transformed residual are r and q: Y = [r q] is the transpose of the 2 × P
            # matrix of those adjacent entries (no interleaving), [−q r] = Y·[[0, 1], [−1, 0]], and [u v]ᵀ lists
            # u then v, as the corrections are laid out
            Y = flint.arb_mat(2, P, rhs[i:i + 2 * P]).transpose()
            Ginv, ah, bh = mats[k]
            out += (Ginv * (Y * ah - J * Y + (Y * _ROT) * bh)).transpose().entries()
    return out


def layers(entries, offset: int, shapes) -> tuple:
    """The layers of the state whose flattened entries start at ``entries[offset]``."""
    out = []
    for r, c in shapes:
        out.append(flint.arb_mat(r, c, entries[offset:offset + r * c]))
        offset += r * c
    return tuple(out)


def stagnant(dZl, old_dZl, Yl) -> list[int]:
    """The entries of the stage corrections that did not contract, ``|ΔZ_k| ≥ |ΔZ_{k−1}|/2``, while above the
    rounding of the stages (``2^{64−prec}`` of their largest entry): the norm is a maximum over entries and shows the
    contraction of the largest ones only.  Such entries are common and harmless where they are converged already
    (measured: depth 3, σ = 1e-10, 49 of 421 converged iterations, at ~1e-15 of the state): :func:`unresolved` decides
    by the stage equations themselves."""
    big = max((abs(x.mid()) for x in Yl), default=flint.arb(0))
    noise = (big * flint.arb(2) ** (64 - flint.ctx.prec)).mid()
    out = []
    for j, (new, old) in enumerate(zip(dZl, old_dZl)):
        a = abs(new.mid())
        if a > noise and a * 2 >= abs(old.mid()):
            out.append(j)
    return out


def unresolved(entries, rhs, A, H, T, Yl, s: int, P: int, shapes, measure) -> bool:
    """Whether the stage equations' defect ``D = Z − h(A ⊗ I)F(Y) = −h A T r`` (``r`` the transformed residual of the
    iteration) at the given (stagnant) entries exceeds the tolerance (``> 1`` in the error norm) at some stage.

    Simplified Newton with an iteration matrix far stiffer than the stage equations in one direction makes there a
    correction ``~ D/‖M‖`` that stays the same from one iteration to the next, tiny in the norm, while the defect is
    not.  Found (2026-12-08): a diagonal network in mirror coordinates, ``α = 1e-40``, a Radau IIA step of ``H = 918``
    across an escape, its matrices from a predicted stage past the escape (``‖J‖ ~ 1e33``), "converged" to ``Z = 0``
    in the escaping coordinate with corrections ``−2.982e-35`` in each iteration while its stage equations were off by
    76; the step was accepted and the run stepped over the escape (``tests/flow/test_mirror.py``).  In a stiff
    direction the defect of a converged iterate is large too (``≈ hJ`` times its error), but there the iteration
    matrix is right and the corrections contract: such an entry is not stagnant."""
    if not entries:
        return False
    D = ((A * (T * flint.arb_mat(s, P, rhs))) * (-H)).mid().entries()
    only = [flint.arb(0)] * (s * P)
    for j in entries:
        only[j] = D[j]
    for i in sorted({j // P for j in entries}):
        if not measure(layers(Yl, i * P, shapes), layers(only, i * P, shapes)) <= 1:
            return True
    return False


def stages_converged(measure, Yl, dZl, s: int, P: int, shapes, bound: float) -> bool:
    """Whether the last Newton correction ``ΔZ_i`` of every stage but the last (measured by the caller) is within
    ``bound`` in the step's error norm at its stage state ``y0 + Z_i``: ``max_i ‖ΔZ_i‖ ≤ 0.03/η``, one ``η`` for all
    stages as RADAU5's norm over the whole stage vector (a floor ``η ≥ 0.01`` measured 14 % more f-evaluations in a strict
    run at depth 5 and no accuracy that the tolerance asked for).

    The last stage alone is ``y1``; the dense output and the error estimate ``Σ e_i Z_i`` are built from all stages,
    and they converge at other rates.  Found by an independent check (2026-12-07): depth 5, balanced ``a0 = 1e-15``,
    crossing times and losses from the dense output off by up to 1.5e-19 relative in strict runs at rtol 1e-24 (their
    Newton matrices from a predicted stage's Jacobian), so that a strict verification run agreed with the first run
    to 11 digits where both had 10; with every stage measured, 1.3e-16 (the truth, by quadrature of the closed form)."""
    for i in range(s - 1):
        if not measure(layers(Yl, i * P, shapes), layers(dZl, i * P, shapes)) <= bound:
            return False
    return True
