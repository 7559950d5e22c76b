"""The diagonal network's dual (mirror) form against its (u, v) form: the same numbers to the digits both verify."""

import mpmath
import pytest

from symdln.errors import ModelError, OptionError
from symdln.flow.integrate import integrate_flow
from symdln.flow.plan import InitSpec
from symdln.flow.store import load_solution
from symdln.flow.verify import verified_flow
from symdln.models import deep_linear, diagonal_linear, pf_init
from symdln.precision import Precision

X, Y = "1,1/2,7/10,0;1/2,1,1/10,7/10", "1,0"  # MATH §4.1's worked example


def _agree(a, b):
    """Two verified numbers agree to the digits both claim (one unit of the last for rounding)."""
    k = min(a.digits, b.digits)
    x, y = mpmath.mpf(a.text), mpmath.mpf(b.text)
    return abs(x - y) <= abs(y) * mpmath.mpf(10) ** (1 - k)


def test_mirror_and_primal_forms_agree_to_their_verified_digits():
    """α = 1e-40: values through the three plateaus and two crossings, each verified to ≥ 15 digits in both forms."""
    m = diagonal_linear(X, Y)
    kw = dict(digits=15, at=["150", "400", "1200"], cross=["0.2", "0.01"])
    with mpmath.workdps(80):
        p = verified_flow(m, InitSpec.pf("1e-40"), **kw)
        q = verified_flow(m, InitSpec.pf("1e-40"), coordinates="mirror", **kw)
        assert p.status == q.status == "success"
        assert q.solution.stats.solver == "radau" and q.solution.coordinates == "mirror"
        for a, b in zip(p.points, q.points):
            assert _agree(a["loss"], b["loss"])
            assert all(_agree(x, y) for x, y in zip(a["values"], b["values"]))
        for a, b in zip(p.crossings, q.crossings):
            assert _agree(a["t"], b["t"])


def test_mirror_state_maps_to_the_primal_state(tmp_path):
    """u = √2α cosh r, v = √2α sinh r (so u² − v² = 2α² exactly); a saved mirror run reloads in its coordinates."""
    m = diagonal_linear(X, Y)
    th = pf_init(m, "1e-3")
    a = integrate_flow(m, th, 20, rtol="1e-25", precision=Precision(45), progress=False)
    b = integrate_flow(m, th, 20, rtol="1e-25", precision=Precision(45), coordinates="mirror", progress=False)
    with a.precision.flint():
        ua, va = a.evaluate("20")
        ub, vb = b.flow.primal(b.evaluate("20"))
        for i in range(4):
            assert abs(ua[i, 0] - ub[i, 0]) <= abs(ua[i, 0]) * 1e-20
            assert abs(va[i, 0] - vb[i, 0]) <= abs(va[i, 0]) * 1e-20 + 1e-40
    c = load_solution(b.save(tmp_path / "m.json"))
    assert c.coordinates == "mirror" and c.alpha2 == b.alpha2
    with c.precision.flint():
        assert abs(c.loss("13") - b.loss("13")) <= abs(b.loss("13")) * 1e-20


def test_mirror_refuses_what_it_cannot_represent():
    m = diagonal_linear(X, Y)
    with pytest.raises(ModelError, match="v\\(0\\) = 0"):
        integrate_flow(m, (pf_init(m, "1e-3")[0], [[1], [0], [0], [0]]), 1, coordinates="mirror", progress=False)
    with pytest.raises(OptionError, match="diagonal network"):
        verified_flow(deep_linear(spectrum=[1], depth=2, widths=1), InitSpec.gaussian("1e-3"), at=["1"],
                      coordinates="mirror")
    with pytest.raises(OptionError, match="coordinates"):
        integrate_flow(m, pf_init(m, "1e-3"), 1, coordinates="dual", progress=False)
