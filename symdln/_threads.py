"""One BLAS thread for the small dense linear algebra symdln does (scoped, restored on exit).

The float64 matrices here are small (Hessians of at most a few hundred parameters, 100 × 1000 designs): OpenBLAS's
threads cost more than they save on them, and far more when another process holds a core (measured: a 126 × 126
``eigh`` took 11 ms with two threads on a loaded two-core machine, 1 ms with one; ``symdln critical --depth 4
--widths 7`` 8.0 s against 4.9 s).  :func:`single_blas_thread` limits BLAS to one thread inside a ``with`` block
(threadpoolctl, as scikit-learn does), leaving the caller's setting as it was afterwards.

SciPy's wheels carry a second OpenBLAS beside NumPy's, loaded with the first ``scipy.linalg``-using import: a
block entered before that import (``scipy.optimize`` first imported inside the block, as the theory graph once
did) left it at two threads.  It is loaded before the controller is built, so it is limited with NumPy's.
"""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["single_blas_thread"]


_CONTROLLER = None  # (number of imported modules when it was built, threadpoolctl.ThreadpoolController)


def _controller():
    """A cached ``ThreadpoolController`` (building one scans the loaded libraries: ~2.5 ms with NumPy and SciPy
    loaded, 5 % of a 100 × 1000 limit path), rebuilt when modules were imported since (a new BLAS may have come
    with them)."""
    global _CONTROLLER
    import sys

    import scipy.linalg  # noqa: F401  SciPy ships its own OpenBLAS: loaded now, it is limited with NumPy's
    from threadpoolctl import ThreadpoolController

    n = len(sys.modules)
    if _CONTROLLER is None or _CONTROLLER[0] != n:
        _CONTROLLER = (n, ThreadpoolController())
    return _CONTROLLER[1]


@contextmanager
def single_blas_thread():
    """Limit BLAS (OpenBLAS, MKL, BLIS) to one thread inside the block.

    >>> import numpy as np
    >>> with single_blas_thread():
    ...     float(np.linalg.eigvalsh(np.eye(2)).sum())
    2.0
    """
    try:
        ctl = _controller()
    except ImportError:  # pragma: no cover - a declared dependency
        yield
        return
    with ctl.limit(limits=1, user_api="blas"):
        yield
