"""Users and tokens of the fake: tempauth-style v1 users and Keystone v3 service users."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass, field

__all__ = ["RESELLER_GROUP", "AuthRegistry", "Token", "V1User", "V3User"]

#: tempauth's group of reseller admins.
RESELLER_GROUP = ".reseller_admin"


@dataclass(frozen=True)
class V1User:
    """A tempauth user: ``user`` is ``account:name``; ``admin`` owns ``account``;
    ``reseller`` (``.reseller_admin``) may do anything to every account."""

    user: str
    key: str
    account: str
    admin: bool = True
    reseller: bool = False

    @property
    def groups(self) -> frozenset[str]:
        """ACL groups as tempauth computes them."""
        tempauth_account = self.user.split(":", 1)[0]
        groups = {self.user, tempauth_account}
        if self.admin:
            groups.add(self.account)
        if self.reseller:
            groups.add(RESELLER_GROUP)
        return frozenset(groups)


@dataclass(frozen=True)
class V3User:
    """A Keystone v3 service user with a role on one project (the Swift account)."""

    name: str
    password: str
    user_id: str
    account_id: str  # the Selectel account number: the user's and the project's domain name
    domain_id: str
    project_id: str
    project_name: str
    region: str = "ru-1"

    @property
    def groups(self) -> frozenset[str]:
        """ACL groups in keystoneauth's ``project:user`` form."""
        return frozenset(
            {
                f"{self.project_id}:{self.user_id}",
                f"{self.project_id}:*",
                f"*:{self.user_id}",
                f"{self.project_name}:{self.name}",
            }
        )


@dataclass
class Token:
    """An issued token. ``account`` is None for tokens that cannot reach any storage."""

    value: str
    kind: str  # v1 | v3
    subject: str
    account: str | None
    admin: bool
    groups: frozenset[str]
    issued_at: float
    expires_at: float
    v3_user: V3User | None = None
    scope: dict[str, object] = field(default_factory=dict)


class AuthRegistry:
    """Users, issued tokens and their expiry; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.v1_users: dict[str, V1User] = {}
        self.v3_users: list[V3User] = []
        self.tokens: dict[str, Token] = {}
        # Kept apart from the users and tokens: a replaced key or a revoked token may still
        # sit in a log written before it went.
        self._secrets: set[str] = set()

    def reset(self) -> None:
        """Forget users, tokens and secrets."""
        with self._lock:
            self.v1_users.clear()
            self.v3_users.clear()
            self.tokens.clear()
            self._secrets.clear()

    def secrets(self) -> frozenset[str]:
        """Every key, password and token value registered or issued since the last reset."""
        with self._lock:
            return frozenset(self._secrets)

    def add_v1(self, user: V1User) -> None:
        """Register (or replace) a tempauth user."""
        with self._lock:
            self.v1_users[user.user] = user
            self._secrets.add(user.key)

    def add_v3(self, user: V3User) -> None:
        """Register a Keystone user."""
        with self._lock:
            self.v3_users = [u for u in self.v3_users if u.user_id != user.user_id]
            self.v3_users.append(user)
            self._secrets.add(user.password)

    def check_v1(self, user: str, key: str) -> V1User | None:
        """The user when ``key`` is right."""
        with self._lock:
            found = self.v1_users.get(user)
        if found is None or not hmac.compare_digest(found.key.encode(), key.encode()):
            return None
        return found

    def issue_v1(self, user: V1User, now: float, ttl: float) -> Token:
        """tempauth hands out the user's still-valid token again, else a new one."""
        with self._lock:
            for token in self.tokens.values():
                if token.kind == "v1" and token.subject == user.user and token.expires_at > now:
                    return token
            token = Token(
                value="AUTH_tk" + secrets.token_hex(16),
                kind="v1",
                subject=user.user,
                account=user.account,
                admin=user.admin,
                groups=user.groups,
                issued_at=now,
                expires_at=now + ttl,
            )
            self.tokens[token.value] = token
            self._secrets.add(token.value)
            return token

    def issue_v3(
        self,
        user: V3User,
        now: float,
        ttl: float,
        *,
        project_scoped: bool,
        scope: dict[str, object],
    ) -> Token:
        """Keystone issues a fresh token every time."""
        token = Token(
            value="gAAAAAB" + secrets.token_urlsafe(48),
            kind="v3",
            subject=user.user_id,
            account=user.project_id if project_scoped else None,
            admin=project_scoped,
            groups=user.groups,
            issued_at=now,
            expires_at=now + ttl,
            v3_user=user,
            scope=scope,
        )
        with self._lock:
            self.tokens[token.value] = token
            self._secrets.add(token.value)
        return token

    def lookup(self, value: str, now: float) -> Token | None:
        """The token when it exists and has not expired."""
        with self._lock:
            token = self.tokens.get(value)
        if token is None or token.expires_at <= now:
            return None
        return token

    def revoke(self, value: str) -> bool:
        """Forget a token; True when it was known."""
        with self._lock:
            return self.tokens.pop(value, None) is not None

    def expire_all(self, now: float) -> int:
        """Make every issued token expired; returns how many were live."""
        with self._lock:
            live = 0
            for token in self.tokens.values():
                if token.expires_at > now:
                    live += 1
                    token.expires_at = now
            return live
