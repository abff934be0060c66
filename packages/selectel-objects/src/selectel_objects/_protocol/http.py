"""Transport-neutral HTTP values: requests, headers, timeouts, and the response protocol.

Sans-IO: the generated layer builds :class:`HttpRequest` values from this module, transports
turn them into bytes on a socket.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, TypeVar, overload
from urllib.parse import urlsplit, urlunsplit

import attrs

__all__ = [
    "SECRET_HEADERS",
    "Headers",
    "HttpRequest",
    "HttpResponse",
    "RequestBody",
    "Timeout",
]

#: Header names whose values are credentials: never logged, never shown in a repr.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-auth-key",
        "x-auth-token",
        "x-storage-token",
        "x-subject-token",
        "x-account-meta-temp-url-key",
        "x-account-meta-temp-url-key-2",
        "x-container-meta-temp-url-key",
        "x-container-meta-temp-url-key-2",
    }
)

_T = TypeVar("_T")

#: What a transport sends: nothing, bytes, or chunks (sent chunked unless Content-Length is set).
RequestBody = bytes | Iterable[bytes] | None


_BREAKS = ("\r", "\n", "\x00")


def _check_extra(name: str, value: str) -> None:
    """Refuse what would split or end the header block (``headers=`` of every operation)."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError(
            f"headers=: names and values must be str, not {type(name).__name__}: "
            f"{type(value).__name__} (header {name!r})"
        )
    if not name or ":" in name or any(c in name for c in (*_BREAKS, " ", "\t")):
        raise ValueError(f"headers=: {name!r} is not a valid header name")
    if any(c in value for c in _BREAKS):
        raise ValueError(f"headers=: the value of {name!r} contains a line break or NUL")


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive header mapping that keeps the names as given.

    Repeated names are joined with ``", "``, as HTTP allows. The repr masks credentials.
    """

    # Every request and answer has one: values by lower-case name (what lookups use) and the
    # names as given (what goes on the wire), so that neither needs rebuilding.
    __slots__ = ("_names", "_values")

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        values: dict[str, str] = {}
        names: dict[str, str] = {}
        for name, value in pairs:
            key = name.lower()
            if key in values:
                values[key] = f"{values[key]}, {value}"
            else:
                values[key] = value
                names[key] = name
        self._values = values
        self._names = names

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, /, default: str | _T) -> str | _T: ...

    def get(self, name: str, /, default: object = None) -> object:
        """The value of header ``name`` (any case), or ``default``."""
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        shown = {
            self._names[key]: ("***" if key in SECRET_HEADERS else value)
            for key, value in self._values.items()
        }
        return f"Headers({shown!r})"

    def lowered(self) -> Mapping[str, str]:
        """The headers by lower-case name (a view: do not change it)."""
        return self._values

    def to_dict(self) -> dict[str, str]:
        """A new ``{name as given: value}`` dict, as HTTP libraries take headers."""
        names = self._names
        return {names[key]: value for key, value in self._values.items()}

    def merged(self, extra: Mapping[str, str] | None) -> Headers:
        """A copy where the headers of ``extra`` replace same-named ones (any case)."""
        if not extra:
            return self
        values = self._values.copy()
        names = self._names.copy()
        for name, value in extra.items():
            _check_extra(name, value)
            key = name.lower()
            values[key] = value
            names[key] = name
        return self._of(values, names)

    def without(self, *names: str) -> Headers:
        """A copy without the given headers (any case)."""
        drop = {name.lower() for name in names}
        return self._of(
            {k: v for k, v in self._values.items() if k not in drop},
            {k: n for k, n in self._names.items() if k not in drop},
        )

    @classmethod
    def _of(cls, values: dict[str, str], names: dict[str, str]) -> Headers:
        made = cls.__new__(cls)
        made._values = values
        made._names = names
        return made


@attrs.frozen(kw_only=True)
class HttpRequest:
    """One HTTP request.

    The generated ``build_<op>_request`` functions return ``url`` relative to the account
    URL (``""``, ``"/<container>/<object>?<query>"``), or with ``root`` a path on its host
    (``/info``); :meth:`at` makes it absolute, as transports receive it. ``expected`` lists
    the statuses that mean success for this operation; ``operation`` names it for logs.
    Neither goes on the wire.
    """

    method: str
    url: str
    headers: Headers = attrs.field(factory=Headers)
    body: RequestBody = attrs.field(default=None, repr=False)
    expected: frozenset[int] = frozenset({200})
    operation: str = ""
    root: bool = False

    def at(self, storage_url: str) -> str:
        """The absolute URL of this request for the account at ``storage_url``."""
        if self.root:
            parts = urlsplit(storage_url)
            return urlunsplit((parts.scheme, parts.netloc, self.url, "", ""))
        return storage_url.rstrip("/") + self.url


@attrs.frozen
class Timeout:
    """Seconds to wait for a connection and, separately, for each read from the socket."""

    connect: float = 5.0
    read: float = 60.0

    @classmethod
    def of(cls, value: Timeout | float | None) -> Timeout:
        """``value`` as a :class:`Timeout`: a number sets both parts, ``None`` the defaults."""
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        return cls(connect=float(value), read=float(value))


class HttpResponse(Protocol):
    """An answer whose body may still be on the socket.

    ``read()`` raises :class:`~selectel_objects.errors.ReadError` (or ``ReadTimeout``) when the
    body breaks off, never returns a silently short body. ``close()`` releases the connection
    (to the pool when the body was read to the end).
    """

    @property
    def status(self) -> int:
        """The HTTP status."""
        ...

    @property
    def headers(self) -> Headers:
        """The response headers (case-insensitive)."""
        ...

    def read(self, amt: int | None = None) -> bytes:
        """Up to ``amt`` body bytes (all when ``None``); ``b""`` at the end."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
