"""What a landscape does not list: the kinds of critical points :func:`~symdln.symbolic.landscape.landscape` does not
construct for a model, named in its ``not_listed`` (a listing with any is not called exhaustive)."""

from __future__ import annotations

__all__ = ["not_listed"]


def not_listed(model, sets) -> tuple[str, ...]:
    """What kinds of critical points a landscape of ``model`` does not list (empty when the listing is exhaustive:
    diagonal networks, and depth ≤ 2 unless null directions of the target lie beside pivot sets it cannot build).
    ``sets`` are the listed critical sets (:class:`~.critical.CriticalSet`)."""
    from ..models.dln import DeepLinearModel

    if not isinstance(model, DeepLinearModel) or model.weight_decay != 0:
        return ()
    null = _null_directions(model, sets)
    if model.depth < 3:
        return null
    out = [*null, "critical points whose complement layers (outside the learned modes) multiply to zero in other ways than "
           "the cuts, vanishing pairs and zero-product chains listed: overlapping zero-product chains held by "
           "P_>ᵀ T P_<ᵀ = 0 around a middle of three or more layers whose product drops rank in special position "
           "(listed: the middle's rank set at one layer, and two-layer middles in special position), or with "
           "lower ranks of the outer layers; a vanishing pair with that product "
           "nonzero, zero-product chains whose inner products drop rank (listed: inner layers in general position), "
           "zero-product chains with layer ranks below the Pareto-maximal ones (listed: those), "
           "or two zero-product chains with more than 12 choices of ranks; "
           "complement layers in special position (e.g. a complement row inside the learned directions, which "
           "lowers a layer's rank); chains of a cut with lower ranks at two or more of their layers (listed: at one "
           "layer, or none); "
           "and points whose free layers have lower ranks than the generic ones listed (in a free complement or "
           "a Z{i,j} family with more than 12 choices of ranks) (Achour, Malgouyres & Gerchinovitz 2024 classify them by the "
           "ranks of the partial products); Landscape.locate reports such points as unlisted"]
    if model.form != "teacher":
        out.append("in the data form, the strata in the complement of nonempty pivot sets (cuts, zero complement "
                   "layers, zero-product chains beside learned modes; listed at A = 0)")
    else:
        def has_complement(label):  # a hidden layer wider than |S|
            r = label.count(",") + 1 if label != "{}" else 0
            return any(w > r for w in model.widths[1:-1])

        irrational = sorted({c.label for c in sets if not c.label.startswith("Z") and c.label != "{}"
                             and has_complement(c.label) and any(not x.is_Rational for W in c.point for x in W)},
                            key=lambda t: (len(t), t))
        if irrational:
            out.append(f"all strata in the complement of pivot sets {', '.join(irrational)} (cuts, zero complement "
                       "layers, lower complement ranks): their representatives are irrational (the target's singular "
                       "vectors), and these strata are constructed over the rationals only")
    return tuple(out)


def _null_directions(model, sets) -> tuple[str, ...]:
    """The strata that put weights along null directions of ``Σyx`` (``M`` in the teacher form): a rank-deficient or
    non-square target has input directions ``v`` with ``Σyx v = 0`` (or output directions ``u`` with ``uᵀΣyx = 0``),
    and a hidden unit whose incoming weights lie along them, its outgoing weights zero (or the reverse), is critical at
    any ``A_S``: ``W_1 = e_1 v_1ᵀ·2 + e_2 v_3ᵀ·3/2``, ``W_2 = u_1 e_1ᵀ`` for ``M = U diag(2, 1, 0) Vᵀ``, inertia
    (1, 4, 7) beside the listed (1, 5, 6) of ``{1}``.  Not constructed: said here, so the listing is not called
    exhaustive (found by an independent exact check)."""
    import sympy as sp

    S = sp.Matrix(model.syx)
    r = S.rank()
    n_r, n_l = S.shape[1] - r, S.shape[0] - r
    if n_r == 0 and n_l == 0:
        return ()
    where = " and ".join(x for x in (f"{n_r} input" if n_r else "", f"{n_l} output" if n_l else "") if x)
    if model.depth == 2:  # constructed (critical._depth2_null_strata) beside rational families, A = 0 in the data form
        h = model.widths[1]
        missing = sorted({c.label for c in sets if c.label != "{}" and h > c.label.count(",") + 1
                          and (model.form != "teacher" or any(not x.is_Rational for W in c.point for x in W))})
        if not missing:
            return ()
        return (f"strata of pivot sets {', '.join(missing)} with hidden weights along the null directions of the "
                f"target ({where} direction(s) where Σyx is zero): listed at A = 0 and beside rational teacher "
                f"families only; Landscape.locate reports such points as unlisted",)
    return (f"strata with hidden weights along the null directions of the target ({where} direction(s) where "
            f"Σyx is zero: a rank-deficient or non-square target): hidden units whose incoming (outgoing) weights lie "
            f"along them, with outgoing (incoming) weights zero, beside any pivot set (listed: the cuts and vanishing pairs "
            f"whose chains read or write along them, with the chains' ranks at their outer layers, and the zero-layer "
            f"strata whose layers before the first zero layer read along them or whose layers after the last zero "
            f"layer write along them); Landscape.locate reports such "
            f"points as unlisted",)
