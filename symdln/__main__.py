"""``python -m symdln`` and the ``symdln`` console script.

The command-line module is imported inside :func:`main`, so that a Ctrl-C while SymPy and python-flint load (about
half a second; held back until they have, as some of their imports swallow it) ends the process as interrupted (exit
status 130, one line on stderr) instead of with a traceback or not at all;
once the command has finished and its output is flushed, a Ctrl-C does the same.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted() -> int:
    print("symdln: interrupted", file=sys.stderr)
    return 130


def _exit_interrupted(signum, frame) -> None:  # pragma: no cover - runs in a process about to end
    try:
        sys.stderr.write("symdln: interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(130)


def main(argv: list[str] | None = None) -> int:
    """Run ``symdln`` with ``argv`` (default ``sys.argv[1:]``) and return its exit status."""
    try:
        from ._interrupts import interrupts_deferred

        with interrupts_deferred():
            # held back while the libraries load: mpmath imports gmpy2 under a bare `except:`, so a Ctrl-C there was
            # swallowed and the command ran to the end with status 0 (measured: SIGINT 0.105 s after start)
            from .cli import main as run
        code = run(argv)
    except KeyboardInterrupt:
        return _interrupted()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader went away, or stdout was closed: nothing left to keep
        pass
    if argv is None and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        # a process of its own (not a caller's main(argv)): the answer is out, no traceback from the interpreter's exit
        signal.signal(signal.SIGINT, _exit_interrupted)
    return code


if __name__ == "__main__":
    sys.exit(main())
