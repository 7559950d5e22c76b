"""Ctrl-C held back across a call that can lose it: :func:`interrupts_deferred`.

python-flint 0.9's ``acb_mat.eig``, cut short by a ``KeyboardInterrupt`` raised while it runs, raises ``ValueError
("failed to isolate eigenvalues")`` in its place; the Radau IIA tableau takes that for too few bits and retries, and
the interrupt was lost (measured: a SIGINT landing in the tableau, computed anew when a verified run's dense output
is first used, and ``symdln flow`` went on to print ``success`` with exit status 0; found by an independent audit of
Ctrl-C timings, 2026-12-07).  Inside :func:`interrupts_deferred` Ctrl-C only sets a flag; the SIGINT handler that
was in place (Python's: ``KeyboardInterrupt``) runs when the block ends, over any exception the block raised.  Only
in the main thread and for a handler that is a function: an ignored or default-action SIGINT is left as it is.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

__all__ = ["interrupts_deferred"]


@contextmanager
def interrupts_deferred():
    """Hold Ctrl-C back until the block ends, then run the SIGINT handler (``KeyboardInterrupt``).

    >>> with interrupts_deferred():
    ...     x = sum(range(10))
    >>> x
    45
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    hits = []
    signal.signal(signal.SIGINT, lambda signum, frame: hits.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if hits:  # also over an exception the block raised (flint's eig failing where the interrupt cut it short)
            previous(signal.SIGINT, None)
