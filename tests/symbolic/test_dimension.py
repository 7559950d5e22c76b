"""Certified stratum dimension bounds (symdln.symbolic.dimension) against closed forms and hand derivations."""

import pytest
import sympy as sp

from symdln.models import deep_linear
from symdln.symbolic.critical import critical_sets, pivot_family_dimension
from symdln.symbolic.dimension import stratum_dimension_bounds


@pytest.mark.parametrize("kwargs", [dict(spectrum=[3, 1], depth=3, widths=[2, 3]), dict(spectrum=[2, 1], depth=4, widths=2),
                                    dict(spectrum=[3, 2, 1], depth=3, widths=3)])
def test_bounds_equal_the_closed_forms_where_known(kwargs):
    """Generic strata are open in B_S (dimension: pivot_family_dimension's closed form); Z{i,j} families are
    {W_i = W_j = 0} (dimension: parameters minus the two layers); the bounds must pin exactly those. Every bound
    pair is ordered and the upper one at most the Hessian's nullity."""
    m = deep_linear(**kwargs)
    n = m.widths
    checked = 0
    for c in critical_sets(m):
        lo, hi = stratum_dimension_bounds(m, c.point)
        assert lo <= hi <= c.inertia.zero
        if c.stratum in ("generic", "all") and c.label.startswith("{") and c.label != "{}":
            r = len(c.label.strip("{}").split(","))
            assert lo == hi == pivot_family_dimension(n, r), c.label
            checked += 1
        if c.label.startswith("Z{") and "," in c.label:
            zeros = {int(x) for x in c.label[2:-1].split(",")}
            ranks = {} if c.stratum == "generic" else {
                int(lk.strip()[2:].split(" rank ")[0]): int(lk.split(" rank ")[1]) for lk in c.stratum.split(",")}
            # zero layers contribute 0; a rank-k layer k(m + n − k); the others are full: m·n
            dim = sum(ranks[l] * (n[l] + n[l - 1] - ranks[l]) if l in ranks else n[l] * n[l - 1]
                      for l in range(1, m.depth + 1) if l not in zeros)
            if c.stratum == "generic" and len(zeros) == 2:
                assert lo == hi == dim, c.label
            else:
                assert lo <= dim <= hi and c.dimension == dim, (c.label, c.stratum)
            checked += 1
        if c.dimension is not None and c.dimension_bounds is not None:
            assert c.dimension_bounds == (c.dimension, c.dimension)
    assert checked >= 4


def test_hand_derived_strata_at_depth_3_width_2():
    """M = diag(2, 1), depth 3, widths 2 (12 parameters).
    * Z{2} (W_2 = 0): W_1 = γxᵀ, W_3 = yβᵀ of rank 1 with yᵀMx = 0: 3 + 3 − 1 = 5 dimensions; the orbit of the
      hidden symmetries misses the choice of x, so the bounds are (4, 5) and contain 5.
    * {1} balanced (every layer of rank 1): W_1 = γ₁v₁ᵀ, W_2 = γ₂β₂ᵀ, W_3 = u₁β₃ᵀ with (β₃ᵀγ₂)(β₂ᵀγ₁) = s₁:
      2 + 3 + 2 − 1 = 6 (B_{1} itself has 7: its generic points have W_2 of rank 2)."""
    m = deep_linear(spectrum=[2, 1], depth=3, widths=2)
    sets = critical_sets(m)
    z2 = next(c for c in sets if c.label == "Z{2}")
    lo, hi = stratum_dimension_bounds(m, z2.point)
    assert lo <= 5 <= hi and (lo, hi) == (4, 5) and z2.dimension is None and z2.dimension_bounds == (4, 5)
    bal = next(c for c in sets if c.label == "{1}" and c.stratum == "balanced")
    assert sp.Matrix(bal.point[1]).rank() == 1
    assert bal.dimension == 6 and stratum_dimension_bounds(m, bal.point) == (6, 6)
    gen = next(c for c in sets if c.label == "{1}" and c.stratum == "generic")
    assert gen.dimension == 7
