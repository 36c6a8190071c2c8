"""TTS engines behind the server: a small interface, and F5-TTS as its one implementation today.

An engine owns a loaded model and turns a batch of `Job`s (text + reference clip + its transcript) into
waveforms at its own sample rate. The server's batcher thread is its only caller, so an engine needs no locks.
Another engine (IndexTTS2, CosyVoice) is a class with the same four attributes and `synthesize`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass
class Job:
    text: str
    language: str            # BCP-47, already checked against `Engine.supports`
    speed: float
    reference: np.ndarray    # mono float32 at the engine's sample rate
    reference_text: str      # what is said in `reference`


class Engine(Protocol):
    name: str                # e.g. "f5-tts"
    model_name: str          # e.g. "F5TTS_v1_Base"
    revision: str            # the checkpoint's file name and content hash
    sample_rate: int
    languages: tuple[str, ...]  # primary subtags, e.g. ("zh", "en")

    def supports(self, language: str) -> bool: ...

    def synthesize(self, jobs: list[Job]) -> list[np.ndarray]: ...


def file_revision(path: Path) -> str:
    """`name@sha256[:12]`: which checkpoint served, even when two folders hold different files of one name."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    return f"{path.name}@{digest.hexdigest()[:12]}"


# Imported only by f5_tts.model's package __init__ (for its Trainer); inference never touches them.
_TRAINING_ONLY = {"wandb", "datasets", "ema_pytorch", "accelerate"}


def import_f5():
    """F5-TTS's inference module. Where its training dependencies are not installed (the CPU test venv), the
    `f5_tts.model` package is registered without running its __init__ (which only re-exports the backbones and
    imports the Trainer), then given the two names `utils_infer` imports from it."""
    try:
        from f5_tts.infer import utils_infer
        return utils_infer
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _TRAINING_ONLY:
            raise
    for name in [n for n in sys.modules if n == "f5_tts.model" or n.startswith(("f5_tts.model.", "f5_tts.infer"))]:
        del sys.modules[name]
    package = importlib.util.module_from_spec(importlib.util.find_spec("f5_tts.model"))
    sys.modules["f5_tts.model"] = package
    from f5_tts.model.backbones.dit import DiT
    from f5_tts.model.cfm import CFM
    package.DiT, package.CFM = DiT, CFM
    from f5_tts.infer import utils_infer
    return utils_infer


class F5Engine:
    """F5-TTS (DiT flow matching + Vocos), loaded with F5's own `load_model` and `load_vocoder(is_local=True)`.

    Concurrent requests are one batched `CFM.sample` call: each keeps its own reference (`lens`), text and
    duration, exactly as F5's `infer_batch_process` prepares a single one (RMS lift, pinyin conversion,
    duration from the reference's frames per UTF-8 byte). The model trained on Chinese and English (Emilia)."""

    name = "f5-tts"
    sample_rate = 24000
    languages = ("zh", "en")

    def __init__(self, checkpoint: Path, vocoder_dir: Path, *, config: Path | None = None, nfe_step: int = 32,
                 cfg_strength: float = 2.0, sway_sampling_coef: float = -1.0, seed: int = 0,
                 device: str | None = None):
        import torch
        import yaml

        self.utils = import_f5()
        from f5_tts.model import DiT

        self.device = device or self.utils.device
        folder = checkpoint.parent
        config = config or (folder / "config.yaml" if (folder / "config.yaml").is_file() else None)
        if config is None:  # F5's own config of the same name (F5TTS_v1_Base/ → configs/F5TTS_v1_Base.yaml)
            from importlib.resources import files
            config = Path(str(files("f5_tts").joinpath(f"configs/{folder.name}.yaml")))
        arch = yaml.safe_load(config.read_text())["model"]["arch"]
        vocab = folder / "vocab.txt"
        self.model = self.utils.load_model(DiT, arch, str(checkpoint), mel_spec_type="vocos",
                                           vocab_file=str(vocab) if vocab.is_file() else "", device=self.device)
        self.vocoder = self.utils.load_vocoder("vocos", is_local=True, local_path=str(vocoder_dir),
                                               device=self.device)
        self.model_name = folder.name
        self.revision = file_revision(checkpoint)
        self.nfe_step, self.cfg_strength, self.sway, self.seed = nfe_step, cfg_strength, sway_sampling_coef, seed
        self._torch = torch

    def supports(self, language: str) -> bool:
        return language.split("-")[0].lower() in self.languages

    def synthesize(self, jobs: list[Job]) -> list[np.ndarray]:
        torch, utils = self._torch, self.utils
        hop, target_rms = utils.hop_length, utils.target_rms
        audios, lifts, texts, lens, durations = [], [], [], [], []
        for job in jobs:
            audio = torch.from_numpy(np.ascontiguousarray(job.reference, dtype=np.float32))
            rms = float(torch.sqrt(torch.mean(torch.square(audio))))
            lift = target_rms / rms if 0 < rms < target_rms else 1.0  # F5 lifts quiet references, then undoes it
            ref_text = job.reference_text
            if len(ref_text[-1].encode("utf-8")) == 1:  # as F5: an ASCII-ending transcript gets a space
                ref_text += " "
            # F5's duration rule: the reference's frames per UTF-8 byte of its transcript, times the new text's
            # bytes over the speed (F5 slows texts under 10 bytes to 0.3, so one word is not swallowed).
            speed = job.speed if len(job.text.encode("utf-8")) >= 10 else 0.3
            ref_frames = audio.shape[-1] // hop
            audios.append(audio * lift)
            lifts.append(lift)
            texts.append(ref_text + job.text)
            lens.append(ref_frames)
            durations.append(ref_frames + int(ref_frames / len(ref_text.encode("utf-8"))
                                              * len(job.text.encode("utf-8")) / speed))
        cond = torch.nn.utils.rnn.pad_sequence(audios, batch_first=True).to(self.device)
        with torch.inference_mode():
            mel, _ = self.model.sample(
                cond=cond, text=utils.convert_char_to_pinyin(texts),
                duration=torch.tensor(durations, device=self.device),
                lens=torch.tensor(lens, device=self.device), steps=self.nfe_step, cfg_strength=self.cfg_strength,
                sway_sampling_coef=self.sway, seed=self.seed)
            mel = mel.to(torch.float32)
            waves = []
            for i in range(len(jobs)):
                generated = mel[i: i + 1, lens[i]: durations[i], :].permute(0, 2, 1)
                wave = self.vocoder.decode(generated) / lifts[i]
                waves.append(wave.squeeze().cpu().numpy().astype(np.float32))
        return waves
