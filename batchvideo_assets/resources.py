"""Resources chosen by configuration (environment variables), never by editing code."""

from __future__ import annotations

from batchvideo_assets.io_manager import ManifestIOManager
from batchvideo_resources import settings
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.image_gen import ImageGenResource
from batchvideo_resources.lipsync import LipSyncResource
from batchvideo_resources.llm import LLMResource
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.stock import StockLibraryResource
from batchvideo_resources.tts import TTSResource


def tts_backend() -> str:
    return settings.get("BATCHVIDEO_TTS_BACKEND", "espeak")


def lipsync_backend() -> str:
    return settings.get("BATCHVIDEO_LIPSYNC_BACKEND", "placeholder")


def build_resources() -> dict:
    media = MediaStore()
    return {
        "db": DatabaseResource(),
        "media": media,
        "io_manager": ManifestIOManager(media=media),
        "tts": TTSResource(backend=tts_backend(), url=settings.get("BATCHVIDEO_TTS_URL")),
        "asr": ASRResource(),
        "llm": LLMResource(),
        "image_gen": ImageGenResource(backend=settings.get("BATCHVIDEO_IMAGE_BACKEND", "placeholder"),
                                      model=settings.get("BATCHVIDEO_FLUX_MODEL")),
        "stock": StockLibraryResource(backend=settings.get("BATCHVIDEO_STOCK_BACKEND", "local")),
        "lipsync": LipSyncResource(backend=lipsync_backend()),
    }
