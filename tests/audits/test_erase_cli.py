"""`scapre-audit erase` end to end on a tiny pipeline folder, and every refusal it promises."""

from __future__ import annotations

import json

import pytest
import torch

from audits.cli import main


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def erase_ok(args, capsys):
    try:
        main(args)
    except SystemExit as exc:  # typer exits 0 through SystemExit in standalone mode
        assert exc.code in (0, None), capsys.readouterr().err
    return capsys.readouterr()


def test_erase_writes_a_loadable_pipeline_delta_and_provenance(tiny_pipe_dir, tmp_path, capsys):
    from diffusers import StableDiffusionPipeline
    from safetensors.torch import load_file

    from audits.models.loading import tensor_sha256

    out = tmp_path / "edit"
    args = ["erase", "--model", str(tiny_pipe_dir), "--concepts", "tench, church"]
    erase_ok([*args, "--preset", "large-scale", "--set", "seed=3", "--out", str(out)], capsys)
    record = json.loads((out / "edit.json").read_text())
    assert record["method"] == "scapre" and record["preset"] == "large-scale"
    assert record["concepts"] == ["tench", "church"]
    assert record["config"]["seed"] == 3 and record["config"]["p"] == 8.0
    assert len(record["model"]["unet_sha256"]) == 64
    assert {"torch", "diffusers", "transformers"} <= set(record["packages"])
    delta = load_file(str(out / "delta.safetensors"))
    assert set(delta) == set(record["tensors"]) and len(delta) == 8
    assert all(tensor_sha256(delta[n]) == h for n, h in record["tensors"].items())
    edited = StableDiffusionPipeline.from_pretrained(out, local_files_only=True)
    original = StableDiffusionPipeline.from_pretrained(tiny_pipe_dir, local_files_only=True)
    params = dict(edited.unet.named_parameters())
    base = dict(original.unet.named_parameters())
    for name, p in params.items():
        if name in delta:
            assert torch.equal(p, delta[name]) and not torch.equal(p, base[name])
        else:
            assert torch.equal(p, base[name])


def test_erase_is_reproducible_from_its_record(tiny_pipe_dir, tmp_path, capsys):
    args = ["erase", "--model", str(tiny_pipe_dir), "--concepts", "tench", "--preset", "imagenette"]
    erase_ok([*args, "--out", str(tmp_path / "a")], capsys)
    erase_ok([*args, "--out", str(tmp_path / "b")], capsys)
    a = json.loads((tmp_path / "a" / "edit.json").read_text())["tensors"]
    b = json.loads((tmp_path / "b" / "edit.json").read_text())["tensors"]
    assert a == b


def test_concepts_file(tiny_pipe_dir, tmp_path, capsys):
    f = tmp_path / "concepts.txt"
    f.write_text("# targets\ntench\n\nchurch\n")
    erase_ok(
        [
            "erase",
            "--model",
            str(tiny_pipe_dir),
            "--concepts-file",
            str(f),
            "--out",
            str(tmp_path / "o"),
        ],
        capsys,
    )
    assert json.loads((tmp_path / "o" / "edit.json").read_text())["concepts"] == ["tench", "church"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--concepts", "tench,,church"], "empty concept"),
        (["--concepts", "tench, church, Tench"], "duplicate concept"),
        (["--concepts", "word " * 80], "tokens"),
        (["--concepts", "tench", "--set", "nope=1"], "unknown ScaPre config key"),
        (["--concepts", "tench", "--set", "p=high"], "p expects float"),
        (["--concepts", "tench", "--set", "p"], "key=value"),
        (["--concepts", "tench", "--preset", "largescale"], "unknown preset"),
        (["--concepts", "tench", "--method", "esd"], "unknown --method"),
        (["--concepts", "tench", "--method", "spee"], "Did you mean: speed"),
        (["--concepts", "tench", "--method", "uce", "--set", "nope=1"], "unknown UCE config key"),
        (["--concepts", "tench", "--method", "uce", "--set", "lamb=x"], "lamb expects float"),
        (["--concepts", "tench", "--method", "rece", "--preset", "nudty"], "unknown preset"),
        (["--concepts", "tench", "--method", "checkpoint"], "needs path=... and sha256"),
        (
            ["--concepts", "tench", "--method", "checkpoint", "--set", "path=/nonexistent/x"]
            + ["--set", "sha256=" + "0" * 64],
            "does not exist",
        ),
        ([], "--concepts or --concepts-file"),
        (["--concepts-file", "/nonexistent/list.txt"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tiny_pipe_dir, tmp_path, capsys, extra, message
):
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["erase", "--model", str(tiny_pipe_dir), *extra, "--out", str(out)], capsys
    )
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert not out.exists()
    assert not list(tmp_path.glob(".out.partial-*"))


def test_model_problems_are_one_line_errors(tmp_path, capsys):
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    unconditional = tmp_path / "ddpm"
    unet = UNet2DModel(
        sample_size=8,
        block_out_channels=(32, 32),
        down_block_types=("DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D"),
        norm_num_groups=8,
    )
    DDPMPipeline(unet=unet, scheduler=DDPMScheduler()).save_pretrained(unconditional)
    not_a_pipeline = tmp_path / "empty-model"
    not_a_pipeline.mkdir()
    for model, message in [
        (str(unconditional), "text_encoder"),
        (str(tmp_path / "missing"), "does not exist"),
        (str(not_a_pipeline), "not a diffusers pipeline"),
        ("no-such-org/no-such-model", "cannot load model"),
    ]:
        out = tmp_path / "out"
        code, _, err = run_cli(
            ["erase", "--model", model, "--concepts", "tench", "--out", str(out)], capsys
        )
        assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err
        assert not out.exists()


def test_existing_output_is_never_overwritten(tiny_pipe_dir, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.png").write_bytes(b"image")
    code, _, err = run_cli(
        ["erase", "--model", str(tiny_pipe_dir), "--concepts", "tench", "--out", str(out)], capsys
    )
    assert code == 2 and "not empty" in err
    assert sorted(p.name for p in out.iterdir()) == ["precious.png"]


@pytest.mark.parametrize(
    ("method", "preset", "variant", "count"),
    [
        ("uce", "2025", "uce-2025", 8),
        ("speed", None, "speed/V/last-token", 4),
        ("none", None, "none", 0),
    ],
)
def test_baselines_write_their_method_version_config_and_variant(
    tiny_pipe_dir, tmp_path, capsys, method, preset, variant, count
):
    from safetensors.torch import load_file

    from audits.registry import ERASERS

    out = tmp_path / method
    args = ["erase", "--model", str(tiny_pipe_dir), "--concepts", "tench", "--method", method]
    erase_ok([*args, *(["--preset", preset] if preset else []), "--out", str(out)], capsys)
    record = json.loads((out / "edit.json").read_text())
    eraser = ERASERS.get(method)
    assert record["method"] == method and record["eraser_version"] == eraser.version
    assert record["variant"] == variant and record["preset"] == preset
    assert eraser.from_config(record["config"]).to_config() == record["config"]
    assert len(load_file(str(out / "delta.safetensors"))) == len(record["tensors"]) == count


def test_erasers_lists_every_method_and_marks_partial_ones(capsys):
    try:
        main(["list", "erasers"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    lines = capsys.readouterr().out.strip().splitlines()
    names = {line.split()[0] for line in lines}
    assert {"none", "scapre", "uce", "time", "rece", "speed", "mace-cfr", "checkpoint"} <= names
    assert any(line.startswith("mace-cfr") and "PARTIAL" in line for line in lines)


@pytest.mark.parametrize("method", ["scapre", "uce", "time", "rece", "speed", "mace-cfr"])
def test_erase_an_sdxl_folder_with_every_method(tiny_sdxl_dir, tmp_path, capsys, method):
    from diffusers import StableDiffusionXLPipeline
    from safetensors.torch import load_file

    out = tmp_path / "edit"
    args = ["erase", "--model", str(tiny_sdxl_dir), "--concepts", "tench, church"]
    erase_ok([*args, "--method", method, "--out", str(out)], capsys)
    record = json.loads((out / "edit.json").read_text())
    assert record["model"]["family"] == "sdxl"
    assert len(record["model"]["text_encoder_2_sha256"]) == 64
    delta = load_file(str(out / "delta.safetensors"))
    assert delta and all(w.shape[1] == 80 for w in delta.values())
    edited = StableDiffusionXLPipeline.from_pretrained(out, local_files_only=True)
    params = dict(edited.unet.named_parameters())
    assert all(torch.equal(params[n], w) for n, w in delta.items())


def test_erase_links_the_base_files_and_writes_only_the_edited_tensors(
    tiny_pipe_dir, tmp_path, capsys
):
    from diffusers import StableDiffusionPipeline
    from safetensors.torch import load_file

    args = ["erase", "--model", str(tiny_pipe_dir), "--concepts", "tench", "--preset", "imagenette"]
    erase_ok([*args, "--out", str(tmp_path / "linked")], capsys)
    erase_ok([*args, "--out", str(tmp_path / "full"), "--full-copy"], capsys)
    linked, full = tmp_path / "linked", tmp_path / "full"
    record = json.loads((linked / "edit.json").read_text())
    assert record["pipeline"]["layout"] == "linked" and record["pipeline"]["links"] == "hard"
    assert json.loads((full / "edit.json").read_text())["pipeline"]["layout"] == "full copy"
    base_te = tiny_pipe_dir / "text_encoder" / "model.safetensors"
    assert (linked / "text_encoder" / "model.safetensors").stat().st_ino == base_te.stat().st_ino
    base_unet = tiny_pipe_dir / "unet" / "diffusion_pytorch_model.safetensors"
    shard1 = linked / "unet" / "diffusion_pytorch_model-00001-of-00002.safetensors"
    assert shard1.stat().st_ino == base_unet.stat().st_ino
    shard2 = load_file(str(linked / "unet" / "diffusion_pytorch_model-00002-of-00002.safetensors"))
    assert set(shard2) == set(record["tensors"])
    new_bytes = sum(
        f.stat().st_size for f in linked.rglob("*") if f.is_file() and f.stat().st_nlink == 1
    )
    assert new_bytes < base_unet.stat().st_size / 4  # the edited tensors and records only
    a = StableDiffusionPipeline.from_pretrained(linked, local_files_only=True)
    b = StableDiffusionPipeline.from_pretrained(full, local_files_only=True)
    for (name, p), q in zip(a.unet.state_dict().items(), b.unet.state_dict().values(), strict=True):
        assert torch.equal(p, q), name
    for part in ("text_encoder", "vae"):
        for p, q in zip(
            getattr(a, part).state_dict().values(),
            getattr(b, part).state_dict().values(),
            strict=True,
        ):
            assert torch.equal(p, q)
