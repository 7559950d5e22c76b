"""The exception tree of symdln.

Every error raised on purpose by symdln derives from :class:`SymdlnError`, and
each subclass is also the builtin exception a Python user would expect, so
``except ValueError`` keeps working::

    SymdlnError
    ├── ParseError(ValueError)       text that is not an exact number or matrix
    ├── ModelError(ValueError)       shapes, depths, widths, entries of a model
    ├── PrecisionError(ValueError)   digits or tolerances out of range
    ├── OptionError(ValueError)      an unknown or malformed option (CLI, front doors)
    └── FlowError(RuntimeError)      an integration that could not be completed

Messages name the argument, quote the value and its type, and say what would be
accepted, following the rule "in the face of ambiguity, refuse the temptation
to guess".
"""

from __future__ import annotations

__all__ = [
    "SymdlnError",
    "ParseError",
    "ModelError",
    "PrecisionError",
    "OptionError",
    "FlowError",
    "describe",
]


class SymdlnError(Exception):
    """Base class of every error symdln raises on purpose."""


class ParseError(SymdlnError, ValueError):
    """Text that is not an exact number, vector or matrix."""


class ModelError(SymdlnError, ValueError):
    """A model, its data or an initialization is malformed."""


class PrecisionError(SymdlnError, ValueError):
    """A precision, tolerance or digit count is out of range."""


class OptionError(SymdlnError, ValueError):
    """An unknown or malformed option."""


class FlowError(SymdlnError, RuntimeError):
    """A gradient-flow integration that failed; its ``solution`` is attached when there is one."""

    def __init__(self, message: str, solution: object | None = None) -> None:
        super().__init__(message)
        self.solution = solution


def describe(value: object) -> str:
    """Quote a value and its type for an error message: ``'abc' (str)``."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"
