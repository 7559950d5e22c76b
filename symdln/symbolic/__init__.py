"""Symbolic and exact calculus of DLN losses, and its compilation to high-precision callables."""

from .calculus import gradient as gradient
from .calculus import hessian as hessian
from .calculus import loss_expr as loss_expr
from .calculus import parameter_index as parameter_index
from .calculus import weight_symbols as weight_symbols
from .compile import CompiledFlow as CompiledFlow
from .compile import compile_flow as compile_flow

__all__ = ["CompiledFlow", "compile_flow", "gradient", "hessian", "loss_expr", "parameter_index", "weight_symbols"]
