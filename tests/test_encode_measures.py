"""What an encode measures on its way out, so the stage checks need no second decode (black and frozen
stretches seen on the encoded frames, joined across parallel parts), and which H.264 encoder a step uses."""

import pytest
from PIL import Image
from test_compose import H, W, solid_clip, speech, stills

from batchvideo_media import compose as C
from batchvideo_media.analysis import black_and_frozen
from batchvideo_media.compose.encoders import (
    LIBX264,
    NVENC,
    choose_h264_encoder,
    h264_encoder,
    nvenc_trial_encode,
)
from batchvideo_media.compose.graph import build_chunk_command
from batchvideo_media.compose.plan import FPS, frame_counts, plan_chunks
from batchvideo_media.motion import faults_in_parts, join_at_boundaries
from batchvideo_media.probe import read_ffmpeg


def test_stretches_are_joined_only_across_part_boundaries():
    # Two halves of one black stretch meet at the 2.0 s boundary; two stretches touching at 3.0 s
    # (inside a part: a panned still between two steps) stay apart.
    joined = join_at_boundaries([(1.4, 2.0), (2.0, 2.6), (2.7, 3.0), (3.0, 3.3)], [2.0, 4.0], slack_s=0.06)
    assert joined == [(1.4, 2.6), (2.7, 3.0), (3.0, 3.3)]
    logs = ["[blackdetect] black_start:1.4 black_end:2 black_duration:0.6\n",
            "[blackdetect] black_start:0 black_end:0.6 black_duration:0.6\n"
            "lavfi.freezedetect.freeze_start: 0.5\n"]  # a freeze still open at the end of the part
    faults = faults_in_parts(logs, [0.0, 2.0], 6.0, slack_s=0.06)
    assert faults == {"black": [(1.4, 2.6)], "frozen": [(2.5, 6.0)]}


@pytest.mark.media
def test_composition_measures_black_and_frozen_like_a_second_decode(tmp_path):
    image, other = stills(tmp_path, 2)
    black = tmp_path / "black.png"
    Image.new("RGB", (W, H), "black").save(black)
    static = solid_clip(tmp_path / "static.mp4", 4.0, "teal")
    shots = [C.ShotMedia("image", image, 0, 1400), C.ShotMedia("image", black, 1400, 2000),
             C.ShotMedia("image", black, 2000, 2600), C.ShotMedia("image", other, 2600, 4000),
             C.ShotMedia("broll", static, 4000, 8000)]
    chunks = plan_chunks(frame_counts(shots, total_frames=8 * FPS), 0, 4)
    assert 2 * FPS in [c.start_frame for c in chunks], "the black stretch must straddle two parts"
    narration, _ = speech(tmp_path / "n.wav", 8.0)
    out = tmp_path / "out.mp4"
    facts = C.render_composition(shots, narration, None, out, W, H, 8000, workers=4)
    assert facts["chunks"] == len(chunks) and facts["encoder"] == h264_encoder()
    # Each half of the black stretch is shorter than a fault (1 s); only joined is it one.
    (black_s,) = facts["black_s"]
    assert black_s[0] == pytest.approx(1.4, abs=0.1) and black_s[1] == pytest.approx(2.6, abs=0.1)
    (frozen_s,) = facts["frozen_s"]
    assert frozen_s[0] == pytest.approx(4.0, abs=0.2) and frozen_s[1] == pytest.approx(8.0, abs=0.1)
    decoded_black, decoded_frozen = black_and_frozen(out, 8.0)
    assert [(round(a, 1), round(b, 1)) for a, b in decoded_black] == [(round(a, 1), round(b, 1))
                                                                      for a, b in facts["black_s"]]
    assert len(decoded_frozen) == 1 and abs(decoded_frozen[0][0] - frozen_s[0]) < 0.2
    assert abs(facts["integrated_lufs"] - C.TARGET_LUFS) < 1


def test_encoder_choice():
    listing = read_ffmpeg(["-encoders"]).decode()
    assert " libx264 " in listing
    without = "\n".join(line for line in listing.splitlines() if NVENC not in line)
    calls = []

    def trial(result):
        return lambda: calls.append(result) or result

    if NVENC in listing:  # Debian's ffmpeg is built with it (it loads the driver's library at run time)
        assert choose_h264_encoder(listing, True, trial(True)) == NVENC
        assert choose_h264_encoder(listing, True, trial(False)) == LIBX264  # e.g. A100/H100: no NVENC unit
    assert choose_h264_encoder(without, True, trial(True)) == LIBX264
    assert choose_h264_encoder(listing, False, trial(True)) == LIBX264
    assert calls == ([True, False] if NVENC in listing else [])  # no trial encode without GPU and encoder


@pytest.mark.media
def test_this_machine_encodes_with_what_it_has(tmp_path):
    from batchvideo_media.compose.encoders import nvidia_gpu_present

    expected = NVENC if nvidia_gpu_present() and nvenc_trial_encode() else LIBX264
    assert h264_encoder() == expected
    (image,) = stills(tmp_path, 1)
    narration, _ = speech(tmp_path / "n.wav", 2.0)
    out = tmp_path / "out.mp4"
    facts = C.render_composition([C.ShotMedia("image", image, 0, 2000)], narration, None, out, W, H, 2000)
    assert facts["encoder"] == expected
    # x264 signs its bitstream; NVENC does not.
    assert (b"x264 - core" in out.read_bytes()) == (expected == LIBX264)


def test_nvenc_chunk_command_carries_no_x264_options(tmp_path):
    (image,) = stills(tmp_path, 1)
    shots = [C.ShotMedia("image", image, 0, 2000)]
    counts = frame_counts(shots, total_frames=2 * FPS)
    (chunk,) = plan_chunks(counts, 0, 1)
    nvenc = build_chunk_command(chunk, shots, counts, tmp_path / "c.mp4", W, H, encoder=NVENC)
    x264 = build_chunk_command(chunk, shots, counts, tmp_path / "c.mp4", W, H)
    assert nvenc[nvenc.index("-c:v") + 1] == NVENC and "-x264-params" not in nvenc
    assert x264[x264.index("-c:v") + 1] == LIBX264 and "-x264-params" in x264
