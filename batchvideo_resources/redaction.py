"""`redact`: the one scrubber of secrets from text that leaves the process (errors, logs, metadata,
manifests, `script_runs`, the CLI's output)."""

from __future__ import annotations

import re

from pydantic import SecretStr

# user:password@ (or a bare token@) in any URL, and secret-looking query parameters.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s\"'<>]+@")
_QUERY_SECRET = re.compile(r"(?i)(?P<name>[?&](?:api[_-]?key|apikey|access[_-]?token|token|password|passwd|secret)=)"
                           r"[^&\s#\"']+")
MASK = "***"


def redact(text: str | None) -> str | None:
    """`text` with credentials in URLs and the values of every configured secret (API keys, passwords,
    AWS keys, secret-bearing URLs) replaced by `***`."""
    if not text:
        return text
    text = _USERINFO.sub(rf"\g<scheme>{MASK}@", text)
    text = _QUERY_SECRET.sub(rf"\g<name>{MASK}", text)
    for secret in configured_secrets():
        text = text.replace(secret, MASK)
    return text


def configured_secrets() -> list[str]:
    """Values of the secret settings in force, longest first (so no secret is only half masked)."""
    from batchvideo_resources.settings import SettingsError, load_settings

    try:
        config = load_settings()
    except SettingsError:
        return []
    values = set()
    for section in config.__dict__.values():
        for value in section.__dict__.values():
            if isinstance(value, SecretStr):
                secret = value.get_secret_value()
                password = _url_password(secret)
                values.update(v for v in (password,) if v and len(v) >= 4)
                if len(secret) >= 8 and "://" not in secret:
                    values.add(secret)
    return sorted(values, key=len, reverse=True)


def _url_password(url: str) -> str | None:
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/@:\s]*:([^/@\s]+)@", url)
    return match.group(1) if match else None
