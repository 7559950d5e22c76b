"""The Newton iterations' norm (layer weights frozen at a state) against the full norm (solves at every call)."""

import random
from fractions import Fraction

import flint
import pytest

from symdln.flow.integrate import make_stepper
from symdln.flow.norms import FrozenNorm
from symdln.models import deep_linear, gaussian_init
from symdln.precision import Precision


@pytest.mark.parametrize("kind", ["escape", "singular"])
def test_frozen_norm_equals_full_norm_at_its_state(kind):
    m = deep_linear(spectrum=[3, 1], depth=3, widths=2, rotation_seed=2)
    pr = Precision(60)
    st = make_stepper(m, pr, "radau", 9, Fraction(1, 10**13), Fraction(1, 10**12))
    y = st.flow.state(gaussian_init(m, "1e-9", 1))
    rng = random.Random(4)
    with pr.flint():
        st.norm.kind = kind
        frozen = FrozenNorm(st.norm, y)
        for _ in range(5):
            e = tuple(flint.arb_mat(W.nrows(), W.ncols(), [flint.arb(rng.gauss(0, 1)) * flint.arb(10) ** rng.randint(-20, 0)
                                                            for _ in range(W.nrows() * W.ncols())]) for W in y)
            a, b = st.norm(y, e), frozen(y, e)
            assert abs(a - b) <= abs(a) * flint.arb("1e-40")


def test_unreached_level_is_incomplete_not_never(capsys):
    import json

    from symdln.cli import main

    code = main(["flow", "--depth", "3", "--widths", "2", "--spectrum", "2,1", "--rotation-seed", "1", "--sigma", "1e-5",
                 "--cross", "1,1e-200", "--t-end", "1e7", "--digits", "6", "--json", "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert code == 4 and out["status"] == "incomplete"
    assert out["crossings"][0]["t"] is not None and out["crossings"][1]["t"] is None


def test_frozen_norm_finite_where_a_rounded_form_is_negative():
    """Regression: a quadratic form of the frozen norm rounded below zero (−1e-131 beside 5e-71) and its square
    root, NaN, read as a diverging Newton iteration; a strict depth-3 run from σ = 1e-60 then halved every step
    after the escape (46,000 steps instead of 3,000).  The frozen norm must equal the solve-based one there."""
    import json
    from pathlib import Path

    from symdln.flow.norms import ErrorNorm

    rec = json.loads((Path(__file__).parent / "data" / "frozen_norm_negative_form.json").read_text())
    with flint.ctx.workprec(rec["prec"]):
        def mats(key):
            return tuple(flint.arb_mat(r, c, [flint.arb(x) for x in v]) for (r, c), v in zip(rec["shapes"], rec[key]))

        theta0, state, error = mats("theta0"), mats("state"), mats("error")
        norm = ErrorNorm(rec["kind"], flint.arb(rec["kappa2"]), rec["shapes"])
        frozen, full = FrozenNorm(norm, theta0)(state, error), norm(theta0, error)
        assert frozen.is_finite() and full.is_finite()
        assert abs(frozen - full) <= abs(full) * flint.arb("1e-40")
