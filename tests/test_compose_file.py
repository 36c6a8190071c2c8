"""docker-compose.yml, Dockerfile, .env.example and the deploy/ files, checked by parsing (no Docker
engine here): services, dependencies with health conditions, environment from variables, no secrets,
loopback-only ports, GPU reservations, and that every referenced file exists."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DAGSTER_SERVICES = ("code", "webserver", "daemon", "init")
GPU_SERVICES = ("flux", "tts", "lipsync", "funasr")
SECRET_WORDS = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY)", re.I)
VAR = re.compile(r"^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$")


def env_of(service: dict) -> dict:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return env


def test_services_present():
    assert {"postgres", "minio", "createbuckets", "code", "webserver", "daemon", *GPU_SERVICES} <= set(SERVICES)
    assert "dagster-webserver" in SERVICES["webserver"]["command"]
    assert SERVICES["daemon"]["command"][:2] == ["dagster-daemon", "run"]
    code = SERVICES["code"]["command"]
    assert code[:3] == ["dagster", "api", "grpc"] and "batchvideo_assets.definitions" in code
    assert "4000" in code


def test_dependencies_wait_for_health():
    for name in ("code", "webserver", "daemon"):
        deps = SERVICES[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
    assert SERVICES["code"]["depends_on"]["createbuckets"]["condition"] == "service_completed_successfully"
    assert SERVICES["code"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert SERVICES["webserver"]["depends_on"]["code"]["condition"] == "service_healthy"
    assert SERVICES["daemon"]["depends_on"]["code"]["condition"] == "service_healthy"
    assert SERVICES["createbuckets"]["depends_on"]["minio"]["condition"] == "service_healthy"
    # Every condition points at a service that has what it waits for.
    for name, service in SERVICES.items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert dep in SERVICES, (name, dep)
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dep], (name, dep)
            if spec["condition"] == "service_completed_successfully":
                assert SERVICES[dep].get("restart") == "no", (name, dep)


def test_long_running_services_have_healthchecks():
    for name in ("postgres", "minio", "code", "webserver", "daemon", *GPU_SERVICES):
        check = SERVICES[name]["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL") and check["retries"] >= 3, name
    assert SERVICES["code"]["healthcheck"]["test"][1:4] == ["dagster", "api", "grpc-health-check"]
    assert SERVICES["daemon"]["healthcheck"]["test"][1:] == ["dagster-daemon", "liveness-check"]


def test_credentials_come_from_variables_and_no_literal_secrets():
    raw = (ROOT / "docker-compose.yml").read_text()
    for name, service in SERVICES.items():
        for key, value in env_of(service).items():
            if SECRET_WORDS.search(key):
                assert isinstance(value, str) and VAR.match(value), (name, key, value)
    # Required secrets fail loudly when .env lacks them instead of defaulting to something guessable.
    for var in ("POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD", "POSTGRES_USER", "MINIO_ROOT_USER"):
        assert re.search(r"\$\{" + var + r":\?", raw), var
        assert not re.search(r"\$\{" + var + r":-", raw), var
    # The DB URL is assembled from variables, not written out.
    url = env_of(SERVICES["code"])["BATCHVIDEO_DB_URL"]
    assert url.startswith("postgresql+psycopg2://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/")
    assert "minioadmin" not in raw.lower() and "changeme" not in raw.lower()


def test_dagster_services_share_the_environment():
    reference = env_of(SERVICES["code"])
    for name in DAGSTER_SERVICES:
        env = env_of(SERVICES[name])
        assert env == reference, name
        assert env["DAGSTER_HOME"] == "/opt/dagster/dagster_home"
        assert env["DAGSTER_PG_HOST"] == "postgres"
        assert env["BATCHVIDEO_MEDIA_URL"].startswith("s3://")
        assert env["BATCHVIDEO_S3_ENDPOINT_URL"] == "http://minio:9000"


def test_published_ports_are_loopback_by_default():
    published = 0
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            published += 1
            host = re.match(r"^(\$\{[^}]*\}|[^:$]+):", port).group(1)
            assert host in ("127.0.0.1", "${POSTGRES_BIND:-127.0.0.1}", "${MINIO_BIND:-127.0.0.1}",
                            "${DAGSTER_WEBSERVER_BIND:-127.0.0.1}"), (name, port)
            assert "127.0.0.1" in host
    assert published >= 2
    assert any(p.endswith(":3000") for p in SERVICES["webserver"]["ports"])
    for name in ("code", "daemon", *GPU_SERVICES):
        assert "ports" not in SERVICES[name], name  # internal only


def test_gpu_profile_reserves_nvidia_devices():
    for name in GPU_SERVICES:
        service = SERVICES[name]
        assert service["profiles"] == ["gpu"], name
        (device,) = service["deploy"]["resources"]["reservations"]["devices"]
        assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"], name
        assert "count" in device or "device_ids" in device
    for name in set(SERVICES) - set(GPU_SERVICES):
        assert "gpu" not in SERVICES[name].get("profiles", []), name
        assert "deploy" not in SERVICES[name], name


def test_volumes_persist_state():
    declared = set(COMPOSE["volumes"])
    assert {"pgdata", "miniodata"} <= declared
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), (name, source)
            else:
                assert source in declared, (name, source)
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]


def test_referenced_build_files_exist():
    for name, service in SERVICES.items():
        build = service.get("build")
        if not build:
            continue
        context = ROOT / build["context"]
        assert context.is_dir(), name
        if "dockerfile_inline" in build:
            for copied in re.findall(r"^COPY (\S+)", build["dockerfile_inline"], re.M):
                assert (context / copied).exists(), (name, copied)
        else:
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
    workspace = yaml.safe_load((ROOT / "deploy" / "workspace.docker.yaml").read_text())
    (entry,) = workspace["load_from"]
    assert entry["grpc_server"] == {"host": "code", "port": 4000, "location_name": "batchvideo"}
    assert "code" in SERVICES


def test_dockerfile_installs_system_packages_and_the_package():
    text = (ROOT / "Dockerfile").read_text()
    for package in ("ffmpeg", "espeak-ng", "fonts-noto-cjk"):
        assert package in text, package
    assert re.search(r"pip install .*\.", text)
    assert "dagster_home/production/dagster.yaml" in text and "USER dagster" in text
    for copied in re.findall(r"^COPY (?!--)(\S+)", text, re.M):
        assert (ROOT / copied).exists(), copied
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignore and ".venv" in ignore and ".git" in ignore


def test_env_example_covers_every_variable_and_holds_no_real_secret():
    raw = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", raw))
    example = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", raw))
    assert required <= set(example)
    missing = used - set(example)
    assert not missing, missing
    for key, value in example.items():
        if SECRET_WORDS.search(key) and value:
            assert value == "change-me", key
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert ".env" in gitignore


@pytest.mark.parametrize("path", ["deploy/helm/values.yaml", "deploy/helm/batchvideo-secrets/values.yaml",
                                  "deploy/k8s/batchvideo-env.yaml",
                                  "dagster_home/production/dagster.yaml"])
def test_deploy_yaml_parses_and_holds_no_secrets(path):
    text = (ROOT / path).read_text()
    data = yaml.safe_load(text)
    assert data

    def walk(node, trail=()):
        if isinstance(node, dict):
            for key, value in node.items():
                if SECRET_WORDS.search(str(key)) and not str(key).endswith("SecretName") \
                        and not str(key).endswith("_secret"):
                    # A secret-looking key may say where a secret comes from ({env: X}), never hold one.
                    assert not (isinstance(value, str) and value), (path, trail + (key,))
                walk(value, trail + (key,))
        elif isinstance(node, list):
            for item in node:
                walk(item, trail)

    walk(data)


def test_flux_server_runs_from_the_gpu_image_with_local_weights():
    flux = SERVICES["flux"]
    assert flux["build"]["args"]["EXTRAS"] == "gpu" and flux["build"]["context"] == "."
    command = flux["command"]
    assert command[:2] == ["python", "services/flux/app.py"] and (ROOT / command[1]).is_file()
    assert command[command.index("--model") + 1].startswith("/models/")
    assert "model_cache:/models" in flux["volumes"]
    assert "COPY services/flux services/flux" in (ROOT / "Dockerfile").read_text()
    port = command[command.index("--port") + 1]
    assert flux["expose"] == [port] and f"127.0.0.1:{port}/health" in flux["healthcheck"]["test"][1]


def test_tts_server_is_built_by_the_project_with_local_weights():
    tts = SERVICES["tts"]
    context = ROOT / tts["build"]["context"]
    dockerfile = (context / tts["build"]["dockerfile"]).read_text()
    assert context == ROOT / "services" / "tts" and "${" not in tts["image"]  # no bring-your-own image
    for copied in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", dockerfile, re.M):
        assert all((context / name).is_file() for name in copied.split()), copied
    command = tts["command"]
    assert command[:2] == ["python", "services/tts/app.py"] and (ROOT / command[1]).is_file()
    for flag in ("--checkpoint", "--vocoder", "--voices"):
        assert command[command.index(flag) + 1].startswith("/models/tts/"), flag
    assert "model_cache:/models" in tts["volumes"]
    port = command[command.index("--port") + 1]
    assert tts["expose"] == [port] and f"127.0.0.1:{port}/health" in tts["healthcheck"]["test"][1]


def test_lipsync_server_is_built_by_the_project_with_local_weights():
    lipsync = SERVICES["lipsync"]
    context = ROOT / lipsync["build"]["context"]
    assert context == ROOT / "services" / "lipsync" and (context / lipsync["build"]["dockerfile"]).is_file()
    assert "${" not in lipsync["image"]  # built here, not a bring-your-own image
    command = lipsync["command"]
    assert command[:2] == ["python", "app.py"] and (context / command[1]).is_file()
    dockerfile = (context / "Dockerfile").read_text()
    assert "COPY app.py musetalk.py ./" in dockerfile and "HF_HUB_OFFLINE=1" in dockerfile
    assert command[command.index("--model-dir") + 1].startswith("/models/")
    assert "model_cache:/models" in lipsync["volumes"]
    port = command[command.index("--port") + 1]
    assert lipsync["expose"] == [port] and f"127.0.0.1:{port}/health" in lipsync["healthcheck"]["test"][1]


def test_helm_values_run_each_video_in_one_pod_and_gpu_placement():
    values = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert env["BATCHVIDEO_EXECUTOR"] == "multiprocess"  # steps forked in the run pod: one pod per video
    run_pod = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]
    assert "nvidia.com/gpu" not in run_pod["containerConfig"]["resources"]["limits"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "batchvideo_assets.definitions"]
    assert values["dagsterDaemon"]["runCoordinator"]["type"] == "QueuedRunCoordinator"
    assert values["dagsterDaemon"]["runMonitoring"]["enabled"] is True
    assert values["concurrency"]["pools"]["defaultLimit"] == 1
    assert values["postgresql"]["enabled"] is False and values["generatePostgresqlPasswordSecret"] is False
    # The A100 placement documented here is the one the GPU assets carry.
    from batchvideo_assets.common import GPU_OP_TAGS

    selector = GPU_OP_TAGS["dagster-k8s/config"]["pod_spec_config"]["node_selector"]
    text = (ROOT / "deploy" / "helm" / "values.yaml").read_text()
    for key, value in selector.items():
        assert f"{key}: {value}" in text


@pytest.mark.parametrize(("env", "refused"), [
    ({"POSTGRES_PASSWORD": "change-me", "MINIO_ROOT_PASSWORD": "x" * 20, "BUSINESS_DB_PASSWORD": "y" * 20},
     ["POSTGRES_PASSWORD: a placeholder"]),
    ({"POSTGRES_PASSWORD": "a" * 20, "MINIO_ROOT_PASSWORD": "short", "BUSINESS_DB_PASSWORD": "CHANGE-ME-later!!"},
     ["MINIO_ROOT_PASSWORD: 5 characters", "BUSINESS_DB_PASSWORD: a placeholder"]),
    ({"POSTGRES_PASSWORD": "a" * 20, "MINIO_ROOT_PASSWORD": "b" * 20, "BUSINESS_DB_PASSWORD": "c" * 16}, []),
])
def test_the_stack_refuses_placeholder_or_short_secrets(env, refused):
    import subprocess

    proc = subprocess.run(["sh", str(ROOT / "deploy" / "preflight.sh")], env={"PATH": "/usr/bin:/bin", **env},
                          capture_output=True, text=True)
    assert proc.returncode == (1 if refused else 0)
    lines = proc.stderr.splitlines()
    assert len(lines) == len(refused) and all(line.startswith(r) for line, r in zip(lines, refused)), lines


def test_every_service_waits_for_the_preflight():
    preflight = SERVICES["preflight"]
    assert preflight["restart"] == "no" and preflight["entrypoint"][-1] == "/preflight.sh"
    assert (ROOT / preflight["volumes"][0].split(":")[0]).resolve() == ROOT / "deploy" / "preflight.sh"

    def waits(name: str, seen=()) -> bool:
        deps = SERVICES[name].get("depends_on") or {}
        return "preflight" in deps or any(waits(d, (*seen, name)) for d in deps if d not in seen)

    assert all(waits(name) for name in SERVICES if name != "preflight" and "gpu" not in SERVICES[name].get("profiles", []))
    assert SERVICES["init"]["command"][-2:] == ["--business-role", "${BUSINESS_DB_USER:-batchvideo_business}"]
    assert env_of(SERVICES["postgres"])["BUSINESS_DB_PASSWORD"].startswith("${BUSINESS_DB_PASSWORD:?")


# ------------------------------------------------------------------ Helm: the same refusal as the preflight
SECRETS_CHART = ROOT / "deploy" / "helm" / "batchvideo-secrets"


def _preflight_rule() -> tuple[set[str], set[str], int]:
    """deploy/preflight.sh's placeholder patterns (substrings, whole values) and minimum length."""
    script = (ROOT / "deploy" / "preflight.sh").read_text()
    patterns = re.search(r"^\s*([^\n]*change-me[^\n]*)\)\s*$", script, re.M).group(1).split("|")
    contained = {p.strip("*") for p in patterns if p.startswith("*")}
    whole = {p for p in patterns if "*" not in p}
    assert len(contained) + len(whole) == len(patterns), patterns
    return contained, whole, int(re.search(r'-lt (\d+) \]', script).group(1))


def test_the_helm_secrets_rule_is_the_preflight_rule():
    """Without a Helm engine: the chart's template holds the preflight's lists and length, and its only
    manifest template starts by validating."""
    contained, whole, minimum = _preflight_rule()
    rule = (SECRETS_CHART / "templates" / "_validate.tpl").read_text()
    problem = rule.split('define "batchvideo.secretProblem"', 1)[1].split("define ", 1)[0]
    lists = re.findall(r'list ((?:"[^"]+" ?)+)', problem)
    assert {frozenset(re.findall(r'"([^"]+)"', found)) for found in lists} == {frozenset(contained), frozenset(whole)}
    assert f'define "batchvideo.minSecretLength" -}}}}{minimum}{{{{' in rule
    templates = [p for p in (SECRETS_CHART / "templates").iterdir() if not p.name.startswith("_")]
    assert templates and all(p.read_text().startswith('{{- include "batchvideo.validate" . -}}') for p in templates)
    # The Secrets it makes are the ones the Dagster chart's values read.
    values = yaml.safe_load((ROOT / "deploy" / "helm" / "values.yaml").read_text())
    made = re.findall(r"^  name: (\S+)$", "\n".join(p.read_text() for p in templates), re.M)
    assert set(made) == {values["global"]["postgresqlSecretName"], values["dagsterWebserver"]["envSecrets"][0]["name"]}


def _render(values: dict) -> dict[str, str]:
    helm = pytest.importorskip("helm_python", reason="the dev extra's helm-python-sdk (Helm's Go engine)")
    with helm.Chart.load(str(SECRETS_CHART)) as chart:
        return chart.render(values, name="batchvideo-secrets", namespace="batchvideo")


def _refusal(values: dict) -> list[str]:
    import helm_python as helm

    with pytest.raises(helm.HelmRenderError) as info:
        _render(values)
    message = str(info.value)
    assert "refusing placeholder or short secrets:" in message
    return message.split("refusing placeholder or short secrets:\n", 1)[1].splitlines()


GOOD_DB_URL = "postgresql+psycopg2://batchvideo:" + "d" * 24 + "@postgres.batchvideo.internal:5432/batchvideo"


def test_helm_renders_the_secrets_the_dagster_chart_reads():
    import base64

    (manifest,) = _render({"dagsterPostgresqlPassword": "p" * 16,
                           "env": {"BATCHVIDEO_DB_URL": GOOD_DB_URL, "AWS_SECRET_ACCESS_KEY": "k" * 40}}).values()
    secrets = {doc["metadata"]["name"]: doc["data"] for doc in yaml.safe_load_all(manifest)}
    assert base64.b64decode(secrets["dagster-postgresql-secret"]["postgresql-password"]).decode() == "p" * 16
    assert base64.b64decode(secrets["batchvideo-secrets"]["BATCHVIDEO_DB_URL"]).decode() == GOOD_DB_URL
    assert set(secrets["batchvideo-secrets"]) == {"BATCHVIDEO_DB_URL", "AWS_SECRET_ACCESS_KEY"}


def test_helm_refuses_every_placeholder_and_short_secret_the_preflight_refuses():
    contained, whole, minimum = _preflight_rule()
    for placeholder in sorted(whole) + [f"Prod-{p.upper()}-2026" for p in sorted(contained)]:
        assert _refusal({"dagsterPostgresqlPassword": placeholder, "env": {"BATCHVIDEO_DB_URL": GOOD_DB_URL}}) == \
            ["dagsterPostgresqlPassword: a placeholder; set a random value (openssl rand -hex 24)"], placeholder
    short = "s" * (minimum - 1)
    assert _refusal({"dagsterPostgresqlPassword": short, "env": {"BATCHVIDEO_DB_URL": GOOD_DB_URL}}) == \
        [f"dagsterPostgresqlPassword: {minimum - 1} characters; at least {minimum} (openssl rand -hex 24)"]
    _render({"dagsterPostgresqlPassword": "s" * minimum, "env": {"BATCHVIDEO_DB_URL": GOOD_DB_URL}})  # exactly enough


def test_helm_names_every_bad_secret_at_once_and_installs_nothing():
    assert _refusal({}) == ["dagsterPostgresqlPassword: 0 characters; at least 16 (openssl rand -hex 24)",
                            "env.BATCHVIDEO_DB_URL: required (the scripts database)"]
    assert _refusal({"dagsterPostgresqlPassword": "x" * 20, "env": {
        "BATCHVIDEO_DB_URL": "postgresql+psycopg2://batchvideo:change-me@postgres:5432/batchvideo",
        "AWS_SECRET_ACCESS_KEY": "minioadmin", "SMTP_PASSWORD": "hunter2", "BATCHVIDEO_LLM_API_KEY": "sk-x",
    }}) == ["env.BATCHVIDEO_DB_URL password: a placeholder; set a random value (openssl rand -hex 24)",
            "env.AWS_SECRET_ACCESS_KEY: a placeholder; set a random value (openssl rand -hex 24)",
            "env.SMTP_PASSWORD: 7 characters; at least 16 (openssl rand -hex 24)"]
    # A database URL without a password is refused too: the Dagster chart's pods would log in with none.
    assert _refusal({"dagsterPostgresqlPassword": "x" * 20, "env": {
        "BATCHVIDEO_DB_URL": "postgresql+psycopg2://batchvideo@postgres:5432/batchvideo"}}) == \
        ["env.BATCHVIDEO_DB_URL password: 0 characters; at least 16 (openssl rand -hex 24)"]
