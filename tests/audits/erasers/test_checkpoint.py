"""The checkpoint eraser: pins by sha256 and refuses mismatches before loading; reads delta files,
UNet folders and pipeline folders; keeps only tensors that differ."""

from __future__ import annotations

import hashlib

import pytest
import torch

from audits.erasers.checkpoint import CheckpointConfig, CheckpointEraser, checkpoint_sha256
from audits.erasers.errors import EraserError

TO_V = "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_v.weight"


@pytest.fixture()
def delta_file(tmp_path, tiny_pipe):
    from safetensors.torch import save_file

    weight = dict(tiny_pipe.unet.named_parameters())[TO_V].detach().clone() * 0.5
    path = tmp_path / "delta.safetensors"
    save_file({TO_V: weight.contiguous()}, str(path))
    return path, weight


def test_file_pin_is_the_sha256_of_its_bytes(delta_file):
    path, _ = delta_file
    assert checkpoint_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_delta_file_is_read_after_its_pin_is_checked(delta_file, tiny_pipe):
    path, weight = delta_file
    cfg = CheckpointConfig(path=str(path), sha256=checkpoint_sha256(path), method="esd-x")
    edit = CheckpointEraser(cfg).erase(tiny_pipe, ["tench"])
    assert edit.variant == "checkpoint/delta/esd-x"
    assert list(edit.weights) == [TO_V] and torch.equal(edit.weights[TO_V], weight)


def test_wrong_pin_is_refused_before_anything_is_loaded(delta_file, tiny_pipe):
    path, _ = delta_file
    eraser = CheckpointEraser(CheckpointConfig(path=str(path), sha256="0" * 64))
    with pytest.raises(EraserError, match="refusing it"):
        eraser.check_ready()
    with pytest.raises(EraserError, match="refusing it"):
        eraser.erase(tiny_pipe, ["tench"])


def test_unet_folder_gives_only_the_changed_tensors(tmp_path, tiny_pipe):
    from audits.models.tiny import tiny_unet

    unet = tiny_unet(cross_attention_dim=32, seed=0)
    with torch.no_grad():
        dict(unet.named_parameters())[TO_V].mul_(2.0)
    unet.save_pretrained(tmp_path / "unet")
    pin = checkpoint_sha256(tmp_path / "unet")
    edit = CheckpointEraser(CheckpointConfig(path=str(tmp_path / "unet"), sha256=pin)).erase(
        tiny_pipe, ["tench"]
    )
    assert edit.variant == "checkpoint/unet" and list(edit.weights) == [TO_V]
    base = dict(tiny_pipe.unet.named_parameters())[TO_V]
    assert torch.equal(edit.weights[TO_V], base.detach() * 2.0)
    (tmp_path / "unet" / "extra.txt").write_text("tampered")
    assert checkpoint_sha256(tmp_path / "unet") != pin


def test_pipeline_folder_identical_to_the_model_is_an_empty_edit(tiny_pipe_dir, tiny_pipe):
    pin = checkpoint_sha256(tiny_pipe_dir)
    edit = CheckpointEraser(CheckpointConfig(path=str(tiny_pipe_dir), sha256=pin)).erase(
        tiny_pipe, ["tench"]
    )
    assert edit.variant == "checkpoint/pipeline" and edit.weights == {}


def test_bad_input(tmp_path, tiny_pipe):
    from safetensors.torch import save_file

    with pytest.raises(EraserError, match="64 lowercase hex"):
        CheckpointConfig(path="x", sha256="abc")
    with pytest.raises(EraserError, match="needs path"):
        CheckpointEraser().check_ready()
    with pytest.raises(EraserError, match="does not exist"):
        CheckpointEraser(CheckpointConfig(path=str(tmp_path / "no"), sha256="a" * 64)).check_ready()
    for tensors, message in [
        ({"nope.weight": torch.zeros(2)}, "does not have"),
        ({TO_V: torch.zeros(3, 3)}, "shape"),
    ]:
        path = tmp_path / f"{message}.safetensors"
        save_file(tensors, str(path))
        cfg = CheckpointConfig(path=str(path), sha256=checkpoint_sha256(path))
        with pytest.raises(EraserError, match=message):
            CheckpointEraser(cfg).erase(tiny_pipe, ["tench"])
    assert CheckpointEraser.from_config(CheckpointEraser().to_config()) == CheckpointEraser()
