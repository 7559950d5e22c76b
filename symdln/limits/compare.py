"""How far a finite-scale run is from the limit path: per saddle, the plateau's distance and the jump-time error.

For saddle ``k`` of a limit path (:func:`~symdln.limits.limit_path`) with accelerated arrival time ``τ_k``, a run
from scale ``σ`` (or ``α``) gives ``τ_k(σ) = t_k / log(1/σ)``, ``t_k`` the first time its loss falls below the
midpoint of the limit losses ``(ℒ_{k−1} + ℒ_k)/2``; the error ``τ_k(σ) − τ_k`` shrinks like ``1/log(1/σ)``
(MATH §4.1).  The plateau's *distance* is the smallest relative distance of the run to the saddle
(:func:`~symdln.saddles.detect_visits`).

:func:`compare` works on visits already detected; :func:`convergence_study` makes the runs itself
(:func:`~symdln.flow.verify.verified_flow`, so every arrival time carries its verified digits) over several
scales.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import sympy as sp

from ..errors import ModelError, OptionError, describe
from ..models.diagonal import DiagonalLinearModel
from ..parse import exact_number, format_number
from ..saddles.visits import format_support

__all__ = ["SaddleComparison", "ScaleComparison", "Comparison", "compare", "convergence_study"]


@dataclass(frozen=True)
class SaddleComparison:
    """One limit saddle against a run: ``tau_run`` (decimal text, ``digits`` verified or ``None`` when the times
    come from one run only), ``tau_error = τ_run − τ_limit`` (float, ``None`` without both; from one run's arrival
    time when no verified one exists, ``error_verified`` False), ``distance`` of the
    closest plateau (relative; ``None`` when the run did not visit the saddle)."""

    index: int
    label: str
    loss: object
    tau_limit: object
    tau_run: str | None
    digits: int | None
    tau_error: float | None
    distance: float | None

    @property
    def visited(self) -> bool:
        return self.distance is not None

    @property
    def error_verified(self) -> bool:
        """Whether ``tau_error`` comes from a verified arrival time (else from one run's, e.g. a run that failed)."""
        return self.tau_run is not None and self.digits is not None


@dataclass(frozen=True)
class ScaleComparison:
    """Every limit saddle against one run at ``scale``; ``order_matches``: the run visited exactly the limit
    path's saddles, in its order (``visited`` lists what it did visit)."""

    scale: object
    rows: tuple
    order_matches: bool
    visited: tuple
    status: str = "success"
    message: str = ""

    @property
    def max_error(self) -> float | None:
        errs = [abs(r.tau_error) for r in self.rows if r.tau_error is not None]
        return max(errs) if errs else None


@dataclass(frozen=True)
class Comparison:
    """A convergence study: one :class:`ScaleComparison` per scale, smallest scale last."""

    model: object
    path: object
    scales: tuple

    def as_dict(self) -> dict:
        return {"model": self.model.describe(), "limit": self.path.as_dict(),
                "scales": [{"scale": format_number(s.scale), "status": s.status, "message": s.message,
                            "order_matches": s.order_matches, "visited": list(s.visited),
                            "saddles": [{"index": r.index, "label": r.label, "loss": str(r.loss),
                                         "tau_limit": None if r.tau_limit is None else str(r.tau_limit),
                                         "tau_run": None if r.tau_run is None else
                                         {"value": r.tau_run, "digits": r.digits},
                                         "tau_error": r.tau_error, "tau_error_verified": r.error_verified,
                                         "distance": r.distance} for r in s.rows]}
                           for s in self.scales]}

    def table_rows(self) -> tuple[list, list]:
        """``(head, rows)`` of text cells: one row per (scale, saddle) (``report.tables.format_table`` prints it)."""
        head = ["scale", "saddle", "tau limit", "tau run (verified digits)", "error", "plateau distance (float64)"]
        rows = []
        for s in self.scales:
            for r in s.rows:
                rows.append([format_number(s.scale), r.label, "-" if r.tau_limit is None else str(r.tau_limit),
                             "-" if r.tau_run is None else f"{r.tau_run} ({r.digits if r.digits is not None else '?'})",
                             "-" if r.tau_error is None else f"{r.tau_error:+.3g}" + (
                                 "" if r.error_verified else " (?)"),
                             "not visited" if r.distance is None else f"{r.distance:.2g}"])
        return head, rows


def _limit_rows(path):
    """``(label, loss, τ_limit)`` per limit saddle (arrival times; ``None`` where the limit has none)."""
    if isinstance(path.model, DiagonalLinearModel):
        out = []
        for k, s in enumerate(path.saddles):
            lab = format_support(s.beta)
            out.append((lab, s.loss, None if k == 0 else path.jumps[k - 1].time))
        return out
    return [(s.label, s.loss, None if s.index == 0 else s.arrival) for s in path.saddles]


def _brief(model) -> str:
    d = model.describe()
    keys = [k for k in ("kind", "depth", "widths", "form", "target", "X", "y", "Y") if k in d]
    return ", ".join(f"{k} {d[k]}" for k in keys)


def _tau_float(x) -> float | None:
    if x is None:
        return None
    return float(sp.N(x, 30)) if isinstance(x, sp.Basic) else float(x)


def compare(visits, path, *, taus=None) -> ScaleComparison:
    """Each saddle of ``path`` against the ``visits`` of one run (``taus``: optional verified arrival times, one
    ``Verified`` per saddle after the first, from the run's loss crossings).

    Examples
    --------
    >>> from symdln.models import deep_linear, balanced_init
    >>> from symdln.flow import integrate_flow
    >>> from symdln.saddles import detect_visits
    >>> from symdln.limits import limit_path
    >>> m = deep_linear(spectrum=[2, 1], widths=2)
    >>> sol = integrate_flow(m, balanced_init(m, "1e-24"), 60, scale="1e-12", progress=False)
    >>> c = compare(detect_visits(sol), limit_path(m))
    >>> c.order_matches, [r.label for r in c.rows], [abs(r.tau_error) < 0.05 for r in c.rows[1:]]
    (True, ['{}', '{1}', '{1,2}'], [True, True])
    """
    from ..saddles.visits import SaddleVisit

    visits = list(visits)
    if not visits:
        raise OptionError("`visits` is empty: detect the visits of a run first (symdln.saddles.detect_visits)")
    if not all(isinstance(v, SaddleVisit) for v in visits):
        bad = next(v for v in visits if not isinstance(v, SaddleVisit))
        raise OptionError(f"`visits` must be SaddleVisit records (symdln.saddles.detect_visits), got {describe(bad)}")
    if not hasattr(path, "saddles") or not hasattr(path, "model"):
        raise OptionError(f"`path` must be a limit path (symdln.limits.limit_path), got {describe(path)}")
    models = {id(v.model): v.model for v in visits if v.model is not None}
    for m in models.values():
        if m.describe() != path.model.describe():
            raise ModelError("`visits` come from a run of another model than the limit path's: "
                             f"{_brief(m)} against {_brief(path.model)}")
    rows = []
    names = [v.name for v in visits]
    limit = _limit_rows(path)
    for k, (lab, loss, tau) in enumerate(limit):
        hits = [v for v in visits if v.name == lab]
        dist = min((v.distance for v in hits), default=None)
        run_text, digits, err = None, None, None
        if taus is not None and k >= 1 and k - 1 < len(taus) and taus[k - 1] is not None:
            run_text, digits = taus[k - 1].text, taus[k - 1].digits
            run = float(mpmath.mpf(taus[k - 1].full))
        elif hits and hits[0].tau_arrive is not None:
            run = float(hits[0].tau_arrive.mid())
            run_text = f"{run:.6g}"
        else:
            run = None
        if run is not None and tau is not None:
            err = run - _tau_float(tau)
        rows.append(SaddleComparison(k, lab, loss, tau, run_text, digits, err, dist))
    ordered = [lab for lab, _, _ in limit]
    return ScaleComparison(None, tuple(rows), names == ordered, tuple(names))


def convergence_study(model, scales, *, digits: int = 6, seed: int = 0, tol="1e-3",
                      progress: bool | None = None) -> Comparison:
    """Runs at every scale in ``scales`` (``α`` for a diagonal network, ``u = √2α, v = 0``; ``σ`` of a seeded
    Gaussian init for a DLN), each verified by a second run, compared with the limit path.

    The arrival time of saddle ``k`` is the verified crossing of the loss level ``(ℒ_{k−1} + ℒ_k)/2``, divided by
    ``log(1/scale)``: it carries the digits the two runs agree on.  A run that fails or stays unverified is
    reported with its status, not dropped.
    """
    from ..flow.plan import InitSpec, default_horizon
    from ..flow.verify import verified_flow
    from ..saddles import detect_visits
    from ..saddles.visits import MAX_SUPPORT_DIM
    from . import limit_path

    if not scales:
        raise OptionError("`scales` is empty: give at least one scale")
    qs = [exact_number(s, name="scales") for s in scales]
    for q in qs:
        if not 0 < q < 1:
            raise OptionError(f"every scale must lie in (0, 1), got {q}")
    diagonal = isinstance(model, DiagonalLinearModel)
    path = limit_path(model)
    limit = _limit_rows(path)
    losses = [float(sp.N(loss, 30)) for _, loss, _ in limit]
    levels = [repr((a + b) / 2) for a, b in zip(losses, losses[1:])]
    if not levels:
        raise ModelError("the limit path has a single saddle: nothing to compare")
    out = []
    for q in sorted(qs, reverse=True):
        log_inv = math.log(q.denominator) - math.log(q.numerator)
        # run on to a horizon past the last jump (not only to the last crossing), so the final plateau is seen
        horizon = default_horizon(model, q)
        if diagonal:
            last = max(_tau_float(t) for _, _, t in limit[1:])
            horizon = max(horizon, Fraction(math.ceil(log_inv * last * 1.4) + 10))
            init, kw = InitSpec.pf(q), dict(coordinates="mirror")
        else:
            init, kw = InitSpec.gaussian(q, seed=seed), {}
        v = verified_flow(model, init, digits=digits, cross=levels, at=[horizon], t_end=horizon, progress=progress,
                          **kw)
        taus = []
        with mpmath.workdps(40):
            for c in v.crossings:
                if c["t"] is None:
                    taus.append(None)
                    continue
                t = mpmath.mpf(c["t"].full)
                if diagonal or model.depth <= 2:
                    tau = t / (mpmath.log(q.denominator) - mpmath.log(q.numerator))
                else:
                    tau = t * (mpmath.mpf(q.numerator) / q.denominator) ** (model.depth - 2)
                k = c["t"].digits
                text = mpmath.nstr(tau, k) if k else None
                taus.append(_Tau(text, k, mpmath.nstr(tau, 30)))
        fams = path if diagonal and model.dim > MAX_SUPPORT_DIM else None  # too many supports: the limit's saddles
        vis = detect_visits(v.solution, fams, tol=tol) if v.solution is not None else []
        sc = compare(vis, path, taus=taus)
        out.append(ScaleComparison(q, sc.rows, sc.order_matches, sc.visited, v.status, v.message))
        if v.status == "interrupted":  # Ctrl-C: keep the scales done, skip the rest
            break
    return Comparison(model, path, tuple(out))


@dataclass(frozen=True)
class _Tau:
    text: str | None
    digits: int | None
    full: str

