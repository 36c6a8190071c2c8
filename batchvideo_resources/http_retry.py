"""Calling model servers: timeouts, retries with exponential backoff and jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpx

from batchvideo_resources.redaction import redact

MAX_RETRY_AFTER_S = 30.0


class PermanentServiceError(RuntimeError):
    """The server rejected the request (4xx): retrying will not help."""


class ServiceUnavailable(RuntimeError):
    """The server kept failing or timing out after every retry."""


def request_with_retries(method: str, url: str, *, attempts: int = 4, timeout: float = 60.0,
                         backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                         client: httpx.Client | None = None, **kwargs) -> httpx.Response:
    """One HTTP request, retried on timeouts, connection errors, 5xx, 408 and 429.

    `timeout` bounds each attempt (connect at most 10 s of it); waits between attempts grow
    exponentially with jitter, or follow the server's Retry-After (capped). Other 4xx answers
    raise PermanentServiceError at once. The whole call is bounded by roughly
    attempts × timeout + the backoff waits.
    """
    last = "no attempt made"
    timeouts = httpx.Timeout(timeout, connect=min(10.0, timeout))
    for attempt in range(attempts):
        retry_after: float | None = None
        try:
            if client is not None:
                response = client.request(method, url, timeout=timeouts, **kwargs)
            else:
                response = httpx.request(method, url, timeout=timeouts, **kwargs)
            if response.status_code < 400:
                return response
            if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                raise PermanentServiceError(f"{redact(url)} answered {response.status_code}: {response.text[:300]}")
            last = f"answered {response.status_code}: {redact(response.text[:200])}"
            retry_after = _retry_after_s(response)
        except httpx.TimeoutException as exc:
            last = f"did not answer within {timeout:g} s ({type(exc).__name__})"
        except httpx.TransportError as exc:
            last = f"could not be reached ({type(exc).__name__}: {redact(str(exc))})"
        if attempt < attempts - 1:
            wait = backoff_s * (2 ** attempt) * (0.5 + random.random())
            sleep(min(MAX_RETRY_AFTER_S, retry_after) if retry_after is not None else wait)
    raise ServiceUnavailable(f"{redact(url)} failed after {attempts} attempt(s): {last}")


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def service_url(url: str | None, env_name: str, what: str) -> str:
    """A model server's base URL without a trailing slash, or a clear error naming its variable."""
    if not url:
        raise ValueError(f"{what} backend 'http' needs a url ({env_name})")
    return url.rstrip("/")
