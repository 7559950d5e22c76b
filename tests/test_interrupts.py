"""symdln._interrupts: Ctrl-C inside the block is held back and raised when it ends."""

import os
import signal
import time

import pytest

from symdln._interrupts import interrupts_deferred


def test_ctrl_c_inside_the_block_is_raised_when_it_ends():
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler has run by now: it only set a flag
            reached.append("end of block")
    assert reached == ["end of block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ignored_sigint_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_wins_over_an_exception_the_block_raises():
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            raise ValueError("failed to isolate eigenvalues")  # as flint's eig where the interrupt cut it short


def test_ctrl_c_inside_the_radau_tableau_is_not_lost(monkeypatch):
    """python-flint's eig, cut short by Ctrl-C, raised ValueError('failed to isolate eigenvalues') in place of the
    KeyboardInterrupt, which radau_tableau took for too few bits and retried: the interrupt was lost and `symdln flow`
    printed success (an independent audit, 2026-12-07).  The first attempt here behaves as flint's eig did."""
    import symdln.flow.solvers.radau_tableau as rt

    real, calls = rt._tableau, []

    def eig_cut_short(s, bits):
        calls.append(bits)
        if len(calls) == 1:
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
            except KeyboardInterrupt:
                pass
            raise ValueError("failed to isolate eigenvalues")
        return real(s, bits)

    monkeypatch.setattr(rt, "_tableau", eig_cut_short)
    with pytest.raises(KeyboardInterrupt):
        rt.radau_tableau.__wrapped__(5, 64)  # uncached
    assert len(calls) == 1
