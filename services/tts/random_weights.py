"""Random-weight F5-TTS and Vocos folders in the layout the released weights use, built from the models' own
configs: the CPU test (shrunk) and the GPU benchmark (full size) load them through the server's real code.

    <models>/F5TTS_v1_Base/model_1250000.safetensors, vocab.txt, config.yaml (the arch that was built)
    <models>/vocos-mel-24khz/config.yaml, pytorch_model.bin
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import yaml

# charactr/vocos-mel-24khz's config.yaml (the vocoder F5-TTS ships with); `tiny` shrinks its backbone only.
VOCOS_CONFIG = {
    "feature_extractor": {"class_path": "vocos.feature_extractors.MelSpectrogramFeatures",
                          "init_args": {"sample_rate": 24000, "n_fft": 1024, "hop_length": 256, "n_mels": 100,
                                        "padding": "center"}},
    "backbone": {"class_path": "vocos.models.VocosBackbone",
                 "init_args": {"input_channels": 100, "dim": 512, "intermediate_dim": 1536, "num_layers": 8}},
    "head": {"class_path": "vocos.heads.ISTFTHead",
             "init_args": {"dim": 512, "n_fft": 1024, "hop_length": 256, "padding": "same"}},
}
TINY_F5 = {"dim": 64, "depth": 2, "heads": 2, "ff_mult": 2, "text_dim": 32, "conv_layers": 1}
TINY_VOCOS = {"dim": 32, "intermediate_dim": 64, "num_layers": 1}
CHECKPOINT = "F5TTS_v1_Base/model_1250000.safetensors"
VOCODER = "vocos-mel-24khz"


def build(models: Path, *, tiny: bool, seed: int = 0) -> tuple[Path, Path]:
    """Writes both folders under `models`; returns (checkpoint, vocoder folder)."""
    import torch
    from safetensors.torch import save_file

    from services.tts.engines import import_f5

    utils = import_f5()
    from f5_tts.model import CFM, DiT
    from f5_tts.model.utils import get_tokenizer
    from vocos import Vocos

    torch.manual_seed(seed)
    base = yaml.safe_load(Path(str(files("f5_tts").joinpath("configs/F5TTS_v1_Base.yaml"))).read_text())
    arch = {**base["model"]["arch"], **(TINY_F5 if tiny else {})}
    checkpoint = models / CHECKPOINT
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    vocab = checkpoint.parent / "vocab.txt"
    vocab.write_text(Path(str(files("f5_tts").joinpath("infer/examples/vocab.txt"))).read_text(encoding="utf-8"),
                     encoding="utf-8")
    (checkpoint.parent / "config.yaml").write_text(yaml.safe_dump({"model": {**base["model"], "arch": arch}}))
    vocab_map, vocab_size = get_tokenizer(str(vocab), "custom")
    # The same construction as F5's load_model, so the state dict's keys are the released checkpoint's.
    model = CFM(transformer=DiT(**arch, text_num_embeds=vocab_size, mel_dim=utils.n_mel_channels),
                mel_spec_kwargs=dict(n_fft=utils.n_fft, hop_length=utils.hop_length, win_length=utils.win_length,
                                     n_mel_channels=utils.n_mel_channels,
                                     target_sample_rate=utils.target_sample_rate, mel_spec_type="vocos"),
                vocab_char_map=vocab_map)
    # F5 zero-initialises its adaLN modulations and output projection (a fresh model ignores its text and
    # reference); trained weights are not zero, so neither are these.
    with torch.no_grad():
        for parameter in model.parameters():
            if not parameter.any():
                parameter.normal_(0.0, 0.02)
    state = {f"ema_model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(checkpoint))

    vocoder = models / VOCODER
    vocoder.mkdir(parents=True, exist_ok=True)
    config = {**VOCOS_CONFIG, "backbone": {**VOCOS_CONFIG["backbone"], "init_args": {
        **VOCOS_CONFIG["backbone"]["init_args"], **(TINY_VOCOS if tiny else {})}}}
    if tiny:
        config["head"] = {**config["head"], "init_args": {**config["head"]["init_args"], "dim": TINY_VOCOS["dim"]}}
    (vocoder / "config.yaml").write_text(yaml.safe_dump(config))
    torch.save(Vocos.from_hparams(str(vocoder / "config.yaml")).state_dict(), vocoder / "pytorch_model.bin")
    return checkpoint, vocoder
