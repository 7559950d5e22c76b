"""Events located on the dense output: plateau entries and exits against Saxe's closed form, user events."""

import json

import mpmath
import pytest

from symdln.cli import main
from symdln.errors import OptionError
from symdln.flow.events import Event
from symdln.flow.plan import InitSpec
from symdln.flow.verify import verified_flow
from symdln.models import deep_linear


def _grad_roots(spectrum, a0, level, t_max, ctx):
    """Balanced aligned depth 2: w1 = w2 = √a per mode, so ‖∇ℒ‖² = Σ 2a_i(s_i − a_i)² with Saxe's a_i(t); every time
    it crosses ``level``, by a scan and bisection to 60 digits."""
    def phi(t):
        a = [s / (1 + (s / a0 - 1) * ctx.exp(-2 * s * t)) for s in spectrum]
        return ctx.log(sum(2 * ai * (s - ai) ** 2 for ai, s in zip(a, spectrum))) / 2 - ctx.log(level)

    grid = [t_max * k / 4000 for k in range(4001)]
    vals = [phi(t) for t in grid]
    ups, downs = [], []
    for t0, t1, v0, v1 in zip(grid, grid[1:], vals, vals[1:]):
        if (v0 > 0) != (v1 > 0):
            lo, hi = ctx.mpf(t0), ctx.mpf(t1)
            for _ in range(220):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if (phi(mid) > 0) == (v0 > 0) else (lo, mid)
            (downs if v0 > 0 else ups).append(hi)
    return ups, downs


def test_plateau_entries_and_exits_match_the_closed_form(capsys):
    code = main(["flow", "--init", "balanced", "--scale", "1e-20", "--plateau", "1e-3", "--digits", "12", "--json",
                 "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "success"
    entry, exit_ = out["events"]
    assert entry["name"].startswith("plateau entry") and exit_["name"].startswith("plateau exit")
    ctx = mpmath.MPContext()
    ctx.dps = 60
    ups, downs = _grad_roots([3, 2, 1], ctx.mpf("1e-20"), ctx.mpf("1e-3"), 60, ctx)
    assert len(ups) == len(exit_["times"]) >= 2 and len(downs) == len(entry["times"]) >= 2
    for got, want in [(v, w) for v, w in zip(exit_["times"], ups)] + [(v, w) for v, w in zip(entry["times"], downs)]:
        k = got["digits"]
        assert k >= 12 and abs(ctx.mpf(got["value"]) - want) <= abs(want) * ctx.mpf(10) ** (1 - k), (got, want)


def test_user_event_on_the_end_to_end_map():
    """A user callable: the first time the top-left entry of A_θ reaches 1 (Saxe, 1×1, a0 = 1/100: a(t) = 1 at
    t = log(199)/4 for s = 2)."""
    m = deep_linear(target=[[2]], depth=2, widths=1)

    def g(flow, y):
        return flow.end_to_end(y)[0, 0] - 1

    r = verified_flow(m, InitSpec.balanced("1/100", 2), digits=15, events=[Event("a = 1", g, 1)], t_end=5)
    assert r.status == "success"
    (ev,) = r.events
    (t,) = ev["times"]
    with mpmath.workdps(50):
        want = mpmath.log(199) / 4
        assert t.digits >= 15 and abs(mpmath.mpf(t.text) - want) <= want * mpmath.mpf(10) ** (1 - t.digits)


def test_events_are_checked():
    m = deep_linear(target=[[2]], depth=2, widths=1)
    with pytest.raises(OptionError, match="Event"):
        verified_flow(m, InitSpec.balanced("1/100", 2), events=[lambda f, y: 0], t_end=1)
    with pytest.raises(OptionError, match="direction"):
        Event("x", lambda f, y: 0, 2)
