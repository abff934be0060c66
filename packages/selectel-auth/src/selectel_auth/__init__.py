"""Tokens for Selectel Cloud Storage: get, cache, refresh and share them.

Standard library only. Credentials follow the :class:`TokenCredential` protocol:
``get_token()`` and ``invalidate(token)``.
"""

from selectel_auth._cache import FileTokenCache, MemoryTokenCache
from selectel_auth._env import credential_from_env, infer_auth_version
from selectel_auth._errors import (
    AuthConfigError,
    AuthError,
    AuthServiceError,
    AuthTransportError,
    InvalidCredentialsError,
)
from selectel_auth._keystone import KeystoneCredential
from selectel_auth._static import StaticCredential
from selectel_auth._swiftv1 import SwiftV1Credential
from selectel_auth._types import AccessToken, HttpReply, HttpSender, TokenCache, TokenCredential

__all__ = [
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
]
__version__ = "0.1.0"
