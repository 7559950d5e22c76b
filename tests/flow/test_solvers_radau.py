"""Radau IIA: empirical order against a closed form, L-stability, and the deep-plateau oracles it was built for."""

import functools
from fractions import Fraction
import math

import flint
import mpmath
import pytest

from symdln.flow.solvers import GBS, RadauIIA
from symdln.flow.solvers.radau import radau_tableau
from symdln.models import balanced_init, deep_linear
from symdln.precision import Precision
from symdln.symbolic.compile import compile_flow


def _tight(y1, err):
    """A measure for one-step tests: the absolute max-norm against 1e-45 (Newton converges to ~1e-47)."""
    return float(max(abs(x) for W in err for x in W.entries()).mid()) / 1e-45


@pytest.mark.parametrize("s", [3, 5])
def test_local_error_has_order_2s(s):
    """One step from a(0) = 1/4 of the balanced 1×1 depth-2 flow a' = 2a(1 − a) against Saxe's a(H) = 1/(1 + 3e^{−2H}):
    Radau IIA has order 2s − 1, so the local error scales like H^{2s}."""
    p = Precision(60)
    m = deep_linear(target=[[1]], depth=2, widths=1)
    flow = compile_flow(m, p)
    y0 = flow.state(balanced_init(m, "1/4"))
    errs = []
    with p.flint():
        f0 = flow.field(y0)
        for H in ("0.04", "0.02"):
            solver = RadauIIA(flow, s)
            solver.max_newton = 80  # converge the stage equations far below the step's error
            y1, r, _ = solver.adaptive_step(y0, f0, flint.arb(H), _tight)
            assert math.isfinite(r)
            a = (y1[1] * y1[0])[0, 0]
            exact = 1 / (1 + 3 * (-2 * flint.arb(H)).exp())
            errs.append(float(abs(a - exact).mid()))
    slope = math.log2(errs[0] / errs[1])
    assert abs(slope - 2 * s) < 0.7, (s, slope, errs)


def test_tableau_against_the_closed_form_of_three_stages():
    """RADAU5's nodes (4 ∓ √6)/10, 1 and the real eigenvalue of A⁻¹, 3 + 3^{2/3} − 3^{1/3} (Hairer & Wanner IV.8)."""
    c, A, Ainv, blocks, T, Tinv, e, gamma0 = radau_tableau(3, 200)
    with flint.ctx.workprec(200):
        r6 = flint.arb(6).sqrt()
        assert abs(c[0] - (4 - r6) / 10) < flint.arb("1e-50") and abs(c[1] - (4 + r6) / 10) < flint.arb("1e-50")
        gamma = 3 + flint.arb(3) ** (flint.arb(2) / 3) - flint.arb(3) ** (flint.arb(1) / 3)
        assert abs(blocks[0] - gamma) < flint.arb("1e-50")
        # the last row of A is b: Σ b_i = 1 and Σ b_i c_i = 1/2
        assert abs(A[2, 0] + A[2, 1] + A[2, 2] - 1) < flint.arb("1e-50")
        assert abs(A[2, 0] * c[0] + A[2, 1] * c[1] + A[2, 2] * c[2] - flint.arb(1) / 2) < flint.arb("1e-50")


def test_stiff_modes_are_damped_at_any_step():
    """Depth 1 (convex): W' = M − W relaxes at rate 1.  One Radau step of size H lands on M up to R(−H) = O(1/H)
    (L-stability: R(z) → 0 as z → −∞); the explicit method's error estimate at the same step is huge."""
    p = Precision(40)
    m = deep_linear(target=[[2, 0], [0, 1]], depth=1)
    flow = compile_flow(m, p)
    y0 = flow.state(([[0, 0], [0, 0]],))
    target = [[2, 0], [0, 1]]
    with p.flint():
        f0 = flow.field(y0)
        for H in ("1e8", "1e12"):
            y1, r, _ = RadauIIA(flow, 5).adaptive_step(y0, f0, flint.arb(H), lambda y, e: 0.0)
            dist = max(abs(float((y1[0][i, j] - target[i][j]).mid())) for i in range(2) for j in range(2))
            assert dist <= 10 / float(H), (H, dist)
        z1, zerr = GBS(flow, 4).step(y0, f0, flint.arb("1e8"))
        big = max(abs(float(zerr[0][i, j].mid())) if zerr[0][i, j].is_finite() else math.inf for i in range(2) for j in range(2))
        assert big > 1e6


def _depth_time_to_half(depth, s, a0, ctx):
    """``∫_{a0}^{s/2} da / (L a^{2−2/L} (s − a))`` (MATH §3, depth-L balanced mode), by mpmath quadrature in the variable
    ``x = a^{1/L}``: ``∫ dx / (x^{L−1} (s − x^L))``."""
    lo, hi = ctx.root(a0, depth), ctx.root(s / 2, depth)
    f = lambda x: 1 / (x ** (depth - 1) * (s - x**depth))  # noqa: E731
    pts = [lo * ctx.mpf(10) ** k for k in range(0, int(ctx.log10(hi / lo)) + 1)] + [hi]
    return ctx.quad(f, pts)


@pytest.mark.parametrize("depth", [3, 4])
def test_balanced_crossing_from_1e_100_matches_the_quadrature(capsys, depth):
    """Depth 3 and 4, rotated target diag(2, 1), balanced aligned init a0 = 1e-100 (plateaus of 1e33 and 1e49): the
    first time the loss falls below 1 is when mode 1 reaches s/2 = 1, up to mode 2's contribution ½((1 − a_2)² − 1)
    with a_2 ≤ 10^{-90} there; every verified digit must match the quadrature."""
    import json

    from symdln.cli import main

    code = main(["flow", "--depth", str(depth), "--widths", "2", "--spectrum", "2,1", "--rotation-seed", "1",
                 "--init", "balanced", "--scale", "1e-100", "--cross", "1", "--digits", "10", "--json", "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "success"
    ctx = mpmath.MPContext()
    ctx.dps = 60
    t_star = _depth_time_to_half(depth, ctx.mpf(2), ctx.mpf("1e-100"), ctx)
    (event,) = out["crossings"]
    k, text = event["t"]["digits"], event["t"]["value"]
    assert k >= 10 and len(text.replace(".", "").split("e")[0].lstrip("0")) == k  # printed to its verified digits
    # k correct significant digits: within half a unit of the k-th digit (one unit, for the rounding of the value)
    assert abs(ctx.mpf(text) - t_star) <= abs(t_star) * ctx.mpf(10) ** (1 - k), (event, t_star)


def _crossings(capsys, depth, sigma):
    import json

    from symdln.cli import main

    code = main(["flow", "--depth", str(depth), "--widths", "2", "--spectrum", "2,1", "--rotation-seed", "1",
                 "--sigma", sigma, "--seed", "3", "--cross", "1,0.001", "--digits", "10", "--json", "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "success"
    return [(mpmath.mpf(c["t"]["value"]), c["t"]["digits"]) for c in out["crossings"]]


def _same_accelerated_times(capsys, depth, small, smaller, tol_digits):
    """``σ^{L−2}·t_k`` (MATH §3: plateaus last ~σ^{−(L−2)}) has an α → 0 limit: Gaussian directions fixed by the seed and
    scaled by σ, two scales give the same accelerated crossing times to the digits both runs verified (less the
    ``O(σ)`` corrections of the larger scale, below ``10^{−tol_digits}``)."""
    with mpmath.workdps(60):
        a = _crossings(capsys, depth, small)
        b = _crossings(capsys, depth, smaller)
        for (ta, ka), (tb, kb) in zip(a, b):
            k = min(ka, kb, tol_digits)
            xa, xb = ta * mpmath.mpf(small) ** (depth - 2), tb * mpmath.mpf(smaller) ** (depth - 2)
            assert k >= 10 and abs(xa - xb) <= abs(xb) * mpmath.mpf(10) ** (1 - k), (depth, xa, xb, ka, kb)


@pytest.mark.slow  # 16 s (measured 2026-12-08): the default run stays under 10 minutes
def test_accelerated_times_agree_across_scales_depth3(capsys):
    _same_accelerated_times(capsys, 3, "1e-15", "1e-30", 14)


@pytest.mark.slow
def test_accelerated_times_agree_across_scales_deep(capsys):
    """σ = 1e-30 and 1e-60 at depth 3; σ = 1e-15 and 1e-30 at depth 4 (plateaus to 1e60)."""
    _same_accelerated_times(capsys, 3, "1e-30", "1e-60", 20)
    _same_accelerated_times(capsys, 4, "1e-15", "1e-30", 20)


@functools.lru_cache(maxsize=1)
def _reference_crossings():
    from symdln.flow.plan import InitSpec
    from symdln.flow.verify import verified_flow

    m = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    return verified_flow(m, InitSpec.gaussian("1e-30", 0), digits=15, cross=("1", "0.001")).crossings


@pytest.mark.parametrize("digits", [pytest.param(4, marks=pytest.mark.slow), 8])  # 4 digits: 24 s; 8 stays in the default run
def test_newton_failures_do_not_stall_the_run(digits):
    """At rtol = 1e-7 and 1e-11 (4 and 8 digits), after the first escape at depth 3 from σ = 1e-30, steps with errors
    of 1e-13·rtol grew ×4 into Newton failures and shrank ×0.2, for ever (10,000 attempts, no progress).  Now a
    failure halves the step and the next steps grow back towards half the failed size only: the run reaches both
    crossings in a few hundred steps, at the times a 15-digit run verifies (to the digits this run verified)."""
    from symdln.flow.plan import InitSpec
    from symdln.flow.verify import verified_flow

    m = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    init = InitSpec.gaussian("1e-30", 0)
    r = verified_flow(m, init, digits=digits, cross=("1", "0.001"), max_steps=3000)
    assert r.status == "success", r.status
    assert all(run["stats"]["steps"] < 1500 for run in r.runs)
    ref = _reference_crossings()
    with mpmath.workdps(40):
        for c, cref in zip(r.crossings, ref):
            k = c["t"].digits
            assert k >= digits
            a, b = mpmath.mpf(c["t"].text), mpmath.mpf(cref["t"].text)
            assert abs(a - b) <= abs(b) * mpmath.mpf(10) ** (1 - k)


@pytest.mark.parametrize("s", [9, 13, 15, 17])
@pytest.mark.parametrize("prec", [53, 150, 200])
def test_tableau_holds_at_the_precision_it_is_asked_for(s, prec):
    """Independent identities at ``prec`` bits: the weights ``b`` (last row of ``A``) integrate polynomials of degree
    ``≤ 2s − 2`` exactly (Gauss–Radau quadrature), ``A⁻¹T = TΛ`` with ``Λ`` the block form of ``blocks``, and
    ``T T⁻¹ = I``.  Regression: with a fixed 64 guard bits, s = 15 at 150 bits had ``T T⁻¹`` off by 2.7e-3 and an
    error estimate ``3e-11·H·f`` off, which froze a strict run's steps at ``H = 6.5e-8`` (depth 3, σ = 1e-3)."""
    c, A, Ainv, blocks, T, Tinv, e, gamma0 = radau_tableau(s, prec)
    tol = 2.0 ** -(prec - 8)
    with flint.ctx.workprec(2 * prec + 100):
        for q in range(2 * s - 1):
            quad = sum((A[s - 1, j] * c[j] ** q for j in range(s)), flint.arb(0))
            assert abs(float((quad - flint.arb(1) / (q + 1)).mid())) < tol, (q, quad)
        TI = T * Tinv
        assert max(abs(float((TI[i, j] - (i == j)).mid())) for i in range(s) for j in range(s)) < tol
        L = flint.arb_mat(s, s)
        L[0, 0] = blocks[0]
        for k, (a, b) in enumerate(blocks[1:]):
            i = 2 * k + 1
            L[i, i] = L[i + 1, i + 1] = a
            L[i, i + 1], L[i + 1, i] = b, -b
        D = Ainv * T - T * L
        scale = max(abs(float(x.mid())) for x in Ainv.entries())
        assert max(abs(float(x.mid())) for x in D.entries()) < tol * scale * s


def test_strict_run_from_a_moderate_init_is_not_frozen():
    """Depth 3 from σ = 1e-3: the strict (15-stage) verification run took 21,000 steps of 6.5e-8 in 60 s to reach
    t = 0.0014 (horizon 9625) before the tableau fix; now it crosses in a few hundred steps."""
    from symdln.flow.plan import InitSpec, plan_run
    from symdln.flow.verify import _run, _verifier

    m = deep_linear(target="2,1/3;-1/2,1", depth=3, widths=2)
    init = InitSpec.gaussian("1e-3", 0)
    plan = _verifier(m, plan_run(m, init, digits=10))
    assert plan.strict and plan.precision.bits <= 200  # the case that failed: many stages at a modest precision
    sol = _run(m, init.build(m), plan, init, None, False, 3000, 60.0, "primal")
    assert sol.status.ok and sol.stats.steps < 1000, (sol.status, sol.stats)


def test_one_step_needing_full_precision_does_not_make_the_rest_of_the_run_pay_for_it(monkeypatch):
    """When Newton fails with the reduced-bit inverses and succeeds at full precision, the next steps try twice the
    margin, not full precision for good (a sticky switch made the later inverses 4× dearer: 351 bits where ~90
    served, depth 3 from σ = 1e-30).  The failure is forced at one step (every reduced-bit attempt of its 20th step
    diverges): that step must take full-precision inverses, and the steps after it reduced ones again."""
    from symdln.flow.control import Stepper
    from symdln.flow.plan import InitSpec
    from symdln.flow.verify import verified_flow

    calls, dense, forced = [], [0], {"seen": 0, "step": None}
    import symdln.flow.solvers.radau as radau_module

    orig, advance, newton = RadauIIA._inverses, Stepper.advance, radau_module.newton

    def spy(self, J, H, blocks, range_bits, full):
        out = orig(self, J, H, blocks, range_bits, full)
        if not dense[0]:  # the run's own steps (the dense output starts each evaluation afresh)
            calls.append((id(self), full, out[0], flint.ctx.prec))
        return out

    def spy_newton(self, y0l, shapes, inv, *args):
        if not dense[0] and inv[0] < flint.ctx.prec and (forced["step"] is None or forced["step"] is y0l):
            forced["seen"] += 1
            if forced["seen"] >= 20:
                forced["step"] = y0l  # this step's reduced-bit attempts all diverge (the list is this step's own)
                return None
        return newton(self, y0l, shapes, inv, *args)

    def spy_advance(self, *args, **kwargs):
        dense[0] += 1
        try:
            return advance(self, *args, **kwargs)
        finally:
            dense[0] -= 1

    monkeypatch.setattr(RadauIIA, "_inverses", spy)
    monkeypatch.setattr(radau_module, "newton", spy_newton)
    monkeypatch.setattr(Stepper, "advance", spy_advance)
    m = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    r = verified_flow(m, InitSpec.gaussian("1e-30", 0), digits=8, at=(), cross=("1",), progress=False)
    assert r.status == "success", r.message
    first_full = next(i for i, c in enumerate(calls) if c[1])
    assert first_full > 0 and not calls[first_full - 1][1]  # the forced step: reduced bits first, then full
    later = [c for c in calls[first_full + 1:] if not c[1] and c[0] == calls[first_full][0]]  # the same run's solver
    assert later and all(bits < prec for _, _, bits, prec in later)


def _approach_ratios(monkeypatch, model, init):
    """The error ratios of the accepted steps of a Radau IIA run to the first escape (loss below half its start)."""
    from symdln.flow.integrate import integrate_flow
    from symdln.flow.plan import plan_run

    ratios, factor = [], RadauIIA._factor

    def spy(self, H, r):
        if math.isfinite(r) and r <= 1:
            ratios.append(r)
        return factor(self, H, r)

    monkeypatch.setattr(RadauIIA, "_factor", spy)
    plan = plan_run(model, init, digits=10)
    sol = integrate_flow(model, init.build(model), plan.horizon, precision=plan.precision, rtol=plan.rtol,
                         solver="radau", loss_below="0.25", scale=init.layer_scale, floor=plan.floor, throw=False)
    assert sol.status.name == "EVENT", sol.status
    return ratios, sol


def test_steps_approaching_an_escape_use_the_tolerance(monkeypatch):
    """On the geometric approach to an escape (depth 3, 1×1, a' = 3a^{4/3}(1 − a) from a = 1e-30: the steps shrink
    with the distance to the blow-up time) the controller's equilibrium error ratio is 0.65·0.94^{q+1} ≈ 0.35.  A rule
    shrinking 20 % more than the predictive factor made any shrinking rate a fixed point: ratios stayed near 0.04 and
    the run took a third more steps."""
    from symdln.flow.plan import InitSpec

    m = deep_linear(target=[[1]], depth=3, widths=1)
    ratios, _ = _approach_ratios(monkeypatch, m, InitSpec.balanced("1e-30", 3))
    settled = sorted(ratios[len(ratios) // 4: 3 * len(ratios) // 4])  # the middle of the run: the approach
    median = settled[len(settled) // 2]
    assert 0.15 <= median <= 1.0, (median, len(ratios))


def test_newton_restarts_from_zero_stages_when_the_extrapolated_start_diverges(monkeypatch):
    """A starting guess far off (the last step's polynomial extrapolated past a blow-up) must not cost the step:
    the iterations start again from zero stages, as RADAU5's STARTN, before the step is given up."""
    from symdln.flow.plan import InitSpec

    m = deep_linear(target=[[1]], depth=3, widths=1)
    _, clean = _approach_ratios(monkeypatch, m, InitSpec.balanced("1e-30", 3))
    monkeypatch.undo()
    start = RadauIIA._start

    def wild(self, y, H, P):
        return tuple(None if Z is None else Z * 1e6 for Z in start(self, y, H, P))  # guesses a million times off

    solvers = []
    init = RadauIIA.__init__

    def keep(self, *a, **k):
        init(self, *a, **k)
        solvers.append(self)

    monkeypatch.setattr(RadauIIA, "_start", wild)
    monkeypatch.setattr(RadauIIA, "__init__", keep)
    _, bad = _approach_ratios(monkeypatch, m, InitSpec.balanced("1e-30", 3))
    assert bad.stats.rejected_steps <= clean.stats.rejected_steps + 2, (bad.stats, clean.stats)
    assert abs(float((bad.t_final - clean.t_final).mid())) <= 1e-9 * float(clean.t_final.mid())
    # the Jacobians at such predicted stages failed Newton too often: given up for the rest of the run
    attempts, failures, in_use = solvers[-1]._predicted
    assert attempts >= 20 and failures > 0.25 * attempts and not in_use, solvers[-1]._predicted


def test_scaled_copy_start_on_the_approach_to_an_escape(monkeypatch):
    """On the geometric approach to an escape (depth 3, 1×1, balanced a0 = 1e-90: u ~ (t* − t)^{−1} over 30
    decades, each step a scaled copy of the last) the scaled copy of the last step's stages starts Newton closer than the extrapolated
    polynomial: fewer iterations (counted, not timed), and the same run to the tolerance (the start changes only
    where the iterations begin)."""
    from symdln.flow.plan import InitSpec

    m = deep_linear(target=[[1]], depth=3, widths=1)
    used = []
    start = RadauIIA._start

    def spy(self, y, H, P):
        out = start(self, y, H, P)
        used.append(out[1] is not None)
        return out

    monkeypatch.setattr(RadauIIA, "_start", spy)
    monkeypatch.setattr(RadauIIA, "predicted_jacobian", False)  # iteration matrices at y0: the starts compared alone
    _, with_copy = _approach_ratios(monkeypatch, m, InitSpec.balanced("1e-90", 3))
    monkeypatch.undo()
    monkeypatch.setattr(RadauIIA, "_start", lambda self, y, H, P: (start(self, y, H, P)[0], None))
    monkeypatch.setattr(RadauIIA, "predicted_jacobian", False)  # iteration matrices at y0: the starts compared alone
    _, poly_only = _approach_ratios(monkeypatch, m, InitSpec.balanced("1e-90", 3))
    assert sum(used) >= len(used) // 2, (sum(used), len(used))  # offered on most steps of the approach
    nfev = [s.stats.nfev for s in (with_copy, poly_only)]
    assert nfev[0] < 0.85 * nfev[1], nfev  # measured: 8984 against 11747
    assert abs(float((with_copy.t_final - poly_only.t_final).mid())) <= 1e-9 * float(poly_only.t_final.mid())


def test_jacobian_at_a_predicted_stage_on_the_approach_to_an_escape(monkeypatch):
    """The iteration matrices built from the Jacobian at the predicted stage nearest c = 0.7 instead of at y0: fewer iterations on the 30-decade approach of the test above
    (counted), and the same run to the tolerance."""
    from symdln.flow.plan import InitSpec

    m = deep_linear(target=[[1]], depth=3, widths=1)
    _, predicted = _approach_ratios(monkeypatch, m, InitSpec.balanced("1e-90", 3))
    monkeypatch.undo()
    monkeypatch.setattr(RadauIIA, "predicted_jacobian", False)
    _, at_y0 = _approach_ratios(monkeypatch, m, InitSpec.balanced("1e-90", 3))
    nfev = [s.stats.nfev for s in (predicted, at_y0)]
    assert nfev[0] < 0.95 * nfev[1], nfev  # measured: 8255 against 8984 (with the scaled-copy start in both)
    assert abs(float((predicted.t_final - at_y0.t_final).mid())) <= 1e-9 * float(at_y0.t_final.mid())


def test_pair_corrections_keep_their_condition_bits_at_depth_4():
    """The complex pairs' Newton corrections ``G⁻¹(K[r q] + b[−q r])`` must be formed at ``G``'s bits (its condition
    number is about the square of the iteration matrix's): formed at the working precision, depth 4 from σ = 1e-30
    lost the condition number's bits once ``H‖J‖`` grew after the first escape, and Newton failed on 134 of 1,000
    steps before the loss reached 1e-3 (the run hit ``max_steps``).  At ``G``'s bits the one run (6 digits) reaches
    it in ~680 steps with ~16 rejections; the bound below leaves room for neither regression."""
    from dataclasses import replace

    from symdln.flow.integrate import integrate_flow
    from symdln.flow.plan import InitSpec, plan_run
    from symdln.flow.resolution import digits_for_level

    m = deep_linear(spectrum=[2, 1], depth=4, widths=2, rotation_seed=1)
    init = InitSpec.gaussian("1e-30", 3)
    plan = plan_run(m, init, digits=6)
    plan = replace(plan, digits=max(plan.digits, digits_for_level(Fraction(1, 1000), plan.rtol)))
    sol = integrate_flow(m, init.build(m), plan.horizon, precision=plan.precision, rtol=plan.rtol,
                         solver=plan.solver, loss_below=Fraction(1, 1000), scale=init.layer_scale, floor=plan.floor,
                         seed=init.seed, init=init.as_dict(), progress=False, max_steps=900, throw=False,
                         stiffness_switch=plan.stiffness_switch, strict=plan.strict)
    assert sol.status.name.lower() == "success", (sol.status, sol.stats.as_dict())
    assert sol.stats.rejected_steps < 60, sol.stats.as_dict()
