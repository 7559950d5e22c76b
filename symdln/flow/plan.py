"""From an initialization to a run: :class:`InitSpec` and :func:`plan_run`, the one place where σ becomes
precision, tolerance, horizon, error-norm floor and solver.

Rules (NUMERICS.md, MATH §3), with ``σ`` the per-layer size of the initialization and ``L`` the depth
(``L = 2`` for diagonal networks):

* **tolerance** for ``N`` wanted digits: ``rtol = 10^{−(N+3)}``; when values are asked at given absolute
  times at depth ``L ≥ 3``, times near ``σ^{−(L−2)}`` must be resolved to O(1), so ``rtol`` is divided by
  ``σ^{−(L−2)}`` too.  A tolerance is a plan, not a claim: digits are verified by a second run
  (:mod:`.verify`);
* **working digits**: :func:`symdln.precision.digits_for_flow` (``2·log10(1/σ) + log10(1/rtol) + 10 +
  (L−2)·log10(1/σ)``);
* **horizon**: depth ≤ 2: ``3(log(1/σ) + 50)/s_min``; depth ``L ≥ 3``: ``10σ^{−(L−2)}/s_min + 100``;
  diagonal: ten times the first jump time ``log(1/α)/‖∇L(0)‖_∞`` of the α → 0 limit (MATH §4.1);
* **horizon of a run that stops at an event** (a loss level, the last ``--cross`` level): at depth ``L ≥ 3``
  ``EVENT_HORIZON_FACTOR`` times the above (:func:`event_horizon`): accelerated escape times ``σ^{L−2}·t_k``
  depend on the initialization's small singular values and can exceed ``10/s_min`` (depth 4, σ = 1e-15, seed 3:
  4.26e31 against 1e31), and the run stops at its event anyway;
* **floor** of the error norm: ``σ/1024``;
* **solver**: ``"radau"`` at depth ≥ 3 (stiff), ``"gbs"`` otherwise, switching to ``"radau"`` when the run turns
  out stiff (:mod:`.stiffness`; ``solver="auto"`` only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

from ..errors import ModelError, OptionError, describe
from ..models.diagonal import DiagonalLinearModel
from ..models.init import balanced_init, gaussian_init, layer_scale, pf_init
from ..parse import check_magnitudes, format_number, positive_number
from ..precision import Precision, digits_for_flow
from .integrate import choose_solver, initial_scale

__all__ = ["InitSpec", "RunPlan", "plan_run", "default_horizon", "event_horizon", "check_feasible", "check_layer_dims",
           "EVENT_HORIZON_FACTOR"]

_KINDS = ("gaussian", "balanced", "pf", "point")


@dataclass(frozen=True)
class InitSpec:
    """How ``θ0`` is made, recorded in every result.

    Attributes
    ----------
    kind : {"gaussian", "balanced", "pf", "point"}
        ``W_l = σG_l`` (seeded), Saxe's balanced aligned init with mode products ``a0``,
        Pesme–Flammarion ``u = √2α, v = 0``, or a given exact point.
    scale : Fraction
        The user's number: ``σ``, ``a0`` or ``α`` (for ``"point"``: the measured size).
    layer_scale : Fraction
        Per-layer size ``σ`` used for planning and accelerated time (``a0^{1/L}`` for balanced).
    seed : int or None
    point : tuple or None
        The exact point for ``kind="point"``.
    """

    kind: str
    scale: Fraction
    layer_scale: Fraction
    seed: int | None = None
    point: tuple | None = None

    @classmethod
    def gaussian(cls, sigma, seed: int = 0) -> "InitSpec":
        s = positive_number(sigma, name="sigma")
        check_magnitudes([s], name="sigma", small=False)
        return cls("gaussian", s, s, seed)

    @classmethod
    def balanced(cls, a0, depth: int) -> "InitSpec":
        a = positive_number(a0, name="scale")
        check_magnitudes([a], name="scale", small=False)
        return cls("balanced", a, layer_scale(a, depth))

    @classmethod
    def pf(cls, alpha) -> "InitSpec":
        a = positive_number(alpha, name="alpha")
        check_magnitudes([a], name="alpha", small=False)
        return cls("pf", a, a)

    @classmethod
    def from_point(cls, model, point) -> "InitSpec":
        from ..models.init import check_point

        pt = check_point(model, point)
        s = initial_scale(pt)
        return cls("point", s, s, None, pt)

    def build(self, model) -> tuple:
        """``θ0`` exactly."""
        if self.kind == "gaussian":
            return gaussian_init(model, self.scale, self.seed or 0)
        if self.kind == "balanced":
            return balanced_init(model, self.scale)
        if self.kind == "pf":
            return pf_init(model, self.scale)
        if self.kind == "point":
            return self.point
        raise OptionError(f"`kind` must be one of {_KINDS}, got {self.kind!r}")

    def as_dict(self) -> dict:
        return {"kind": self.kind, "scale": format_number(self.scale), "layer_scale": format_number(self.layer_scale),
                "seed": self.seed}


@dataclass(frozen=True)
class RunPlan:
    """Precision, tolerance, horizon, error-norm floor and solver of one run (``stiffness_switch``: a GBS run may go
    on with Radau IIA once it is stiff, :mod:`symdln.flow.stiffness`; ``strict``: Radau IIA's error estimate held
    to ``rtol`` without RADAU5's relaxation, :func:`~symdln.flow.integrate.integrate_flow`)."""

    digits: int
    rtol: Fraction
    horizon: Fraction
    floor: Fraction
    solver: str
    stiffness_switch: bool = False
    strict: bool = False

    @property
    def precision(self) -> Precision:
        return Precision(self.digits)

    def tighter(self, factor: int = 1000, extra_digits: int = 10) -> "RunPlan":
        """The verification run's plan: ``rtol/factor`` and more digits (an independent second computation)."""
        rtol = self.rtol / factor
        more = math.ceil(math.log10(factor))
        return replace(self, rtol=rtol, digits=self.digits + more + extra_digits)

    def as_dict(self) -> dict:
        return {"digits": self.digits, "rtol": format_number(self.rtol), "horizon": format_number(self.horizon),
                "floor": format_number(self.floor), "solver": self.solver, "stiffness_switch": self.stiffness_switch,
                "strict": self.strict}


def _log10(q: Fraction) -> float:
    return math.log10(q.numerator) - math.log10(q.denominator)


def default_horizon(model, sigma: Fraction) -> Fraction:
    """The horizon rule of the module docstring."""
    if isinstance(model, DiagonalLinearModel):
        gmax = max(abs(x) for x in model.X.T * model.y) / model.n_samples
        if gmax == 0:
            raise OptionError("∇L(0) = 0: the origin is a global minimum of this diagonal network; nothing to integrate")
        log_inv = -_log10(sigma) * math.log(10)
        return Fraction(math.ceil(10 * log_inv / float(gmax)))
    from ..symbolic.pivots import mode_values

    try:
        _, active = mode_values(model)
        vals = [float(a) for a in active if a is not None and float(a) > 0]
    except ModelError:  # weight decay without a known SVD (a --target or the data form): a float estimate will do
        vals = _float_mode_values(model)
    s_min = min(vals, default=1.0)
    log_inv = -_log10(sigma) * math.log(10)
    if model.depth <= 2:
        return Fraction(math.ceil(3 * (log_inv + 50) / s_min))
    s_q = Fraction(s_min).limit_denominator(10**9)
    return Fraction(math.ceil(Fraction(10) / sigma ** (model.depth - 2) / s_q + 100))


def _float_mode_values(model) -> list[float]:
    """Positive mode values for the horizon rule, in float64: the singular values ``s_i`` of the (whitened) target,
    the eigenvalues of ``Σyx Σxx⁺ Σyxᵀ`` square-rooted, less the weight decay ``λ`` where that stays positive (the
    depth-2 active value ``s − λ``; a horizon estimate, not a claim)."""
    import numpy as np
    import sympy as sp

    syx = np.array(sp.Matrix(model.syx).evalf(30).tolist(), dtype=float)
    sxx = np.array(sp.Matrix(model.sxx).evalf(30).tolist(), dtype=float)
    ev = np.linalg.eigvalsh(syx @ np.linalg.pinv(sxx) @ syx.T)
    s = [math.sqrt(x) for x in ev if x > 1e-12 * max(1.0, float(ev.max(initial=0.0)))]
    lam = float(model.weight_decay)
    return [x - lam for x in s if x - lam > 0] or [x / 2 for x in s]


#: The horizon of a deep run that stops at an event, over :func:`default_horizon` (module docstring).
EVENT_HORIZON_FACTOR = 1000


def event_horizon(model, sigma: Fraction) -> Fraction:
    """The horizon of a run that stops at an event: :func:`default_horizon`, times ``EVENT_HORIZON_FACTOR`` at depth
    ``L ≥ 3`` (a long horizon costs nothing when the event happens, and a few hundred L-stable steps of growing size
    when it does not; at depth ≤ 2 and for diagonal networks the default already allows for slow draws)."""
    h = default_horizon(model, sigma)
    if isinstance(model, DiagonalLinearModel) or model.depth < 3:
        return h
    return EVENT_HORIZON_FACTOR * h


#: Largest ``(L − 2)·log10(1/σ)`` a deep run is started for without a wall-clock limit (measured with Radau IIA,
#: both runs of a verified flow: depth 3 from σ = 1e-30 in ~11 s, from σ = 1e-60 in ~45 s; the cost grows about
#: linearly in log(1/σ) and the working digits, docs/flow.md).
DEEP_DECADES_LIMIT = 60


#: Sizes a run is started for: every layer dimension (the error norm builds ``n × n`` matrices), and the parameters
#: of a run without a wall-clock bound (explicit steps cost ``~P`` per field evaluation, the implicit ones invert
#: ``P × P`` matrices: ``~P³`` operations at hundreds of digits; measured: depth 3, widths 3 (P = 27) ~2 ms a
#: complex pair at 400 bits).
MAX_LAYER_DIM = 1000
MAX_FLOW_PARAMS = {"gbs": 5000, "implicit": 300, "radau": 300}


def check_layer_dims(model) -> list[int]:
    """Refuse, before any computation, layers wider than :data:`MAX_LAYER_DIM` (whatever bounds the run); returns the
    layer dimensions."""
    dims = [model.dim] if isinstance(model, DiagonalLinearModel) else list(model.widths)
    if max(dims) > MAX_LAYER_DIM:
        raise OptionError(f"a layer of dimension {max(dims)} ({_dims_text(dims)}): the flow's error norm builds n × n "
                          f"matrices in multiprecision (~{max(dims) ** 2:.1e} entries); the limit is {MAX_LAYER_DIM}")
    return dims


def _dims_text(dims: list[int]) -> str:
    """The layer dimensions for a message, elided past eight (``--depth 500`` printed 501 of them)."""
    if len(dims) <= 8:
        return f"widths {dims}"
    return f"widths [{', '.join(map(str, dims[:3]))}, …, {', '.join(map(str, dims[-2:]))}] ({len(dims)} dimensions)"


def check_feasible(model, init: InitSpec, max_time, solver: str = "auto", coordinates: str = "primal") -> None:
    """Refuse, before any computation, a run this engine cannot finish: layers wider than :data:`MAX_LAYER_DIM`
    always; more parameters than :data:`MAX_FLOW_PARAMS` or deep plateaus past :data:`DEEP_DECADES_LIMIT` unless a
    ``max_time`` bounds the run."""
    dims = check_layer_dims(model)
    P = 2 * model.dim if isinstance(model, DiagonalLinearModel) else model.n_params
    chosen = choose_solver(model, solver, coordinates)
    if P > MAX_FLOW_PARAMS[chosen] and max_time is None:
        cost = ("field evaluations of ~P² operations" if chosen == "gbs"
                else f"P × P inversions (~{P ** 3:.1e} operations each)")
        raise OptionError(f"{P} parameters ({_dims_text(dims)}): the {chosen} solver's steps cost {cost} at hundreds of "
                          f"digits; runs with at most {MAX_FLOW_PARAMS[chosen]} parameters are started without a time "
                          f"limit; give `max_time` (`symdln flow --max-time`; `explore` has no time bound) to run "
                          f"with a wall-clock bound")
    if isinstance(model, DiagonalLinearModel) or model.depth < 3 or max_time is not None:
        return
    decades = (model.depth - 2) * max(0.0, -_log10(init.layer_scale))
    if decades > DEEP_DECADES_LIMIT:
        raise OptionError(
            f"depth {model.depth} from a per-layer scale {format_number(init.layer_scale)}: plateaus last about "
            f"σ^-{model.depth - 2} = 1e{decades:.0f}; runs with (L−2)·log10(1/σ) ≤ {DEEP_DECADES_LIMIT} are started "
            f"without a time limit (depth 3 from σ = 1e-60 takes ~45 s; the cost grows like (L−2)·log10(1/σ) times "
            f"the working digits, here about {math.ceil((decades / DEEP_DECADES_LIMIT) ** 2 * 2)} min); use a "
            f"larger σ, or give `max_time` (`symdln flow --max-time`; `explore` has no time bound) to run with a "
            f"wall-clock bound"
        )


def plan_run(model, init: InitSpec, *, digits: int = 10, t_end=None, absolute_times: bool = False, rtol=None,
             working_digits: int | None = None, solver: str = "auto", coordinates: str = "primal") -> RunPlan:
    """The plan of a run wanting ``digits`` correct significant digits (module docstring).

    Parameters
    ----------
    model : DeepLinearModel or DiagonalLinearModel
    init : InitSpec
    digits : int
        Significant digits wanted in every reported number.
    t_end : exact number, optional
        Horizon (default :func:`default_horizon`).
    absolute_times : bool
        Values are asked at given times (not only crossing times): at depth ≥ 3 the tolerance must also
        resolve absolute time near ``σ^{−(L−2)}``.
    rtol, working_digits : optional
        Expert overrides of the tolerance and the arithmetic's digits.
    solver : {"auto", "gbs", "radau", "implicit"}
    coordinates : {"primal", "mirror"}
        The mirror form of a diagonal network is stiff: ``"auto"`` picks Radau IIA for it.

    Examples
    --------
    >>> from symdln.models import deep_linear
    >>> m = deep_linear(spectrum=[3, 2, 1], widths=3)
    >>> p = plan_run(m, InitSpec.gaussian("1e-30"), digits=10)
    >>> p.digits, p.rtol, p.solver
    (83, Fraction(1, 10000000000000), 'gbs')
    """
    if not isinstance(init, InitSpec):
        raise OptionError(f"`init` must be an InitSpec, got {describe(init)}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 10_000:
        raise OptionError(f"`digits` must be an int in [1, 10000], got {describe(digits)}")
    sigma = init.layer_scale
    depth = 2 if isinstance(model, DiagonalLinearModel) else model.depth
    if rtol is None:
        exponent = digits + 3
        if absolute_times and depth >= 3:
            exponent += math.ceil((depth - 2) * max(0.0, -_log10(sigma)))
        rtol_q = Fraction(1, 10**exponent)
    else:
        rtol_q = positive_number(rtol, name="rtol")
        if rtol_q >= 1:
            raise OptionError(f"`rtol` must be < 1, got {format_number(rtol_q)}")
    horizon = default_horizon(model, sigma) if t_end is None else positive_number(t_end, name="t_end")
    work = digits_for_flow(sigma, rtol_q, depth=depth) if working_digits is None else working_digits
    if isinstance(work, bool) or not isinstance(work, int) or work < 5:
        raise OptionError(f"`working_digits` must be an int ≥ 5, got {describe(work)}")
    if rtol_q < Fraction(1, 10 ** max(1, work - 5)):
        raise OptionError(f"`working_digits` = {work} cannot carry rtol = {format_number(rtol_q)}: give at least "
                          f"{math.ceil(-_log10(rtol_q)) + 5} working digits, or a looser rtol")
    chosen = choose_solver(model, solver, coordinates)
    return RunPlan(digits=work, rtol=rtol_q, horizon=horizon, floor=sigma / 1024, solver=chosen,
                   stiffness_switch=solver == "auto" and chosen == "gbs")
