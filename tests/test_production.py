"""Production setup on real services on this machine: the production Dagster instance
(dagster_home/production/dagster.yaml) on PostgreSQL at 127.0.0.1:5432, the scripts DB on
PostgreSQL, media (and compute logs) on a loopback S3 server (moto_server), the run-status
write-back sensors, and the executors (k8s step Jobs with A100 placement, docker step containers)."""

import contextlib
import shutil
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path

import dagster as dg
import httpx
import pytest
import yaml
from conftest import PG_ADMIN, add
from sqlalchemy import create_engine, delete, make_url, select, text, update
from test_media_store import make_bucket, s3_server  # noqa: F401 - fixture

from batchvideo_assets import writeback
from batchvideo_assets.defs.automation.sensors import run_status_sensors, script_runs_catch_up, scripts_sensor
from batchvideo_assets.resources import media_store
from batchvideo_assets.writeback import CatchUpCursor, catch_up
from batchvideo_resources.database import DatabaseResource
from batchvideo_resources.db import ScriptRun, session_scope, upgrade
from batchvideo_resources.db.script_runs import latest_run, record_run

ROOT = Path(__file__).resolve().parents[1]
PROD_YAML = ROOT / "dagster_home" / "production" / "dagster.yaml"
STAGES = ["script", "audio", "srt", "splits", "images", "broll_clips", "composed_video", "logoed_video", "cover"]
EN = "Why is the sky blue? Sunlight scatters off the air, and blue light scatters the most."
SENSORS = {s.name: s for s in run_status_sensors}
# Renders at the small test canvas: no test here checks the frame size.
pytestmark = pytest.mark.small_canvas


@contextlib.contextmanager
def fresh_pg_database(prefix: str):
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name, PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from batchvideo_resources.db import engine_for

        engine_for(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}").dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def production_instance(home: Path) -> dg.DagsterInstance:
    """The production dagster.yaml, verbatim, loaded the way `dagster-daemon` loads $DAGSTER_HOME."""
    from dagster._core.instance.ref import InstanceRef

    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROD_YAML, home / "dagster.yaml")
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


@pytest.fixture(scope="module")
def prod(prepared_db, s3_server, tmp_path_factory):  # noqa: F811
    """PostgreSQL instance + PostgreSQL scripts DB + S3 media, wired through the environment only."""
    bucket = make_bucket(s3_server)
    admin = make_url(PG_ADMIN)
    with contextlib.ExitStack() as stack:
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        instance_db, _ = stack.enter_context(fresh_pg_database("dagster_prod"))
        _, scripts_url = stack.enter_context(fresh_pg_database("scripts_prod"))
        env = {
            "DAGSTER_PG_HOST": admin.host or "127.0.0.1", "DAGSTER_PG_PORT": str(admin.port or 5432),
            "DAGSTER_PG_USER": admin.username or "postgres",
            "DAGSTER_PG_PASSWORD": admin.password or "unused-with-trust-auth", "DAGSTER_PG_DB": instance_db,
            "BATCHVIDEO_DB_URL": scripts_url, "BATCHVIDEO_MEDIA_URL": f"s3://{bucket}/studio",
            "BATCHVIDEO_S3_ENDPOINT_URL": s3_server, "BATCHVIDEO_S3_BUCKET": bucket,
            "BATCHVIDEO_EXECUTOR": "in_process",
        }
        for name, value in env.items():
            mp.setenv(name, value)
        upgrade(scripts_url)
        from batchvideo_app.catalog import seed_reference_data

        with session_scope(scripts_url) as session:
            seed_reference_data(session)
        instance = production_instance(tmp_path_factory.mktemp("dagster_home_production"))
        stack.callback(instance.dispose)
        yield types.SimpleNamespace(instance=instance, db_url=scripts_url, bucket=bucket, endpoint=s3_server,
                                    media=media_store())


def status_context(sensor_name: str, instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType,
                   db_url: str):
    (record,) = instance.all_logs(run_id, of_type=event_type)
    return dg.build_run_status_sensor_context(
        sensor_name=sensor_name, dagster_event=record.dagster_event, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
        resources={"db": DatabaseResource(url=db_url), "media": media_store()})


def evaluate(label: str, prod, run_id: str, event_type: dg.DagsterEventType) -> ScriptRun:
    name = f"script_runs_{label.lower()}"
    SENSORS[name](status_context(name, prod.instance, run_id, event_type, prod.db_url))
    with session_scope(prod.db_url) as session:
        return session.scalar(select(ScriptRun).where(ScriptRun.run_id == run_id))


# --------------------------------------------------------------------------- the instance itself
def test_production_instance_is_postgres_queued_monitored_with_gpu_pool(prod):
    instance = prod.instance
    # dagster-postgres's storages, on one pooled engine (batchvideo_assets/pg_storage.py)
    assert type(instance.run_storage).__name__ == "PooledPostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PooledPostgresEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "PooledPostgresScheduleStorage"
    assert instance.run_storage._engine is instance.event_log_storage._engine
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert type(instance.compute_log_manager).__name__ == "S3ComputeLogManager"
    assert type(instance.run_launcher).__name__ == "MonitoredRunLauncher"
    assert instance.run_monitoring_enabled and instance.run_launcher.supports_check_run_worker_health
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
    queue = instance.get_concurrency_config().run_queue_config
    assert queue.max_concurrent_runs == 8
    assert {"key": "dagster/priority", "value": {"applyLimitPerUniqueValue": True}, "limit": 6} \
        in queue.tag_concurrency_limits
    gpu = instance.event_log_storage.get_concurrency_info("gpu")
    assert gpu.limit == 1 and gpu.using_default_limit


def test_production_yaml_takes_every_credential_from_the_environment():
    raw = PROD_YAML.read_text()
    config = yaml.safe_load(raw)
    storage = config["storage"]["custom"]
    assert (storage["module"], storage["class"]) == ("batchvideo_assets.pg_storage", "PooledPostgresStorage")
    assert storage["config"]["pool_size"] >= 8  # the daemon's submit and sensor threads at once
    db = storage["config"]["postgres_db"]
    for field in ("hostname", "username", "password", "db_name", "port"):
        assert set(db[field]) == {"env"}, field
    assert "max_concurrent_runs" not in config["run_coordinator"].get("config", {})  # lives under concurrency:
    assert set(config["compute_logs"]["config"]["bucket"]) == {"env"}
    assert "postgres://" not in raw and "@" not in raw


# --------------------------------------------------------------------------- the whole path
def test_row_to_queue_to_s3_to_success_on_postgres(prod):
    """A row inserted in the scripts DB → scripts sensor → queued run with the row's priority →
    executed (as the run worker does) → files in S3 → write-back sensors → SUCCESS with URIs that fetch."""
    from dagster._core.events import DagsterEvent
    from dagster._core.execution.api import execute_run
    from dagster._core.test_utils import in_process_test_workspace
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    instance = prod.instance
    sid = add(prod.db_url, title="Blue sky", content=EN, language="en-US", account="plain", priority=5)

    result = scripts_sensor(dg.build_sensor_context(instance=instance,
                                                    resources={"db": DatabaseResource(url=prod.db_url)}))
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    (request,) = [r for r in result.run_requests if r.partition_key == str(sid)]
    assert request.tags["dagster/priority"] == "5"  # scripts.priority → Dagster run priority

    # What the sensor daemon does with the request: a run with its code-location origin, submitted
    # to the QueuedRunCoordinator of the production instance.
    recon = _recon()
    job = recon.get_definition()
    origin = LoadableTargetOrigin(executable_path=sys.executable, module_name="batchvideo_assets.definitions",
                                  attribute="build_definitions", working_directory=str(ROOT))
    with in_process_test_workspace(instance, origin) as workspace:
        (location_name,) = workspace.code_location_names
        remote_job = workspace.get_code_location(location_name).get_repository("__repository__") \
            .get_full_job("render_video")
        run = instance.create_run_for_job(job_def=job, run_config={},
                                          tags={**request.tags, "dagster/partition": str(sid)},
                                          remote_job_origin=remote_job.get_remote_origin(),
                                          job_code_origin=recon.get_python_origin())
        run = instance.submit_run(run.run_id, workspace)
    assert run.status == dg.DagsterRunStatus.QUEUED
    row = evaluate("QUEUED", prod, run.run_id, dg.DagsterEventType.RUN_ENQUEUED)
    assert (row.script_id, row.status, row.status_detail) == (sid, "QUEUED", "revision 1; priority 5")

    # What the queue daemon and the run worker do: STARTING, then execute the run.
    instance.report_dagster_event(DagsterEvent(event_type_value=dg.DagsterEventType.RUN_STARTING.value,
                                               job_name=run.job_name), run_id=run.run_id)
    assert execute_run(recon, instance.get_run_by_id(run.run_id), instance).success
    row = evaluate("RUNNING", prod, run.run_id, dg.DagsterEventType.RUN_START)
    assert row.status == "RUNNING" and row.started_at is not None
    row = evaluate("SUCCESS", prod, run.run_id, dg.DagsterEventType.RUN_SUCCESS)
    assert row.status == "SUCCESS" and row.finished_at is not None and row.error is None
    # A replayed RUNNING (daemon restart, sensors evaluated out of order) never undoes SUCCESS.
    assert evaluate("RUNNING", prod, run.run_id, dg.DagsterEventType.RUN_START).status == "SUCCESS"
    assert latest_run(prod.db_url, sid).run_id == run.run_id

    # Every stage materialized for this partition, recorded in the PostgreSQL event log.
    for stage in STAGES:
        event = instance.get_latest_materialization_event(dg.AssetKey(stage))
        assert event is not None and event.run_id == run.run_id, stage
        assert event.asset_materialization.partition == str(sid)

    # Files live in S3 under jobs/<id>/runs/<run id>/ (one folder per run), the latest manifests under
    # jobs/<id>/manifests/ and the published set last; nothing on local disk.
    media = prod.media
    keys = set(media.list_keys(f"jobs/{sid}/"))
    for name in (*(f"runs/{run.run_id}/{f}" for f in ("audio.wav", "subtitle.srt", "images/000.png",
                                                       "video_combined.mp4", "video_logoed.mp4", "cover.jpg")),
                 "manifests/splits.json", "manifests/logoed_video.json", "published.json"):
        assert f"jobs/{sid}/{name}" in keys, (name, sorted(keys))
    assert not any(k.endswith(".part") for k in keys)

    outputs = row.outputs
    assert outputs["logoed_video"] == f"s3://{prod.bucket}/studio/jobs/{sid}/runs/{run.run_id}/video_logoed.mp4"
    assert all(u.startswith(f"s3://{prod.bucket}/studio/jobs/{sid}/runs/{run.run_id}/images/")
               for u in outputs["images"])
    presigned = outputs["presigned"]
    assert set(presigned) == {k for k in outputs if k not in ("presigned", "presigned_expires_at")}
    assert outputs["presigned_expires_at"]
    for stage in ("srt", "cover", "logoed_video"):
        response = httpx.get(presigned[stage], timeout=30)
        assert response.status_code == 200
        assert response.content == media.read_bytes(media.key_of(outputs[stage])), stage
    assert httpx.get(presigned["images"][0], timeout=30).content[:8] == b"\x89PNG\r\n\x1a\n"
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
                            presigned["logoed_video"]], capture_output=True, text=True, timeout=60)
    assert "h264" in probe.stdout and "aac" in probe.stdout, probe.stderr

    # Step logs went to the same bucket through the S3 compute log manager.
    logs = media._s3().list_objects_v2(Bucket=prod.bucket, Prefix="dagster/compute-logs/")
    assert logs.get("KeyCount", 0) > 0


def test_render_cli_path_on_postgres_instance_and_failed_writeback(prod, monkeypatch):
    """`batchvideo render` (render_scripts) on the production instance; a bad row ends FAILED, and
    the FAILED sensor writes the field-naming error. Write-backs lost afterwards are caught up."""
    from batchvideo_app.render import render_scripts
    from batchvideo_resources.db import Script

    good = add(prod.db_url, title="Short", content="A short English script. It has two sentences.", language="en-US",
               account="plain")
    bad = add(prod.db_url, title="Bad speed", content="This row was edited to an impossible speed.")
    with session_scope(prod.db_url) as session:
        session.get(Script, bad).speech_speed = 7.5
    results = {r["id"]: r for r in render_scripts([str(good), str(bad)], instance=prod.instance)}

    ok = results[str(good)]
    assert ok["status"] == "SUCCESS", ok["error"]
    row = latest_run(prod.db_url, good)
    assert (row.run_id, row.status) == (ok["run_id"], "SUCCESS")
    assert row.outputs["cover"].startswith(f"s3://{prod.bucket}/studio/jobs/{good}/")
    assert httpx.get(row.outputs["presigned"]["cover"], timeout=30).content[:3] == b"\xff\xd8\xff"
    records = prod.instance.get_records_for_run(ok["run_id"], of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    assert {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records.records} >= set(STAGES)

    failed = results[str(bad)]
    assert failed["status"] == "FAILED"
    assert prod.instance.get_run_by_id(failed["run_id"]).status == dg.DagsterRunStatus.FAILURE
    row = evaluate("FAILED", prod, failed["run_id"], dg.DagsterEventType.RUN_FAILURE)
    assert row.status == "FAILED" and "speech_speed" in row.error and row.outputs in (None, {})
    catch_up_lost_writebacks(prod, monkeypatch, ok["run_id"], failed["run_id"])


def catch_up_lost_writebacks(prod, monkeypatch, ok: str, failed: str):
    """The SUCCESS row set back to RUNNING and the FAILED row gone, as when the status sensors' write
    failed or they never saw the event: the catch-up sensor restores both, once the runs are older than
    its lag, retrying a write-back that fails on its next pass."""
    with session_scope(prod.db_url) as session:
        session.execute(update(ScriptRun).where(ScriptRun.run_id == ok).values(status="RUNNING", outputs=None,
                                                                             finished_at=None))
        session.execute(delete(ScriptRun).where(ScriptRun.run_id == failed))
    now = time.time()
    written, cursor = catch_up(prod.instance, prod.db_url, prod.media, CatchUpCursor(after=now - 3600), now)
    assert not {ok, failed} & set(written)  # finished less than a minute ago: the status sensors' turn

    real_write_back, calls = writeback.write_back, []

    def fails_once_for_ok(instance, run, *args):
        calls.append(run.run_id)
        if run.run_id == ok and calls.count(ok) == 1:
            raise ConnectionError("scripts DB unreachable")
        return real_write_back(instance, run, *args)

    monkeypatch.setattr(writeback, "write_back", fails_once_for_ok)
    monkeypatch.setattr(writeback, "CATCH_UP_LAG_S", 0)
    resources = {"db": DatabaseResource(url=prod.db_url), "media": media_store()}
    for failing_after in ({ok: 1}, {}):  # the failed write-back is retried on the next pass
        context = dg.build_sensor_context(instance=prod.instance, cursor=cursor.dump(), resources=resources)
        script_runs_catch_up(context)
        cursor = CatchUpCursor.load(context.cursor, time.time())
        assert cursor.failing == failing_after
    assert calls.count(ok) == 2 and calls.count(failed) == 1 and cursor.failing == {}
    ok_row, failed_row = (row_of(prod.db_url, run_id) for run_id in (ok, failed))
    assert ok_row.status == "SUCCESS" and ok_row.outputs["cover"].startswith(f"s3://{prod.bucket}/")
    assert ok_row.finished_at is not None
    assert failed_row.status == "FAILED" and "speech_speed" in failed_row.error


def row_of(db_url: str, run_id: str) -> ScriptRun:
    with session_scope(db_url) as session:
        return session.scalar(select(ScriptRun).where(ScriptRun.run_id == run_id))


def test_writeback_status_only_moves_forward(tmp_path):
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    upgrade(url)
    record_run(url, script_id=1, run_id="r1", status="RUNNING")
    record_run(url, script_id=1, run_id="r1", status="QUEUED")  # late QUEUED
    assert latest_run(url, 1).status == "RUNNING"
    record_run(url, script_id=1, run_id="r1", status="CANCELED", detail="run canceled")
    record_run(url, script_id=1, run_id="r1", status="RUNNING")
    row = latest_run(url, 1)
    assert row.status == "CANCELED" and row.finished_at is not None and row.started_at is not None


def test_status_sensors_cover_the_run_lifecycle():
    assert set(SENSORS) == {"script_runs_queued", "script_runs_running", "script_runs_success",
                            "script_runs_failed", "script_runs_canceled"}
    for sensor in run_status_sensors:
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


# --------------------------------------------------------------------------- executors
@pytest.mark.parametrize("name", ["in_process", "multiprocess", "k8s", "docker"])
def test_executor_config_is_valid_under_each_choice(monkeypatch, name):
    from batchvideo_assets.definitions import build_definitions

    monkeypatch.setenv("BATCHVIDEO_EXECUTOR", name)
    monkeypatch.setenv("BATCHVIDEO_MAX_CONCURRENT", "3")
    executor_def = build_definitions().resolve_job_def("render_video").executor_def
    assert name in executor_def.name
    if name == "in_process":
        return
    resolved = executor_def.config_schema.resolve_config({})  # the configured values pass the schema
    assert resolved.success, resolved.errors
    assert resolved.value["config"]["max_concurrent"] == 3


def executor_config() -> dict:
    from batchvideo_assets.definitions import build_definitions

    executor_def = build_definitions().resolve_job_def("render_video").executor_def
    resolved = executor_def.config_schema.resolve_config({})
    assert resolved.success, resolved.errors
    return executor_def, resolved.value["config"]


def test_unknown_executor_is_refused(monkeypatch):
    from batchvideo_assets.executors import build_executor

    monkeypatch.setenv("BATCHVIDEO_EXECUTOR", "slurm")
    with pytest.raises(ValueError, match="in_process"):
        build_executor()


KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: test, user: {token: not-a-real-token}}]
contexts: [{name: test, context: {cluster: test, user: test, namespace: batchvideo}}]
current-context: test
"""


def _step_contexts(recon, instance, executor, steps, partition="7"):
    from dagster._core.execution.api import create_execution_plan
    from dagster._core.execution.context.system import (
        PlanData,
        PlanOrchestrationContext,
    )
    from dagster._core.execution.context_creation_job import (
        create_context_free_log_manager,
    )
    from dagster._core.execution.retries import RetryMode
    from dagster._core.executor.step_delegating import StepHandlerContext
    from dagster._grpc.types import ExecuteStepArgs

    job = recon.get_definition()
    instance.add_dynamic_partitions("scripts", [partition])
    run = instance.create_run_for_job(job_def=job, run_config={}, tags={"dagster/partition": partition})
    plan = create_execution_plan(recon, tags=run.tags)
    for step in steps:
        plan_context = PlanOrchestrationContext(
            plan_data=PlanData(job=recon, dagster_run=run, instance=instance, execution_plan=plan,
                               raise_on_error=True, retry_mode=RetryMode.DISABLED),
            log_manager=create_context_free_log_manager(instance, run), executor=executor, output_capture=None)
        args = ExecuteStepArgs(recon.get_python_origin(), run.run_id, [step], print_serialized_events=False)
        yield step, StepHandlerContext(instance=instance, plan_context=plan_context, steps=plan.steps,
                                       execute_step_args=args)


def _recon():
    """The code location as the run worker loads it (`build_definitions`, called on load, so the
    executor and GPU tags follow the environment set by the test)."""
    from dagster._core.definitions.reconstruct import (
        ReconstructableJob,
        ReconstructableRepository,
    )

    # Dagster keeps the last loaded job definition per process; load afresh under this environment.
    ReconstructableJob.get_definition.cache_clear()
    ReconstructableJob.get_repository_definition.cache_clear()
    return ReconstructableRepository.for_module("batchvideo_assets.definitions", "build_definitions",
                                                working_directory=str(ROOT)).get_reconstructable_job("render_video")


@pytest.mark.e2e  # a Dagster instance (instance_for_test), not pure logic
def test_k8s_step_jobs_put_gpu_steps_on_a100_nodes(monkeypatch, tmp_path):
    """Render the Kubernetes Jobs the k8s executor would create (K8sRunLauncher instance as with the
    Helm chart; only the API call is captured): `images` with in-process Flux on an A100 node with a
    GPU and the model volume; `audio` with a neural TTS server and the CPU steps on no GPU."""
    from dagster._core.executor.init import InitExecutorContext
    from dagster_k8s.executor import k8s_job_executor

    from batchvideo_assets.executors import k8s_executor_config

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    monkeypatch.setenv("BATCHVIDEO_EXECUTOR", "k8s")
    monkeypatch.setenv("BATCHVIDEO_IMAGE", "registry.example/batchvideo:1.0")
    monkeypatch.setenv("BATCHVIDEO_TTS_BACKEND", "http")  # a model server: `audio` only makes HTTP calls
    monkeypatch.setenv("BATCHVIDEO_IMAGE_BACKEND", "flux")  # Flux in the `images` step's own process
    monkeypatch.setenv("BATCHVIDEO_K8S_MODELS_PVC", "flux-weights")
    recon = _recon()
    executor_def, config = executor_config()
    assert executor_def.name == "k8s"
    assert config["job_namespace"] == "batchvideo" and config["env_secrets"] == ["batchvideo-secrets"]
    assert k8s_executor_config()["job_image"] == "registry.example/batchvideo:1.0"

    launcher = {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": {
        "instance_config_map": "dagster-instance", "dagster_home": "/opt/dagster/dagster_home",
        "job_namespace": "batchvideo", "service_account_name": "dagster", "load_incluster_config": False,
        "kubeconfig_file": str(kubeconfig)}}
    with dg.instance_for_test(overrides={"run_launcher": launcher}) as instance:
        executor = k8s_job_executor.executor_creation_fn(InitExecutorContext(
            job=recon, executor_def=k8s_job_executor,
            executor_config={**config, "load_incluster_config": False, "kubeconfig_file": str(kubeconfig)},
            instance=instance))
        created = {}

        class CapturingApi:
            def create_namespaced_job_with_retries(self, body, namespace):
                created[body.metadata.labels["dagster/op"]] = (namespace, body)

        handler = executor._step_handler  # noqa: SLF001
        handler._api_client = CapturingApi()  # noqa: SLF001
        for _, context in _step_contexts(recon, instance, executor, ["images", "audio", "composed_video"]):
            list(handler.launch_step(context))

    for step in ("images",):
        namespace, body = created[step]
        pod = body.spec.template.spec
        (container,) = pod.containers
        assert namespace == "batchvideo" and container.image == "registry.example/batchvideo:1.0"
        assert pod.node_selector == {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}
        assert any(t.key == "nvidia.com/gpu" and t.effect == "NoSchedule" for t in pod.tolerations)
        assert container.resources.limits["nvidia.com/gpu"] == "1"
        assert {e.config_map_ref.name for e in container.env_from if e.config_map_ref} == {"batchvideo-env"}
        assert {e.secret_ref.name for e in container.env_from if e.secret_ref} == {"batchvideo-secrets"}
        assert "execute_step" in " ".join(container.args)
    images = created["images"][1].spec.template.spec
    assert images.volumes[0].persistent_volume_claim.claim_name == "flux-weights"
    assert images.containers[0].volume_mounts[0].mount_path == "/models"
    for step in ("audio", "composed_video"):
        pod = created[step][1].spec.template.spec
        assert not pod.volumes
        assert not pod.node_selector and not pod.tolerations
        assert "nvidia.com/gpu" not in (pod.containers[0].resources.limits or {})
        assert pod.containers[0].resources.requests == {"cpu": "1", "memory": "2Gi"}


@pytest.mark.e2e  # a Dagster instance (instance_for_test), not pure logic
def test_docker_step_containers_get_the_gpu_and_environment(monkeypatch):
    """Render the `containers.create` call of the docker executor (client captured): network,
    environment by name, and the NVIDIA device request docker-py turns into `--gpus all`."""
    import docker.types
    from dagster._core.executor.init import InitExecutorContext
    from dagster_docker.docker_executor import docker_executor

    monkeypatch.setenv("BATCHVIDEO_EXECUTOR", "docker")
    monkeypatch.setenv("BATCHVIDEO_DOCKER_GPUS", "all")
    monkeypatch.setenv("BATCHVIDEO_IMAGE", "batchvideo:test")
    monkeypatch.setenv("BATCHVIDEO_MEDIA_URL", "s3://media/prod")
    monkeypatch.delenv("BATCHVIDEO_LLM_API_KEY", raising=False)
    recon = _recon()
    executor_def, config = executor_config()
    assert executor_def.name == "docker"
    assert config["image"] == "batchvideo:test" and config["networks"] == ["batchvideo"]
    assert "BATCHVIDEO_MEDIA_URL" in config["env_vars"] and "BATCHVIDEO_LLM_API_KEY" not in config["env_vars"]

    with dg.instance_for_test() as instance:
        executor = docker_executor.executor_creation_fn(InitExecutorContext(
            job=recon, executor_def=docker_executor, executor_config=config, instance=instance))
        handler = executor._step_handler  # noqa: SLF001
        calls = []
        client = types.SimpleNamespace(containers=types.SimpleNamespace(create=lambda image, **kw: calls.append(
            (image, kw))))
        for _, context in _step_contexts(recon, instance, executor, ["images"]):
            container_context = handler._get_docker_container_context(context)  # noqa: SLF001
            handler._create_step_container(client, container_context, "batchvideo:test", context)  # noqa: SLF001
    ((image, kwargs),) = calls
    assert image == "batchvideo:test" and kwargs["network"] == "batchvideo"
    assert kwargs["environment"]["BATCHVIDEO_MEDIA_URL"] == "s3://media/prod"
    assert kwargs["environment"]["DAGSTER_RUN_STEP_KEY"] == "images"
    host = docker.types.HostConfig(version="1.41", device_requests=kwargs["device_requests"])
    assert host["DeviceRequests"] == [{"Driver": "nvidia", "Count": -1, "DeviceIDs": [],
                                       "Capabilities": [["gpu"]], "Options": {}}]


def test_docker_gpu_request_forms():
    from batchvideo_assets.executors import docker_gpu_requests

    assert docker_gpu_requests(None) == [] and docker_gpu_requests("none") == []
    assert docker_gpu_requests("0,1") == [{"driver": "nvidia", "device_ids": ["0", "1"], "capabilities": [["gpu"]]}]


def test_local_defaults_untouched():
    """The SQLite dagster_home stays the default for `make demo` / `make dev`: default storage, Dagster's
    queued coordinator with only its dequeue interval shortened (the run limits are `concurrency`'s)."""
    local = yaml.safe_load((ROOT / "dagster_home" / "dagster.yaml").read_text())
    assert "storage" not in local
    coordinator = local["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator" and set(coordinator["config"]) == {"dequeue_interval_seconds"}
