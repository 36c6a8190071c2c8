"""Calling model servers: timeouts, retries with exponential backoff and jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import httpx


class PermanentServiceError(RuntimeError):
    """The server rejected the request (4xx): retrying will not help."""


class ServiceUnavailable(RuntimeError):
    """The server kept failing or timing out after every retry."""


def request_with_retries(method: str, url: str, *, attempts: int = 4, timeout: float = 60.0,
                         backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                         **kwargs) -> httpx.Response:
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            response = httpx.request(method, url, timeout=timeout, **kwargs)
            if response.status_code < 400:
                return response
            if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                raise PermanentServiceError(f"{url} answered {response.status_code}: {response.text[:300]}")
            last = RuntimeError(f"{url} answered {response.status_code}")
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            last = exc
        if attempt < attempts - 1:
            sleep(backoff_s * (2 ** attempt) * (0.5 + random.random()))
    raise ServiceUnavailable(f"{url} failed after {attempts} attempts: {last}")
