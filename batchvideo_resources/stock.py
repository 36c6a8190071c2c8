"""Stock b-roll: a library of clips (local folder, S3 prefix or the Pexels API) matched to a shot's keywords.

Local and S3 libraries share one layout: `index.json` = {"clips": [{id, file, tags, duration_s, width, height,
source, licence}]} beside the clip files. Pexels results are turned into the same clip dicts. Whatever the
backend, `fetch(clip)` gives a local file that `cut_clip` trims, scales and crops to the shot."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

from pydantic import Field, PrivateAttr

from batchvideo_media.files import atomic_write
from batchvideo_media.probe import run_ffmpeg
from batchvideo_media.stock_samples import SAMPLE_CLIPS, create_sample_library  # noqa: F401 - their old home
from batchvideo_resources.configured import settings_fields
from batchvideo_resources.http_retry import request_with_retries
from batchvideo_resources.s3 import s3_client

PEXELS_LICENCE = "Pexels License (free to use, attribution not required) — https://www.pexels.com/license/"
STOPWORDS = {"a", "an", "and", "the", "of", "in", "on", "at", "to", "with", "for", "from", "by", "is", "are",
             "video", "footage", "clip", "shot", "stock"}

# ---------------------------------------------------------------------- matching (pure)
def _words(values) -> set[str]:
    out: set[str] = set()
    for value in values:
        out.update(w for w in re.split(r"[^\w]+", str(value).lower()) if w and w not in STOPWORDS)
    return out


def keyword_overlap(keywords: list[str], tags: list[str]) -> int:
    """How many of the shot's keywords a clip's tags cover (plural/singular and prefix forms count)."""
    tag_words = _words(tags)
    score = 0
    for word in _words(keywords):
        if word in tag_words or any(len(word) >= 4 and len(t) >= 4 and (t.startswith(word) or word.startswith(t))
                                    for t in tag_words):
            score += 1
    return score


def rank_clips(clips: list[dict], keywords: list[str], *, used_in_video: set[str], recent_uses: Counter,
               seed: str, min_duration_s: float = 0.0) -> list[dict]:
    """Best first: unused in this video, then not used in the account's recent videos, then keyword
    overlap, then fewer recent uses, then long enough to cover the shot; ties broken by `seed`."""

    def key(clip: dict) -> tuple:
        cid = clip["id"]
        return (cid in used_in_video, recent_uses[cid] > 0, -keyword_overlap(keywords, clip.get("tags", [])),
                recent_uses[cid], float(clip.get("duration_s") or 0) < min_duration_s,
                hashlib.sha256(f"{seed}:{cid}".encode()).hexdigest())

    return sorted(clips, key=key)


# ---------------------------------------------------------------------- usage across an account's videos
class ClipUsageLog:
    """`stock_usage/<account>.json` in the media store: which clips each recent video of an account used."""

    def __init__(self, media, keep: int = 50):
        self.media = media
        self.keep = keep

    @staticmethod
    def _key(account: str) -> str:
        return f"stock_usage/{re.sub(r'[^A-Za-z0-9_.-]+', '_', account) or 'default'}.json"

    def _videos(self, account: str) -> list[dict]:
        key = self._key(account)
        if not self.media.exists(key):
            return []
        return json.loads(self.media.read_bytes(key)).get("videos", [])

    def recent(self, account: str, *, exclude_script: str, window: int) -> Counter:
        videos = [v for v in self._videos(account) if v["script_id"] != str(exclude_script)][-window:] if window else []
        return Counter(cid for v in videos for cid in v["clips"])

    def record(self, account: str, script_id: str, clip_ids: list[str]) -> None:
        videos = [v for v in self._videos(account) if v["script_id"] != str(script_id)]
        videos.append({"script_id": str(script_id), "clips": sorted(set(clip_ids)),
                       "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        self.media.put_bytes(json.dumps({"videos": videos[-self.keep:]}, indent=1).encode(), self._key(account))


# ---------------------------------------------------------------------- the resource
class StockLibraryResource(settings_fields("stock")):
    # backend, root, s3_url, s3_endpoint_url, s3_region, pexels_url, pexels_api_key: from the settings
    # that feed "stock" (batchvideo_resources/settings.py).
    pexels_per_page: int = 15
    cache_dir: str | None = Field(default=None, description="where remote clips are downloaded; needed by "
                                                            "the s3 and pexels backends")
    recent_videos: int = Field(default=10, description="avoid clips used by the account's last N videos")
    timeout_s: float = 60.0
    attempts: int = 4
    _index: list[dict] | None = PrivateAttr(default=None)
    _s3_client = PrivateAttr(default=None)

    # ------------------------------------------------------------------ shared
    @property
    def _cache(self) -> Path:
        if not self.cache_dir:
            raise ValueError(f"stock backend {self.backend!r} needs a cache_dir to download clips into")
        return Path(self.cache_dir)

    @property
    def _root(self) -> Path:
        if not self.root:
            raise ValueError("stock backend 'local' needs the library folder (BATCHVIDEO_STOCK_DIR)")
        return Path(self.root)

    @property
    def description(self) -> str:
        if self.backend == "local":
            return f"local:{self._root}"
        if self.backend == "s3":
            return self._s3_location
        if self.backend == "pexels":
            return f"pexels:{self._pexels_base}"
        raise ValueError(f"unknown stock backend {self.backend!r}; expected local, s3 or pexels")

    def candidates(self, keywords: list[str], orientation: str = "landscape") -> list[dict]:
        """Clips that could illustrate a shot with these keywords."""
        if self.backend in ("local", "s3"):
            return self.index()
        if self.backend == "pexels":
            return self._pexels_search(keywords, orientation)
        raise ValueError(f"unknown stock backend {self.backend!r}; expected local, s3 or pexels")

    def choose(self, keywords: list[str], *, used_in_video: set[str], recent_uses: Counter | None = None,
               seed: str, orientation: str = "landscape", min_duration_s: float = 0.0) -> dict:
        clips = self.candidates(keywords, orientation)
        if not clips:
            raise RuntimeError(f"stock library {self.description} has no clips for {keywords!r}")
        return rank_clips(clips, keywords, used_in_video=used_in_video, recent_uses=recent_uses or Counter(),
                          seed=seed, min_duration_s=min_duration_s)[0]

    def fetch(self, clip: dict) -> Path:
        """A local file with the clip's video, downloaded (once) for remote libraries."""
        if self.backend == "local":
            return self.clip_path(clip)
        if self.backend == "s3":
            return self._s3_fetch(clip)
        if self.backend == "pexels":
            return self._download(clip["download_url"], self._cache / "pexels" / f"{clip['id'].split(':')[-1]}.mp4")
        raise ValueError(f"unknown stock backend {self.backend!r}")

    def index(self) -> list[dict]:
        if self._index is None:
            if self.backend == "s3":
                raw = self._s3_read("index.json")
            else:
                path = self._root / "index.json"
                if not path.exists():
                    raise FileNotFoundError(f"stock library index missing: {path} (run `batchvideo init`)")
                raw = path.read_bytes()
            self._index = json.loads(raw)["clips"]
        return self._index

    def clip_path(self, clip: dict) -> Path:
        path = (self._root / clip["file"]).resolve()
        if not path.is_relative_to(self._root.resolve()):
            raise ValueError(f"stock index entry {clip['id']!r} points outside the library: {clip['file']!r}")
        return path

    def _download(self, url: str, dest: Path) -> Path:
        if dest.is_file() and dest.stat().st_size > 0:
            return dest
        response = request_with_retries("GET", url, timeout=self.timeout_s, attempts=self.attempts,
                                        follow_redirects=True)
        with atomic_write(dest) as tmp:
            tmp.write_bytes(response.content)
        return dest

    # ------------------------------------------------------------------ s3
    @property
    def _s3_location(self) -> str:
        url = self.s3_url
        if not url or not url.startswith("s3://"):
            raise ValueError("stock backend 's3' needs s3_url = s3://bucket/prefix (BATCHVIDEO_STOCK_S3_URL)")
        return url.rstrip("/")

    def _s3_bucket_key(self, name: str) -> tuple[str, str]:
        parsed = urlparse(self._s3_location)
        prefix = parsed.path.strip("/")
        return parsed.netloc, f"{prefix}/{name}" if prefix else name

    def _s3(self):
        if self._s3_client is None:
            self._s3_client = s3_client(self.s3_endpoint_url, self.s3_region)
        return self._s3_client

    def _s3_read(self, name: str) -> bytes:
        bucket, key = self._s3_bucket_key(name)
        return self._s3().get_object(Bucket=bucket, Key=key)["Body"].read()

    def _s3_fetch(self, clip: dict) -> Path:
        if ".." in Path(clip["file"]).parts or clip["file"].startswith("/"):
            raise ValueError(f"stock index entry {clip['id']!r} points outside the library: {clip['file']!r}")
        bucket, key = self._s3_bucket_key(clip["file"])
        dest = self._cache / "s3" / bucket / key
        if dest.is_file() and dest.stat().st_size > 0:
            return dest
        with atomic_write(dest) as tmp:
            self._s3().download_file(bucket, key, str(tmp))
        return dest

    # ------------------------------------------------------------------ pexels
    @property
    def _pexels_base(self) -> str:
        return self.pexels_url.rstrip("/")

    def _pexels_search(self, keywords: list[str], orientation: str) -> list[dict]:
        key = self.pexels_api_key
        if not key:
            raise RuntimeError("stock backend 'pexels' needs an API key (PEXELS_API_KEY)")
        words = [w for w in keywords if w.strip()][:6] or ["nature"]
        queries = [" ".join(words[:3])] + [w for w in words if w != " ".join(words[:3])]
        found: dict[str, dict] = {}
        for query in queries:
            response = request_with_retries(
                "GET", f"{self._pexels_base}/videos/search", timeout=self.timeout_s, attempts=self.attempts,
                params={"query": query, "orientation": orientation, "per_page": self.pexels_per_page},
                headers={"Authorization": key})
            for video in response.json().get("videos", []):
                clip = pexels_clip(video, query, orientation)
                if clip and clip["id"] not in found:
                    found[clip["id"]] = clip
            if len(found) >= self.pexels_per_page:
                break
        return list(found.values())


def pexels_clip(video: dict, query: str, orientation: str) -> dict | None:
    """A Pexels /videos/search result as a library clip: the best MP4 rendition for the video size."""
    files = [f for f in video.get("video_files", []) if f.get("file_type") == "video/mp4" and f.get("link")]
    if not files:
        return None
    target = 1360 if orientation == "landscape" else 768
    big_enough = [f for f in files if (f.get("width") or 0) >= target]
    chosen = min(big_enough, key=lambda f: f.get("width") or 0) if big_enough else \
        max(files, key=lambda f: f.get("width") or 0)
    page = video.get("url", "")
    slug = urlparse(page).path.rstrip("/").rsplit("/", 1)[-1] if page else ""
    slug_words = [w for w in slug.split("-") if w and not w.isdigit()]
    author = (video.get("user") or {}).get("name")
    return {"id": f"pexels:{video['id']}", "tags": sorted(_words([query, *slug_words])),
            "duration_s": float(video.get("duration") or 0), "width": chosen.get("width"),
            "height": chosen.get("height"), "download_url": chosen["link"],
            "source": f"{page} (by {author} on Pexels)" if author else page or f"pexels video {video['id']}",
            "licence": PEXELS_LICENCE}


def cut_clip(src: Path, out: Path, duration_s: float, width: int, height: int, fps: int = 25) -> None:
    """Trim (looping if short) and scale/crop a clip to exactly the shot; audio dropped."""
    run_ffmpeg(["-stream_loop", "-1", "-i", str(src), "-t", f"{duration_s:.3f}", "-an", "-sn", "-dn",
                "-map_metadata", "-1",
                "-vf", f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
                       f"fps={fps},format=yuv420p,setsar=1",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-movflags", "+faststart", str(out)])
