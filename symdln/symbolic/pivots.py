"""Balanced pivot families of DLN critical points (MATH §2, §1.3), with exact losses.

Unregularized (λ = 0), teacher or data form with ``Σxx`` invertible: let
``Σ = Σyx Σxx⁻¹ Σyxᵀ = U diag(μ) Uᵀ`` with ``μ_1 > μ_2 > … > 0`` (``μ_i = s_i²`` in the
teacher form).  For every ``S ⊆ {1 … rank Σ}`` with ``|S| ≤ r_max``::

    A_S = U_S U_Sᵀ Σyx Σxx⁻¹,      ℒ(A_S) = c − ½ Σ_{i∈S} μ_i

(Baldi & Hornik 1989); ``S = {1 … min(rank, r_max)}`` are the global minima.  At depth 1 the loss
is convex in ``A_θ = W_1`` and only that family is critical.  When ``X`` lacks full row rank, ``Σxx⁻¹`` is the
pseudo-inverse ``Σxx⁺`` and ``A_S`` the least-norm map of each family (:func:`sxx_inverse`).

Weight decay λ > 0, teacher form with a known SVD: each active mode sits at a critical
point of ``f(a) = ½(a − s)² + (λL/2) a^{2/L}``; with ``a = b^L`` the positive critical
points solve ``b^{2L−2} − s b^{L−2} + λ = 0`` (``a = s − λ`` at ``L = 2``,
``a = s/(1 + λ)`` at ``L = 1``).  The family uses the largest root (the local minimum of
``f``), which exists above a threshold on ``s``.

Equal singular values (teacher form built from a spectrum): the families are orbits of the rotations inside
each group of equal values; one canonical member is listed (the first modes of each group) with the orbit's
extra (Grassmannian) dimension in ``orbit_dimension``.

Eigenvalues and losses are exact (SymPy ``CRootOf`` where irrational); end-to-end maps
are exact when the SVD is, and otherwise computed at a given :class:`Precision`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import flint
import sympy as sp

from ..errors import ModelError
from ..matops import to_arb_mat
from ..models.dln import DeepLinearModel
from ..precision import Precision

__all__ = ["PivotFamily", "pivot_families", "format_label", "mode_values", "tied_eigenvectors", "sxx_inverse"]

_MAX_FAMILIES = 4096


@dataclass(frozen=True)
class PivotFamily:
    """One balanced critical family ``A_S`` of a DLN.

    Attributes
    ----------
    label : frozenset of int
        The pivot set ``S`` (1-based mode indices).
    loss : sympy.Expr
        Exact loss on the family.
    rank : int
        ``|S|``, the rank of ``A_S``.
    is_global : bool
        True for the global minimum of the unregularized loss (``S`` = top modes).
    end_to_end : sympy.ImmutableMatrix or None
        ``A_S`` exactly, when the eigenvectors are rational.
    orbit_dimension : int
        With equal singular values the family is an orbit: ``S`` names its canonical member (the first modes of
        every group of equal values) and the choice of ``k_j`` modes among ``m_j`` equal ones adds the Grassmannian
        dimension ``Σ_j k_j (m_j − k_j)``; 0 in general position.
    """

    label: frozenset
    loss: sp.Expr
    rank: int
    is_global: bool
    end_to_end: sp.ImmutableMatrix | None
    orbit_dimension: int = 0

    @property
    def name(self) -> str:
        """``"{1,2}"`` (``"{}"`` for the origin)."""
        return format_label(self.label)

    def numeric_end_to_end(self, model: DeepLinearModel, precision: Precision) -> flint.arb_mat:
        """``A_S`` as an ``arb_mat`` at ``precision`` (call inside ``precision.flint()``)."""
        if self.end_to_end is not None:
            return to_arb_mat(self.end_to_end, precision.bits)
        return _numeric_map(model, precision.digits, precision.guard_bits, tuple(sorted(i - 1 for i in self.label)))


def format_label(label) -> str:
    """``frozenset({2, 1}) -> "{1,2}"``."""
    return "{" + ",".join(str(i) for i in sorted(label)) + "}"


def mode_values(model: DeepLinearModel) -> tuple:
    """Per-mode data ``(μ_i, a_i)``: eigenvalues of ``Σ`` (exact, decreasing, positive) and active values.

    ``a_i`` is the value of mode ``i`` on an active family (``s_i`` when λ = 0), or ``None`` when
    weight decay leaves the mode no positive critical point.
    """
    return _modes(model)


@lru_cache(maxsize=64)
def sxx_inverse(model: DeepLinearModel) -> sp.Matrix:
    """``Σxx⁻¹``, or its Moore–Penrose pseudo-inverse ``Σxx⁺`` (exact) when ``X`` lacks full row rank.

    With ``Σxx`` singular the least-squares maps are ``A Σxx = Σyx`` up to ``Z`` with ``Z X = 0``; ``Σyx Σxx⁺`` is
    the one of least norm (``Σyx``'s rows lie in ``Σxx``'s range, so ``Σyx Σxx⁺ Σxx = Σyx``), the loss does not see
    ``Z``, and ``Σ = Σyx Σxx⁺ Σyxᵀ`` gives the same ``μ_i`` and losses as in the invertible case.  It is also the map
    gradient flow from a vanishing initialization reaches: ``W_1``'s component that ``X`` annihilates has zero
    gradient, so it stays at the initialization's scale.

    >>> from symdln.models import deep_linear
    >>> sxx_inverse(deep_linear(X=[[1, 1], [1, 1]], Y=[[2, 2]], depth=2, widths=1))
    Matrix([
    [1/4, 1/4],
    [1/4, 1/4]])
    """
    S = sp.Matrix(model.sxx)
    return sp.ImmutableMatrix(S.inv() if S.det() != 0 else S.pinv())


@lru_cache(maxsize=64)
def _modes(model: DeepLinearModel):
    lam = sp.Rational(model.weight_decay.numerator, model.weight_decay.denominator)
    if model.svd is not None and model.form == "teacher":
        s = [x for x in model.svd.s if x != 0]
        mu = [x**2 for x in s]
    else:
        if lam != 0:
            raise ModelError(
                "critical families with weight decay need a teacher target with a known SVD: "
                "build the model with deep_linear(spectrum=...)"
            )
        sigma = sp.Matrix(model.syx) * sxx_inverse(model) * sp.Matrix(model.syx).T
        x = sp.Symbol("x")
        roots = sp.Poly(sigma.charpoly(x).as_expr(), x).all_roots()
        mu = sorted((r for r in roots if r != 0), key=lambda r: sp.N(r, 50), reverse=True)
        if any(not m.is_Rational and mu.count(m) > 1 for m in mu):
            raise ModelError(
                "Σ = ΣyxΣxx⁻¹Σyxᵀ has a repeated irrational eigenvalue (equal singular values are supported when "
                "they are rational, where the tied eigenspace has an exact orthogonal basis)"
            )
        s = [sp.sqrt(m) for m in mu]
    if lam == 0:
        return tuple(mu), tuple(s)
    L = model.depth
    b = sp.Symbol("b", positive=True)
    active = []
    for si in s:
        if L == 1:
            active.append(si / (1 + lam))
            continue
        poly = sp.Poly(b ** (2 * L - 2) - si * b ** (L - 2) + lam, b)
        pos = [r for r in poly.real_roots() if r > 0]
        active.append(max(pos, key=lambda r: sp.N(r, 50)) ** L if pos else None)
    return tuple(mu), tuple(active)


def pivot_families(model: DeepLinearModel) -> list[PivotFamily]:
    """Every balanced pivot family of a DLN, ordered by rank then label.

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> fams = pivot_families(deep_linear(spectrum=[3, 2, 1], widths=3))
    >>> [(f.name, f.loss) for f in fams][:4]
    [('{}', 7), ('{1}', 5/2), ('{2}', 5), ('{3}', 13/2)]
    """
    if not isinstance(model, DeepLinearModel):
        raise ModelError("pivot families are defined for deep linear networks")
    mu, active = _modes(model)
    lam = sp.Rational(model.weight_decay.numerator, model.weight_decay.denominator)
    L = model.depth
    usable = [i for i in range(len(mu)) if active[i] is not None]
    rmax = model.r_max
    n_fam = sum(math.comb(len(usable), k) for k in range(min(rmax, len(usable)) + 1))
    if n_fam > _MAX_FAMILIES:
        raise ModelError(f"{n_fam} pivot families exceed the limit of {_MAX_FAMILIES}")
    c = model.loss_constant
    top = frozenset(range(1, min(rmax, len(usable)) + 1)) if lam == 0 else None
    out = []
    ks = range(min(rmax, len(usable)) + 1)
    if L == 1:
        ks = [min(rmax, len(usable))]  # depth 1 is convex: A_θ = W_1, the only critical point is the minimum
    # groups of equal values (_modes refuses ties only for irrational eigenvalues)
    group = {}
    for i in range(len(mu)):
        group[i] = next(j for j in range(i + 1) if sp.simplify(mu[j] - mu[i]) == 0)
    sizes = {g: sum(1 for i in group if group[i] == g and i in usable) for g in set(group.values())}
    for k in ks:
        for S in itertools.combinations(usable, k):
            chosen = {}
            for i in S:
                chosen.setdefault(group[i], []).append(i)
            # one member per orbit: inside each group of equal values, the first modes
            if any(idx != [j for j in usable if group[j] == g][:len(idx)] for g, idx in chosen.items()):
                continue
            orbit = sum(len(idx) * (sizes[g] - len(idx)) for g, idx in chosen.items())
            label = frozenset(i + 1 for i in S)
            if lam == 0:
                if len(S) == len(mu) and not all(m.is_Rational for m in mu):
                    # every nonzero eigenvalue: their sum is the trace of Σ (exact, rational)
                    sigma = sp.Matrix(model.syx) * sxx_inverse(model) * sp.Matrix(model.syx).T
                    loss = c - sigma.trace() / 2
                else:
                    loss = c - sum((mu[i] for i in S), sp.Integer(0)) / 2
            else:
                s = [sp.sqrt(m) for m in mu]
                loss = c
                for i in S:
                    a = active[i]
                    loss += (a - s[i]) ** 2 / 2 + lam * L / 2 * a ** sp.Rational(2, L) - s[i] ** 2 / 2
                loss = sp.simplify(loss)
            A = None
            if model.svd is not None and model.form == "teacher":
                U, V = model.svd.U, model.svd.V
                A = sp.zeros(*model.target.shape)
                for i in S:
                    A += active[i] * U[:, i] * V[:, i].T
                A = sp.ImmutableMatrix(A) if all(x.is_Rational for x in A) else None
            elif lam == 0 and any(sizes[group[i]] > 1 for i in S):
                # a tied (rational) eigenvalue: the canonical member's exact projector, from the same orthogonal
                # eigenvectors as its representative (critical._pivot_point), not an arbitrary float basis
                A = _tied_end_to_end(model, S, group)
            out.append(PivotFamily(label, loss, k, lam == 0 and label == top, A, orbit))
    return out


def tied_eigenvectors(sigma: sp.Matrix, m, field=None) -> list:
    """An orthogonal basis (Gram–Schmidt without normalization: exact) of the eigenspace of ``sigma`` for the
    eigenvalue ``m``, from the reduced-row-echelon basis of its kernel; entries in ``field`` (ℚ by default).
    The canonical member of an orbit of equal singular values uses its first vectors.

    >>> [list(map(str, v)) for v in tied_eigenvectors(sp.Matrix([[2, 0], [0, 2]]), 2)]
    [['1', '0'], ['0', '1']]
    """
    from .fields import FieldMatrix, RationalField
    from .inertia import field_nullspace

    field = RationalField() if field is None else field
    n = sigma.rows
    Sig = FieldMatrix.from_sympy(sp.Matrix(sigma), field)
    mm = field(m)
    shifted = Sig - FieldMatrix([[mm if a == b else field.zero for b in range(n)] for a in range(n)], field)
    basis = []
    for u in field_nullspace(shifted.rows, field):
        for w in basis:
            c = sum((x * y for x, y in zip(u, w)), field.zero) / sum((y * y for y in w), field.zero)
            u = [x - c * y for x, y in zip(u, w)]
        basis.append(u)
    return basis


def _tied_end_to_end(model, S, group):
    """``A_S = Σ_{i∈S} ũ_iũ_iᵀ/‖ũ_i‖² · Σyx Σxx⁻¹`` exactly, with the tied groups' first orthogonal eigenvectors
    (every ``μ_i``, ``i ∈ S``, rational), or ``None`` when one is irrational (then untied: the float map is
    unambiguous)."""
    mu, _ = _modes(model)
    if any(not mu[i].is_Rational for i in S):
        return None
    sigma = sp.Matrix(model.syx) * sxx_inverse(model) * sp.Matrix(model.syx).T
    B = sp.Matrix(model.syx) * sxx_inverse(model)
    P = sp.zeros(sigma.rows, sigma.rows)
    used = {}
    for i in S:
        g = group[i]
        basis = used.setdefault(g, tied_eigenvectors(sigma, mu[i]))
        k = sum(1 for j in S if j < i and group[j] == g)
        u = sp.Matrix([sp.Rational(int(x.p), int(x.q)) for x in (basis[k])])
        P += u * u.T / (u.T * u)[0, 0]
    return sp.ImmutableMatrix(P * B)


@lru_cache(maxsize=256)
def _numeric_map(model: DeepLinearModel, digits: int, guard: int, S: tuple) -> flint.arb_mat:
    p = Precision(digits, guard)
    mp = p.mp
    mu, active = _modes(model)
    if model.svd is not None and model.form == "teacher":
        U = mp.matrix(model.svd.U.tolist())
        V = mp.matrix(model.svd.V.tolist())
        A = mp.zeros(*model.target.shape)
        for i in S:
            a = mp.mpf(sp.N(active[i], p.digits + 20))
            A += a * U[:, i] * V[:, i].T
    else:
        sxx_inv = mp.matrix(sxx_inverse(model).tolist())
        syx = mp.matrix(sp.Matrix(model.syx).tolist())
        sigma = syx * sxx_inv * syx.T
        E, Q = mp.eigsy(sigma)
        order = sorted(range(len(E)), key=lambda j: E[j], reverse=True)
        P = mp.zeros(sigma.rows, sigma.rows)
        for i in S:
            q = Q[:, order[i]]
            P += q * q.T
        A = P * syx * sxx_inv
    with p.flint():
        return flint.arb_mat(A.rows, A.cols, [_mpf_to_arb(A[i, j]) for i in range(A.rows) for j in range(A.cols)])


def _mpf_to_arb(x) -> flint.arb:
    sign, man, exp, _ = x._mpf_
    man = -int(man) if sign else int(man)
    return flint.arb((flint.fmpz(man), flint.fmpz(exp)))


def orbit_nearest(model, members, A0):
    """For a pivot family of equal singular values (an orbit; teacher form), ``nearest(A)``: the member of the orbit
    closest to ``A`` (float64 arrays); ``None`` when the family is one point (no group of equal values is partly in
    ``members``, the 1-based modes).

    With ``M = Σ s_i u_i v_iᵀ`` and a group ``G`` of equal values of which the family takes ``k``, the members are
    ``F + a U_G Q V_Gᵀ`` (``F`` the rest of the canonical member ``A0``, ``a`` its value on the group, ``Q`` any rank-``k``
    orthogonal projector): the closest to ``A`` takes for ``Q`` the projector on the top ``k`` eigenvectors of the
    symmetric part of ``U_GᵀAV_G`` (``‖B − aQ‖² = ‖B‖² − 2a·tr(BQ) + a²k``).

    Examples
    --------
    >>> import numpy as np
    >>> from symdln.models import deep_linear
    >>> m = deep_linear(spectrum=[2, 2], widths=1, rotation_seed=None)
    >>> near = orbit_nearest(m, (1,), np.array([[2.0, 0.0], [0.0, 0.0]]))
    >>> np.round(near(np.array([[0.0, 0.0], [0.0, 1.9]])), 12).tolist()  # the member 2·e_2e_2ᵀ
    [[0.0, 0.0], [0.0, 2.0]]
    """
    import numpy as np

    if not isinstance(model, DeepLinearModel) or model.form != "teacher":
        return None
    M = np.array(model.syx.tolist(), dtype=float)
    U, sv, Vt = np.linalg.svd(M)
    V = Vt.T
    tied = [[0]]
    for i in range(1, len(sv)):
        if abs(sv[i] - sv[tied[-1][0]]) <= 1e-9 * max(sv[0], 1e-300):
            tied[-1].append(i)
        else:
            tied.append([i])
    chosen = {int(i) - 1 for i in members}
    A0 = np.asarray(A0, dtype=float)
    parts, F = [], A0.copy()
    for G in tied:
        k = len(chosen.intersection(G))
        if len(G) < 2 or k in (0, len(G)) or sv[G[0]] == 0:
            continue
        UG, VG = U[:, G], V[:, G]
        block = UG.T @ A0 @ VG
        F = F - UG @ block @ VG.T
        parts.append((UG, VG, float(np.trace(block)) / k, k))
    if not parts:
        return None

    def nearest(A):
        C = F.copy()
        for UG, VG, a, k in parts:
            B = UG.T @ np.asarray(A, dtype=float) @ VG
            w, E = np.linalg.eigh((B + B.T) / 2)
            top = E[:, np.argsort(w)[::-1][:k]]
            C = C + a * (UG @ top @ top.T @ VG.T)
        return C

    return nearest
