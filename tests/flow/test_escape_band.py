"""The depth ≥ 3 error norm sees every growing mode: a run whose Newton iterations start from zero does not step over
an escape (L-stable steps with H·λ ≫ 1 damp a growing mode the norm does not see)."""

from fractions import Fraction

import pytest

from symdln.flow.integrate import integrate_flow
from symdln.flow.solution import Status
from symdln.flow.solvers import radau
from symdln.models import deep_linear, gaussian_init
from symdln.precision import Precision


def _crossing(model, sigma, digits, horizon):
    sol = integrate_flow(model, gaussian_init(model, sigma, 0), horizon, precision=Precision(digits), rtol="1e-13",
                         solver="radau", loss_below="0.001", scale=sigma, seed=0, progress=False, throw=False,
                         max_time=300)
    return sol


@pytest.mark.slow  # 14 s
def test_zero_newton_starts_do_not_step_over_the_second_escape(monkeypatch):
    """With the escape block below √τ only, a mode between √τ and rtol·‖W‖ was invisible; with Newton started from
    zero the σ = 1e-60 run ended at the saddle {1} (loss 1/2) at its horizon with status success.  Oracle: σ·t_k is
    the same for σ = 1e-30 and 1e-60 (Gaussian directions fixed, scaled; MATH: accelerated time at depth 3)."""
    m = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    ref = _crossing(m, "1e-30", 113, "1e34")  # extrapolated starts, as every run
    assert ref.status == Status.EVENT
    monkeypatch.setattr(radau.RadauIIA, "_start", lambda self, y, H, P: (None, None))
    sol = _crossing(m, "1e-60", 203, "1e64")
    assert sol.status == Status.EVENT, (sol.status, float(sol.losses[-1].mid()))
    a = Fraction(sol.t_final.mid().str(30, radius=False)) / 10**30
    b = Fraction(ref.t_final.mid().str(30, radius=False))
    assert abs(a - b) <= b * Fraction(1, 10**9)
