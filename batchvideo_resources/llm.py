"""Shot descriptions for image prompts from any OpenAI-compatible chat endpoint.

Base URL, model and key are the resource's config (BATCHVIDEO_LLM_BASE_URL, BATCHVIDEO_LLM_MODEL and
BATCHVIDEO_LLM_API_KEY). Shots are sent in batches; each answer is parsed as JSON or numbered lines, and
a batch whose answer cannot be used is asked again. Answers are cached by a hash of model,
instructions, style and texts, so re-running a storyboard does not pay twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Protocol

from pydantic import Field

from batchvideo_media.files import atomic_write
from batchvideo_resources.configured import settings_fields
from batchvideo_resources.redaction import redact

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You write prompts for an image generator and stock-footage search for a narrated video. "
    "For each numbered narration segment (any language), answer with a JSON array of objects "
    "{\"prompt\": <one vivid English scene description, max 60 words, no text or captions in the image>, "
    "\"keywords\": [2-4 English stock-footage search words]}, one object per segment, in the same order. "
    "Answer in English, JSON only."
)
PROMPT_VERSION = "1"  # bump when SYSTEM_PROMPT or parsing changes meaning, to invalidate the cache
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


class LLMAnswerError(ValueError):
    """The model answered, but not with one usable description per segment."""


class LLMUnavailable(RuntimeError):
    """The endpoint kept failing (connection, timeouts, 5xx, 429) after the client's retries."""


class AnswerCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, text: str) -> None: ...


class DirectoryCache:
    """Answers as files in a local folder (one process or one machine)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def get(self, key: str) -> str | None:
        path = self.root / f"{key}.json"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            return None

    def put(self, key: str, text: str) -> None:
        with atomic_write(self.root / f"{key}.json") as tmp:
            tmp.write_text(text, encoding="utf-8")


class StoreCache:
    """Answers in the media store (`cache/llm/<hash>.json`), shared by every worker and pod."""

    def __init__(self, store, prefix: str = "cache/llm"):
        self.store, self.prefix = store, prefix

    def get(self, key: str) -> str | None:
        name = f"{self.prefix}/{key}.json"
        return self.store.read_bytes(name).decode("utf-8") if self.store.exists(name) else None

    def put(self, key: str, text: str) -> None:
        self.store.put_bytes(text.encode("utf-8"), f"{self.prefix}/{key}.json")


class LLMResource(settings_fields("llm")):
    """OpenAI-compatible chat model; not configured → callers use template prompts."""

    # base_url, model, api_key: from the settings that feed "llm" (batchvideo_resources/settings.py).
    timeout_s: float = 60.0
    max_retries: int = Field(default=3, description="transport retries (5xx, 429, timeouts) by the openai client")
    answer_attempts: int = Field(default=2, description="asks per batch when an answer cannot be parsed")
    batch_size: int = 12
    cache_dir: str | None = Field(default=None, description="folder of cached answers; none, no cache")

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)

    @property
    def model_name(self) -> str:
        return self.model or "template"

    def _default_cache(self) -> AnswerCache | None:
        return DirectoryCache(Path(self.cache_dir)) if self.cache_dir else None

    def describe_shots(self, texts: list[str], topic_prompt: str = "",
                       cache: AnswerCache | None = None) -> list[dict]:
        """One {"prompt", "keywords"} per text, in order; batched, retried and cached (in `cache`,
        else the resource's cache folder).

        Raises LLMAnswerError when a batch stays unusable after `answer_attempts` asks, and
        LLMUnavailable when the endpoint keeps failing."""
        from openai import APIError, OpenAI

        client = OpenAI(base_url=self.base_url, api_key=self.api_key or "none",
                        timeout=self.timeout_s, max_retries=self.max_retries)
        out: list[dict] = []
        size = max(1, self.batch_size)
        cache = cache if cache is not None else self._default_cache()
        try:
            for begin in range(0, len(texts), size):
                out.extend(self._describe_batch(client, texts[begin:begin + size], topic_prompt, cache))
        except APIError as exc:
            raise LLMUnavailable(f"LLM endpoint {redact(self.base_url)} (model {self.model}) failed after "
                                 f"{self.max_retries} retries: {type(exc).__name__}: {exc}") from exc
        return out

    def _describe_batch(self, client, texts: list[str], topic_prompt: str,
                        cache: AnswerCache | None) -> list[dict]:
        key = hashlib.sha256(json.dumps([PROMPT_VERSION, self.model, SYSTEM_PROMPT, topic_prompt, texts],
                                        ensure_ascii=False).encode()).hexdigest()
        cached = cache.get(key) if cache is not None else None
        if cached is not None:
            try:
                return parse_descriptions(cached, len(texts))
            except LLMAnswerError:
                pass  # a damaged cache entry is simply asked again
        numbered = "\n".join(f"{i + 1}. {' '.join(t.split())}" for i, t in enumerate(texts))
        style = f"Visual style: {topic_prompt}\n" if topic_prompt else ""
        messages = [{"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": f"{style}Segments ({len(texts)}):\n{numbered}"}]
        problem: Exception | None = None
        for attempt in range(max(1, self.answer_attempts)):
            reply = client.chat.completions.create(model=self.model, temperature=0.4 if attempt == 0 else 0.2,
                                                   messages=messages)
            content = reply.choices[0].message.content or ""
            try:
                items = parse_descriptions(content, len(texts))
            except LLMAnswerError as exc:
                problem = exc
                log.warning("LLM answer unusable (attempt %d): %s", attempt + 1, exc)
                messages = [*messages, {"role": "assistant", "content": content},
                            {"role": "user", "content": f"{exc}. Answer again: a JSON array of exactly "
                                                        f"{len(texts)} objects, English only."}]
                continue
            if cache is not None:
                cache.put(key, json.dumps(items, ensure_ascii=False))
            return items
        raise LLMAnswerError(f"no usable answer after {self.answer_attempts} attempt(s): {problem}")


def _keywords(value) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[,;/]", value)
    if not isinstance(value, list):
        return []
    words = []
    for k in value:
        w = " ".join(str(k).strip().strip("#").lower().split())
        if w and w.isascii() and w not in words:
            words.append(w)
    return words[:4]


def parse_descriptions(content: str, expected: int) -> list[dict]:
    """Accept a JSON array (possibly fenced, wrapped in an object or surrounded by prose) or
    numbered lines ("1. prompt | keywords: a, b"); raise LLMAnswerError unless there is exactly
    one English prompt per segment."""
    text = re.sub(r"```(?:json)?", "", content.strip()).strip()
    items = _parse_json(text)
    if items is None:
        items = _parse_numbered(text)
    if len(items) != expected:
        raise LLMAnswerError(f"got {len(items)} descriptions for {expected} segments")
    for number, item in enumerate(items, 1):
        if not item["prompt"]:
            raise LLMAnswerError(f"description {number} is empty")
        if _CJK.search(item["prompt"]):
            raise LLMAnswerError(f"description {number} is not in English")
    return items


def _parse_json(text: str) -> list[dict] | None:
    data = None
    for candidate in (text, _outermost(text, "[", "]"), _outermost(text, "{", "}")):
        if not candidate:
            continue
        try:
            data = json.loads(candidate)
            break
        except json.JSONDecodeError:
            continue
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list):
        return None
    items = []
    for entry in data:
        if isinstance(entry, str):
            items.append({"prompt": entry.strip(), "keywords": []})
        elif isinstance(entry, dict):
            prompt = entry.get("prompt") or entry.get("description") or entry.get("scene") or ""
            items.append({"prompt": " ".join(str(prompt).split()),
                          "keywords": _keywords(entry.get("keywords") or entry.get("tags") or [])})
    return items


def _outermost(text: str, opener: str, closer: str) -> str | None:
    start, end = text.find(opener), text.rfind(closer)
    return text[start:end + 1] if 0 <= start < end else None


def _parse_numbered(text: str) -> list[dict]:
    items = []
    for line in text.splitlines():
        match = re.match(r"\s*[*#]*\s*(\d+)\s*\**\s*[.)、:：-]\s*\**\s*(.+)", line)
        if not match:
            continue
        body = match.group(2).strip()
        keywords: list[str] = []
        kw = re.search(r"[|(\[]?\s*keywords?\s*[:：]\s*(.+?)[)\]]?\s*$", body, flags=re.I)
        if kw:
            keywords = _keywords(kw.group(1))
            body = body[:kw.start()].strip(" |-–—;")
        items.append({"prompt": body.strip(), "keywords": keywords})
    return items
