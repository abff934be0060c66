"""The stress workload: one thread's random mix of operations, checked against its own model.

Every thread works under its own prefix, so the expected final state is known exactly (the
sharing under test is of clients, storages, connection pools and tokens, not of names). Each
read is compared with the model at once; the final store is compared by the caller.
Used in-process by ``test_stress.py`` and in worker processes by ``_stress_worker.py``.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from selectel_objects import Container, NotRewindableError, ObjectEntry

__all__ = ["DEFAULT_OPS", "BigObjects", "Workload", "ops_per_thread"]

#: Operations per thread unless ``SELECTEL_STRESS_OPS`` says otherwise.
DEFAULT_OPS = 60


def ops_per_thread() -> int:
    """``SELECTEL_STRESS_OPS`` (operations per thread), default ``DEFAULT_OPS``."""
    value = os.environ.get("SELECTEL_STRESS_OPS", "")
    return int(value) if value.strip() else DEFAULT_OPS


@dataclass
class BigObjects:
    """One large streamed upload and download per thread (the memory bound's reason to be)."""

    size: int
    chunk: int = 64 * 1024


@dataclass
class Workload:
    """A thread's operations on a shared container (and optionally a shared Django storage)."""

    container: Container
    prefix: str
    seed: int
    ops: int
    django: Any = None  # a django_selectel SelectelStorage (overwrite_files on), or None
    big: BigObjects | None = None
    max_size: int = 32 * 1024
    model: dict[str, bytes | None] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    refused: int = 0  # one-shot uploads refused as not rewindable (allowed, model unchanged)
    big_md5: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._names = [f"{self.prefix}/o{k}.bin" for k in range(6)]
        self._django_names = [f"{self.prefix}/dj{k}.bin" for k in range(3)]

    # -- the mix ------------------------------------------------------------------------------

    def run(self) -> None:
        """Run ``ops`` random operations (then the big object, if any); never raises."""
        table: list[tuple[int, Callable[[], None]]] = [
            (3, self._put_bytes),
            (2, self._put_file),
            (1, self._put_iterator),
            (3, self._get),
            (1, self._range_get),
            (1, self._head),
            (1, self._list),
            (1, self._delete),
            (1, self._copy),
        ]
        if self.django is not None:
            table += [(2, self._django_save), (2, self._django_open)]
        ops = [op for weight, op in table for _ in range(weight)]
        for _ in range(self.ops):
            op = self._rng.choice(ops)
            self._attempt(op)
        if self.big is not None:
            self._attempt(self._big)

    def _attempt(self, op: Callable[[], None]) -> None:
        name = op.__name__.lstrip("_")
        try:
            op()
        except Exception as exc:  # noqa: BLE001 - collected and reported by the test
            self.failures.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            self.done[name] = self.done.get(name, 0) + 1

    def _data(self) -> bytes:
        return self._rng.randbytes(self._rng.randint(1, self.max_size))

    def _pick(self) -> str:
        return self._rng.choice(self._names)

    def _put_bytes(self) -> None:
        name, data = self._pick(), self._data()
        self.container.put_object(name, data)
        self.model[name] = data

    def _put_file(self) -> None:
        name, data = self._pick(), self._data()
        self.container.put_object(name, io.BytesIO(data))
        self.model[name] = data

    def _put_iterator(self) -> None:
        # A one-shot stream: a 401 or 503 on the way is a NotRewindableError, and then the
        # name must still hold what it held before (the server did not process the upload).
        name, data = self._pick(), self._data()
        chunks = (data[at : at + 8192] for at in range(0, len(data), 8192))
        try:
            self.container.put_object(name, chunks)
        except NotRewindableError:
            self.refused += 1
            return
        self.model[name] = data

    def _get(self) -> None:
        name = self._pick()
        expected = self.model.get(name)
        if expected is None:
            return  # absence is checked by _head and _list
        got = self.container.get_object_bytes(name)
        if got != expected:
            raise AssertionError(f"{name}: read {len(got)} bytes, not the {len(expected)} put")

    def _range_get(self) -> None:
        name = self._pick()
        expected = self.model.get(name)
        if not expected:
            return
        first = self._rng.randrange(len(expected))
        last = self._rng.randrange(first, len(expected))
        got = self.container.get_object_bytes(name, range=(first, last))
        if got != expected[first : last + 1]:
            raise AssertionError(f"{name}: bytes {first}-{last} differ")

    def _head(self) -> None:
        name = self._pick()
        expected = self.model.get(name)
        if expected is None:
            if self.container.object_exists(name):
                raise AssertionError(f"{name} exists after its delete")
            return
        info = self.container.head_object(name)
        if info.etag != hashlib.md5(expected).hexdigest() or info.content_length != len(expected):
            raise AssertionError(f"{name}: HEAD says {info.etag}/{info.content_length}")

    def _list(self) -> None:
        listed = {
            entry.name: entry.etag
            for entry in self.container.list_objects(prefix=f"{self.prefix}/o", page_size=2)
            if isinstance(entry, ObjectEntry)
        }
        expected = {
            name: hashlib.md5(data).hexdigest()
            for name, data in self.model.items()
            if data is not None and name in self._names
        }
        if listed != expected:
            raise AssertionError(f"listing of {self.prefix}/o differs from the model")

    def _delete(self) -> None:
        name = self._pick()
        self.container.delete_object(name, missing_ok=True)
        self.model[name] = None

    def _copy(self) -> None:
        source, target = self._pick(), self._pick()
        data = self.model.get(source)
        if data is None or source == target:
            return
        self.container.copy_object(source, self.container.name, target)
        self.model[target] = data

    def _django_save(self) -> None:
        from django.core.files.base import ContentFile

        name, data = self._rng.choice(self._django_names), self._data()
        stored = self.django.save(name, ContentFile(data))
        if stored != name:
            raise AssertionError(f"saved as {stored!r}, not {name!r}")
        self.model[name] = data

    def _django_open(self) -> None:
        name = self._rng.choice(self._django_names)
        expected = self.model.get(name)
        if expected is None:
            if self.django.exists(name):
                raise AssertionError(f"{name} exists but was never saved")
            return
        with self.django.open(name, "rb") as handle:
            got = handle.read()
        if got != expected:
            raise AssertionError(f"{name}: Django read differs from what was saved")

    def _big(self) -> None:
        assert self.big is not None
        name = f"{self.prefix}/big.bin"
        digest = hashlib.md5()
        with tempfile.TemporaryFile() as spool:
            for piece in _pieces(self._rng, self.big.size, self.big.chunk):
                spool.write(piece)
                digest.update(piece)
            spool.seek(0)
            self.container.put_object(name, spool)
        read = hashlib.md5()
        with self.container.open_object(name) as reader:
            for chunk in reader.iter_chunks(self.big.chunk):
                read.update(chunk)
        if read.hexdigest() != digest.hexdigest():
            raise AssertionError(f"{name}: the streamed download differs from the upload")
        self.big_md5[name] = digest.hexdigest()

    # -- the expected end state ------------------------------------------------------------------

    def expected_md5(self) -> dict[str, str | None]:
        """Name -> MD5 of what must be stored (None: must be absent)."""
        out: dict[str, str | None] = {
            name: None if data is None else hashlib.md5(data).hexdigest()
            for name, data in self.model.items()
        }
        out.update(self.big_md5)
        return out


def _pieces(rng: random.Random, size: int, chunk: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        piece = rng.randbytes(min(chunk, left))
        left -= len(piece)
        yield piece
