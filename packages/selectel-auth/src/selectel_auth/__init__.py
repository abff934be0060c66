"""Tokens for Selectel Cloud Storage: get, cache, refresh and share them.

Standard library only. Credentials follow the :class:`TokenCredential` protocol:
``get_token()`` and ``invalidate(token)``.
"""

from importlib import metadata

from selectel_auth._cache import FileTokenCache, MemoryTokenCache
from selectel_auth._env import credential_from_env, infer_auth_version
from selectel_auth._errors import (
    AuthConfigError,
    AuthError,
    AuthServiceError,
    AuthTransportError,
    InvalidCredentialsError,
)
from selectel_auth._http import MAX_REPLY_BYTES, parse_retry_after, safe_url
from selectel_auth._keystone import DEFAULT_KEYSTONE_URL, KeystoneCredential
from selectel_auth._static import StaticCredential
from selectel_auth._swiftv1 import DEFAULT_V1_AUTH_URL, SwiftV1Credential
from selectel_auth._types import AccessToken, HttpReply, HttpSender, TokenCache, TokenCredential

__all__ = [
    "DEFAULT_KEYSTONE_URL",
    "DEFAULT_V1_AUTH_URL",
    "MAX_REPLY_BYTES",
    "AccessToken",
    "AuthConfigError",
    "AuthError",
    "AuthServiceError",
    "AuthTransportError",
    "FileTokenCache",
    "HttpReply",
    "HttpSender",
    "InvalidCredentialsError",
    "KeystoneCredential",
    "MemoryTokenCache",
    "StaticCredential",
    "SwiftV1Credential",
    "TokenCache",
    "TokenCredential",
    "credential_from_env",
    "infer_auth_version",
    "parse_retry_after",
    "safe_url",
]
__version__ = metadata.version("selectel-auth")
