import flint

from symdln.flow.roots import illinois
from symdln.precision import Precision


def test_illinois_finds_sqrt2_to_the_resolution():
    p = Precision(50)
    with p.flint():
        res = flint.arb(2) ** (-150)
        t, payload = illinois(lambda x: ((x * x - 2).mid(), "here"), flint.arb(1), flint.arb(2), resolution=res)
        assert abs(t - flint.arb(2).sqrt()) < flint.arb(2) ** (-145) and payload == "here"
        # no sign change: the nearer endpoint
        t2, _ = illinois(lambda x: ((x + 1).mid(), None), flint.arb(1), flint.arb(2), resolution=res)
        assert t2 == 1
