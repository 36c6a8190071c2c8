"""Shot descriptions for image prompts from any OpenAI-compatible chat endpoint."""

from __future__ import annotations

import json
import re

import dagster as dg
from pydantic import Field

from batchvideo_resources import settings

SYSTEM_PROMPT = (
    "You write prompts for an image generator and stock-footage search. For each numbered narration "
    "segment, answer with a JSON array of objects {\"prompt\": <one vivid English scene description, "
    "max 60 words>, \"keywords\": [2-4 English search words]}, in the same order. JSON only."
)


class LLMResource(dg.ConfigurableResource):
    """OpenAI-compatible chat model; not configured → callers use template prompts."""

    base_url: str | None = Field(default=None, description="defaults to BATCHVIDEO_LLM_BASE_URL")
    model: str | None = Field(default=None, description="defaults to BATCHVIDEO_LLM_MODEL")
    timeout_s: float = 60.0
    max_retries: int = 3

    @property
    def configured(self) -> bool:
        return bool(self._base_url and self._model)

    @property
    def _base_url(self) -> str | None:
        return self.base_url or settings.get("BATCHVIDEO_LLM_BASE_URL")

    @property
    def _model(self) -> str | None:
        return self.model or settings.get("BATCHVIDEO_LLM_MODEL")

    def describe_shots(self, texts: list[str], topic_prompt: str = "") -> list[dict]:
        """One {"prompt", "keywords"} per text, from the chat model (batched in one request)."""
        from openai import OpenAI

        client = OpenAI(base_url=self._base_url, api_key=settings.get("BATCHVIDEO_LLM_API_KEY", "none"),
                        timeout=self.timeout_s, max_retries=self.max_retries)
        numbered = "\n".join(f"{i + 1}. {t}" for i, t in enumerate(texts))
        style = f"Visual style: {topic_prompt}\n" if topic_prompt else ""
        reply = client.chat.completions.create(
            model=self._model, temperature=0.4,
            messages=[{"role": "system", "content": SYSTEM_PROMPT},
                      {"role": "user", "content": f"{style}Segments:\n{numbered}"}])
        return parse_descriptions(reply.choices[0].message.content or "", len(texts))


def parse_descriptions(content: str, expected: int) -> list[dict]:
    """Accept a JSON array (possibly fenced) or numbered lines; raise if the count is wrong."""
    text = re.sub(r"^```(?:json)?|```$", "", content.strip(), flags=re.M).strip()
    items: list[dict] = []
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), [])
        for entry in data:
            if isinstance(entry, str):
                items.append({"prompt": entry, "keywords": []})
            else:
                items.append({"prompt": str(entry.get("prompt", "")).strip(),
                              "keywords": [str(k).strip().lower() for k in entry.get("keywords", []) if str(k).strip()][:4]})
    except (json.JSONDecodeError, AttributeError, TypeError):
        for line in text.splitlines():
            match = re.match(r"\s*(\d+)[.)、:]\s*(.+)", line)
            if match:
                items.append({"prompt": match.group(2).strip(), "keywords": []})
    if len(items) != expected or not all(i["prompt"] for i in items):
        raise ValueError(f"LLM gave {len(items)} usable descriptions for {expected} segments")
    return items
