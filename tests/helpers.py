"""Outcome checks shared by the tests: ffprobe, SRT parsing, image decoding."""

import http.server
import json
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlparse

import srt
from PIL import Image


def path_of(uri: str) -> Path:
    assert uri.startswith("file://"), uri
    return Path(urlparse(uri).path)


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
                          str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def streams(path: Path, kind: str) -> list[dict]:
    return [s for s in ffprobe(path)["streams"] if s["codec_type"] == kind
            and not s.get("disposition", {}).get("attached_pic")]


def wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def parse_srt(path: Path) -> list[srt.Subtitle]:
    return list(srt.parse(path.read_text(encoding="utf-8")))


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        img.load()
        return img.size


def tick_sensor(instance, url: str, cursor: str | None):
    """One scripts-sensor evaluation; applies its partition requests like the daemon would."""
    import dagster as dg

    from batchvideo_assets.definitions import build_definitions
    from batchvideo_assets.defs.automation.sensors import scripts_sensor
    from batchvideo_resources.database import DatabaseResource

    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"db": DatabaseResource(url=url)},
                                      definitions=_definitions(build_definitions))
    result = scripts_sensor(context)
    if isinstance(result, dg.SkipReason):
        return [], context.cursor
    for event in result.asset_events or []:
        instance.report_runless_asset_event(event)
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, dg.DeleteDynamicPartitionsRequest):
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)
        else:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result.run_requests, result.cursor


_DEFS = []


def _definitions(build):
    """The code location's definitions, built once per test session (the sensor reads its asset graph)."""
    if not _DEFS:
        _DEFS.append(build())
    return _DEFS[0]


class LoopbackServer:
    """An HTTP server on a free loopback port in a background thread, serving `handler` (a
    BaseHTTPRequestHandler subclass); `url` is its base address."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def cursor_at_end(instance, url):
    """Tick until the cursor stops moving: a shared PostgreSQL database holds earlier tests' rows."""
    cursor = None
    while True:
        _, after = tick_sensor(instance, url, cursor)
        if after == cursor:
            return cursor
        cursor = after


def model_server_manifest(name: str, backend: str):
    """deploy/k8s/<name>-server.yaml read through the kubernetes client's models, with what every model
    server's manifest must hold checked here: the A100 placement the GPU steps use, one GPU, the weights
    claim mounted read-only, a /health readiness probe, a Service in front, and the code location's
    environment (`BATCHVIDEO_<backend>_BACKEND/URL`) pointing at that Service. Returns (container, mount)."""
    import yaml
    from kubernetes.client import ApiClient

    from batchvideo_assets.common import GPU_OP_TAGS

    class Response:
        def __init__(self, doc):
            self.data = json.dumps(doc)

    root = Path(__file__).resolve().parents[1]
    docs = list(yaml.safe_load_all((root / "deploy" / "k8s" / f"{name}-server.yaml").read_text()))
    api = ApiClient()
    deployment = api.deserialize(Response(next(d for d in docs if d["kind"] == "Deployment")), "V1Deployment")
    service = api.deserialize(Response(next(d for d in docs if d["kind"] == "Service")), "V1Service")
    pod = deployment.spec.template.spec
    assert pod.node_selector == GPU_OP_TAGS["dagster-k8s/config"]["pod_spec_config"]["node_selector"]
    assert "A100" in pod.node_selector["nvidia.com/gpu.product"]
    assert any(t.key == "nvidia.com/gpu" and t.effect == "NoSchedule" for t in pod.tolerations)
    (container,) = pod.containers
    assert container.resources.limits["nvidia.com/gpu"] == "1"
    (mount,) = container.volume_mounts
    (volume,) = pod.volumes
    assert mount.read_only and volume.name == mount.name
    assert volume.persistent_volume_claim.claim_name == "batchvideo-models" and volume.persistent_volume_claim.read_only
    assert container.readiness_probe.http_get.path == "/health"
    assert service.spec.selector == deployment.spec.selector.match_labels
    command = container.command
    port = int(command[command.index("--port") + 1])
    assert service.spec.ports[0].target_port == "http" and container.ports[0].container_port == port
    env = yaml.safe_load((root / "deploy" / "k8s" / "batchvideo-env.yaml").read_text())["data"]
    assert env[f"BATCHVIDEO_{backend}_BACKEND"] == "http"
    assert env[f"BATCHVIDEO_{backend}_URL"] == f"http://{service.metadata.name}.{service.metadata.namespace}.svc:{port}"
    return container, mount


class HeldServer:
    """A loopback model server (POST only) that holds every request until `released` is set, then has
    `answer(body)` give (status, content type, content); `calls` gets each request's JSON body as it
    arrives. A run waits inside the step that calls it for as long as a test needs."""

    def __init__(self, answer, hold_s: float = 300):
        self.calls, self.released = [], threading.Event()
        held = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                held.calls.append(json.loads(raw) if raw else None)
                if not held.released.wait(timeout=hold_s):
                    return
                status, kind, content = answer(held.calls[-1])
                try:
                    self.send_response(status)
                    self.send_header("content-type", kind)
                    self.send_header("content-length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    pass  # the step (or worker) that asked is gone

            def log_message(self, *args):
                pass

        self.server = LoopbackServer(Handler)
        self.url = self.server.url

    def close(self) -> None:
        self.released.set()
        self.server.close()

