"""Admin API keys: constant-time checks against the configured keys, which are never logged."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from pydantic import SecretStr

from kb.errors import AuthError


class ForbiddenError(AuthError):
    """An admin action that no key can unlock (none configured) or a key that is not valid."""

    status = 403


def check_key(given: str, keys: Sequence[SecretStr]) -> None:
    """Raise AuthError (401) without a key, ForbiddenError (403) for a wrong one or none configured."""
    if not keys:
        raise ForbiddenError(
            "admin actions are switched off because no API key is configured; set "
            "PORTWISE_SERVER__API_KEYS='[\"<a long random key>\"]' and restart the server"
        )
    if not given:
        raise AuthError(
            "this action needs an admin API key: send `X-API-Key: <key>` "
            "or `Authorization: Bearer <key>`"
        )
    offered = given.encode()
    matches = [hmac.compare_digest(offered, key.get_secret_value().encode()) for key in keys]
    if not any(matches):
        raise ForbiddenError("the API key is not valid; check the key you were given")
