"""A read-only vector that behaves as a tuple: the saddles and signs of a float-mode limit path.

A float-mode path of a ``d``-coordinate problem has one ``β`` per saddle; building each as a tuple of ``d`` Python
floats costs a quarter of the whole path at ``d = 1000`` (measured: 4 of 19 ms).  :class:`FrozenVector` keeps a
row of one read-only array instead and converts on demand; :meth:`FrozenVector.sparse` keeps only the nonzero
entries until the dense row is first asked for (a path's 155 rows of 1000 zeros cost 0.6 ms of page faults to
write, measured on the benchmark's n = 100, d = 1000 designs, while most callers read a few saddles).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["FrozenVector"]


class FrozenVector(Sequence):
    """A tuple-like view of a read-only one-dimensional float64 or int64 array.

    Indexing gives Python floats (ints for an integer array), equality and hashing are those of ``tuple(v)``, and
    :attr:`array` gives the (read-only) array itself.

    Examples
    --------
    >>> import numpy as np
    >>> v = FrozenVector(np.array([3.0, 0.0, -1.5]))
    >>> v[0], len(v), v == (3.0, 0.0, -1.5), v.nonzero()
    (3.0, 3, True, (0, 2))
    >>> FrozenVector(np.array([1, 0, -1]))[2]
    -1
    """

    __slots__ = ("_a", "_sp")

    def __init__(self, values) -> None:
        a = np.asarray(values)
        if a.dtype.kind not in "fi":
            a = a.astype(float)
        if a.ndim != 1:
            raise ValueError(f"FrozenVector: values must be one-dimensional, got shape {a.shape}")
        if a.flags.writeable:
            a = a.copy()
            a.flags.writeable = False
        self._a, self._sp = a, None

    @classmethod
    def sparse(cls, length: int, index, values) -> FrozenVector:
        """The vector of ``length`` float64 entries, ``values`` at the (distinct, 0-based) positions ``index`` and
        zero elsewhere; the dense array is built when first needed.

        Examples
        --------
        >>> v = FrozenVector.sparse(4, [2, 0], [5.0, -1.0])
        >>> v == (-1.0, 0.0, 5.0, 0.0), v.nonzero(), v[2]
        (True, (0, 2), 5.0)
        """
        idx = np.array(index, dtype=np.intp)
        vals = np.array(values, dtype=float)
        if idx.ndim != 1 or idx.shape != vals.shape:
            raise ValueError(f"FrozenVector.sparse: index and values must be one-dimensional of one length, got "
                             f"shapes {idx.shape} and {vals.shape}")
        if len(idx) and (idx.min() < 0 or idx.max() >= length or len(np.unique(idx)) != len(idx)):
            raise ValueError(f"FrozenVector.sparse: index must hold distinct positions in [0, {length}), got "
                             f"{idx.tolist()}")
        return cls._owning(int(length), idx, vals)

    @classmethod
    def _owning(cls, length: int, idx: np.ndarray | None = None, vals: np.ndarray | None = None, *,
                dense: np.ndarray | None = None) -> FrozenVector:
        """A vector on arrays the caller hands over, unchecked: sparse (distinct ``intp`` positions ``idx``, float64
        ``vals``) as :meth:`sparse`, or ``dense``, a read-only one-dimensional float64 or int array."""
        v = cls.__new__(cls)
        v._a, v._sp = (dense, None) if dense is not None else (None, (length, idx, vals))
        return v

    @property
    def array(self) -> np.ndarray:
        """The values, as a read-only array."""
        if self._a is None:
            length, idx, vals = self._sp
            a = np.zeros(length)
            a[idx] = vals
            a.flags.writeable = False
            self._a, self._sp = a, None
        return self._a

    def nonzero(self) -> tuple[int, ...]:
        """Indices (0-based) of the nonzero entries."""
        if self._a is None:
            _, idx, vals = self._sp
            return tuple(np.sort(idx[vals != 0]).tolist())
        return tuple(np.flatnonzero(self._a).tolist())

    def __len__(self) -> int:
        return self._sp[0] if self._a is None else self._a.shape[0]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self.array[i].tolist())
        return self.array[i].item()

    def __iter__(self):
        return iter(self.array.tolist())

    def __eq__(self, other) -> bool:
        if isinstance(other, FrozenVector):
            return bool(np.array_equal(self.array, other.array))
        if isinstance(other, (tuple, list)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"FrozenVector({self.array.tolist()!r})"

    def __reduce__(self):
        return (FrozenVector, (self.array.copy(),))
