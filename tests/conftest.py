import flint
import mpmath
import pytest


@pytest.fixture(autouse=True)
def _no_global_precision_leak():
    """symdln never changes mpmath's or python-flint's global precision."""
    yield
    assert mpmath.mp.prec == 53, "mpmath.mp.prec leaked"
    assert flint.ctx.prec == 53, "flint.ctx.prec leaked"
