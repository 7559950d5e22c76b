"""The verification run in a second process (symdln.flow.background): the same numbers as one run after the other,
failures of the child reported or recovered from, Ctrl-C while waiting, no process left behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

from types import SimpleNamespace

import pytest

from symdln.errors import OptionError
from symdln.flow.background import BackgroundRun, available
from symdln.flow.plan import InitSpec
from symdln.flow.solution import Status
from symdln.flow.verify import verified_flow
from symdln.models import deep_linear

pytestmark = pytest.mark.skipif(not available(), reason="needs Linux (fork) and two cores")


def _square(x, on_step=None):
    on_step(float(x))
    return x * x


def _raise(on_step=None):
    raise ValueError("bad input in the child")


def _die(on_step=None):
    os._exit(3)


def _until_interrupted(on_step=None):
    try:
        while True:
            time.sleep(0.01)
    except KeyboardInterrupt:  # as integrate_flow: the run stops and says so
        return SimpleNamespace(status=Status.INTERRUPTED, steps=7)


def _finishes_regardless(on_step=None):  # a run in its last second: done before an interrupt could reach it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    time.sleep(2.0)  # well after the Ctrl-C below (a stray SIGINT after result() would stop pytest itself)
    return SimpleNamespace(status=Status.SUCCESS, steps=9)


def test_result_exception_and_death_of_the_child():
    assert BackgroundRun(_square, 12).result(progress=False) == 144
    with pytest.raises(ValueError, match="bad input in the child"):
        BackgroundRun(_raise).result(progress=False)
    assert BackgroundRun(_die).result(progress=False) is None  # the caller then makes the run itself
    assert not multiprocessing.active_children()


def test_ctrl_c_while_waiting_collects_the_childs_partial_result():
    run = BackgroundRun(_until_interrupted)
    time.sleep(0.3)
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()  # Ctrl-C reaching this process only
    assert run.result(progress=False).steps == 7
    assert not multiprocessing.active_children()


def test_ctrl_c_while_waiting_is_not_lost_when_the_child_finishes_first():
    # found by an independent audit: a Ctrl-C in the verification run's last second was dropped and the CLI printed
    # success with exit status 0 (one after the other, the run here would have stopped)
    run = BackgroundRun(_finishes_regardless)
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        run.result(progress=False)
    assert not multiprocessing.active_children()


def _deaf(on_step=None):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        time.sleep(0.01)


def test_a_second_ctrl_c_stops_a_child_that_does_not_answer():
    run = BackgroundRun(_deaf)
    time.sleep(0.3)
    for delay in (0.5, 2.1):  # the first one is passed on after a second and ignored; the second one ends the wait
        threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        run.result(progress=False)
    assert not multiprocessing.active_children()


def test_cancel_stops_the_child():
    run = BackgroundRun(_until_interrupted)
    run.cancel()
    assert not multiprocessing.active_children()


def test_parallel_verification_reports_the_same_numbers_as_serial(monkeypatch):
    # depth 3 (Radau IIA, both runs), a rotated target: every crossing and message the same, digit for digit
    import symdln.flow.verify as verify

    used = []

    class Counted(BackgroundRun):
        def result(self, **kwargs):
            out = super().result(**kwargs)
            used.append(out is not None)  # the child's solution came back (None: it died, the run made here)
            return out

    monkeypatch.setattr(verify, "BackgroundRun", Counted)
    m = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    init = InitSpec.gaussian("1e-6", 2)
    out = []
    for parallel in (False, True):
        r = verified_flow(m, init, digits=8, cross=("1", "0.01"), parallel=parallel, progress=False)
        out.append((r.status, r.message, r.min_digits, [c["t"].full for c in r.crossings],
                    [(x["plan"], x["status"], x["stats"]["steps"], x["stats"]["nfev"]) for x in r.runs]))
    assert out[0] == out[1] and used == [True]
    assert out[0][0] == "success"
    assert not multiprocessing.active_children()


def test_a_failed_first_run_leaves_no_child_behind():
    m = deep_linear(spectrum=[2, 1], depth=3, widths=2, rotation_seed=1)
    r = verified_flow(m, InitSpec.gaussian("1e-6", 2), digits=8, cross=("0.01",), parallel=True, max_steps=3,
                      progress=False)
    assert r.status == "max_steps" and len(r.runs) == 1
    assert not multiprocessing.active_children()


def test_parallel_must_be_a_bool():
    m = deep_linear(spectrum=[1], depth=2, widths=1)
    with pytest.raises(OptionError, match="`parallel` must be True or False, got 'yes'"):
        verified_flow(m, InitSpec.balanced("1/100", 2), digits=8, at=["1"], parallel="yes")


def _without_seconds(x):
    if isinstance(x, dict):
        return {k: _without_seconds(v) for k, v in x.items() if k != "seconds"}
    if isinstance(x, list):
        return [_without_seconds(v) for v in x]
    return x


def test_cli_serial_prints_what_the_parallel_default_prints(capsys):
    import json

    from symdln.cli import main

    argv = ["flow", "--init", "balanced", "--scale", "1e-10", "--at", "5", "--digits", "10", "--json"]
    outs = []
    for extra in ([], ["--serial"]):
        assert main(argv + extra) == 0
        outs.append(_without_seconds(json.loads(capsys.readouterr().out)))
    assert outs[0] == outs[1] and outs[0]["status"] == "success"


def test_explore_verification_beside_the_first_run_reports_the_same(tmp_path):
    from symdln.report import explore

    m = deep_linear(spectrum=[2, 1], depth=2, widths=2, rotation_seed=1)
    outs = []
    for parallel in (False, True):
        r = explore(m, sigma="1e-12", out=tmp_path / str(parallel), parallel=parallel, progress=False)
        v = r.summary["verification"]
        outs.append((v, [(x["label"], x["t_arrive"]) for x in r.summary["visits"]]))
    assert outs[0] == outs[1] and outs[0][0]["status"] == "verified"
    assert not multiprocessing.active_children()


def test_no_second_process_from_a_daemonic_pool_worker():
    # multiprocessing.Pool's workers are daemonic and cannot have children: the runs are then one after the other
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(available) is False


def test_the_child_ends_when_its_parent_is_killed(tmp_path):
    """SIGKILL of the parent (a caller's timeout) must not leave the child computing (an audit found orphans running
    for 1.5 h)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pidfile = tmp_path / "child"
    code = ("import os, time\n"
            "from symdln.flow.background import BackgroundRun\n"
            "def work(path, on_step):\n"
            "    open(path, 'w').write(str(os.getpid()))\n"
            "    time.sleep(120)\n"
            f"run = BackgroundRun(work, {str(pidfile)!r})\n"
            "time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(300):
            if pidfile.exists() and pidfile.read_text():
                break
            time.sleep(0.05)
        child = int(pidfile.read_text())
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        for _ in range(200):
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                return
            with open(f"/proc/{child}/stat") as f:  # a zombie waiting for init to reap it has ended too
                if f.read().split(")")[-1].split()[0] == "Z":
                    return
            time.sleep(0.05)
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the child outlived its killed parent by 10 s")
    finally:
        if parent.poll() is None:
            parent.kill()
