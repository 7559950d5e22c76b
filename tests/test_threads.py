"""symdln._threads: BLAS limited to one thread inside the block, the caller's setting restored after it."""

import numpy as np
import scipy.linalg  # noqa: F401  (SciPy's own BLAS, when it brings one, is loaded before the first block)
from threadpoolctl import threadpool_info, threadpool_limits

from symdln._threads import single_blas_thread


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_one_thread_inside_and_the_callers_setting_after():
    assert np.linalg.eigvalsh(np.eye(2)).sum() == 2.0  # BLAS loaded
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        for _ in range(2):  # the second block reuses the cached controller
            with single_blas_thread():
                assert _blas_threads() and all(n == 1 for n in _blas_threads())
            assert _blas_threads() == before


def test_a_library_loaded_after_the_first_block_is_limited_too(monkeypatch):
    """The controller is rebuilt when modules were imported since it was built (a new BLAS may come with them)."""
    import sys
    import types

    with single_blas_thread():
        pass
    monkeypatch.setitem(sys.modules, "symdln_test_new_module", types.ModuleType("symdln_test_new_module"))
    import symdln._threads as th

    old = th._CONTROLLER
    with single_blas_thread():
        assert all(n == 1 for n in _blas_threads())
    assert th._CONTROLLER is not old


def test_scipys_own_blas_is_limited_when_scipy_is_first_imported_inside_the_block():
    """SciPy's wheels carry their own OpenBLAS; a block entered before SciPy was imported (the theory graph once imported
    ``least_squares`` inside its block) left that library at its default thread count."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from symdln._threads import single_blas_thread\n"
        "with single_blas_thread():\n"
        "    import scipy.optimize\n"
        "    print(json.dumps([(i['filepath'], i['num_threads']) for i in threadpool_info() if i['user_api'] == 'blas']))\n"
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    libs = json.loads(out)
    assert libs and all(n == 1 for _, n in libs), libs
