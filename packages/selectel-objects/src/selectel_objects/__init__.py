"""Object storage operations for Selectel Cloud Storage (OpenStack Swift).

Start with :class:`ObjectStorage` (an account) and :meth:`ObjectStorage.container`::

    from selectel_objects import ObjectStorage

    with ObjectStorage.from_env() as storage:
        media = storage.container("media")
        media.put_object("hello.txt", b"Hello")
        with media.open_object("hello.txt") as reader:
            print(reader.read())

Errors are in :mod:`selectel_objects.errors` (also importable from here).
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

from selectel_objects._client.large import DEFAULT_SEGMENT_SIZE
from selectel_objects._client.reader import ObjectReader
from selectel_objects._client.storage import Container, ObjectStorage
from selectel_objects._features.bulk import BulkDeleteResult, BulkError, ExtractArchiveResult
from selectel_objects._features.formpost import FormPostForm
from selectel_objects._features.sendmefile import SendMeFileVariant
from selectel_objects._pipeline.retry import RetryPolicy
from selectel_objects._protocol._generated.models import (
    AccountInfo,
    ContainerEntry,
    ContainerInfo,
    CopyResult,
    ObjectEntry,
    ObjectInfo,
    PutResult,
    SubdirEntry,
)
from selectel_objects._protocol.http import Headers, HttpRequest, HttpResponse, Timeout
from selectel_objects._protocol.names import MAX_CONTAINER_NAME_BYTES, MAX_OBJECT_NAME_BYTES
from selectel_objects._transports.seam import Transport, TransportSender, get_transport
from selectel_objects._transports.urllib3_transport import Urllib3Transport
from selectel_objects.errors import (
    AlreadyExistsError,
    AuthorizationError,
    ChecksumMismatchError,
    ConflictError,
    ConnectError,
    ConnectTimeout,
    InvalidNameError,
    NotFoundError,
    NotModifiedError,
    NotRewindableError,
    ObjectStorageError,
    PreconditionFailedError,
    RangeNotSatisfiableError,
    RateLimitedError,
    ReadError,
    ReadTimeout,
    ServerError,
    TlsError,
    TransportError,
)

if TYPE_CHECKING:
    from selectel_objects._transports.requests_transport import RequestsTransport

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "MAX_CONTAINER_NAME_BYTES",
    "MAX_OBJECT_NAME_BYTES",
    "AccountInfo",
    "AlreadyExistsError",
    "AuthorizationError",
    "BulkDeleteResult",
    "BulkError",
    "ChecksumMismatchError",
    "ConflictError",
    "ConnectError",
    "ConnectTimeout",
    "Container",
    "ContainerEntry",
    "ContainerInfo",
    "CopyResult",
    "ExtractArchiveResult",
    "FormPostForm",
    "Headers",
    "HttpRequest",
    "HttpResponse",
    "InvalidNameError",
    "NotFoundError",
    "NotModifiedError",
    "NotRewindableError",
    "ObjectEntry",
    "ObjectInfo",
    "ObjectReader",
    "ObjectStorage",
    "ObjectStorageError",
    "PreconditionFailedError",
    "PutResult",
    "RangeNotSatisfiableError",
    "RateLimitedError",
    "ReadError",
    "ReadTimeout",
    "RequestsTransport",
    "RetryPolicy",
    "SendMeFileVariant",
    "ServerError",
    "SubdirEntry",
    "Timeout",
    "TlsError",
    "Transport",
    "TransportError",
    "TransportSender",
    "Urllib3Transport",
    "get_transport",
]
__version__ = metadata.version("selectel-objects")


def __getattr__(name: str) -> Any:
    # requests is an optional extra: import its transport only when someone asks for it.
    if name == "RequestsTransport":
        from selectel_objects._transports.requests_transport import RequestsTransport  # noqa: PLC0415

        return RequestsTransport
    raise AttributeError(f"module 'selectel_objects' has no attribute {name!r}")
