"""Resources built from the settings model (`batchvideo_resources.settings`), never by editing code.

Which setting configures which resource field is declared once, beside the setting (`feeds(...)`);
`batchvideo_resources.configured` turns that into the resources' fields and values. Every value is
given explicitly, so the Dagster UI's resource page shows the configuration in force; secrets and
credentials in URLs are handed over as `dg.EnvVar`: the resource reads the variable when it starts,
and the UI only ever shows the variable's name."""

from __future__ import annotations

import dagster as dg

from batchvideo_assets.io_manager import ManifestIOManager
from batchvideo_media.process import configure_limits
from batchvideo_resources.asr import ASRResource
from batchvideo_resources.configured import resource_values
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.image_gen import ImageGenResource
from batchvideo_resources.lipsync import LipSyncResource
from batchvideo_resources.llm import LLMResource
from batchvideo_resources.media_store import MediaStore
from batchvideo_resources.settings import Settings, load_settings
from batchvideo_resources.stock import StockLibraryResource
from batchvideo_resources.tts import TTSResource

# The code location's resources by key; each key is the one its settings name in `feeds(...)`.
RESOURCES: dict[str, type[dg.ConfigurableResource]] = {
    "db": DatabaseResource, "media": MediaStore, "tts": TTSResource, "asr": ASRResource, "llm": LLMResource,
    "image_gen": ImageGenResource, "stock": StockLibraryResource, "lipsync": LipSyncResource,
}


def _derived(key: str, config: Settings) -> dict:
    """Fields that no variable sets: folders under the data folder."""
    data = config.paths.data_dir
    return {"llm": {"cache_dir": str(data / "cache" / "llm")},
            "stock": {"cache_dir": str(data / "stock_cache")}}.get(key, {})


def configured(key: str, config: Settings | None = None, *, for_definitions: bool = True):
    """The resource `key` as configured; `for_definitions` hands secrets and credentials in URLs over
    as variables (a resource used outside a run, by the CLI, needs the values themselves)."""
    config = config or load_settings()
    return RESOURCES[key](**resource_values(key, config, for_definitions=for_definitions), **_derived(key, config))


def media_store(config: Settings | None = None, *, for_definitions: bool = False) -> MediaStore:
    return configured("media", config, for_definitions=for_definitions)


def image_gen_resource(config: Settings | None = None, *, for_definitions: bool = False) -> ImageGenResource:
    return configured("image_gen", config, for_definitions=for_definitions)


def build_resources(config: Settings | None = None) -> dict:
    config = config or load_settings()
    # Every process that loads the code location (run workers, step processes, pods) applies them.
    configure_limits(floor_s=config.process.time_floor_s, cap_s=config.process.time_cap_s)
    resources = {key: configured(key, config) for key in RESOURCES}
    return {**resources, "io_manager": ManifestIOManager(media=resources["media"])}
