"""The σ → 0 limit of deep linear networks: the greedy rank-incremental path (MATH §4.2; Li–Luo–Lyu's GLRL).

Start at ``A_0 = 0``; at saddle ``k`` the flow leaves along the top singular pair of ``−∇C(A_k)`` and arrives at the
next critical point, the best rank-``(k+1)`` fit: with ``Σ = Σyx Σxx⁻¹ Σyxᵀ = U diag(μ) Uᵀ`` (``μ_i = s_i²`` in
the teacher form) the saddles are the pivot families ``S = {1, …, k}``::

    A_k = U_k U_kᵀ Σyx Σxx⁻¹,        ℒ(A_k) = c − ½ Σ_{i≤k} μ_i     (= ½ Σ_{i>k} s_i² in the teacher form)

(reduced-rank regression in the data form), up to ``k = min(rank Σ, narrowest width)``.  Teacher form, depth 2,
from ``W_l(0) = σ·G_l``: mode ``i`` is learned at ``t_i ≈ log(1/σ)/s_i``, so the accelerated jump times
``τ = t / log(1/σ)`` are ``1/s_k``.  Equal singular values: at depth 2 (teacher form, or data with ``Σxx = cI``, the
same flow up to a time scale) their modes grow at one exponential rate and are learned together, one jump per group
of equal values.  At depth ``L ≥ 3`` tied modes escape one at a time, at times ``~σ^{−(L−2)}`` whose constants
depend on the initialization (the greedy algorithm adds one rank at a time), so the path keeps every rank and the
saddles whose rank cuts a tie are orbits of best fits (which directions of the tie are learned depends on the
initialization: no single ``A_k``, ``end_to_end`` is ``None``; ``notes`` says so).  In the data form with
``Σxx ≠ cI`` the escape rates are not the ``μ_i`` and the path keeps every rank with a note.  An independent audit
found the earlier rule (tied modes together at every depth) wrong at depth 3 and 4: their own flows sat on the
rank-1 fit inside a tie (2, 2, 1) for 0.08–0.68 in ``σ^{L−2}·t`` (2026-12-07).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import ModelError, describe
from ..models.dln import DeepLinearModel
from ..symbolic.pivots import format_label, mode_values, pivot_families

__all__ = ["DLNLimitSaddle", "DLNLimitPath", "dln_limit_path"]


@dataclass(frozen=True)
class DLNLimitSaddle:
    """Saddle ``k`` of the greedy path: pivot set ``{1..k}``, exact loss, exact ``A_k`` (``None`` where the pivot
    families do not carry it: an irrational SVD, whose ``A_k`` the landscape has in a number field, and the data
    form, even when ``A_k`` is rational), and the accelerated arrival time (``None`` where no closed form holds;
    ``reason`` says why)."""

    index: int
    label: str
    rank: int
    loss: sp.Expr
    end_to_end: sp.ImmutableMatrix | None
    arrival: sp.Expr | None


@dataclass(frozen=True)
class DLNLimitPath:
    """The greedy rank-incremental path of a DLN; ``trust`` is ``"exact"``, ``time_reason`` explains times."""

    model: DeepLinearModel
    saddles: tuple
    trust: str = "exact"
    time_reason: str = ""
    notes: tuple = ()

    @property
    def saddle_kind(self) -> str:
        """What the saddles are: best rank-k fits of the target, or reduced-rank regressions of the data."""
        return "best rank-k fits" if self.model.form == "teacher" else "reduced-rank regression solutions"

    @property
    def jump_times(self) -> tuple:
        return tuple(s.arrival for s in self.saddles[1:])

    def as_dict(self) -> dict:
        def num(x):
            return None if x is None else {"exact": str(x), "float": float(sp.N(x, 30))}

        return {"model": self.model.describe(),
                "algorithm": f"greedy rank-incremental limit ({self.saddle_kind}; tau = t / log(1/sigma) at depth 2, "
                             f"teacher form)",
                "trust": self.trust, "time_reason": self.time_reason, "notes": list(self.notes),
                "saddles": [{"index": s.index, "label": s.label, "rank": s.rank, "loss": num(s.loss),
                             "arrival": num(s.arrival),
                             "end_to_end": None if s.end_to_end is None else
                             [[str(x) for x in row] for row in s.end_to_end.tolist()]} for s in self.saddles]}


def dln_limit_path(model: DeepLinearModel) -> DLNLimitPath:
    """The greedy rank-incremental limit path of a deep linear network (module docstring).

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> p = dln_limit_path(deep_linear(spectrum=[3, 2, 1], widths=3, rotation_seed=None))
    >>> [(s.label, s.loss, s.arrival) for s in p.saddles]
    [('{}', 7, 0), ('{1}', 5/2, 1/3), ('{1,2}', 1/2, 1/2), ('{1,2,3}', 0, 1)]
    """
    if not isinstance(model, DeepLinearModel):
        raise ModelError(f"`model` must be a DeepLinearModel, got {describe(model)}")
    if model.weight_decay != 0:
        raise ModelError(f"the greedy rank-incremental limit is defined without weight decay; got weight_decay = "
                         f"{model.weight_decay} (use `symdln critical --weight-decay` for the regularized minima)")
    mu, s = mode_values(model)
    fams = {f.label: f for f in pivot_families(model)}
    K = min(len(mu), model.r_max)
    teacher2 = model.form == "teacher" and model.depth == 2
    if teacher2:
        reason = "teacher form, depth 2: tau_k = 1/s_k (t / log(1/sigma), MATH §3)"
    elif model.depth == 1:
        reason = "depth 1 is convex: no saddles, no jump times"
    elif model.depth >= 3:
        reason = ("depth >= 3: escape times scale as sigma^-(L-2) with initialization-dependent constants "
                  "(MATH §3); no limit jump time")
    else:
        reason = "data form: the jump times have no closed form here"
    saddles = [DLNLimitSaddle(0, "{}", 0, fams[frozenset()].loss if frozenset() in fams else model.loss_constant,
                              sp.ImmutableMatrix(sp.zeros(*model.target.shape)) if model.form == "teacher" else None,
                              sp.Integer(0) if teacher2 else None)]
    if model.depth == 1:  # convex: the origin is not critical, the only critical point is the minimum
        fam = fams[frozenset(range(1, K + 1))]
        saddles = [DLNLimitSaddle(0, format_label(frozenset(range(1, K + 1))), K, fam.loss, fam.end_to_end, None)]
    together = model.depth == 2 and (model.form == "teacher" or _isotropic(model.sxx))
    tied = [sp.simplify(mu[i + 1] - mu[i]) == 0 for i in range(len(mu) - 1)]  # tied[i]: modes i+1, i+2 equal
    notes = []
    k = K if model.depth == 1 else 0
    while k < K:
        j = k + 1
        while together and j < K and tied[j - 1]:  # depth 2: one jump per group of equal values
            j += 1
        label = frozenset(range(1, j + 1))
        fam = fams[label]
        cut = j < len(mu) and tied[j - 1]  # rank j splits a group of equal values: an orbit of best fits
        A = fam.end_to_end
        if A is None and model.form == "teacher" and j == len(mu):  # every nonzero mode learned: the target itself
            A = sp.ImmutableMatrix(model.target)
        saddles.append(DLNLimitSaddle(len(saddles), format_label(label), j, fam.loss,
                                      None if cut else A, 1 / s[k] if teacher2 else None))
        if cut:
            why = (f"the narrowest width is {K}" if j == K and together else
                   f"depth {model.depth} >= 3 learns tied modes one at a time" if model.depth >= 3 else
                   "the data covariance is not isotropic: tied mu need not grow at one rate")
            notes.append(f"saddle {len(saddles) - 1} ({format_label(label)}): mode {j + 1} has the value of mode {j} "
                         f"and {why}: the saddle is an orbit of best rank-{j} fits (which directions of the tie are "
                         f"learned depends on the initialization), so no single end-to-end map is given")
        k = j
    if not together and model.depth == 2 and any(tied[:max(K - 1, 0)]):
        notes.append("tied values in the data form with a non-isotropic covariance: whether the flow visits the "
                     "saddles inside a tie or learns the tied modes together is not decided here")
    return DLNLimitPath(model, tuple(saddles), "exact", reason, tuple(notes))


def _isotropic(sxx) -> bool:
    """Whether ``Σxx`` is a multiple of the identity (the data form is then the teacher form's flow, rescaled)."""
    n = sxx.shape[0]
    return all(sxx[i, j] == (sxx[0, 0] if i == j else 0) for i in range(n) for j in range(n))
