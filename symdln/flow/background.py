"""A run in a second process: the verification run of :func:`~symdln.flow.verify.verified_flow` beside the first.

The two runs of a verified flow are independent computations from the same initial state (the second one's plan
does not depend on the first one's result), so on a machine with two or more cores they run at once: the first in
this process, the second in a forked child, whose :class:`~symdln.flow.solution.FlowSolution` comes back pickled
(about 1 MB and 30 ms for a depth-3 run of 500 steps).  Wall time is then that of the longer run instead of the sum
(measured in ``benchmarks/flow.py``).  The results are the same numbers: the child runs the same code on the same
inputs.

:class:`BackgroundRun` starts the child; :meth:`BackgroundRun.result` waits for it, with a tqdm bar fed by the
child's current time; :meth:`BackgroundRun.cancel` stops it.  Ctrl-C reaches both processes (one process group):
the child's run stops as any interrupted run does and its partial solution comes back; a Ctrl-C that reached only
the waiting parent is passed on to the child (:meth:`BackgroundRun.result`).  Only where ``fork`` is the
platform's safe default (Linux) and at least two cores are available; elsewhere :func:`available` is False and the
runs are made one after the other.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time

__all__ = ["BackgroundRun", "available"]


def available() -> bool:
    """Whether a run can go to a forked child here: Linux (``fork``) and at least two usable cores.

    >>> isinstance(available(), bool)
    True
    """
    import multiprocessing

    if not sys.platform.startswith("linux") or multiprocessing.current_process().daemon:  # daemons have no children
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - Linux has it
        cores = os.cpu_count() or 1
    return cores >= 2


def _die_with_parent(parent: int) -> None:
    """Ask Linux to end this process (SIGTERM) when its parent dies (``prctl(PR_SET_PDEATHSIG)``), and end it now
    if the parent is already gone: a parent killed outright (SIGKILL, e.g. a caller's timeout) left its verification
    child computing for hours (an independent audit, 2026-12-07)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # pragma: no cover - no prctl: the child ends with its run, as before
        return
    if os.getppid() != parent:
        os._exit(1)


def _child(conn, fn, args, kwargs, clock, parent: int) -> None:
    """The child's body: ``fn(*args, **kwargs, on_step=…)``, its result (or exception) sent back once."""
    _die_with_parent(parent)
    from tqdm import tqdm

    # a lock held by another of the parent's threads at the fork (tqdm's monitor) would never be released here
    tqdm.set_lock(threading.RLock())

    def on_step(t: float) -> None:
        clock.value = t

    try:
        out = ("ok", fn(*args, on_step=on_step, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
        out = ("error", exc)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run is over: a late Ctrl-C must not cut the message short
    try:
        conn.send(out)
    except Exception as exc:  # e.g. an exception that cannot be pickled: its text instead
        conn.send(("error", RuntimeError(f"background run failed: {exc!r}; result: {out[1]!r}"[:2000])))
    finally:
        conn.close()


def _interrupted(msg) -> bool:
    """Whether the child's message is a run that stopped on Ctrl-C (its status says so)."""
    status = getattr(msg[1], "status", None) if msg[0] == "ok" else None
    return getattr(status, "name", None) == "INTERRUPTED"


class BackgroundRun:
    """``fn(*args, **kwargs)`` in a forked child process; ``fn`` takes an ``on_step(t)`` keyword (the current time,
    for the progress bar) and returns a picklable result (a :class:`~symdln.flow.solution.FlowSolution`).

    Examples
    --------
    >>> def square(x, on_step=None):
    ...     return x * x
    >>> BackgroundRun(square, 7).result()
    49
    """

    def __init__(self, fn, *args, **kwargs) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self._clock = ctx.Value("d", 0.0, lock=False)
        self._conn, child_conn = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(child_conn, fn, args, kwargs, self._clock, os.getpid()),
                                 daemon=True)
        self._proc.start()
        child_conn.close()
        self._done = False

    def _receive(self, timeout: float | None):
        """The child's message, or None when it has not come within ``timeout`` seconds or the child died."""
        if not self._conn.poll(timeout):
            return None
        try:
            return self._conn.recv()
        except (EOFError, OSError):  # the child died without a word (killed)
            return ("died", None)

    def result(self, *, total: float | None = None, progress: bool | None = None, desc: str = "symdln verify"):
        """Wait for the child's result; a tqdm bar (``total``: the run's end time) shows its time meanwhile.

        An exception raised in the child is raised here; a child that died returns ``None`` (the caller makes the run
        itself).  Ctrl-C while waiting: a terminal's Ctrl-C reaches the child too, whose run stops and comes back
        (returned here: it reports itself as interrupted); when nothing comes within a second the interrupt is
        passed on to the child.  A second Ctrl-C, no answer 30 s after the first, or an answer that is not an
        interrupted run (the child finished before the interrupt reached it) raises ``KeyboardInterrupt``.  While
        waiting, Ctrl-C only sets a flag (a ``KeyboardInterrupt`` inside ``recv`` would lose the message half
        read)."""
        from tqdm.auto import tqdm

        hits = []  # times of the Ctrl-Cs received while waiting

        def on_sigint(signum, frame):
            hits.append(time.monotonic())

        previous = signal.getsignal(signal.SIGINT)
        if callable(previous) and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_sigint)
        else:  # Ctrl-C ignored (or not this thread's): left as it is
            previous = None
        bar = tqdm(total=total, unit="t", disable=(not progress) if progress is not None else None, desc=desc,
                   leave=False)
        msg, shown, passed_on = None, 0.0, False
        try:
            while msg is None:
                msg = self._receive(0.2)
                if msg is None and not self._proc.is_alive() and not self._conn.poll(0):
                    msg = ("died", None)
                if msg is None and hits:
                    if len(hits) > 1 or time.monotonic() - hits[0] > 30:
                        break  # a second Ctrl-C, or the child does not answer: stop it
                    if not passed_on and time.monotonic() - hits[0] > 1:
                        passed_on = True  # the interrupt did not reach the child (sent to this process only)
                        try:
                            os.kill(self._proc.pid, signal.SIGINT)
                        except OSError:
                            pass
                t = self._clock.value
                if math.isfinite(t) and t > shown:
                    bar.update(t - shown)
                    shown = t
        finally:
            bar.close()
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            if msg is None:
                self.cancel()
            else:
                self._finish()
        if msg is None or (hits and not _interrupted(msg)):
            # a Ctrl-C while waiting ends as interrupted, also when the child finished before it could see it (its
            # last second, or the message already on its way): as the run made here would have
            raise KeyboardInterrupt
        kind, value = msg
        if kind == "error":
            raise value
        return value if kind == "ok" else None

    def cancel(self) -> None:
        """Stop the child (its result is not wanted)."""
        if not self._done and self._proc.is_alive():
            self._proc.terminate()
        self._finish()

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        self._proc.join(5)
        if self._proc.is_alive():  # pragma: no cover - a child that ignores SIGTERM
            self._proc.kill()
            self._proc.join()
        self._conn.close()
