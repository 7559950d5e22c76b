"""Critical points of a Tikhonov-regularized DLN with one data point, counted neuron pattern by neuron pattern.

With one data point ``(x, y)``, ``r = W_L⋯W_1x − y``, forward values ``h_l = W_l⋯W_1x`` (``h_0 = x``) and
backward values ``g_l = (W_L⋯W_{l+1})ᵀr`` (``g_L = r``), the gradient of
``ℒ = ½‖W_L⋯W_1x − y‖² + ½Σ λ^l_ij (W_l)_ij²`` is ``g_l h_{l−1}ᵀ + Λ_l ⊙ W_l``.  At a critical point

    W_l = −(g_l h_{l−1}ᵀ) ⊘ Λ_l,    so    h_{l,i} = −g_{l,i} Q_{l,i},    g_{l,i} = −h_{l,i} P_{l,i},

with ``Q_{l,i} = Σ_j h_{l−1,j}² / λ^l_ij`` and ``P_{l,i} = Σ_k g_{l+1,k}² / λ^{l+1}_ki``.  Every hidden neuron is
either **inactive** (``h = g = 0``) or **active**: ``Q P = 1`` and ``h = −gQ``.  On a pattern ``S`` of active
neurons the unknowns ``H = h²``, ``Γ = g²`` of each active neuron and the residual ``r`` satisfy

    H_{l,i} − Γ_{l,i} Q_{l,i}² = 0,    Q_{l,i} P_{l,i} − 1 = 0,    r_k (1 + Σ_j H_{L−1,j} / λ^L_kj) + y_k = 0,

(``H_{0,j} = x_j²``; ``P`` of the last hidden layer is ``Σ_k r_k² / λ^L_ki``), a system in ``2|S| + n_L``
unknowns of low degree; the weights are eliminated and the ``(ℤ/2)^{|S|}`` sign symmetry of the active neurons
(``g ↦ ±√Γ``) is quotiented out.  Each solution with every ``Γ ≠ 0`` is the image of exactly ``2^{|S|}``
critical points, a local isomorphism of the solution schemes (``g ↦ g²`` is étale where ``g ≠ 0``; the
substitutions for ``W``, ``h`` and ``r`` are eliminations), so multiplicities are kept and

    N_ℂ = Σ_S 2^{|S|} N_S,    N_ℝ = Σ_S 2^{|S|} #{real solutions of S with every Γ > 0}.

A pattern with an empty hidden layer and an active neuron elsewhere has no solution (``Q`` or ``P`` vanishes);
only the empty pattern (the origin) and patterns with every hidden layer active are solved.

**Genericity is checked, not assumed.**  The identity above needs every solution of every pattern to have
``Γ ≠ 0`` (this also makes each inactive neuron's 2 × 2 block ``[[1, Q], [P, 1]]`` invertible: a solution of
``S`` with ``QP = 1`` at an inactive neuron ``i`` is a solution of ``S ∪ {i}`` with ``Γ_i = 0``), the origin
simple (at depth 2: ``α_i P_i ≠ 1`` with ``α_i = Σ_j x_j²/λ¹_ij``, ``P_i = Σ_k y_k²/λ²_ki``; at depth ≥ 3 its
Hessian is ``diag(λ)``) and every pattern's system zero-dimensional.  Each is decided exactly (msolve on the
pattern's system with ``Π Γ = 0`` added must find no point); a draw that fails is reported as degenerate, never
counted.  The real count is certified: msolve's isolating boxes are refined until the sign of every ``Γ`` is
certain.

The counts equal those of the plain gradient system (tests: every row of MATH §5 and further rows, both engines).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import flint
import sympy as sp

from ..errors import ModelError

__all__ = ["NeuronCount", "PatternCount", "active_patterns", "pattern_system", "count_by_neurons",
           "origin_is_simple", "neuron_points", "check_pattern_size",
           "MAX_PATTERNS", "CountInterrupted"]


@dataclass(frozen=True)
class PatternCount:
    """One active-neuron pattern: its neurons per hidden layer, points with multiplicity, distinct points, and
    the real solutions with every ``Γ > 0`` (each an isolating box, ``[[lo, hi], …]`` per unknown of
    :func:`pattern_system`, dyadic endpoints as text)."""

    pattern: tuple
    with_multiplicity: int
    distinct: int
    positive_boxes: tuple

    @property
    def weight(self) -> int:
        """``2^{|S|}``: critical points per solution."""
        return 2 ** sum(len(s) for s in self.pattern)


class CountInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`count_by_neurons`: ``done`` (the :class:`PatternCount` of the patterns finished) and
    ``total`` (the number of patterns); their sums are lower bounds, not the count."""

    def __init__(self, done, total):
        super().__init__(f"interrupted after {len(done)} of {total} active-neuron patterns")
        self.done = tuple(done)
        self.total = total


@dataclass(frozen=True)
class NeuronCount:
    """The counts of :func:`count_by_neurons` (``complex_count`` with multiplicity, ``distinct_count``,
    ``real_count``), the patterns solved, and the seconds taken."""

    complex_count: int
    distinct_count: int
    real_count: int
    patterns: tuple
    seconds: float


def active_patterns(hidden) -> list[tuple]:
    """The patterns to solve: a tuple of active neurons per hidden layer, every layer non-empty, and the empty
    pattern (the origin) first.

    >>> active_patterns([1, 2])
    [((), ()), ((0,), (0,)), ((0,), (1,)), ((0,), (0, 1))]
    """
    per_layer = [[c for k in range(1, h + 1) for c in itertools.combinations(range(h), k)] for h in hidden]
    return [tuple(() for _ in hidden), *itertools.product(*per_layer)]


def pattern_system(data, pattern) -> tuple[list, list, list]:
    """``(equations, unknowns, Γ unknowns)`` of one active-neuron pattern (the module's system; ``data`` from
    :func:`~symdln.symbolic.tikhonov.tikhonov_data` with one data point).  Unknowns: ``H{l}_{i}``, ``G{l}_{i}``
    (``Γ``) per active neuron, then ``r{k}``.

    >>> from symdln.symbolic.tikhonov import tikhonov_data
    >>> eqs, vs, gam = pattern_system(tikhonov_data(1, 1, 1), ((0,),))
    >>> [str(v) for v in vs], [str(g) for g in gam]
    (['H1_0', 'G1_0', 'r0'], ['G1_0'])
    """
    dims = data.dims
    L = len(dims) - 1
    if data.data_points != 1:
        raise ModelError(f"the neuron-pattern reduction needs one data point, got {data.data_points}")
    H = [{j: data.X[j][0] ** 2 for j in range(dims[0])}]
    G: list = [None]
    unknowns = []
    for l in range(1, L):
        H.append({i: sp.Symbol(f"H{l}_{i}") for i in pattern[l - 1]})
        G.append({i: sp.Symbol(f"G{l}_{i}") for i in pattern[l - 1]})
        unknowns += [v for i in pattern[l - 1] for v in (H[l][i], G[l][i])]
    r = [sp.Symbol(f"r{k}") for k in range(dims[L])]
    unknowns += r
    G.append({k: r[k] ** 2 for k in range(dims[L])})
    lam = data.lams
    eqs = []
    for l in range(1, L):
        for i in pattern[l - 1]:
            Q = sum(H[l - 1][j] / lam[l - 1][i][j] for j in H[l - 1])
            P = sum(G[l + 1][k] / lam[l][k][i] for k in G[l + 1])
            eqs += [H[l][i] - G[l][i] * Q**2, Q * P - 1]
    for k in range(dims[L]):
        eqs.append(r[k] * (1 + sum(H[L - 1][j] / lam[L - 1][k][j] for j in H[L - 1])) + data.Y[k][0])
    gammas = [G[l][i] for l in range(1, L) for i in pattern[l - 1]]
    return [sp.expand(e) for e in eqs], unknowns, gammas


MAX_PATTERNS = 5000


def check_pattern_size(hidden, output_dim: int, max_unknowns: int, max_patterns: int = MAX_PATTERNS) -> None:
    """Refuse, before any computation, counts with more than ``max_patterns`` patterns or a pattern system with more
    than ``max_unknowns`` unknowns (``2 Σ h_l + output_dim`` for the full pattern); the message gives the figures
    and a time estimate from the measured rate (226 patterns of at most 17 unknowns in 7 s).

    >>> check_pattern_size([3, 3], 1, 40)
    >>> try:
    ...     check_pattern_size([9, 9], 1, 40)
    ... except ModelError as exc:
    ...     print(str(exc)[:66])
    261122 active-neuron patterns, the largest system with 37 unknowns
    """
    n = 1
    for h in hidden:
        n *= 2**h - 1
    n += 1
    unknowns = 2 * sum(hidden) + output_dim
    if n > max_patterns or unknowns > max_unknowns:
        raise ModelError(f"{n} active-neuron patterns, the largest system with {unknowns} unknowns: the limits are "
                         f"{max_patterns} patterns and {max_unknowns} unknowns (--max-count-params); at the measured "
                         f"~0.03 s per small pattern this would take at least {n * 0.03:.0f} s, and Gröbner bases "
                         "grow doubly exponentially with the unknowns")


def origin_is_simple(data) -> bool:
    """Whether the origin is a simple critical point: at depth ≥ 3 the Hessian there is ``diag(λ)``; at depth 2
    neuron ``i``'s block is singular exactly when ``α_i P_i = 1`` (``α_i = Σ_j x_j²/λ¹_ij``,
    ``P_i = Σ_k y_k²/λ²_ki``), compared exactly.

    >>> from symdln.symbolic.tikhonov import tikhonov_data
    >>> origin_is_simple(tikhonov_data(2, 1, 1))
    True
    """
    if len(data.dims) > 3:
        return True
    x = [row[0] for row in data.X]
    y = [row[0] for row in data.Y]
    l1, l2 = data.lams
    return all(sum(xj**2 / l1[i][j] for j, xj in enumerate(x)) * sum(yk**2 / l2[k][i] for k, yk in enumerate(y)) != 1
               for i in range(data.dims[1]))


def _gamma_signs(boxes, idx):
    """Per box: +1 (every Γ > 0), −1 (some Γ < 0) or None (a Γ box contains 0)."""
    from .msolve import box_to_arb

    out = []
    for b in boxes:
        with flint.ctx.workprec(64):
            vals = [box_to_arb([b[i]])[0] for i in idx]
        if any(v < 0 for v in vals):
            out.append(-1)
        elif all(v > 0 for v in vals):
            out.append(1)
        else:
            out.append(None)
    return out


def _solve_pattern(data, pattern, timeout, precision_bits) -> PatternCount:
    from .msolve import msolve_count

    eqs, unknowns, gammas = pattern_system(data, pattern)
    try:
        c = msolve_count(eqs, unknowns, timeout=timeout, precision_bits=precision_bits)
    except ModelError as exc:
        if "zero-dimensional" in str(exc):
            raise ModelError(f"degenerate draw (--seed {data.seed}): active pattern {pattern} has infinitely many "
                             f"critical points; generic counts need another seed") from None
        raise
    if gammas:
        prod = sp.Mul(*gammas)
        empty = msolve_count([*eqs, prod], unknowns, timeout=timeout, precision_bits=64)
        if empty.with_multiplicity:
            raise ModelError(f"degenerate draw (--seed {data.seed}): active pattern {pattern} has a critical point "
                             f"where a neuron's Γ = g² vanishes; generic counts need another seed")
    idx = [unknowns.index(g) for g in gammas]
    bits = precision_bits
    for _ in range(8):
        signs = _gamma_signs(c.boxes, idx)
        if None not in signs:
            return PatternCount(pattern, c.with_multiplicity, c.distinct,
                                tuple(b for b, s in zip(c.boxes, signs) if s == 1))
        bits *= 2
        c = msolve_count(eqs, unknowns, timeout=timeout, precision_bits=bits)
    raise ModelError(f"could not certify the sign of Γ on the real points of pattern {pattern}")  # pragma: no cover


def count_by_neurons(data, *, timeout: float | None = None, precision_bits: int = 128,
                     progress: bool | None = None) -> NeuronCount:
    """Exact counts of the critical points of :func:`~symdln.symbolic.tikhonov.tikhonov_problem` with one data
    point, ``N = Σ_S 2^{|S|} N_S`` over active-neuron patterns ``S`` (module docstring), with msolve.

    Raises ``ModelError`` when the draw is degenerate (the identity would not hold) instead of returning a count,
    and :class:`CountInterrupted` (with the patterns finished) on Ctrl-C.  A tqdm bar counts the patterns (shown
    when stderr is a terminal, or with ``progress=True``).

    Examples
    --------
    >>> from symdln.symbolic.tikhonov import tikhonov_data
    >>> c = count_by_neurons(tikhonov_data([1, 1], 1, 1))
    >>> c.complex_count, c.distinct_count, c.real_count
    (17, 17, 1)
    """
    from tqdm.auto import tqdm

    if not origin_is_simple(data):
        raise ModelError(f"degenerate draw (--seed {data.seed}): the origin is a multiple critical point; "
                         "generic counts need another seed")
    t0 = time.perf_counter()
    pats = active_patterns(data.hidden)
    done = []
    try:
        for pattern in tqdm(pats, desc="neuron patterns", unit="pattern",
                            disable=None if progress is None else not progress, leave=False):
            done.append(_solve_pattern(data, pattern, timeout, precision_bits))
    except KeyboardInterrupt:
        raise CountInterrupted(done, len(pats)) from None
    return NeuronCount(
        complex_count=sum(p.weight * p.with_multiplicity for p in done),
        distinct_count=sum(p.weight * p.distinct for p in done),
        real_count=sum(p.weight * len(p.positive_boxes) for p in done),
        patterns=tuple(done),
        seconds=time.perf_counter() - t0,
    )


def neuron_points(data, count: NeuronCount):
    """The real critical points of ``count`` as weight vectors of arb balls (the order of
    :func:`~symdln.symbolic.tikhonov.tikhonov_variables`): for each real solution with every ``Γ > 0`` and each
    sign vector ``s``, ``g_{l,i} = s_{l,i}√Γ_{l,i}``, ``h_{l,i} = −g_{l,i} Q_{l,i}``, ``r`` and
    ``W_l = −(g_l h_{l−1}ᵀ) ⊘ Λ_l``.  Call inside a flint precision context; each ball contains the point."""
    from .msolve import box_to_arb

    dims = data.dims
    L = len(dims) - 1
    lam = [[[flint.arb(flint.fmpq(int(q.p), int(q.q))) for q in row] for row in M] for M in data.lams]
    x = [flint.arb(flint.fmpq(int(row[0].p), int(row[0].q))) for row in data.X]
    out = []
    for pc in count.patterns:
        n_act = sum(len(s) for s in pc.pattern)
        for box in pc.positive_boxes:
            vals = box_to_arb(box)
            for signs in itertools.product((1, -1), repeat=n_act):
                it = iter(signs)
                pos = 0
                h = [x]
                g = [None]
                for l in range(1, L):
                    hl = [flint.arb(0)] * dims[l]
                    gl = [flint.arb(0)] * dims[l]
                    for i in pc.pattern[l - 1]:
                        gam = vals[pos + 1]
                        pos += 2
                        gl[i] = next(it) * gam.sqrt()
                        Q = sum((h[l - 1][j] ** 2 / lam[l - 1][i][j] for j in range(dims[l - 1])), flint.arb(0))
                        hl[i] = -gl[i] * Q
                    h.append(hl)
                    g.append(gl)
                g.append(vals[pos:pos + dims[L]])
                theta = []
                for l in range(1, L + 1):
                    theta += [-g[l][i] * h[l - 1][j] / lam[l - 1][i][j] for i in range(dims[l])
                              for j in range(dims[l - 1])]
                out.append(theta)
    return out
