"""Exact random draws for the strata representatives (:mod:`.cuts`, :mod:`.zero_chains`, :mod:`.zero_layers`,
:mod:`.null_directions`): integer matrices of given ranks, chains whose product has a given rank, null spaces, and
the choice of the most generic of several draws by their exact rank signatures.  Exact arithmetic over ℚ in
python-flint matrices throughout."""

from __future__ import annotations

import flint

from ..errors import ModelError
from .inertia import nullspace

__all__: list[str] = []


def _zeros(rows: int, cols: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(rows, cols)


def _eye(n: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])


def _rank(M: flint.fmpq_mat) -> int:
    """Exact rank over ℚ."""
    if M.nrows() == 0 or M.ncols() == 0:
        return 0
    return M.rank()


def _is_zero(M: flint.fmpq_mat) -> bool:
    return all(x == 0 for x in M.entries())


def _rand(rng, rows, cols, lo=-3, hi=3) -> flint.fmpq_mat:
    return flint.fmpq_mat(rows, cols, rng.choices(range(lo, hi + 1), k=rows * cols))


def _rank_matrix(rng, rows, cols, rank) -> flint.fmpq_mat:
    """A random integer matrix of exactly ``rank`` (retried until it is)."""
    for _ in range(64):
        if rank == 0:
            return _zeros(rows, cols)
        M = _rand(rng, rows, rank) * _rand(rng, rank, cols)
        if _rank(M) == rank:
            return M
    raise ModelError(f"no random {rows}×{cols} matrix of rank {rank} found in 64 draws")


def _chain(rng, dims, rank, first_rank_at):
    """Random layers for the chain ``dims[0] → … → dims[-1]`` whose product has exactly ``rank``; the rank is set
    by the first layer (``first_rank_at="first"``), the last one (``"last"``) or layer ``k`` (an int, 0-based), the
    others full rank; ``"none"``: every layer full rank (the generic chain, when its product's rank is ``rank``)."""
    n = len(dims) - 1
    at = _pin_index(first_rank_at, n)
    for _ in range(64):
        layers = []
        for k in range(n):
            rows, cols = dims[k + 1], dims[k]
            pinned = k == at
            layers.append(_rank_matrix(rng, rows, cols, rank) if pinned else _rank_matrix(rng, rows, cols, min(rows, cols)))
        P = _product(layers, dims[0])
        if _rank(P) == rank:
            return layers, P
    raise ModelError(f"no chain {dims} of rank {rank} found in 64 draws")


def _pin_index(pin, n: int):
    """The 0-based layer of a chain of ``n`` layers that ``pin`` (:func:`_chain`) names, ``None`` for ``"none"``."""
    return {"first": 0, "last": n - 1, "none": None}.get(pin, pin)


def _nullspace_cols(M: flint.fmpq_mat, n: int) -> flint.fmpq_mat:
    """Columns spanning ``{x : M x = 0}`` in ``ℚ^n`` (``n × 0`` when trivial): the reduced-row-echelon basis of
    :func:`~symdln.symbolic.inertia.nullspace` (small entries, whatever the scale of ``M``)."""
    if M.nrows() == 0:
        return _eye(n)
    basis = nullspace(M)
    return flint.fmpq_mat(n, len(basis), [v[i] for i in range(n) for v in basis])


def _stack_rows(A: flint.fmpq_mat, B: flint.fmpq_mat) -> flint.fmpq_mat:
    """``[A; B]`` (the rows of ``A`` above those of ``B``)."""
    return flint.fmpq_mat(A.nrows() + B.nrows(), A.ncols(), A.entries() + B.entries())


def _product(layers, n_in):
    P = _eye(n_in)
    for W in layers:
        P = W * P
    return P


def _most_generic(draw, signature, draws: int = 6, rounds: int = 3) -> list:
    """Draws whose invariant ranks (``signature``: :func:`symdln.symbolic.landscape.rational_signature` of the
    assembled point) are maximal: ranks only drop on special draws, so a draw with the entrywise-largest signature is
    generic for its stratum (the listing then does not depend on the luck of one draw, nor on the target's
    orientation).  When the draws show several Pareto-maximal signatures (the rank conditions given do not pin one
    stratum), one draw of each is returned: each is a stratum of its own.  Returns ``[(signature, draw)]``."""
    seen = {}
    for _ in range(rounds):
        for _ in range(draws):
            C = draw()
            if C is not None:  # a draw may miss its ranks (rare constructions): the others decide
                seen.setdefault(signature(C), C)
        if not seen:
            return []
        top = tuple(max(col) for col in zip(*seen))
        if top in seen:
            return [(top, seen[top])]
    maximal = [sg for sg in seen if not any(o != sg and all(a >= b for a, b in zip(o, sg)) for o in seen)]
    return [(sg, seen[sg]) for sg in sorted(maximal)]


def _feasible_most_generic(draw, signature, probe_tries: int = 24, tries: int = 4) -> list:
    """:func:`_most_generic` over ``draw(tries)`` for constructions that may be infeasible: one probe with
    ``probe_tries`` attempts decides feasibility (``[]`` when it fails), then every draw that misses within ``tries``
    counts as no draw (before, one miss of a 4-attempt draw dropped the stratum: with the generic-position
    certification a feasible inner-rank cut was missed for one seed in four at depth 4, widths 3, spectrum (2, 1, 0),
    and listed under another name)."""
    try:
        draw(probe_tries)
    except ModelError:
        return []

    def one():
        try:
            return draw(tries)
        except ModelError:
            return None

    return _most_generic(one, signature)
