"""The coefficients of the ``s``-stage Radau IIA method at a given precision, with the transformation that decouples
its stage equations (:func:`radau_tableau`), checked against the identities the solver relies on
(:func:`_tableau_defect`).  The solver: :mod:`.radau`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import flint

from ..._interrupts import interrupts_deferred

__all__ = ["radau_tableau"]


@lru_cache(maxsize=32)
def radau_tableau(s: int, prec: int):
    """``(c, A, Ainv, blocks, T, Tinv, e, gamma0)`` of the ``s``-stage Radau IIA method at ``prec`` bits.

    ``T⁻¹ A⁻¹ T`` is block diagonal: the real eigenvalue ``γ`` of ``A⁻¹`` first, then a ``2 × 2`` block
    ``[[α, β], [−β, α]]`` for each pair ``α ± iβ`` (``T``'s columns: the real eigenvector, then ``Re v, Im v``);
    ``blocks`` lists ``γ`` and the ``(α, β)``.  ``e = (b̂ − b)ᵀ A⁻¹`` weighs the stages in the error estimate.

    The eigenvectors of ``A⁻¹`` are ill-conditioned for many stages: computed with ``prec + 64`` bits, ``T T⁻¹``
    was off by ``2.7e-3`` at ``s = 15``, ``prec = 150`` (and the error estimate by ``3e-11 H f``, which stalled a
    strict run's steps at ``H = 6.5e-8``: depth 3, σ = 1e-3).  The tableau is therefore computed with more working
    bits until it passes its own checks at ``prec`` bits (:func:`_tableau_defect`).
    """
    if s < 1 or s % 2 == 0:
        raise ValueError(f"Radau IIA stages must be odd, got {s}")
    extra = 64
    while True:
        try:
            with interrupts_deferred():  # flint's eig can lose a Ctrl-C raised inside it (symdln._interrupts)
                out = _tableau(s, prec + extra)
        except ValueError:  # the eigenvalues were not isolated at these bits
            out = None
        if out is not None and _tableau_defect(out, prec) <= 2.0 ** -(prec + 4):
            return out
        if extra > 16 * prec + 4096:
            raise ArithmeticError(f"the {s}-stage Radau IIA tableau did not reach {prec} bits")
        extra *= 2


def _tableau(s: int, bits: int):
    """The tableau of :func:`radau_tableau`, computed with ``bits`` working bits (midpoints)."""
    with flint.ctx.workprec(bits):
        x = flint.fmpq_poly([0, 1])
        p = x ** (s - 1) * (x - 1) ** s
        for _ in range(s - 1):
            p = p.derivative()
        c = sorted((r.real for r, _ in p.complex_roots()), key=lambda v: float(v.mid()))
        c[-1] = flint.arb(1)
        V = flint.arb_mat(s, s, [c[j] ** i for i in range(s) for j in range(s)])  # V[i, j] = c_j^i
        M = flint.arb_mat(s, s, [c[i] ** (k + 1) / (k + 1) for i in range(s) for k in range(s)])
        A = M * V.transpose().inv()  # Σ_j a_ij c_j^k = c_i^{k+1}/(k+1)
        Ainv = A.inv()
        b = [A[s - 1, j] for j in range(s)]
        E, R = flint.acb_mat(Ainv).eig(right=True, algorithm="rump")
        real = min(range(s), key=lambda i: abs(float(E[i].imag.mid())))
        pairs = sorted((i for i in range(s) if i != real and float(E[i].imag.mid()) > 0), key=lambda i: float(E[i].imag.mid()))
        cols, blocks = [], [E[real].real]
        piv = max(range(s), key=lambda r: float(abs(R[r, real]).mid()))
        cols.append([(R[r, real] / R[piv, real]).real for r in range(s)])  # a real vector (any complex scale)
        for i in pairs:
            cols.append([R[r, i].real for r in range(s)])
            cols.append([R[r, i].imag for r in range(s)])
            blocks.append((E[i].real, E[i].imag))
        T = flint.arb_mat(s, s, [cols[k][r] for r in range(s) for k in range(s)])
        Tinv = T.inv()
        gamma0 = 1 / blocks[0]
        # b̂: γ0 [q = 0] + Σ b̂_i c_i^q = 1/(q + 1), q = 0 … s − 1
        rhs = flint.arb_mat(s, 1, [(1 / flint.arb(q + 1)) - (gamma0 if q == 0 else 0) for q in range(s)])
        bhat = V.solve(rhs)
        e = flint.arb_mat(1, s, [bhat[i, 0] - b[i] for i in range(s)]) * Ainv
        blocks = [blocks[0].mid()] + [(a.mid(), bb.mid()) for a, bb in blocks[1:]]
        return (tuple(ci.mid() for ci in c), A.mid(), Ainv.mid(), tuple(blocks), T.mid(), Tinv.mid(),
                tuple(e[0, i].mid() for i in range(s)), gamma0.mid())


def _tableau_defect(tab, prec: int) -> float:
    """The largest defect, evaluated with ``2·prec`` bits, of the identities the solver relies on: ``A A⁻¹ = I``,
    ``T T⁻¹ = I``, ``T⁻¹ A⁻¹ T = Λ`` (block diagonal from ``blocks``), the simplifying conditions
    ``Σ_j a_ij c_j^k = c_i^{k+1}/(k+1)`` (``k < s``), and the estimate's ``γ0 [q = 0] + Σ_j (eA)_j c_j^q = 1/(q+1) −
    Σ_j b_j c_j^q`` (``q < s``), i.e. ``ŷ1 − y1 = O(h^{s+1})``; each relative to the size of the terms."""
    c, A, Ainv, blocks, T, Tinv, e, gamma0 = tab
    s = len(c)
    worst = 0.0

    def dev(x, size=1.0):
        nonlocal worst
        v = abs(float(x.mid())) / max(size, 1.0) if x.is_finite() else math.inf
        worst = max(worst, v)

    with flint.ctx.workprec(2 * prec + 64):
        eye = [[1 if i == j else 0 for j in range(s)] for i in range(s)]
        Lam = flint.arb_mat(s, s)
        Lam[0, 0] = blocks[0]
        for k, (a, b) in enumerate(blocks[1:]):
            i = 2 * k + 1
            Lam[i, i] = Lam[i + 1, i + 1] = a
            Lam[i, i + 1], Lam[i + 1, i] = b, -b
        for P, Q, R in ((A * Ainv, eye, None), (T * Tinv, eye, None), (Tinv * Ainv * T, None, Lam)):
            for i in range(s):
                for j in range(s):
                    target = Q[i][j] if Q is not None else R[i, j]
                    dev(P[i, j] - target, float(abs(target).mid()) if R is not None else 1.0)
        for i in range(s):
            for k in range(s):
                dev(sum((A[i, j] * c[j] ** k for j in range(s)), flint.arb(0)) - c[i] ** (k + 1) / (k + 1))
        w = [sum((e[i] * A[i, j] for i in range(s)), flint.arb(0)) for j in range(s)]
        for q in range(s):
            lhs = (gamma0 if q == 0 else 0) + sum((w[j] * c[j] ** q for j in range(s)), flint.arb(0))
            dev(lhs - (1 / flint.arb(q + 1) - sum((A[s - 1, j] * c[j] ** q for j in range(s)), flint.arb(0))))
    return worst
