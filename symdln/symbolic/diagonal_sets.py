"""Critical sets of a diagonal linear network (MATH §2): one set per distinct ``β_I``, ``I`` a support with ``X_I`` of
full column rank: the restricted least-squares solution, representative ``u_i = 1``, ``v_i = β_I[i]`` on the support.
With ``Z = {j : ∂_j L(β_I) = 0}`` (the support and any coordinate whose partial derivative vanishes too), the critical
set through it is ``{(u, v) : supp ⊆ Z, u_Z ⊙ v_Z ∈ argmin_{supp ⊆ Z} L}`` of dimension ``2|Z| − rank X_Z`` (``|Z|``
for the hyperbola fibres, ``|Z| − rank X_Z`` for the affine set of minimizers).  The deep linear networks':
:mod:`.critical`.
"""

from __future__ import annotations

import itertools

import sympy as sp

from ..errors import ModelError
from ..models.diagonal import DiagonalLinearModel
from .analysis import analyze_point

__all__ = ["diagonal_sets"]


def diagonal_sets(model: DiagonalLinearModel, seed: int) -> list:
    """The critical sets of a diagonal network (module docstring), as :class:`~.critical.CriticalSet` records ordered
    by support size, then decreasing loss."""
    from .critical import CriticalSet

    X, y = sp.Matrix(model.X), sp.Matrix(model.y)
    d = model.dim
    if d > 14:
        raise ModelError(f"{2 ** d} supports to enumerate for d = {d}; the exact enumeration is limited to d ≤ 14")
    seen = {}
    for k in range(d + 1):
        for I in itertools.combinations(range(d), k):
            XI = X[:, list(I)] if I else sp.zeros(X.shape[0], 0)
            if I and XI.rank() < len(I):
                continue
            beta = sp.zeros(d, 1)
            if I:
                sol = (XI.T * XI).inv() * XI.T * y
                for t, i in enumerate(I):
                    beta[i] = sol[t]
            support = tuple(i for i in range(d) if beta[i] != 0)
            key = tuple(beta)
            if key in seen:
                continue
            grad = model.gradient_beta(beta)
            # near the representative the critical set is ∪_J {u_J ⊙ v_J ∈ argmin_{supp ⊆ J} L} over J ⊆ Z,
            # Z = {j : ∂_j L(β) = 0}; the largest piece, J = Z, has dimension 2|Z| − rank X_Z
            Z = [i for i in range(d) if grad[i] == 0]
            label = "{" + ",".join(("+" if beta[i] > 0 else "-") + str(i + 1) for i in support) + "}"
            u = sp.ImmutableMatrix([[1 if beta[i] != 0 else 0] for i in range(d)])
            v = sp.ImmutableMatrix([[beta[i]] for i in range(d)])
            dim = 2 * len(Z) - (X[:, Z].rank() if Z else 0)
            a = analyze_point(model, (u, v), family_dimension=dim, seed=seed)
            seen[key] = CriticalSet(label, "all", (u, v), a.loss, sp.ImmutableMatrix(beta), dim, a)
    return sorted(seen.values(), key=lambda c: (sum(1 for x in c.end_to_end if x != 0), -float(sp.N(c.loss, 30)), c.label))
