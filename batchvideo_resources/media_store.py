"""Where every job's files live: a local folder (default) or an S3 bucket prefix."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
from pydantic import Field, PrivateAttr

from batchvideo_resources import settings


class MediaStore(dg.ConfigurableResource):
    """Stores files under keys like `jobs/<id>/video_combined.mp4`.

    `url` is `file:///abs/path` or `s3://bucket/prefix` (BATCHVIDEO_MEDIA_URL). Writes are atomic:
    a local file is written beside its final name and renamed into place; an S3 object only
    becomes visible when its upload completes."""

    url: str | None = Field(default=None, description="file:// or s3:// root; defaults to BATCHVIDEO_MEDIA_URL")
    s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint (MinIO); defaults to BATCHVIDEO_S3_ENDPOINT_URL")
    presign_seconds: int = 7 * 24 * 3600
    _client = PrivateAttr(default=None)

    @property
    def root_url(self) -> str:
        return (self.url or settings.media_url()).rstrip("/")

    @property
    def is_s3(self) -> bool:
        return self.root_url.startswith("s3://")

    # ------------------------------------------------------------------ local
    @property
    def local_root(self) -> Path:
        parsed = urlparse(self.root_url)
        if parsed.scheme not in ("file", ""):
            raise ValueError(f"not a local media root: {self.root_url}")
        return Path(parsed.path if parsed.scheme == "file" else self.root_url)

    # ------------------------------------------------------------------ s3
    @property
    def _bucket_prefix(self) -> tuple[str, str]:
        parsed = urlparse(self.root_url)
        return parsed.netloc, parsed.path.strip("/")

    def _s3(self):
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3", endpoint_url=self.s3_endpoint_url or settings.get("BATCHVIDEO_S3_ENDPOINT_URL"),
                region_name=settings.get("AWS_REGION", settings.get("AWS_DEFAULT_REGION", "us-east-1")))
        return self._client

    def _s3_key(self, key: str) -> str:
        _, prefix = self._bucket_prefix
        return f"{prefix}/{key}" if prefix else key

    # ------------------------------------------------------------------ API
    def uri(self, key: str) -> str:
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            return f"s3://{bucket}/{self._s3_key(key)}"
        return (self.local_root / key).as_uri()

    def put_file(self, src: Path, key: str) -> str:
        """Store `src` under `key` atomically and return its URI."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            self._s3().upload_file(str(src), bucket, self._s3_key(key))
        else:
            dest = self.local_root / key
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
            try:
                shutil.copyfile(src, tmp)
                os.replace(tmp, dest)
            finally:
                tmp.unlink(missing_ok=True)
        return self.uri(key)

    def put_bytes(self, data: bytes, key: str) -> str:
        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            tmp.write(data)
        try:
            return self.put_file(Path(tmp.name), key)
        finally:
            os.unlink(tmp.name)

    def exists(self, key: str) -> bool:
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            try:
                self._s3().head_object(Bucket=bucket, Key=self._s3_key(key))
                return True
            except Exception:  # noqa: BLE001 - botocore ClientError 404
                return False
        return (self.local_root / key).is_file()

    def fetch(self, key: str, dest: Path) -> Path:
        """Copy the object at `key` to `dest` (streamed) and return `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            self._s3().download_file(bucket, self._s3_key(key), str(dest))
        else:
            src = self.local_root / key
            if not src.is_file():
                raise FileNotFoundError(f"media store has no {key}")
            shutil.copyfile(src, dest)
        return dest

    def local_path(self, key: str, workdir: Path) -> Path:
        """A readable local path for `key`: the file itself locally, a download into `workdir` on S3."""
        if self.is_s3:
            return self.fetch(key, workdir / key.replace("/", "__"))
        path = self.local_root / key
        if not path.is_file():
            raise FileNotFoundError(f"media store has no {key}")
        return path

    def read_bytes(self, key: str) -> bytes:
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            return self._s3().get_object(Bucket=bucket, Key=self._s3_key(key))["Body"].read()
        return (self.local_root / key).read_bytes()

    def delete(self, key: str) -> None:
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            self._s3().delete_object(Bucket=bucket, Key=self._s3_key(key))
        else:
            (self.local_root / key).unlink(missing_ok=True)

    def public_url(self, key: str) -> str:
        """A URL a person can open: presigned on S3, file:// locally."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            return self._s3().generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": self._s3_key(key)}, ExpiresIn=self.presign_seconds)
        return self.uri(key)
