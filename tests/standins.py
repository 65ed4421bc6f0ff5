"""Random-weight stand-ins for every evaluator's weights, written where a user's normal download
puts them, so the real loading paths run offline (the numbers they give mean nothing).

    env = write_standins(tmp_path, ["open_clip", "resnet50", "alexnet"])
    monkeypatch.setenv(...) for each item of env     # or use_standins(monkeypatch, env)

Layouts (see docs/evaluator-weights.md):
- open_clip ViT-L-14 'openai': the Hugging Face hub cache, $HF_HOME/hub/models--timm--
  vit_large_patch14_clip_224.openai/{blobs/<sha256>, refs/main, snapshots/<commit>/
  open_clip_model.safetensors -> ../../blobs/<sha256>}; the exact architecture (ViT-L-14 with
  QuickGELU, ~428M parameters; about 0.9 GB in fp16), so only for slow tests;
- torchvision ResNet-50 IMAGENET1K_V2 and AlexNet (LPIPS trunk): $TORCH_HOME/hub/checkpoints/
  resnet50-11ad3fa6.pth, alexnet-owt-7be5be79.pth;
- torch-fidelity's FID Inception-v3 (torchmetrics' NoTrainInceptionV3, the `fid` extra):
  $TORCH_HOME/hub/checkpoints/weights-inception-2015-12-05-6726825d.pth, a plain state dict of
  torch-fidelity's FeatureExtractorInceptionV3 (the keys the real file has; ~24M parameters);
- NudeNet's 320n.onnx and the LPIPS heads ship inside their wheels: nothing to stand in.

`weights_dir_layout=True` writes the same files into the --weights-dir layout instead
(DIR/open_clip/ViT-L-14/openai/..., DIR/checkpoints/...) and returns {"SCAPRE_AUDIT_WEIGHTS": DIR}.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

ALL = ("open_clip", "resnet50", "alexnet", "inception")
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
HUB_REPO = "timm/vit_large_patch14_clip_224.openai"
FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _cast(state: dict, dtype) -> dict:
    return {k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in state.items()}


def write_hub_file(hub: Path, repo: str, filename: str, write) -> Path:
    """Write a file into a hub cache exactly as huggingface_hub lays out a download."""
    folder = hub / f"models--{repo.replace('/', '--')}"
    (folder / "blobs").mkdir(parents=True, exist_ok=True)
    tmp = folder / "blobs" / "incoming"
    write(tmp)
    digest = _sha256(tmp)
    blob = folder / "blobs" / digest
    os.replace(tmp, blob)
    (folder / "refs").mkdir(exist_ok=True)
    (folder / "refs" / "main").write_text(FAKE_COMMIT)
    snap = folder / "snapshots" / FAKE_COMMIT
    snap.mkdir(parents=True, exist_ok=True)
    link = snap / filename
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(Path("..") / ".." / "blobs" / digest)
    return link


def openai_vitl14_state(seed: int = 0, dtype=torch.float16) -> dict:
    """A random ViT-L-14 (QuickGELU) state dict in open_clip's naming."""
    import open_clip

    torch.manual_seed(seed)
    model = open_clip.create_model("ViT-L-14-quickgelu", pretrained=None)
    return _cast(model.state_dict(), dtype)


def _torchvision_state(arch: str, seed: int, dtype) -> dict:
    import torchvision.models as tvm

    torch.manual_seed(seed)
    return _cast(getattr(tvm, arch)(weights=None).state_dict(), dtype)


def inception_state(seed: int = 0, dtype=torch.float16) -> dict:
    """A random torch-fidelity FeatureExtractorInceptionV3 state dict (seeded; He-normal convs).

    The class loads its weights in __init__ (from a file, else by download); here the load is
    skipped so the architecture alone defines the keys and shapes."""
    import torch_fidelity.feature_extractor_inceptionv3 as tfi

    class _Unloaded(tfi.FeatureExtractorInceptionV3):
        def load_state_dict(self, *args, **kwargs):  # keep the fresh random init
            return None

    original = tfi.load_state_dict_from_url
    tfi.load_state_dict_from_url = lambda *a, **k: {}  # never download
    try:
        torch.manual_seed(seed)
        model = _Unloaded("inception-v3-standin", ["2048"])
    finally:
        tfi.load_state_dict_from_url = original
    # He-normal convolutions: the default init shrinks activations ~3x a layer, leaving pool3
    # features near 1e-8 after 90 layers; these keep them of order one (distances not degenerate)
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    return _cast(model.state_dict(), dtype)


def write_standins(
    root: Path,
    which=ALL,
    seed: int = 0,
    dtype=torch.float16,
    weights_dir_layout: bool = False,
) -> dict[str, str]:
    """Write the stand-ins named in `which` under `root`; return the environment variables that
    point the libraries (or scapre-audit) at them."""
    root = Path(root)
    env: dict[str, str] = {}
    if weights_dir_layout:
        base = root / "weights"
        env["SCAPRE_AUDIT_WEIGHTS"] = str(base)
        clip_file = base / "open_clip" / "ViT-L-14" / "openai" / "open_clip_model.safetensors"
        checkpoints = base / "checkpoints"
    else:
        env["HF_HOME"] = str(root / "hf")
        env["TORCH_HOME"] = str(root / "torch")
        clip_file = None
        checkpoints = root / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    if "open_clip" in which:
        from safetensors.torch import save_file

        state = openai_vitl14_state(seed, dtype)
        if clip_file is None:
            write_hub_file(
                root / "hf" / "hub",
                HUB_REPO,
                "open_clip_model.safetensors",
                lambda p: save_file(state, str(p)),
            )
        else:
            clip_file.parent.mkdir(parents=True, exist_ok=True)
            save_file(state, str(clip_file))
    if "resnet50" in which:
        torch.save(
            _torchvision_state("resnet50", seed, dtype), checkpoints / "resnet50-11ad3fa6.pth"
        )
    if "alexnet" in which:
        torch.save(
            _torchvision_state("alexnet", seed, dtype), checkpoints / "alexnet-owt-7be5be79.pth"
        )
    if "inception" in which:
        torch.save(inception_state(seed, dtype), checkpoints / INCEPTION_FILE)
    return env


def save_torchscript(state: dict, path: Path, extra: dict | None = None) -> None:
    """Save tensors as a TorchScript archive with the same names, as OpenAI's CLIP files are
    (their ViT-L-14.pt also holds input_resolution, context_length and vocab_size)."""
    from torch import nn

    root = nn.Module()
    for name, tensor in {**state, **(extra or {})}.items():
        *parents, leaf = name.split(".")
        module = root
        for part in parents:
            if not isinstance(getattr(module, part, None), nn.Module):
                module.add_module(part, nn.Module())
            module = getattr(module, part)
        module.register_buffer(leaf, tensor.detach().clone())
    torch.jit.script(root).save(str(path))


OPENAI_EXTRA = {
    "input_resolution": torch.tensor(224),
    "context_length": torch.tensor(77),
    "vocab_size": torch.tensor(49408),
}


def use_standins(monkeypatch, env: dict[str, str]) -> None:
    """Point this test's environment at the stand-ins (and nowhere else)."""
    for key in ("HF_HOME", "HF_HUB_CACHE", "TORCH_HOME", "SCAPRE_AUDIT_WEIGHTS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
