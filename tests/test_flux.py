"""The Flux path for real on CPU: a tiny random FluxPipeline (and a LoRA for it) built here, saved with
`save_pretrained`, loaded through ImageGenResource; regenerating one shot of the `images` asset; the
`http` image backend against a local server."""

import io
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
from conftest import add, frame
from helpers import image_size, path_of
from PIL import Image

from batchvideo_resources.image_gen import ImageGenResource, fit_exact, snap_up

# The images asset renders at the small test canvas (its size check compares with it).
pytestmark = [pytest.mark.media, pytest.mark.small_canvas]

LETTERS = "abcdefghijklmnopqrstuvwxyz"
FAST = dict(steps=2, max_sequence_length=16, batch_size=2)


def build_tiny_flux(root: Path) -> Path:
    """A complete FluxPipeline with random weights: every component at toy size, tokenizers built in code."""
    import torch
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        FluxPipeline,
        FluxTransformer2DModel,
    )
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTokenizer,
        T5Config,
        T5EncoderModel,
        T5TokenizerFast,
    )

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1, in_channels=4, num_layers=1, num_single_layers=1, attention_head_dim=16,
        num_attention_heads=2, joint_attention_dim=32, pooled_projection_dim=32, axes_dims_rope=[4, 4, 8])
    # Four blocks → vae_scale_factor 8 and sample_size 1024 (the tile size), like the real VAE.
    vae = AutoencoderKL(
        sample_size=1024, in_channels=3, out_channels=3, block_out_channels=(4, 4, 4, 4),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1, latent_channels=1, norm_num_groups=1, use_quant_conv=False,
        use_post_quant_conv=False, shift_factor=0.0609, scaling_factor=1.5035)
    clip = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=2, pad_token_id=1, hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=2, vocab_size=1000, hidden_act="gelu", projection_dim=32))
    clip_vocab = {"<|startoftext|>": 0, "!": 1, "<|endoftext|>": 2}
    for ch in LETTERS:
        clip_vocab[ch] = len(clip_vocab)
        clip_vocab[f"{ch}</w>"] = len(clip_vocab)
    clip_tokenizer = CLIPTokenizer(vocab=clip_vocab, merges=[], model_max_length=77)
    t5 = T5EncoderModel(T5Config(vocab_size=1000, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                                 decoder_start_token_id=0, pad_token_id=0, eos_token_id=1))
    t5_vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    t5_vocab += [(ch, -3.0) for ch in LETTERS] + [(f"\u2581{ch}", -2.5) for ch in LETTERS]
    t5_tokenizer = T5TokenizerFast(vocab=t5_vocab, extra_ids=0)
    pipe = FluxPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=clip,
                        tokenizer=clip_tokenizer, text_encoder_2=t5, tokenizer_2=t5_tokenizer,
                        transformer=transformer)
    path = root / "tiny-flux"
    pipe.save_pretrained(path)
    return path


def build_tiny_lora(model: Path, root: Path, name: str) -> Path:
    """A LoRA adapter for the tiny transformer (non-zero B so it visibly changes the output)."""
    import torch
    from diffusers import FluxPipeline, FluxTransformer2DModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    torch.manual_seed(1)
    transformer = FluxTransformer2DModel.from_pretrained(model / "transformer")
    transformer.add_adapter(LoraConfig(r=4, lora_alpha=8, init_lora_weights=False,
                                       target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    with torch.no_grad():
        for param_name, param in transformer.named_parameters():
            if "lora_" in param_name:
                param.normal_(0, 0.5)
    FluxPipeline.save_lora_weights(root / name, transformer_lora_layers=get_peft_model_state_dict(transformer))
    return root


@pytest.fixture(scope="module")
def tiny_flux(tmp_path_factory) -> Path:
    return build_tiny_flux(tmp_path_factory.mktemp("flux"))


@pytest.fixture(scope="module")
def lora_dir(tiny_flux, tmp_path_factory) -> Path:
    return build_tiny_lora(tiny_flux, tmp_path_factory.mktemp("loras"), "inkwash")


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).astype(int)


def _jobs(tmp: Path, seeds: list[int], tag: str, prompt: str = "a quiet lake at dawn") -> list[dict]:
    return [{"index": i, "prompt": prompt, "text": prompt, "seed": seed, "out": tmp / f"{tag}_{i}.png"}
            for i, seed in enumerate(seeds)]


def test_flux_images_have_the_requested_size_and_seeds_reproduce(tiny_flux, tmp_path):
    gen = ImageGenResource(backend="flux", model=str(tiny_flux), **FAST)
    # 72×40 is not a multiple of 16: rendered at 80×48 and centre-cropped, never stretched.
    first = _jobs(tmp_path, [7, 8, 9], "first")
    gen.generate(first, 72, 40)
    again = _jobs(tmp_path, [7, 8, 9], "again")
    gen.generate(again, 72, 40)
    for a, b in zip(first, again):
        assert image_size(a["out"]) == (72, 40)
        assert np.array_equal(_pixels(a["out"]), _pixels(b["out"])), "same seed must give the same image"
    assert np.abs(_pixels(first[0]["out"]) - _pixels(first[1]["out"])).mean() > 1, "seeds must matter"
    assert gen.model_name == f"flux:{tiny_flux}"


def test_flux_pipeline_is_loaded_once_per_process_in_float32_on_cpu(tiny_flux):
    import torch

    a = ImageGenResource(backend="flux", model=str(tiny_flux), steps=2)
    b = ImageGenResource(backend="flux", model=str(tiny_flux), steps=4, batch_size=1)
    pipe = a.load_pipeline()
    assert b.load_pipeline() is pipe
    assert pipe.transformer.dtype == torch.float32
    assert pipe.vae.use_tiling


def test_importing_the_code_location_loads_no_model():
    code = ("import sys, batchvideo_assets.definitions as d; d.build_definitions(); "
            "print(sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_topic_lora_weight_changes_the_picture_and_can_be_switched_off(tiny_flux, lora_dir, tmp_path):
    gen = ImageGenResource(backend="flux", model=str(tiny_flux), lora_dir=str(lora_dir), **FAST)

    def render(tag: str, lora) -> np.ndarray:
        jobs = _jobs(tmp_path, [11], tag)
        gen.generate(jobs, 48, 32, lora=lora)
        return _pixels(jobs[0]["out"])

    plain = render("plain", None)
    full = render("full", ("inkwash", 1.0))
    half = render("half", ("inkwash", 0.5))
    zero = render("zero", ("inkwash", 0.0))
    plain_again = render("plain_again", None)
    assert np.abs(full - plain).mean() > 1
    assert np.abs(half - plain).mean() > 0.5 and np.abs(half - full).mean() > 0.5
    assert np.array_equal(zero, plain) and np.array_equal(plain_again, plain)
    assert "inkwash" in gen.load_pipeline().get_list_adapters()["transformer"]


def test_missing_lora_names_the_folder(tiny_flux, tmp_path):
    gen = ImageGenResource(backend="flux", model=str(tiny_flux), lora_dir=str(tmp_path), **FAST)
    with pytest.raises(FileNotFoundError, match="nosuchstyle"):
        gen.generate(_jobs(tmp_path, [1], "x"), 32, 32, lora=("nosuchstyle", 0.8))


def test_size_helpers():
    assert snap_up(1360, 16) == 1360 and snap_up(770, 16) == 784 and snap_up(5, 16) == 16
    img = Image.new("RGB", (100, 50))
    assert fit_exact(img, 30, 40).size == (30, 40)


# ---------------------------------------------------------------------- http backend
@pytest.fixture
def image_server():
    requests: list[dict] = []
    state = {"fail_first": 1}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append(body)
            if state["fail_first"] > 0:
                state["fail_first"] -= 1
                self.send_response(503)
                self.end_headers()
                return
            # Deliberately not the requested size: the client must fit it exactly.
            img = Image.new("RGB", (body["width"] // 2 + 7, body["height"] // 2),
                            ((body["seed"] * 37) % 256, 80, 120))
            data = io.BytesIO()
            img.save(data, format="PNG")
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data.getvalue())))
            self.end_headers()
            self.wfile.write(data.getvalue())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()


def test_http_backend_posts_the_generate_contract_and_retries(image_server, tmp_path):
    url, requests = image_server
    gen = ImageGenResource(backend="http", url=url, steps=20, attempts=3, timeout_s=5)
    jobs = _jobs(tmp_path, [3, 4], "remote", prompt="a red fox")
    gen.generate(jobs, 320, 180, lora=("inkwash", 0.7))
    assert [image_size(j["out"]) for j in jobs] == [(320, 180), (320, 180)]
    assert len(requests) == 3  # one 503, retried
    assert sorted(r["seed"] for r in requests[1:]) == [3, 4]  # sent together, for the server to batch
    assert requests[-1] == {"prompt": "a red fox", "width": 320, "height": 180, "seed": requests[-1]["seed"],
                            "steps": 20, "guidance": 3.5, "lora": {"name": "inkwash", "weight": 0.7}}


# ---------------------------------------------------------------------- through the `images` asset
def _image_assets():
    from batchvideo_assets.defs.script.assets import script
    from batchvideo_assets.defs.speech.assets import audio, srt
    from batchvideo_assets.defs.storyboard.assets import splits
    from batchvideo_assets.defs.visuals.assets import build_images_asset

    return [script, audio, srt, splits, build_images_asset(gpu=True)]


def test_images_asset_renders_flux_and_regenerates_only_the_chosen_shot(prepared_db, instance, tiny_flux):
    from batchvideo_assets.partitions import scripts_partitions
    from batchvideo_assets.resources import build_resources

    pid = str(add(prepared_db, title="Lake", language="en-US", topic="history",
                  content="The lake is still. A heron waits by the reeds. The sun comes up slowly. Fish jump."))
    instance.add_dynamic_partitions(scripts_partitions.name, [pid])
    resources = {**build_resources(), "image_gen": ImageGenResource(backend="flux", model=str(tiny_flux), **FAST)}
    assets = _image_assets()
    first = dg.materialize(assets, partition_key=pid, instance=instance, resources=resources,
                           run_config={"ops": {"splits": {"config": {"min_shot_s": 2.5}}}})
    assert first.success
    manifest = first.output_for_node("images")
    shots = first.output_for_node("splits").shots
    image_shots = [s.index for s in shots if s.kind == "image"]
    assert len(image_shots) >= 2 and manifest.model == f"flux:{tiny_flux}"
    assert set(manifest.images) == {str(i) for i in image_shots}
    files = {k: path_of(v.uri) for k, v in manifest.images.items()}
    before = {k: (p.read_bytes(), p.stat().st_mtime_ns) for k, p in files.items()}
    for k, p in files.items():
        assert image_size(p) == frame()

    chosen = image_shots[1]
    again = dg.materialize(assets, selection=["images"], partition_key=pid, instance=instance, resources=resources,
                           run_config={"ops": {"images": {"config": {"shots": [chosen]}}}})
    assert again.success
    redone = again.output_for_node("images")
    assert set(redone.images) == set(manifest.images)
    assert redone.images[str(chosen)].seed == manifest.images[str(chosen)].seed + 1
    for k, p in files.items():
        if k == str(chosen):  # a new file of this run; the earlier run's file stays as it was
            new = path_of(redone.images[k].uri)
            assert new != p and new.read_bytes() != before[k][0] and image_size(new) == frame()
            assert (p.read_bytes(), p.stat().st_mtime_ns) == before[k]
        else:
            assert (p.read_bytes(), p.stat().st_mtime_ns) == before[k], f"shot {k} must be kept untouched"
            assert redone.images[k] == manifest.images[k]
    meta = again.asset_materializations_for_node("images")[0].metadata
    assert meta["generated"].value == 1 and meta["kept"].value == len(image_shots) - 1

    with pytest.raises(dg.Failure, match="no such images shot"):
        dg.materialize(assets, selection=["images"], partition_key=pid, instance=instance, resources=resources,
                       run_config={"ops": {"images": {"config": {"shots": [999]}}}})
