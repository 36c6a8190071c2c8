"""MuseTalk v1.5 inference, written for this server (no MuseTalk code is imported or copied).

The model is three published parts, loaded from one local folder laid out as MuseTalk's own `models/`:

    <model_dir>/musetalkV15/musetalk.json   UNet2DConditionModel config (in_channels 8, cross_attention_dim 384)
    <model_dir>/musetalkV15/unet.pth        its state dict
    <model_dir>/sd-vae/                     AutoencoderKL (stabilityai/sd-vae-ft-mse), diffusers layout
    <model_dir>/whisper/                    openai/whisper-tiny (WhisperModel + preprocessor_config.json)

Per video frame: the face box is cropped (v1.5: `extra_margin` pixels more below the chin) and resized to
256×256; the VAE encodes that crop with its lower half blacked out and the whole crop, the two latents are
concatenated (masked first, 4+4 channels), and the UNet runs ONE step at timestep 0 with the frame's audio
window as cross-attention tokens; its output latent is decoded into a new face, and the lower half of that face
is blended back onto the frame with a feathered mask. The audio window is MuseTalk's: whisper encoder hidden
states of every layer (embeddings + each block, 50 per second), 10 steps from 4 steps (80 ms) before the
frame's own step (at 25 fps: 2 frames of context either side), flattened to (10 × layers) tokens of 384 plus a
sinusoidal position encoding.

Pure functions (audio windows, crop boxes, masks, blending) are separate from the torch parts so they can be
reasoned about and tested without a model."""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SAMPLE_RATE = 16000
WHISPER_STEPS_PER_S = 50       # the whisper encoder's output rate (2 × 10 ms mel hops per step)
WHISPER_SEGMENT_S = 30         # whisper encodes fixed 30 s windows
CROP = 256                     # MuseTalk's face crop side
PAD_LEFT, PAD_RIGHT = 2, 2     # video frames of audio context either side (MuseTalk's defaults)
WINDOW = 2 * (PAD_LEFT + PAD_RIGHT + 1)  # whisper steps per frame: MuseTalk fixes 2 steps per frame (25 fps)
LEAD = 2 * PAD_LEFT            # steps of context before the frame's own step
AUDIO_DIM = 384                # whisper-tiny d_model == the UNet's cross_attention_dim
ENGINE = "musetalk-v1.5"


class ReferenceError(ValueError):  # noqa: A001 - a bad `reference` upload, reported as a 400 naming the field
    pass


# ------------------------------------------------------------------------------------------ pure parts
def audio_windows(features: np.ndarray, n_samples: int, fps: float, n_frames: int) -> np.ndarray:
    """MuseTalk's per-frame audio prompt. `features`: (steps, layers, 384) whisper hidden states at 50/s.
    Returns (n_frames, WINDOW × layers, 384): for frame i the WINDOW steps starting LEAD steps before
    step floor(i × 50 / fps), zeros where that runs past either end.

    At 25 fps this is exactly MuseTalk's indexing (2 steps per frame, 2 frames either side). MuseTalk pads
    ceil(50 / fps) × 2 steps in front, which at other rates slides the window off the frame (at 10 fps it
    ends where the frame starts); a fixed LEAD keeps the window the model was trained on centred on every
    frame at any fps."""
    actual = math.floor(n_samples / SAMPLE_RATE * WHISPER_STEPS_PER_S)
    features = features[:actual]
    layers, dim = features.shape[1:]
    starts = np.floor(np.arange(n_frames) * WHISPER_STEPS_PER_S / fps).astype(int)
    right = max(0, (int(starts[-1]) + WINDOW if n_frames else 0) - actual)
    padded = np.concatenate([np.zeros((LEAD, layers, dim), features.dtype), features,
                             np.zeros((right, layers, dim), features.dtype)])
    windows = np.stack([padded[s:s + WINDOW] for s in starts]) if n_frames else np.zeros((0, WINDOW, layers, dim))
    return windows.reshape(n_frames, WINDOW * layers, dim)


def positional_encoding(length: int, dim: int = AUDIO_DIM) -> np.ndarray:
    """The transformer sinusoid MuseTalk adds to the audio tokens: sin on even, cos on odd channels."""
    position = np.arange(length, dtype=np.float64)[:, None]
    div = np.exp(np.arange(0, dim, 2, dtype=np.float64) * (-math.log(10000.0) / dim))
    pe = np.zeros((length, dim), dtype=np.float64)
    pe[:, 0::2] = np.sin(position * div)
    pe[:, 1::2] = np.cos(position * div)
    return pe.astype(np.float32)


def parse_face_box(text: str, width: int, height: int) -> tuple[int, int, int, int]:
    """`x1,y1,x2,y2` in the reference's own pixels, or ValueError naming the field."""
    try:
        x1, y1, x2, y2 = (int(round(float(v))) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise ValueError(f"face_box: expected 'x1,y1,x2,y2' in the reference's pixels, got {text!r}") from None
    if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height) or x2 - x1 < 16 or y2 - y1 < 16:
        raise ValueError(f"face_box: {text!r} is not a box of at least 16×16 inside the {width}×{height} reference")
    return x1, y1, x2, y2


def fit_transform(src_w: int, src_h: int, width: int, height: int) -> tuple[float, int, int]:
    """Scale to cover width×height, then centre-crop (what the client's ffmpeg `_fit` does):
    (scale, crop_x, crop_y) in scaled pixels."""
    scale = max(width / src_w, height / src_h)
    return scale, (round(src_w * scale) - width) // 2, (round(src_h * scale) - height) // 2


def fit_frame(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    src_h, src_w = frame.shape[:2]
    scale, cx, cy = fit_transform(src_w, src_h, width, height)
    size = (max(width, round(src_w * scale)), max(height, round(src_h * scale)))
    resized = cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return np.ascontiguousarray(resized[cy:cy + height, cx:cx + width])


def map_box(box: tuple[int, int, int, int], src_w: int, src_h: int, width: int, height: int) -> tuple[int, ...]:
    """A box in reference pixels → the same box in the fitted frame, clipped to it."""
    scale, cx, cy = fit_transform(src_w, src_h, width, height)
    x1, y1, x2, y2 = box
    return (max(0, round(x1 * scale) - cx), max(0, round(y1 * scale) - cy),
            min(width, round(x2 * scale) - cx), min(height, round(y2 * scale) - cy))


DETECT_SIDE = 480  # the detector looks at frames scaled to this shorter side: a 1080p loop costs 16× less


def detect_face(frame: np.ndarray, cascade: cv2.CascadeClassifier) -> tuple[int, int, int, int] | None:
    """The largest frontal face OpenCV's Haar cascade finds in an RGB frame, as (x1, y1, x2, y2) in the
    frame's pixels; faces smaller than 1/12 of the shorter side are ignored."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    scale = min(1.0, DETECT_SIDE / min(gray.shape))
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    side = max(24, min(gray.shape) // 12)
    found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(side, side))
    if len(found) == 0:
        return None
    x, y, w, h = max(found, key=lambda f: f[2] * f[3])
    height, width = frame.shape[:2]
    return (int(x / scale), int(y / scale), min(width, round((x + w) / scale)), min(height, round((y + h) / scale)))


def crop_box(face: tuple[int, int, int, int], extra_margin: int, height: int) -> tuple[int, int, int, int]:
    """v1.5: the face box with `extra_margin` more pixels below (the chin moves when speaking)."""
    x1, y1, x2, y2 = face
    return x1, y1, x2, min(height, y2 + extra_margin)


def mouth_mask(box_w: int, box_h: int, upper: float = 0.5, feather: float = 0.08) -> np.ndarray:
    """Blend weights (box_h, box_w) in [0, 1]: the lower part of the face box below `upper`, feathered by a
    Gaussian whose support stays inside the box, so every pixel outside the box (and above the feathered
    edge) keeps the reference exactly."""
    radius = max(1, int(feather * min(box_w, box_h)))
    mask = np.zeros((box_h, box_w), np.float32)
    top = int(box_h * upper)
    mask[top + radius:box_h - radius, radius:box_w - radius] = 1.0
    return cv2.GaussianBlur(mask, (2 * radius + 1, 2 * radius + 1), 0, borderType=cv2.BORDER_CONSTANT)


def blend(frame: np.ndarray, face: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """`face` (the generated 256×256 crop, RGB uint8) resized into `box` and its mouth half blended in."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    resized = cv2.resize(face, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    alpha = mouth_mask(w, h)[..., None]
    out = frame.copy()
    region = out[y1:y2, x1:x2].astype(np.float32)
    out[y1:y2, x1:x2] = np.clip(region * (1 - alpha) + resized * alpha + 0.5, 0, 255).astype(np.uint8)
    return out


def ping_pong(count: int, n: int) -> list[int]:
    """Reference-frame index for each of `count` output frames: a loop plays forwards then backwards, so
    the presenter never jumps at the loop point (MuseTalk's cycle)."""
    cycle = list(range(n)) + list(range(n - 1, -1, -1)) if n > 1 else [0]
    return [cycle[i % len(cycle)] for i in range(count)]


def model_revision(model_dir: Path) -> str:
    """`REVISION` in the model folder when whoever placed the weights wrote one (e.g. the hub commit),
    otherwise the first 12 hex digits of unet.pth's SHA-256."""
    marker = model_dir / "REVISION"
    if marker.is_file():
        return marker.read_text().strip()[:64]
    digest = hashlib.sha256()
    with open(model_dir / "musetalkV15" / "unet.pth", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return f"unet-sha256:{digest.hexdigest()[:12]}"


# ------------------------------------------------------------------------------------------ the model
@dataclass
class Prepared:
    frame: np.ndarray                  # fitted reference frame, RGB uint8 (height, width, 3)
    box: tuple[int, int, int, int]     # crop box in that frame
    latents: object                    # torch (1, 8, 32, 32): masked ⊕ reference latents


class MuseTalk:
    """The three parts on one device, loaded once; `generate` turns reference frames + audio into frames."""

    def __init__(self, model_dir: str | Path, device: str = "cpu", batch_size: int = 8, extra_margin: int = 10):
        os.environ["HF_HUB_OFFLINE"] = "1"  # weights come from model_dir only
        import torch
        from diffusers import AutoencoderKL, UNet2DConditionModel
        from transformers import WhisperFeatureExtractor, WhisperModel

        self.torch = torch
        self.model_dir = Path(model_dir)
        self.device = torch.device(device)
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.batch_size = batch_size
        self.extra_margin = extra_margin
        for needed in ("musetalkV15/musetalk.json", "musetalkV15/unet.pth", "sd-vae/config.json",
                       "whisper/config.json", "whisper/preprocessor_config.json"):
            if not (self.model_dir / needed).is_file():
                raise FileNotFoundError(f"{self.model_dir / needed} is missing (see services/lipsync/README.md)")
        self.vae = AutoencoderKL.from_pretrained(self.model_dir / "sd-vae", local_files_only=True)
        config = json.loads((self.model_dir / "musetalkV15" / "musetalk.json").read_text())
        self.unet = UNet2DConditionModel.from_config(config)
        state = torch.load(self.model_dir / "musetalkV15" / "unet.pth", map_location="cpu", weights_only=True)
        self.unet.load_state_dict(state)
        whisper = WhisperModel.from_pretrained(self.model_dir / "whisper", local_files_only=True)
        self.whisper = whisper.get_encoder()  # the decoder is never used
        self.features = WhisperFeatureExtractor.from_pretrained(self.model_dir / "whisper", local_files_only=True)
        if self.unet.config.in_channels != 2 * self.vae.config.latent_channels:
            raise ValueError(f"musetalk.json: in_channels {self.unet.config.in_channels} is not twice the VAE's "
                             f"{self.vae.config.latent_channels} latent channels")
        if self.unet.config.cross_attention_dim != self.whisper.config.d_model:
            raise ValueError(f"musetalk.json: cross_attention_dim {self.unet.config.cross_attention_dim} is not "
                             f"the whisper encoder's d_model {self.whisper.config.d_model}")
        for part in (self.vae, self.unet, self.whisper):
            part.to(self.device, self.dtype).eval().requires_grad_(False)
        self.scaling = self.vae.config.scaling_factor
        self.revision = model_revision(self.model_dir)
        self.cascade = cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades,
                                                          "haarcascade_frontalface_default.xml"))
        if self.cascade.empty():
            raise RuntimeError("OpenCV's haarcascade_frontalface_default.xml did not load")

    # -------------------------------------------------------------- audio
    def audio_prompts(self, samples: np.ndarray, fps: float, n_frames: int):
        """(n_frames, tokens, 384) audio tokens on the device, position-encoded."""
        torch = self.torch
        step = WHISPER_SEGMENT_S * SAMPLE_RATE
        hidden = []
        with torch.inference_mode():
            for start in range(0, max(1, len(samples)), step):
                mel = self.features(samples[start:start + step], sampling_rate=SAMPLE_RATE,
                                    return_tensors="pt").input_features
                out = self.whisper(mel.to(self.device, self.dtype), output_hidden_states=True)
                hidden.append(torch.stack(out.hidden_states, dim=2)[0].float().cpu().numpy())  # (1500, L, 384)
        windows = audio_windows(np.concatenate(hidden), len(samples), fps, n_frames)
        windows = windows + positional_encoding(windows.shape[1], windows.shape[2])[None]
        return torch.from_numpy(windows)

    # -------------------------------------------------------------- faces
    def prepare(self, frames: list[np.ndarray], boxes: list[tuple[int, int, int, int]]) -> list[Prepared]:
        """Crops, masks and encodes each reference frame once (in batches)."""
        torch = self.torch
        crops = []
        for frame, face in zip(frames, boxes):
            x1, y1, x2, y2 = crop_box(face, self.extra_margin, frame.shape[0])
            crops.append(cv2.resize(frame[y1:y2, x1:x2], (CROP, CROP), interpolation=cv2.INTER_LANCZOS4))
        latents = []
        with torch.inference_mode():
            for i in range(0, len(crops), self.batch_size):
                pixels = torch.from_numpy(np.stack(crops[i:i + self.batch_size])).permute(0, 3, 1, 2).float() / 255
                masked = pixels.clone()
                masked[:, :, CROP // 2:, :] = 0  # lower half blacked out before normalising, as MuseTalk does
                both = torch.cat([masked, pixels]) * 2 - 1
                # The posterior mean, not a sample: the same request gives the same video.
                mean = self.vae.encode(both.to(self.device, self.dtype)).latent_dist.mode() * self.scaling
                n = len(pixels)
                latents.extend(torch.cat([mean[:n], mean[n:]], dim=1).split(1))
        return [Prepared(frame, crop_box(face, self.extra_margin, frame.shape[0]), lat)
                for frame, face, lat in zip(frames, boxes, latents)]

    def find_faces(self, frames: list[np.ndarray]) -> list[tuple[int, int, int, int]]:
        """A face box per frame: frames where the detector misses borrow the nearest box found."""
        found = [detect_face(frame, self.cascade) for frame in frames]
        known = [i for i, box in enumerate(found) if box is not None]
        if not known:
            raise ReferenceError("reference: no face found (OpenCV frontal-face detector); use a frontal "
                                 "picture or set digital_human.face_box for the account")
        return [found[i] if found[i] is not None else found[min(known, key=lambda k: abs(k - i))]
                for i in range(len(frames))]

    # -------------------------------------------------------------- frames
    def generate(self, prepared: list[Prepared], prompts, should_stop=lambda: False):
        """Yields output frames (RGB uint8), one per audio prompt, `batch_size` UNet/VAE calls at a time."""
        torch = self.torch
        order = ping_pong(len(prompts), len(prepared))
        timestep = torch.zeros((), device=self.device, dtype=torch.long)
        for start in range(0, len(prompts), self.batch_size):
            if should_stop():
                raise TimeoutError("request time limit reached")
            index = order[start:start + self.batch_size]
            with torch.inference_mode():
                latents = torch.cat([prepared[i].latents for i in index])
                audio = prompts[start:start + len(index)].to(self.device, self.dtype)
                predicted = self.unet(latents, timestep, encoder_hidden_states=audio).sample
                faces = self.vae.decode(predicted / self.scaling).sample
                faces = ((faces.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
                faces = faces.permute(0, 2, 3, 1).cpu().numpy()
            for i, face in zip(index, faces):
                yield blend(prepared[i].frame, face, prepared[i].box)


# ------------------------------------------------------------------------------------------ random weights
# The published configs (MuseTalk's musetalkV15/musetalk.json, stabilityai/sd-vae-ft-mse, openai/whisper-tiny)
# and a tiny variant with the same structure, for the CPU tests and bench/lipsync_throughput.py.
UNET_CONFIG = {
    "act_fn": "silu", "attention_head_dim": 8, "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False, "cross_attention_dim": AUDIO_DIM,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 8, "layers_per_block": 2,
    "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}
VAE_CONFIG = {"act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
              "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
              "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2,
              "norm_num_groups": 32, "sample_size": 256}
WHISPER_CONFIG = {"d_model": AUDIO_DIM, "encoder_layers": 4, "encoder_attention_heads": 6, "encoder_ffn_dim": 1536,
                  "decoder_layers": 4, "decoder_attention_heads": 6, "decoder_ffn_dim": 1536, "num_mel_bins": 80,
                  "max_source_positions": 1500, "max_target_positions": 448, "vocab_size": 51865}
# Tiny: the same block types and the 384-wide audio tokens (the UNet's cross-attention width is whisper's
# d_model), with narrow blocks; the VAE keeps 4 levels so a 256 crop still becomes a 32×32 latent.
TINY_UNET_CONFIG = UNET_CONFIG | {"block_out_channels": [16, 32], "layers_per_block": 1, "norm_num_groups": 8,
                                  "attention_head_dim": 2, "sample_size": 32,
                                  "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
                                  "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"]}
TINY_VAE_CONFIG = VAE_CONFIG | {"block_out_channels": [8, 8, 8, 8], "layers_per_block": 1, "norm_num_groups": 4}
TINY_WHISPER_CONFIG = WHISPER_CONFIG | {"encoder_layers": 2, "encoder_attention_heads": 2, "encoder_ffn_dim": 32,
                                        "decoder_layers": 1, "decoder_attention_heads": 2, "decoder_ffn_dim": 32,
                                        "vocab_size": 64, "max_target_positions": 16, "pad_token_id": 0,
                                        "bos_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 3,
                                        "suppress_tokens": [], "begin_suppress_tokens": []}


def save_random_weights(root: Path, tiny: bool = True, seed: int = 0) -> Path:
    """Random weights built from each part's own config class, saved in MuseTalk's `models/` layout."""
    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    torch.manual_seed(seed)
    root = Path(root)
    unet_config = TINY_UNET_CONFIG if tiny else UNET_CONFIG
    (root / "musetalkV15").mkdir(parents=True, exist_ok=True)
    unet = UNet2DConditionModel(**unet_config)
    torch.save(unet.state_dict(), root / "musetalkV15" / "unet.pth")
    (root / "musetalkV15" / "musetalk.json").write_text(json.dumps(
        {"_class_name": "UNet2DConditionModel", **unet_config}, indent=2))
    AutoencoderKL(**(TINY_VAE_CONFIG if tiny else VAE_CONFIG)).save_pretrained(root / "sd-vae")
    WhisperModel(WhisperConfig(**(TINY_WHISPER_CONFIG if tiny else WHISPER_CONFIG))).save_pretrained(root / "whisper")
    WhisperFeatureExtractor(feature_size=80, sampling_rate=SAMPLE_RATE).save_pretrained(root / "whisper")
    return root
