# syntax=docker/dockerfile:1
# The BatchVideo code location image: the package, ffmpeg, espeak-ng and CJK fonts. One image serves
# the gRPC code server, dagster-webserver, dagster-daemon, and the step containers/pods of the
# docker and k8s executors.
#
#   docker build -t batchvideo:latest .                       # CPU (embedded defaults, remote model servers)
#   docker build --build-arg EXTRAS=gpu -t batchvideo:gpu .   # + torch/diffusers for in-process Flux
#   docker build --build-arg EXTRAS=neural -t batchvideo:neural .   # + the embedded Piper English voice
FROM python:3.11-slim-bookworm

ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    BATCHVIDEO_DATA_DIR=/data

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ffmpeg espeak-ng fonts-noto-cjk fontconfig curl ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && fc-cache -f

WORKDIR /opt/dagster/app

# Dependencies first (cached while only the code changes).
COPY pyproject.toml README.md ./
COPY batchvideo_app/__init__.py batchvideo_app/__init__.py
COPY batchvideo_assets/__init__.py batchvideo_assets/__init__.py
COPY batchvideo_resources/__init__.py batchvideo_resources/__init__.py
COPY batchvideo_media/__init__.py batchvideo_media/__init__.py
RUN pip install ".${EXTRAS:+[$EXTRAS]}" && pip uninstall -y batchvideo

COPY batchvideo_app batchvideo_app
COPY batchvideo_assets batchvideo_assets
COPY batchvideo_resources batchvideo_resources
COPY batchvideo_media batchvideo_media
# The Flux image server (docker-compose `gpu` profile, deploy/k8s/flux-server.yaml) runs from this image.
COPY services/flux services/flux
RUN pip install --no-deps . \
 && useradd --create-home --uid 10001 dagster \
 && mkdir -p "$DAGSTER_HOME" /data \
 && chown -R dagster:dagster "$DAGSTER_HOME" /data

# The production instance (PostgreSQL, queued runs, pools, S3 compute logs); values come from the env.
COPY dagster_home/production/dagster.yaml ${DAGSTER_HOME}/dagster.yaml
COPY deploy/workspace.docker.yaml /opt/dagster/workspace.yaml

USER dagster
EXPOSE 4000
ENTRYPOINT ["/usr/bin/tini", "--"]
# Default: the code location gRPC server; compose/Helm override the command for webserver and daemon.
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", \
     "-m", "batchvideo_assets.definitions", "--location-name", "batchvideo"]
