"""Tokens for Selectel Cloud Storage: get, cache, refresh and share them."""

from selectel_auth._types import AccessToken, HttpReply, HttpSender, TokenCache, TokenCredential

__all__ = ["AccessToken", "HttpReply", "HttpSender", "TokenCache", "TokenCredential"]
__version__ = "0.1.0"
