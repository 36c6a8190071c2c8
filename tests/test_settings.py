"""The settings model: defaults, every variable read under its documented name, wrong values refused at
start-up with the variable's name, secrets kept out of reprs and the Dagster UI, the step environment
derived from the model, one S3 client configuration, and no other code reading the environment."""

import ast
import json
import os
import re
from pathlib import Path
from typing import get_args

import dagster as dg
import pytest

from batchvideo_resources.settings import (
    PROJECT_ROOT,
    SECTIONS,
    SettingsError,
    known_env_names,
    load_settings,
)

PACKAGES = ("batchvideo_media", "batchvideo_resources", "batchvideo_assets", "batchvideo_app")
CANARY = "canary-7f3a9c"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No variable of the model set, except a data folder of this test's own."""
    for name in known_env_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BATCHVIDEO_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def value_at(settings, path: str):
    value = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def test_defaults(clean_env, tmp_path):
    clean_env.setenv("BATCHVIDEO_TTS_BACKEND", "")  # compose passes `${X:-}`: empty means unset
    clean_env.setenv("BATCHVIDEO_MAX_CONCURRENT", "")
    s = load_settings()
    data = (tmp_path / "data").resolve()
    assert s.paths.data_dir == data and s.paths.asset_roots == [data / "assets"]
    assert s.db.url.get_secret_value() == f"sqlite:///{data / 'batchvideo.db'}"
    assert s.media.url == (data / "media").as_uri() and s.media.presign_seconds == 7 * 24 * 3600
    assert s.stock.dir == data / "stock" and s.image.lora_dir == data / "loras"
    assert (s.tts.backend, s.image.backend, s.stock.backend, s.lipsync.backend) == \
        ("espeak", "placeholder", "local", "placeholder")
    assert s.image.flux_model == "black-forest-labs/FLUX.1-dev"
    assert s.stock.pexels_url == "https://api.pexels.com"
    assert s.s3.region == "us-east-1" and s.s3.endpoint_url is None
    assert not (s.tts.url or s.asr.url or s.image.url or s.lipsync.url or s.llm.base_url or s.llm.api_key)
    e = s.executor
    assert e.name == "multiprocess" and e.max_concurrent is None
    assert [e.max_concurrent_for(n) for n in ("multiprocess", "k8s", "docker")] == [2, 8, 4]
    assert e.image is None and e.docker_image == "batchvideo:latest"
    assert (e.k8s_namespace, e.k8s_env_configmap, e.k8s_env_secret, e.k8s_image_pull_policy) == \
        ("batchvideo", "batchvideo-env", "batchvideo-secrets", "IfNotPresent")
    assert e.k8s_service_account is None and e.k8s_models_pvc is None
    assert (e.docker_network, e.docker_volumes, e.docker_gpus) == ("batchvideo", [], None)
    assert s.dagster.home == (PROJECT_ROOT / "dagster_home").resolve() and s.dagster.pg_host is None


# Every variable of the model, a value for it, where it lands and what it becomes there.
ROUND_TRIP = [
    ("BATCHVIDEO_DATA_DIR", "/srv/bv/data", "paths.data_dir", Path("/srv/bv/data")),
    ("BATCHVIDEO_ASSET_ROOTS", f"/srv/a{os.pathsep}/srv/b", "paths.asset_roots", [Path("/srv/a"), Path("/srv/b")]),
    ("BATCHVIDEO_DB_URL", "postgresql+psycopg2://bv@db:5432/bv", "db.url", "postgresql+psycopg2://bv@db:5432/bv"),
    ("BATCHVIDEO_MEDIA_URL", "s3://media/prod", "media.url", "s3://media/prod"),
    ("BATCHVIDEO_PRESIGN_SECONDS", "600", "media.presign_seconds", 600),
    ("BATCHVIDEO_MEDIA_PUBLIC_URL", "http://127.0.0.1:3001", "media.public_url", "http://127.0.0.1:3001"),
    ("BATCHVIDEO_S3_ENDPOINT_URL", "http://minio:9000", "s3.endpoint_url", "http://minio:9000"),
    ("BATCHVIDEO_S3_PUBLIC_ENDPOINT_URL", "http://localhost:9000", "s3.public_endpoint_url", "http://localhost:9000"),
    ("BATCHVIDEO_S3_BUCKET", "logs", "s3.bucket", "logs"),
    ("AWS_REGION", "eu-central-1", "s3.region", "eu-central-1"),
    ("AWS_DEFAULT_REGION", "ap-south-1", "s3.region", "ap-south-1"),
    ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", "s3.access_key_id", "AKIAEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "wJalrEXAMPLE", "s3.secret_access_key", "wJalrEXAMPLE"),
    ("BATCHVIDEO_STOCK_BACKEND", "pexels", "stock.backend", "pexels"),
    ("BATCHVIDEO_STOCK_DIR", "/srv/stock", "stock.dir", Path("/srv/stock")),
    ("BATCHVIDEO_STOCK_S3_URL", "s3://footage/main", "stock.s3_url", "s3://footage/main"),
    ("BATCHVIDEO_PEXELS_URL", "http://pexels.local", "stock.pexels_url", "http://pexels.local"),
    ("PEXELS_API_KEY", "px-key", "stock.pexels_api_key", "px-key"),
    ("BATCHVIDEO_TTS_BACKEND", "http", "tts.backend", "http"),
    ("BATCHVIDEO_TTS_URL", "http://tts:8000", "tts.url", "http://tts:8000"),
    ("BATCHVIDEO_TTS_PIPER_VOICE", "/srv/voices/en_GB-alan.onnx", "tts.piper_voice", Path("/srv/voices/en_GB-alan.onnx")),
    ("BATCHVIDEO_ASR_URL", "http://funasr:10095", "asr.url", "http://funasr:10095"),
    ("BATCHVIDEO_IMAGE_BACKEND", "flux", "image.backend", "flux"),
    ("BATCHVIDEO_IMAGE_URL", "http://flux:8000", "image.url", "http://flux:8000"),
    ("BATCHVIDEO_FLUX_MODEL", "/models/flux", "image.flux_model", "/models/flux"),
    ("BATCHVIDEO_LORA_DIR", "/models/loras", "image.lora_dir", Path("/models/loras")),
    ("BATCHVIDEO_LIPSYNC_BACKEND", "http", "lipsync.backend", "http"),
    ("BATCHVIDEO_LIPSYNC_URL", "http://lipsync:8000", "lipsync.url", "http://lipsync:8000"),
    ("BATCHVIDEO_LLM_BASE_URL", "http://llm/v1", "llm.base_url", "http://llm/v1"),
    ("BATCHVIDEO_LLM_MODEL", "qwen", "llm.model", "qwen"),
    ("BATCHVIDEO_LLM_API_KEY", "sk-1", "llm.api_key", "sk-1"),
    ("BATCHVIDEO_EXECUTOR", "k8s", "executor.name", "k8s"),
    ("BATCHVIDEO_MAX_CONCURRENT", "3", "executor.max_concurrent", 3),
    ("BATCHVIDEO_IMAGE", "registry/bv:1", "executor.image", "registry/bv:1"),
    ("BATCHVIDEO_K8S_NAMESPACE", "video", "executor.k8s_namespace", "video"),
    ("BATCHVIDEO_K8S_ENV_CONFIGMAP", "env-cm", "executor.k8s_env_configmap", "env-cm"),
    ("BATCHVIDEO_K8S_ENV_SECRET", "env-secret", "executor.k8s_env_secret", "env-secret"),
    ("BATCHVIDEO_K8S_SERVICE_ACCOUNT", "runner", "executor.k8s_service_account", "runner"),
    ("BATCHVIDEO_K8S_IMAGE_PULL_POLICY", "Always", "executor.k8s_image_pull_policy", "Always"),
    ("BATCHVIDEO_K8S_MODELS_PVC", "flux-weights", "executor.k8s_models_pvc", "flux-weights"),
    ("BATCHVIDEO_DOCKER_NETWORK", "net", "executor.docker_network", "net"),
    ("BATCHVIDEO_DOCKER_VOLUMES", "data:/data, models:/models", "executor.docker_volumes",
     ["data:/data", "models:/models"]),
    ("BATCHVIDEO_DOCKER_GPUS", "0,1", "executor.docker_gpus", "0,1"),
    ("BATCHVIDEO_RUN_WORKERS", "spawn", "executor.run_workers", "spawn"),
    ("BATCHVIDEO_PROCESS_TIME_FLOOR_S", "30", "process.time_floor_s", 30.0),
    ("BATCHVIDEO_PROCESS_TIME_CAP_S", "900", "process.time_cap_s", 900.0),
    ("BATCHVIDEO_CANVAS_SCALE", "0.5", "canvas.scale", 0.5),
    ("DAGSTER_HOME", "/opt/dagster/home", "dagster.home", Path("/opt/dagster/home")),
    ("DAGSTER_PG_HOST", "postgres", "dagster.pg_host", "postgres"),
    ("DAGSTER_PG_PORT", "5433", "dagster.pg_port", 5433),
    ("DAGSTER_PG_USER", "dagster", "dagster.pg_user", "dagster"),
    ("DAGSTER_PG_PASSWORD", "pg-pass", "dagster.pg_password", "pg-pass"),
    ("DAGSTER_PG_DB", "dagster", "dagster.pg_db", "dagster"),
]


def test_every_variable_of_the_model_is_in_the_round_trip_table():
    assert sorted(name for name, *_ in ROUND_TRIP) == sorted(known_env_names())


def _documented_variables(text: str) -> set[str]:
    return {name for row in text.splitlines() if row.startswith("| `")
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_configuration_page_documents_every_variable_and_the_readme_names_only_real_ones():
    documented = _documented_variables((PROJECT_ROOT / "docs" / "configuration.md").read_text())
    assert documented == set(known_env_names()), documented ^ set(known_env_names())
    readme = (PROJECT_ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    summary = _documented_variables(readme)
    assert summary and summary <= documented, summary - documented


@pytest.mark.parametrize(("name", "raw", "path", "expected"), ROUND_TRIP, ids=[row[0] for row in ROUND_TRIP])
def test_each_variable_round_trips(clean_env, name, raw, path, expected):
    before = value_at(load_settings(), path)
    clean_env.setenv(name, raw)
    assert value_at(load_settings(), path) == expected != before


@pytest.mark.parametrize(("section", "field"), [("tts", "backend"), ("image", "backend"), ("stock", "backend"),
                                                ("lipsync", "backend"), ("executor", "name"),
                                                ("executor", "k8s_image_pull_policy")])
def test_every_choice_of_every_backend_round_trips(clean_env, section, field):
    cls = SECTIONS[section]
    (name,) = cls.env_names(field)
    choices = get_args(cls.model_fields[field].annotation)
    assert len(choices) >= 2
    for choice in choices:
        clean_env.setenv(name, choice)
        assert getattr(getattr(load_settings(), section), field) == choice


def test_backends_place_steps_from_settings(clean_env):
    from batchvideo_assets.resources import build_resources

    clean_env.setenv("BATCHVIDEO_TTS_BACKEND", "http")
    clean_env.setenv("BATCHVIDEO_LIPSYNC_BACKEND", "http")
    clean_env.setenv("BATCHVIDEO_IMAGE_BACKEND", "flux")
    resources = build_resources()
    assert resources["tts"].backend == "http" and resources["lipsync"].backend == "http"
    assert resources["image_gen"].runs_model_in_process


@pytest.mark.parametrize(("name", "raw", "told"), [
    ("BATCHVIDEO_TTS_BACKEND", "foo", ["'espeak'", "'piper'", "'http'"]),
    ("BATCHVIDEO_IMAGE_BACKEND", "dalle", ["'placeholder'", "'flux'", "'http'"]),
    ("BATCHVIDEO_STOCK_BACKEND", "ftp", ["'local'", "'s3'", "'pexels'"]),
    ("BATCHVIDEO_LIPSYNC_BACKEND", "wav2lip", ["'placeholder'", "'http'"]),
    ("BATCHVIDEO_EXECUTOR", "slurm", ["'in_process'", "'multiprocess'", "'k8s'", "'docker'"]),
    ("BATCHVIDEO_MAX_CONCURRENT", "two", ["integer"]),
    ("BATCHVIDEO_RUN_WORKERS", "fork", ["'preloaded'", "'spawn'"]),
    ("BATCHVIDEO_PRESIGN_SECONDS", "7d", ["integer"]),
    ("BATCHVIDEO_PRESIGN_SECONDS", "0", ["greater than 0"]),
    ("DAGSTER_PG_PORT", "5432x", ["integer"]),
])
def test_wrong_values_fail_naming_the_variable(clean_env, name, raw, told):
    clean_env.setenv(name, raw)
    with pytest.raises(SettingsError) as failure:
        load_settings()
    message = str(failure.value)
    assert f"{name}={raw!r}" in message
    assert all(fragment in message for fragment in told), message


def test_every_wrong_value_is_reported_at_once(clean_env):
    clean_env.setenv("BATCHVIDEO_TTS_BACKEND", "foo")
    clean_env.setenv("BATCHVIDEO_MAX_CONCURRENT", "many")
    with pytest.raises(SettingsError, match="BATCHVIDEO_TTS_BACKEND.*BATCHVIDEO_MAX_CONCURRENT"):
        load_settings()


def test_wrong_value_stops_the_code_location_from_loading(clean_env):
    from batchvideo_assets.definitions import build_definitions

    clean_env.setenv("BATCHVIDEO_TTS_BACKEND", "foo")
    with pytest.raises(Exception) as failure:
        build_definitions()
    chain, error = [], failure.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    (settings_error,) = [e for e in chain if isinstance(e, SettingsError)]
    assert "BATCHVIDEO_TTS_BACKEND='foo'" in str(settings_error)


SECRETS = ("BATCHVIDEO_LLM_API_KEY", "PEXELS_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
           "DAGSTER_PG_PASSWORD")


@pytest.fixture
def planted(clean_env):
    for name in SECRETS:
        clean_env.setenv(name, f"{CANARY}-{name}")
    clean_env.setenv("BATCHVIDEO_DB_URL", f"postgresql+psycopg2://bv:{CANARY}@127.0.0.1:1/bv")
    clean_env.setenv("BATCHVIDEO_LLM_BASE_URL", "http://llm.local/v1")
    clean_env.setenv("BATCHVIDEO_STOCK_BACKEND", "pexels")
    return clean_env


def test_secrets_never_appear_in_the_model_repr(planted):
    s = load_settings()
    assert s.llm.api_key.get_secret_value() == f"{CANARY}-BATCHVIDEO_LLM_API_KEY"  # read, only hidden
    for text in (repr(s), str(s), s.model_dump_json(), repr(s.db), str(s.llm)):
        assert CANARY not in text


def test_secrets_reach_resources_only_as_environment_variable_names(planted):
    """What the UI's resource page shows (the repository snapshot's configured values) names the
    variables and never holds their values; everything else is shown as configured."""
    from dagster._core.remote_representation.external_data import RepositorySnap

    from batchvideo_assets.definitions import build_definitions

    snap = RepositorySnap.from_def(build_definitions().get_repository_def())
    shown = {r.name: r.configured_values for r in snap.resources}
    assert CANARY not in json.dumps({k: {f: repr(v) for f, v in values.items()} for k, values in shown.items()})
    env_vars = {(res, field): getattr(v, "name", None) for res, values in shown.items() for field, v in values.items()
                if not isinstance(v, str)}
    assert env_vars == {("db", "url"): "BATCHVIDEO_DB_URL", ("llm", "api_key"): "BATCHVIDEO_LLM_API_KEY",
                        ("stock", "pexels_api_key"): "PEXELS_API_KEY"}
    assert json.loads(shown["llm"]["base_url"]) == "http://llm.local/v1"
    assert json.loads(shown["stock"]["backend"]) == "pexels"


def test_secret_resources_resolve_their_variables_when_a_run_starts(planted):
    import dagster as dg

    from batchvideo_assets.resources import build_resources
    from batchvideo_resources.llm import LLMResource
    from batchvideo_resources.stock import StockLibraryResource

    seen = {}

    @dg.asset
    def probe(llm: LLMResource, stock: StockLibraryResource):
        seen["llm"], seen["pexels"] = llm.api_key, stock.pexels_api_key

    resources = build_resources()
    assert dg.materialize([probe], resources={"llm": resources["llm"], "stock": resources["stock"]}).success
    assert seen == {"llm": f"{CANARY}-BATCHVIDEO_LLM_API_KEY", "pexels": f"{CANARY}-PEXELS_API_KEY"}


# Settings that configure a resource, by variable: what the resource field gets from ROUND_TRIP's value.
SHOWN_BY_NAME = {"BATCHVIDEO_LLM_API_KEY", "PEXELS_API_KEY"}


def test_every_setting_that_feeds_a_resource_reaches_it(clean_env):
    """Each variable set to ROUND_TRIP's value arrives in the resource field its setting declares, as
    the value (paths as strings) or, for a secret, as the variable's name; every resource gets at
    least one setting, and no setting is declared for a resource the code location lacks."""
    from batchvideo_assets.resources import RESOURCES, build_resources
    from batchvideo_resources.settings import resource_settings

    for name, raw, *_ in ROUND_TRIP:
        if name != "AWS_DEFAULT_REGION":  # AWS_REGION's fallback
            clean_env.setenv(name, raw)
    resources = build_resources()
    reached = set()
    for key, resource in RESOURCES.items():
        declared = resource_settings(key)
        assert declared, key
        for section, setting, target, _ in declared:
            (name, raw, _, expected), *_ = [row for row in ROUND_TRIP if row[2] == f"{section}.{setting}"]
            value = getattr(resources[key], target)
            if name in SHOWN_BY_NAME:
                assert (type(value), value) == (dg.EnvVar, name), (key, target)
            else:
                assert value == (str(expected) if isinstance(expected, Path) else expected), (key, target)
            assert name in type(resources[key]).model_fields[target].description  # the UI names the variable
            reached.add(f"{section}.{setting}")
    every_target = {f"{section}.{field}" for section, cls in SECTIONS.items() for field, info in cls.model_fields.items()
                    if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("feeds")}
    assert reached == every_target


def test_a_new_setting_is_one_field_in_the_settings_model(clean_env, monkeypatch):
    """Declared once, with `feeds`: the variable is read and forwarded to step containers, and the
    resource has the field, typed and described, and gets the value."""
    from pydantic import Field

    from batchvideo_resources import settings
    from batchvideo_resources.configured import resource_values, settings_fields

    class TTSWithSpeed(settings.TTSSettings):
        speed: float = Field(default=1.0, description="speaking rate", json_schema_extra=settings.feeds("tts.speed"))

    monkeypatch.setitem(settings.SECTIONS, "tts", TTSWithSpeed)
    clean_env.setenv("BATCHVIDEO_TTS_SPEED", "1.25")
    assert "BATCHVIDEO_TTS_SPEED" in known_env_names()
    field = settings_fields("tts").model_fields["speed"]
    assert (field.annotation, field.default, field.description) == (float, 1.0, "speaking rate (BATCHVIDEO_TTS_SPEED)")
    assert resource_values("tts", load_settings())["speed"] == 1.25


def test_database_url_without_password_is_shown_as_is(clean_env, tmp_path):
    from batchvideo_assets.resources import build_resources

    assert build_resources()["db"].url == f"sqlite:///{(tmp_path / 'data').resolve() / 'batchvideo.db'}"


def test_docker_step_environment_is_every_variable_of_the_model_that_is_set(clean_env):
    from batchvideo_assets.executors import docker_executor_config

    clean_env.setenv("BATCHVIDEO_STOCK_S3_URL", "s3://footage/main")
    clean_env.setenv("BATCHVIDEO_PEXELS_URL", "http://pexels.local")
    clean_env.setenv("BATCHVIDEO_LLM_API_KEY", "")
    env_vars = docker_executor_config()["env_vars"]
    assert {"BATCHVIDEO_STOCK_S3_URL", "BATCHVIDEO_PEXELS_URL", "BATCHVIDEO_DATA_DIR"} == set(env_vars)
    for name, raw, *_ in ROUND_TRIP:
        clean_env.setenv(name, raw)
    assert sorted(docker_executor_config()["env_vars"]) == sorted(known_env_names())


def test_docker_executor_of_the_code_location_forwards_the_stock_variables(clean_env):
    from batchvideo_assets.definitions import build_definitions

    clean_env.setenv("BATCHVIDEO_EXECUTOR", "docker")
    clean_env.setenv("BATCHVIDEO_STOCK_BACKEND", "s3")
    clean_env.setenv("BATCHVIDEO_STOCK_S3_URL", "s3://footage/main")
    clean_env.setenv("BATCHVIDEO_PEXELS_URL", "http://pexels.local")
    executor_def = build_definitions().resolve_job_def("render_video").executor_def
    resolved = executor_def.config_schema.resolve_config({})
    assert resolved.success, resolved.errors
    assert {"BATCHVIDEO_STOCK_BACKEND", "BATCHVIDEO_STOCK_S3_URL", "BATCHVIDEO_PEXELS_URL",
            "BATCHVIDEO_EXECUTOR"} <= set(resolved.value["config"]["env_vars"])


def test_media_and_stock_share_one_s3_client_configuration(clean_env):
    from batchvideo_assets.resources import build_resources

    clean_env.setenv("BATCHVIDEO_MEDIA_URL", "s3://media/prod")
    clean_env.setenv("BATCHVIDEO_STOCK_BACKEND", "s3")
    clean_env.setenv("BATCHVIDEO_STOCK_S3_URL", "s3://footage/main")
    clean_env.setenv("BATCHVIDEO_S3_ENDPOINT_URL", "http://minio.local:9000")
    clean_env.setenv("AWS_REGION", "eu-central-1")
    clean_env.setenv("AWS_ACCESS_KEY_ID", "testing")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    resources = build_resources()
    for client in (resources["media"]._s3(), resources["stock"]._s3()):  # noqa: SLF001
        assert client.meta.region_name == "eu-central-1"
        assert client.meta.endpoint_url == "http://minio.local:9000"
        assert client.meta.config.s3["addressing_style"] == "path"
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}  # 5 retries
        # Path style: the bucket is in the path, not the host name (MinIO has no per-bucket DNS).
        url = client.generate_presigned_url("get_object", Params={"Bucket": "footage", "Key": "a.mp4"})
        assert url.startswith("http://minio.local:9000/footage/a.mp4?")
    clean_env.delenv("BATCHVIDEO_S3_ENDPOINT_URL")
    aws = build_resources()["stock"]._s3()  # noqa: SLF001
    assert aws.meta.config.s3["addressing_style"] == "auto" and aws.meta.region_name == "eu-central-1"


# ------------------------------------------------------------------ nobody else reads the environment
ENV_READERS = {"environ", "environb", "getenv", "getenvb"}
WRITES = {"setdefault", "update"}


def environment_reads(source: str) -> list[int]:
    """Lines that read the process environment: `os.environ`/`os.getenv` in any form, `from os import
    environ`, `dg.EnvVar(...).get_value()`; writes as bare statements (`os.environ.setdefault(...)`,
    `os.environ[k] = v`) are allowed."""
    tree = ast.parse(source)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute) and node.value.func.attr in WRITES:
            allowed.add(id(node.value.func.value))
        if isinstance(node, (ast.Assign, ast.Delete)):
            allowed.update(id(t.value) for t in node.targets if isinstance(t, ast.Subscript))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ENV_READERS and id(node) not in allowed:
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id in ENV_READERS and id(node) not in allowed:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os" and \
                {a.name for a in node.names} & ENV_READERS:
            lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "get_value" and isinstance(node.value, ast.Call) \
                and getattr(node.value.func, "attr", getattr(node.value.func, "id", None)) == "EnvVar":
            lines.append(node.lineno)
    return sorted(lines)


def test_the_detector_sees_reads_and_allows_writes():
    source = ("import os\nfrom os import getenv\na = os.environ.get('A')\nb = os.getenv('B')\nc = os.environ['C']\n"
              "os.environ.setdefault('D', '1')\nos.environ['E'] = '2'\nf = dg.EnvVar('F').get_value()\n"
              "g = 'X' in os.environ\n")
    assert environment_reads(source) == [2, 3, 4, 5, 8, 9]


def test_only_the_settings_module_reads_the_environment():
    readers = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            if path == PROJECT_ROOT / "batchvideo_resources" / "settings.py":
                continue
            lines = environment_reads(path.read_text())
            if lines:
                readers[str(path.relative_to(PROJECT_ROOT))] = lines
    assert not readers, f"read the environment outside batchvideo_resources/settings.py: {readers}"


def test_a_piper_voice_that_is_not_there_fails_at_load_naming_the_variable(clean_env, tmp_path):
    clean_env.setenv("BATCHVIDEO_TTS_BACKEND", "piper")
    assert load_settings().tts.piper_voice is None  # the neural extra's voice (installed with dev)
    clean_env.setenv("BATCHVIDEO_TTS_PIPER_VOICE", str(tmp_path / "missing.onnx"))
    with pytest.raises(SettingsError, match=r"BATCHVIDEO_TTS_PIPER_VOICE=.*missing\.onnx.*\.onnx\.json"):
        load_settings()


def test_canvas_scale_shrinks_frames_to_even_pixels_and_is_full_size_by_default(clean_env):
    """Tests render small through BATCHVIDEO_CANVAS_SCALE; unset, every video is 1360x768 or 768x1360."""
    from batchvideo_resources.script_spec import frame_size

    assert (frame_size(True), frame_size(False)) == ((1360, 768), (768, 1360))
    clean_env.setenv("BATCHVIDEO_CANVAS_SCALE", "0.25")
    assert (frame_size(True), frame_size(False)) == ((340, 192), (192, 340))
    clean_env.setenv("BATCHVIDEO_CANVAS_SCALE", "0.3")  # 408 x 230.4: to even pixels, as 4:2:0 needs
    assert frame_size(True) == (408, 230)
    clean_env.setenv("BATCHVIDEO_CANVAS_SCALE", "2")
    with pytest.raises(SettingsError, match="BATCHVIDEO_CANVAS_SCALE"):
        frame_size(True)
