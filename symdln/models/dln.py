"""Deep linear networks (MATH §1.1): teacher form and data form, any depth, widths and weight decay.

Both forms are written as one quadratic in the end-to-end map ``A = W_L ⋯ W_1``::

    ℒ(θ) = ½⟨A Σxx, A⟩ − ⟨A, Σyx⟩ + c + (λ/2) Σ_l ‖W_l‖_F²

with ``Σxx = I, Σyx = M, c = ½‖M‖²`` (teacher form, ``½‖A − M‖² + …``) or
``Σxx = XXᵀ/N, Σyx = YXᵀ/N, c = ‖Y‖²/2N`` (data form, ``(1/2N)‖AX − Y‖² + …``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Sequence

import sympy as sp

from ..errors import ModelError, describe
from ..parse import check_magnitudes, exact_matrix, exact_number
from .targets import ExactSVD, rational_svd, teacher_from_spectrum

__all__ = ["DeepLinearModel", "deep_linear"]


@dataclass(frozen=True)
class DeepLinearModel:
    """A deep linear network ``A_θ = W_L ⋯ W_1`` with ``W_l ∈ ℝ^{n_l × n_{l−1}}`` and its loss.

    Build it with :func:`deep_linear`.  All data are exact rationals.

    Attributes
    ----------
    widths : tuple of int
        ``(n_0, n_1, …, n_L)``: input, hidden widths, output.
    form : {"teacher", "data"}
    target : sympy.ImmutableMatrix or None
        ``M`` (teacher form).
    X, Y : sympy.ImmutableMatrix or None
        Data (data form), ``X ∈ ℚ^{n_0×N}``, ``Y ∈ ℚ^{n_L×N}``.
    weight_decay : Fraction
        ``λ ≥ 0``.
    svd : ExactSVD or None
        The exact SVD of the target when it was built from a spectrum.
    """

    widths: tuple[int, ...]
    form: str
    target: sp.ImmutableMatrix | None
    X: sp.ImmutableMatrix | None
    Y: sp.ImmutableMatrix | None
    weight_decay: Fraction
    svd: ExactSVD | None = None

    @property
    def depth(self) -> int:
        """``L``, the number of weight matrices."""
        return len(self.widths) - 1

    @property
    def input_dim(self) -> int:
        return self.widths[0]

    @property
    def output_dim(self) -> int:
        return self.widths[-1]

    @functools.cached_property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """``((n_1, n_0), …, (n_L, n_{L−1}))`` (computed once: float64 flows ask for it at every gradient)."""
        return tuple((self.widths[i + 1], self.widths[i]) for i in range(self.depth))

    @property
    def n_params(self) -> int:
        return sum(a * b for a, b in self.shapes)

    @property
    def r_max(self) -> int:
        """``min_l n_l``, the largest rank of ``A_θ``."""
        return min(self.widths)

    @cached_property
    def sxx(self) -> sp.ImmutableMatrix:
        """``Σxx = XXᵀ/N`` (identity in the teacher form)."""
        if self.form == "teacher":
            return sp.ImmutableMatrix(sp.eye(self.input_dim))
        return sp.ImmutableMatrix(self.X * self.X.T / self.X.shape[1])

    @cached_property
    def syx(self) -> sp.ImmutableMatrix:
        """``Σyx = YXᵀ/N`` (``M`` in the teacher form)."""
        if self.form == "teacher":
            return self.target
        return sp.ImmutableMatrix(self.Y * self.X.T / self.X.shape[1])

    @cached_property
    def loss_constant(self) -> sp.Rational:
        """``c``: ``½‖M‖_F²`` or ``‖Y‖_F²/2N``."""
        if self.form == "teacher":
            return sp.Rational(sum(x**2 for x in self.target), 2)
        return sp.Rational(sum(y**2 for y in self.Y), 2 * self.X.shape[1])

    @property
    def whitened(self) -> bool:
        """True when ``Σxx = I`` (the data form then equals the teacher form with ``M = Σyx``)."""
        return self.sxx == sp.eye(self.input_dim)

    def describe(self) -> dict:
        """A JSON-ready description (exact numbers as strings)."""
        out = {
            "kind": "deep_linear",
            "form": self.form,
            "depth": self.depth,
            "widths": list(self.widths),
            "weight_decay": str(self.weight_decay),
        }
        if self.form == "teacher":
            out["target"] = [[str(x) for x in row] for row in self.target.tolist()]
            if self.svd is not None:
                out["spectrum"] = [str(x) for x in self.svd.s]
        else:
            out["X"] = [[str(x) for x in row] for row in self.X.tolist()]
            out["Y"] = [[str(x) for x in row] for row in self.Y.tolist()]
        return out


def _hidden_widths(widths, depth: int) -> tuple[int, ...]:
    if depth == 1:
        if widths not in (None, (), []):
            raise ModelError(f"`widths` must be empty for depth 1 (no hidden layer), got {describe(widths)}")
        return ()
    if widths is None:
        raise ModelError("`widths` is required for depth ≥ 2: one hidden width or one per hidden layer")
    if isinstance(widths, bool):
        raise ModelError(f"`widths` must be an int or a sequence of ints, got {describe(widths)}")
    if isinstance(widths, int):
        widths = (widths,) * (depth - 1)
    try:
        ws = tuple(widths)
    except TypeError:
        raise ModelError(f"`widths` must be an int or a sequence of ints, got {describe(widths)}") from None
    if len(ws) == 1 and depth > 2:
        ws = ws * (depth - 1)
    if len(ws) != depth - 1:
        raise ModelError(
            f"`widths` has {len(ws)} hidden widths but depth {depth} needs {depth - 1} (or a single one)"
        )
    for w in ws:
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise ModelError(f"`widths` entries must be positive ints, got {describe(w)}")
    return ws


def deep_linear(
    target=None,
    *,
    depth: int = 2,
    widths: int | Sequence[int] | None = None,
    spectrum: Sequence | None = None,
    shape: tuple[int, int] | None = None,
    rotation_seed: int | None = 0,
    X=None,
    Y=None,
    weight_decay=0,
) -> DeepLinearModel:
    """Build a deep linear network ``A_θ = W_L ⋯ W_1`` with loss (MATH §1.1)::

        teacher: ℒ(θ) = ½‖A_θ − M‖_F² + (λ/2) Σ_l ‖W_l‖_F²
        data:    ℒ(θ) = (1/2N)‖A_θ X − Y‖_F² + (λ/2) Σ_l ‖W_l‖_F²

    Give exactly one of ``target`` (teacher form, ``M`` exact), ``spectrum`` (teacher form,
    ``M = U diag(spectrum) Vᵀ`` with exact Cayley rotations seeded by ``rotation_seed``),
    or ``X`` and ``Y`` (data form).

    Parameters
    ----------
    target : 2-D exact array or ``"a,b;c,d"`` text, optional
    depth : int
        ``L ≥ 1``.
    widths : int or sequence of int
        Hidden widths ``n_1 … n_{L−1}`` (one int is used for every hidden layer).
    spectrum : sequence of exact numbers, optional
        Singular values of ``M``, nonnegative and in decreasing order, the first positive (equal values and zeros
        allowed: :func:`~symdln.models.targets.teacher_from_spectrum`).
    shape : (n_out, n_in), optional
        Shape of ``M`` when built from ``spectrum`` (default square of size ``len(spectrum)``).
    rotation_seed : int or None
        Seed of the exact Cayley rotations ``U``, ``V`` (default 0: a rotated target); ``None``: ``M = diag(spectrum)``.
    X, Y : 2-D exact arrays, optional
        Inputs ``X ∈ ℚ^{n_0×N}`` and outputs ``Y ∈ ℚ^{n_L×N}`` (data form).
    weight_decay : exact number
        ``λ ≥ 0``.

    Returns
    -------
    DeepLinearModel

    Examples
    --------
    >>> model = deep_linear(spectrum=[3, 2, 1], depth=2, widths=3)
    >>> model.widths, model.svd.s
    ((3, 3, 3), (3, 2, 1))
    >>> deep_linear("1,0;0,1/2", depth=3, widths=2).form
    'teacher'
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ModelError(f"`depth` must be an int ≥ 1, got {describe(depth)}")
    lam = exact_number(weight_decay, name="weight_decay")
    if lam < 0:
        raise ModelError(f"`weight_decay` must be ≥ 0, got {lam}")
    check_magnitudes([lam], name="weight_decay")
    given = [name for name, v in (("target", target), ("spectrum", spectrum), ("X/Y", X if X is not None else Y)) if v is not None]
    if len(given) != 1:
        raise ModelError(
            f"give exactly one of `target`, `spectrum` or `X` and `Y`; got {given or 'none'}"
        )
    hidden = _hidden_widths(widths, depth)
    svd = None
    if spectrum is not None:
        if isinstance(spectrum, str):
            from ..parse import parse_vector

            spectrum = parse_vector(spectrum, name="spectrum")
        n = len(spectrum)
        shp = shape if shape is not None else (n, n)
        if (
            not isinstance(shp, tuple)
            or len(shp) != 2
            or any(isinstance(x, bool) or not isinstance(x, int) or x < 1 for x in shp)
        ):
            raise ModelError(f"`shape` must be a pair of positive ints (n_out, n_in), got {describe(shape)}")
        svd = teacher_from_spectrum(spectrum, shp, rotation_seed=rotation_seed)
        target = svd.matrix()
    if target is not None:
        M = exact_matrix(target, name="target")
        check_magnitudes(M, name="spectrum" if svd is not None else "target")
        if svd is None:
            svd = rational_svd(M)
        widths_all = (M.shape[1], *hidden, M.shape[0])
        return DeepLinearModel(widths_all, "teacher", M, None, None, lam, svd)
    if X is None or Y is None:
        raise ModelError("the data form needs both `X` (n_0 × N) and `Y` (n_L × N)")
    Xm = exact_matrix(X, name="X")
    Ym = exact_matrix(Y, name="Y")
    check_magnitudes(Xm, name="X")
    check_magnitudes(Ym, name="Y")
    if Xm.shape[1] != Ym.shape[1]:
        raise ModelError(
            f"`X` has {Xm.shape[1]} columns (samples) but `Y` has {Ym.shape[1]}; both need N columns"
        )
    if all(x == 0 for x in Xm):
        raise ModelError("`X` is zero: the loss does not depend on the weights (every point is critical); give inputs "
                         "with a nonzero entry")
    widths_all = (Xm.shape[0], *hidden, Ym.shape[0])
    return DeepLinearModel(widths_all, "data", None, Xm, Ym, lam, None)
