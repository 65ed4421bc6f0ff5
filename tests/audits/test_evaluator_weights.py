"""Evaluator weights: where they are looked for, pinned digests, and the preflight check that
finds every missing file without loading a model."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from audits.errors import AuditError
from audits.evaluator_weights import (
    MISMATCH,
    MISSING,
    PINS,
    UNVERIFIED,
    VERIFIED,
    check_scorers,
    locate,
    open_clip_need,
    require_all,
    torch_hub_need,
)
from audits.suites import load_suite
from tests.standins import HUB_REPO, use_standins, write_hub_file

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def bare(monkeypatch, tmp_path):
    """No weights anywhere: empty caches, no weights folder."""
    use_standins(monkeypatch, {"HF_HOME": str(tmp_path / "hf"), "TORCH_HOME": str(tmp_path / "t")})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_bundled_toyworld_weights_are_the_pinned_ones():
    """The project's own evaluator files match their pins (keep PINS in sync when retrained)."""
    for key, rel in (
        ("toyworld/open_clip/open_clip_model.safetensors", "open_clip/open_clip_model.safetensors"),
        ("toyworld/classifier/classifier.safetensors", "classifier/classifier.safetensors"),
    ):
        path = REPO / "audits/toyworld/weights" / rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == PINS[key].sha256


def test_pins_are_sha256_and_prefixes_match_file_names():
    for key, pin in PINS.items():
        assert len(pin.sha256) == 64 and int(pin.sha256, 16) >= 0, key
        stem = key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        prefix = stem.rsplit("-", 1)[-1]
        if len(prefix) == 8 and all(c in "0123456789abcdef" for c in prefix):
            assert pin.sha256.startswith(prefix), key  # torchvision / torch-fidelity names
    assert "b8cca3fd41ae0c99" in PINS["openai/ViT-L-14.pt"].sha256


def test_missing_weights_are_all_named_with_where_to_put_them(bare):
    """The preflight of the bundled real suites, with nothing downloaded: every file is named
    with its place in the weights folder and in the library cache."""
    names = {}
    for suite_name in ("artists100", "imagenette10"):
        suite = load_suite(suite_name)
        profile = suite.profile(None)
        checks = check_scorers(suite, list(profile.scorers))
        names[suite_name] = {c.scorer: c for c in checks}
        with pytest.raises(AuditError) as err:
            require_all(checks)
        text = str(err.value)
        assert "nothing was loaded" in text
        assert "checkpoints/alexnet-owt-7be5be79.pth" in text  # LPIPS trunk
        assert str(bare / "t" / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth") in text
        assert "open_clip/ViT-L-14/openai/open_clip_model.safetensors" in text
        assert "SCAPRE_AUDIT_WEIGHTS" in text
    r50 = names["imagenette10"]["resnet50"]
    assert not r50.ok and r50.files[0].status == MISSING
    assert "resnet50-11ad3fa6.pth" in r50.files[0].where_to_put(None)
    fid = names["artists100"]["fid"]  # no Inception file (or no torch-fidelity): declared fallback
    assert "substitution: inception-v3-pool3-2048 -> clip-vit-l-14" in fid.notes[0]
    if importlib.util.find_spec("torch_fidelity") is not None:  # the `fid` extra: file named
        inception = "weights-inception-2015-12-05-6726825d.pth"
        assert f"checkpoints/{inception}" in fid.notes[0]
        assert str(bare / "t" / "hub" / "checkpoints" / inception) in fid.notes[0]


def test_weights_dir_and_hub_cache_are_found_and_verified_or_not(bare, monkeypatch):
    root = bare / "weights"
    need = torch_hub_need("ResNet-50", "https://download.pytorch.org/models/resnet50-11ad3fa6.pth")
    (root / "checkpoints").mkdir(parents=True)
    (root / "checkpoints" / "resnet50-11ad3fa6.pth").write_bytes(b"not the real file")
    found = locate(need, root)
    assert found.path == root / "checkpoints" / "resnet50-11ad3fa6.pth"
    assert found.status == MISMATCH and not found.verified
    record = found.record()
    assert record["pinned_sha256"] == PINS["resnet50-11ad3fa6.pth"].sha256
    assert record["sha256"] == hashlib.sha256(b"not the real file").hexdigest()
    # the same file in the torch hub cache is found without any weights folder
    cache = bare / "t" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / "resnet50-11ad3fa6.pth").write_bytes(b"x")
    assert (
        locate(torch_hub_need("r", need.candidates[0].url), None).path
        == cache / need.candidates[0].name
    )
    # open_clip's hub layout (blobs, refs/main, snapshots/<commit>/file -> blob)
    write_hub_file(
        bare / "hf" / "hub",
        HUB_REPO,
        "open_clip_model.safetensors",
        lambda p: p.write_bytes(b"random clip"),
    )
    found = locate(open_clip_need("ViT-L-14", "openai"), None)
    assert found.path is not None and found.path.name == "open_clip_model.safetensors"
    assert found.status == MISMATCH
    # a weights folder takes precedence over the cache
    mine = root / "open_clip" / "ViT-L-14" / "openai" / "open_clip_model.safetensors"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"mine")
    assert locate(open_clip_need("ViT-L-14-quickgelu", "openai"), root).path == mine
    # SCAPRE_AUDIT_WEIGHTS is the flag's environment form
    monkeypatch.setenv("SCAPRE_AUDIT_WEIGHTS", str(root))
    from audits.evaluator_weights import weights_root

    assert weights_root(None) == root and weights_root(bare / "other") == bare / "other"


def test_a_users_copy_of_a_pinned_file_is_verified_and_others_unverified(tmp_path):
    from audits.evaluator_weights import local_file_need

    bundled = REPO / "audits/toyworld/weights/classifier/classifier.safetensors"
    found = locate(local_file_need("classifier", bundled), None)
    assert found.status == VERIFIED
    assert found.record()["pin_source"].startswith("trained and bundled")
    other = tmp_path / "mine.safetensors"
    other.write_bytes(b"abc")
    assert locate(local_file_need("mine", other), None).status == UNVERIFIED


def test_toyworld_suite_checks_verified_without_loading(bare):
    suite = load_suite("toyworld")
    checks = check_scorers(suite, ["classifier", "clip", "clip_score", "image_distance"])
    by = {c.scorer: c for c in checks}
    assert by["classifier"].verified and by["clip"].verified and by["clip_score"].verified
    assert by["image_distance"].files == [] and by["image_distance"].ok
    assert by["clip"].to_json()["files"][0]["status"] == VERIFIED
    require_all(checks)  # nothing missing: no error


def test_plan_lists_each_evaluator_file_or_where_to_put_it(bare, monkeypatch, capsys):
    """`scapre-audit plan`: per evaluator, the file found and its status, or the file expected
    and where to put it; the declared FID fallback is flagged as a substitution."""
    import contextlib
    import json

    from audits.cli import main

    def plan() -> dict:
        with contextlib.suppress(SystemExit):  # exit 1 while something is missing
            main(["plan", "imagenette10", "--json"])
        items = json.loads(capsys.readouterr().out)["items"]
        return {i["name"].split(" ")[0]: i for i in items if i["kind"] == "evaluator"}

    items = plan()
    assert items["resnet50"]["blocking"] and "resnet50-11ad3fa6.pth" in items["resnet50"]["detail"]
    assert "checkpoints/resnet50-11ad3fa6.pth" in items["resnet50"]["detail"]
    # files where a download puts them (random bytes: found, hashed, not the official ones)
    cache = bare / "t" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    for name in ("resnet50-11ad3fa6.pth", "alexnet-owt-7be5be79.pth"):
        (cache / name).write_bytes(b"stand-in")
    write_hub_file(
        bare / "hf" / "hub", HUB_REPO, "open_clip_model.safetensors", lambda p: p.write_bytes(b"x")
    )
    items = plan()
    assert not any(i["blocking"] for i in items.values())
    assert (
        items["resnet50"]["status"] == "UNVERIFIED" and "(mismatch)" in items["resnet50"]["detail"]
    )
    assert items["clip_score"]["status"] == "UNVERIFIED"
    # no Inception file (or no torch-fidelity): the declared fallback, flagged, file named
    assert "substitution" in items["fid"]["detail"] and items["fid"]["substitution"] is True
    if importlib.util.find_spec("torch_fidelity") is not None:
        assert "checkpoints/weights-inception-2015-12-05-6726825d.pth" in items["fid"]["detail"]
