"""Resources built from the settings model (`batchvideo_resources.settings`), never by editing code.

Every value is given explicitly, so the Dagster UI's resource page shows the configuration in force.
Secrets are handed over as `dg.EnvVar`: the resource reads the variable when it starts, and the UI only
ever shows the variable's name."""

from __future__ import annotations

from urllib.parse import urlsplit

import dagster as dg
from sqlalchemy.engine import make_url

from batchvideo_assets.io_manager import ManifestIOManager
from batchvideo_media.process import configure_limits
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.image_gen import ImageGenResource
from batchvideo_resources.lipsync import LipSyncResource
from batchvideo_resources.llm import LLMResource
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.settings import Section, Settings, load_settings
from batchvideo_resources.stock import StockLibraryResource
from batchvideo_resources.tts import TTSResource


def _secret(section: Section, field: str) -> dg.EnvVar | None:
    """The variable a secret comes from, when it is set."""
    return dg.EnvVar(section.env_names(field)[0]) if getattr(section, field) else None


def _database_url(config: Settings) -> str | dg.EnvVar:
    url = config.db.url.get_secret_value()
    return _secret(config.db, "url") if make_url(url).password else url


def _url(section: Section, field: str) -> str | dg.EnvVar | None:
    """A service URL; one with credentials in it (user:password@) is handed over as its variable, so
    neither the UI nor the job snapshot stored with every run holds them."""
    value = getattr(section, field)
    parts = urlsplit(value) if value else None
    return dg.EnvVar(section.env_names(field)[0]) if parts and (parts.username or parts.password) else value


def media_store(config: Settings | None = None, *, for_definitions: bool = False) -> MediaStore:
    """The media store; `for_definitions` hands credentials in endpoint URLs over as variables (a
    store used outside a run, by the CLI, needs the values themselves)."""
    config = config or load_settings()
    endpoint = _url if for_definitions else lambda section, field: getattr(section, field)
    return MediaStore(url=config.media.url, s3_endpoint_url=endpoint(config.s3, "endpoint_url"),
                      s3_public_endpoint_url=endpoint(config.s3, "public_endpoint_url"), s3_region=config.s3.region,
                      presign_seconds=config.media.presign_seconds, http_url=config.media.public_url)


def image_gen_resource(config: Settings | None = None, *, for_definitions: bool = False) -> ImageGenResource:
    """The image generator; `for_definitions` as for `media_store`."""
    config = config or load_settings()
    url = _url(config.image, "url") if for_definitions else config.image.url
    return ImageGenResource(backend=config.image.backend, url=url, model=config.image.flux_model,
                            lora_dir=str(config.image.lora_dir))


def build_resources(config: Settings | None = None) -> dict:
    config = config or load_settings()
    # Every process that loads the code location (run workers, step processes, pods) applies them.
    configure_limits(floor_s=config.process.time_floor_s, cap_s=config.process.time_cap_s)
    media = media_store(config, for_definitions=True)
    data = config.paths.data_dir
    return {
        "db": DatabaseResource(url=_database_url(config)),
        "media": media,
        "io_manager": ManifestIOManager(media=media),
        "tts": TTSResource(backend=config.tts.backend, url=_url(config.tts, "url"),
                           piper_voice=str(config.tts.piper_voice) if config.tts.piper_voice else None),
        "asr": ASRResource(url=_url(config.asr, "url")),
        "llm": LLMResource(base_url=_url(config.llm, "base_url"), model=config.llm.model,
                           api_key=_secret(config.llm, "api_key"), cache_dir=str(data / "cache" / "llm")),
        "image_gen": image_gen_resource(config, for_definitions=True),
        "stock": StockLibraryResource(backend=config.stock.backend, root=str(config.stock.dir),
                                      s3_url=config.stock.s3_url, s3_endpoint_url=_url(config.s3, "endpoint_url"),
                                      s3_region=config.s3.region, pexels_url=_url(config.stock, "pexels_url"),
                                      pexels_api_key=_secret(config.stock, "pexels_api_key"),
                                      cache_dir=str(data / "stock_cache")),
        "lipsync": LipSyncResource(backend=config.lipsync.backend, url=_url(config.lipsync, "url")),
    }
