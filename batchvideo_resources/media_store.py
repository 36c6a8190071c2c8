"""Where every job's files live: a local folder (default) or an S3 bucket prefix."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote, urlparse

from pydantic import Field, PrivateAttr

from batchvideo_media.files import atomic_write
from batchvideo_resources.configured import settings_fields
from batchvideo_resources.s3 import s3_client


class MediaStore(settings_fields("media")):
    """Stores files under keys like `jobs/<id>/video_combined.mp4`.

    `url` is `file:///abs/path` or `s3://bucket/prefix` (BATCHVIDEO_MEDIA_URL). Writes are atomic:
    a local file is written beside its final name and renamed into place; an S3 object only
    becomes visible when its upload completes."""

    # url, s3_endpoint_url, s3_public_endpoint_url, s3_region, presign_seconds, http_url: from the
    # settings that feed "media" (batchvideo_resources/settings.py).
    multipart_chunk_mb: int = Field(default=16, description="S3 transfers above this size stream in parts of this size")
    _client = PrivateAttr(default=None)
    _presign_client = PrivateAttr(default=None)

    @property
    def root_url(self) -> str:
        return self.url.rstrip("/")

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
            self._client = s3_client(self.s3_endpoint_url, self.s3_region)
        return self._client

    def _s3_presign(self):
        public = self.s3_public_endpoint_url
        if not public or public == self.s3_endpoint_url:
            return self._s3()
        if self._presign_client is None:
            self._presign_client = s3_client(public, self.s3_region)
        return self._presign_client

    def _transfer_config(self):
        from boto3.s3.transfer import TransferConfig

        chunk = self.multipart_chunk_mb * 1024 * 1024
        return TransferConfig(multipart_threshold=chunk, multipart_chunksize=chunk, max_concurrency=4)

    def _s3_key(self, key: str) -> str:
        _, prefix = self._bucket_prefix
        return f"{prefix}/{key}" if prefix else key

    # ------------------------------------------------------------------ API
    def uri(self, key: str) -> str:
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            return f"s3://{bucket}/{self._s3_key(key)}"
        return (self.local_root / key).as_uri()

    def key_of(self, uri: str) -> str | None:
        """The key of a URI under this store's root, else None."""
        root = self.uri("x")[:-1]
        return uri[len(root):] if uri.startswith(root) and len(uri) > len(root) else None

    def put_file(self, src: Path, key: str) -> str:
        """Store `src` under `key` atomically and return its URI.

        On S3 the file is streamed from disk (multipart above `multipart_chunk_mb`); S3 only makes an
        object visible under its key when the upload completes, so readers never see a partial file and a
        failed upload is aborted, leaving any previous version in place."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            self._s3().upload_file(str(src), bucket, self._s3_key(key), Config=self._transfer_config(),
                                   ExtraArgs={"ContentType": _content_type(key)})
        else:
            with atomic_write(self.local_root / key) as tmp:
                shutil.copyfile(src, tmp)
        return self.uri(key)

    def put_bytes(self, data: bytes, key: str) -> str:
        """Small payloads (manifests, subtitles): one atomic PUT on S3, write-and-rename locally."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            self._s3().put_object(Bucket=bucket, Key=self._s3_key(key), Body=data, ContentType=_content_type(key))
            return self.uri(key)
        with tempfile.NamedTemporaryFile(delete=False) as tmp:
            tmp.write(data)
        try:
            return self.put_file(Path(tmp.name), key)
        finally:
            os.unlink(tmp.name)

    def exists(self, key: str) -> bool:
        if self.is_s3:
            from botocore.exceptions import ClientError

            bucket, _ = self._bucket_prefix
            try:
                self._s3().head_object(Bucket=bucket, Key=self._s3_key(key))
                return True
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise  # 403 (credentials; missing keys also answer 403 without s3:ListBucket), endpoint down
        return (self.local_root / key).is_file()

    def fetch(self, key: str, dest: Path) -> Path:
        """Copy the object at `key` to `dest` (streamed in parts, never held in memory) and return `dest`.
        `dest` appears only complete: the download goes to a temporary name and is renamed into place."""
        with atomic_write(dest) as tmp:
            if self.is_s3:
                from botocore.exceptions import ClientError

                bucket, _ = self._bucket_prefix
                try:
                    self._s3().download_file(bucket, self._s3_key(key), str(tmp), Config=self._transfer_config())
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                        raise FileNotFoundError(f"media store has no {key}") from exc
                    raise
            else:
                src = self.local_root / key
                if not src.is_file():
                    raise FileNotFoundError(f"media store has no {key}")
                shutil.copyfile(src, tmp)
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

    def list_keys(self, prefix: str) -> list[str]:
        """Keys (relative to the root) under `prefix`, sorted."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            full = self._s3_key(prefix)
            strip = len(self._s3_key(""))
            keys = []
            for page in self._s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=full):
                keys += [obj["Key"][strip:] for obj in page.get("Contents", [])]
            return sorted(keys)
        base = self.local_root
        return sorted(p.relative_to(base).as_posix() for p in (base / prefix).rglob("*")
                      if p.is_file() and not p.name.endswith(".part")) if (base / prefix).exists() else []

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix` (a folder, ending in "/"); returns how many were deleted."""
        if not prefix.endswith("/"):
            raise ValueError(f"delete_prefix takes a folder prefix ending in '/', not {prefix!r}")
        keys = self.list_keys(prefix)
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
                batch = [{"Key": self._s3_key(k)} for k in keys[start:start + 1000]]
                answer = self._s3().delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                if answer.get("Errors"):  # per-key refusals (AccessDenied …) come back here, not raised
                    first = answer["Errors"][0]
                    raise OSError(f"S3 refused to delete {len(answer['Errors'])} of {len(batch)} objects under "
                                  f"{prefix} ({first.get('Code')}: {first.get('Message')})")
        elif (self.local_root / prefix).is_dir():
            shutil.rmtree(self.local_root / prefix)
        return len(keys)

    def public_url(self, key: str) -> str:
        """A URL a person can open: presigned GET on S3 (signed for the public endpoint); locally the
        http address that serves the media root when there is one (a browser on the UI's http page
        will not open file:// links), else file://."""
        if self.is_s3:
            bucket, _ = self._bucket_prefix
            return self._s3_presign().generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": self._s3_key(key)}, ExpiresIn=self.presign_seconds)
        if self.http_url:
            return f"{self.http_url.rstrip('/')}/{quote(key)}"
        return self.uri(key)


_CONTENT_TYPES = {".mp4": "video/mp4", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".png": "image/png",
                  ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".json": "application/json",
                  ".srt": "application/x-subrip; charset=utf-8", ".ass": "text/plain; charset=utf-8"}


def _content_type(key: str) -> str:
    return _CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")
