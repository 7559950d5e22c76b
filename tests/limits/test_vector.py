"""FrozenVector behaves as the tuple it stands for, and cannot be changed through it."""

import pickle

import numpy as np
import pytest

from symdln.limits.vector import FrozenVector


def test_tuple_semantics_and_read_only():
    src = np.array([0.5, 0.0, -2.0])
    v = FrozenVector(src)
    src[0] = 99.0  # the vector copied a writeable source
    assert v == (0.5, 0.0, -2.0) and tuple(v) == (0.5, 0.0, -2.0) and list(v) == [0.5, 0.0, -2.0]
    assert hash(v) == hash((0.5, 0.0, -2.0)) and v[-1] == -2.0 and v[1:] == (0.0, -2.0)
    assert v.nonzero() == (0, 2) and len(v) == 3 and v != (0.5, 0.0)
    with pytest.raises(ValueError):
        v.array[0] = 1.0
    assert pickle.loads(pickle.dumps(v)) == v


def test_integer_rows_give_python_ints():
    rows = np.array([[1, 0, -1], [0, 1, 0]], dtype=np.int8)
    rows.flags.writeable = False
    v = FrozenVector(rows[0])
    assert [type(x) for x in v] == [int, int, int] and v == (1, 0, -1) and type(v[0]) is int
    with pytest.raises(ValueError, match="one-dimensional"):
        FrozenVector(rows)


def test_float_limit_path_records_are_frozen_vectors():
    from symdln.limits import limit_path
    from symdln.models import diagonal_linear

    p = limit_path(diagonal_linear([[1, 0], [0, 1]], ["3", "-1"]), exact=False)
    last = p.saddles[-1]
    assert isinstance(last.beta, FrozenVector) and last.beta == (3.0, -1.0) and last.support == (0, 1)
    assert last.signs == (1, -1) and p.as_dict()["saddles"][-1]["signs"] == [1, -1]


def test_sparse_vector_equals_its_dense_form():
    rng = np.random.default_rng(5)
    for length in (1, 4, 9):
        for _ in range(5):
            k = int(rng.integers(0, length + 1))
            idx = rng.permutation(length)[:k]
            vals = rng.standard_normal(k)
            vals[::3] = 0.0  # explicit zeros in the values are not support
            dense = np.zeros(length)
            dense[idx] = vals
            v = FrozenVector.sparse(length, idx, vals)
            assert len(v) == length and v.nonzero() == tuple(np.flatnonzero(dense).tolist())
            assert v == tuple(dense.tolist()) and hash(v) == hash(tuple(dense.tolist()))
            assert v == FrozenVector(dense) and pickle.loads(pickle.dumps(v)) == v
            with pytest.raises(ValueError):
                v.array[0] = 1.0


def test_sparse_vector_rejects_bad_positions():
    with pytest.raises(ValueError, match="distinct positions"):
        FrozenVector.sparse(3, [0, 3], [1.0, 2.0])
    with pytest.raises(ValueError, match="distinct positions"):
        FrozenVector.sparse(3, [1, 1], [1.0, 2.0])
    with pytest.raises(ValueError, match="one length"):
        FrozenVector.sparse(3, [1], [1.0, 2.0])
