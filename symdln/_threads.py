"""One BLAS thread for the small dense linear algebra symdln does (scoped, restored on exit).

The float64 matrices here are small (Hessians of at most a few hundred parameters, 100 × 1000 designs): OpenBLAS's
threads cost more than they save on them, and far more when another process holds a core (measured: a 126 × 126
``eigh`` took 11 ms with two threads on a loaded two-core machine, 1 ms with one; ``symdln critical --depth 4
--widths 7`` 8.0 s against 4.9 s).  :func:`single_blas_thread` limits BLAS to one thread inside a ``with`` block
(threadpoolctl, as scikit-learn does), leaving the caller's setting as it was afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["single_blas_thread"]


@contextmanager
def single_blas_thread():
    """Limit BLAS (OpenBLAS, MKL, BLIS) to one thread inside the block.

    >>> import numpy as np
    >>> with single_blas_thread():
    ...     float(np.linalg.eigvalsh(np.eye(2)).sum())
    2.0
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
