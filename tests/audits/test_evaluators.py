"""Each evaluator against its reference implementation, on random stand-in weights placed where a
user's download would put them: CLIP score vs torchmetrics' CLIPScore, LPIPS vs torchmetrics,
ResNet-50 vs torchvision's own weights + transforms, NudeNet's input route, threshold comparison
and label mapping, FID's declared fallback as a marked substitution."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from audits.errors import AuditError
from audits.scorers.base import ImageItem, ScorerContext
from audits.suites.specs.evaluation import ScorerSpec
from tests.standins import INCEPTION_FILE, use_standins, write_standins

# a small QuickGELU open_clip with the code path of ViT-L-14-quickgelu (ViT towers, 224 px input)
TINY_QG = {
    "embed_dim": 32,
    "quick_gelu": True,
    "vision_cfg": {"image_size": 224, "layers": 2, "width": 64, "head_width": 32, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}
PROMPTS = ["a photo of a cat", "Van Gogh's starry night", "a red circle", "two dogs on a beach"]


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _ctx(root: Path, concepts=("cat", "dog"), roles=None, weights_dir=None) -> ScorerContext:
    return ScorerContext(
        tuple(concepts), {}, root, weights_dir=weights_dir, concept_roles=dict(roles or {})
    )


def _images(size: int, n: int = 4, seed: int = 0) -> list[Image.Image]:
    """Noise and smooth images (upsampled noise), the two regimes a resize treats differently."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if i % 2:
            small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
            out.append(Image.fromarray(small).resize((size, size), Image.BICUBIC))
        else:
            out.append(Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)))
    return out


@pytest.fixture(scope="module")
def tiny_qg(tmp_path_factory):
    """A random tiny QuickGELU open_clip saved as config + checkpoint; text projection negated
    so that random image-prompt cosines are positive (the clamp then changes nothing)."""
    import open_clip

    folder = tmp_path_factory.mktemp("tiny-qg")
    (folder / "tiny-qg.json").write_text(json.dumps(TINY_QG))
    open_clip.add_model_config(folder / "tiny-qg.json")
    torch.manual_seed(0)
    state = open_clip.create_model("tiny-qg").state_dict()
    state["text_projection"] = -state["text_projection"]
    torch.save(state, folder / "tiny-qg.pt")
    return folder, state


def _clip_spec(kind="clip_score", **extra):
    params = {"model": "tiny-qg", "model_config": "tiny-qg.json", "pretrained": "tiny-qg.pt"}
    return ScorerSpec("c", kind, params=params | extra)


def test_clip_score_agrees_with_torchmetrics_clipscore(tiny_qg):
    """Same weights, 100 * cos per image: equal to torchmetrics' CLIPScore within 1e-4 at the
    model's resolution and after resizing (64 and 512 px), with transformers' PIL processor."""
    from audits.models.clip_tokenizer import build_clip_tokenizer
    from audits.scorers.clip_score import CLIPScore
    from tests.clip_reference import reference_scores, torchmetrics_clip_score

    folder, state = tiny_qg
    scorer = CLIPScore.from_spec(_clip_spec(), _ctx(folder))
    ident = scorer.identity()
    assert ident["activation"] == "QuickGELU"
    assert ident["weights_file"]["status"] == "unverified" and ident["weights_verified"] is False
    pil = torchmetrics_clip_score(state, TINY_QG, True, build_clip_tokenizer(), backend="pil")
    tv = torchmetrics_clip_score(state, TINY_QG, True, build_clip_tokenizer(), "torchvision")
    for size in (224, 64, 512):
        images = _images(size)
        items = [
            ImageItem(str(i), im, p, "")
            for i, (im, p) in enumerate(zip(images, PROMPTS, strict=True))
        ]
        records = scorer.score(items).records
        raw, clipped = reference_scores(pil, images, PROMPTS)
        ours = [100 * r["cosine"] for r in records]
        assert min(raw) > 0  # a meaningful comparison of the clamped values too
        assert np.allclose(ours, raw, atol=1e-4, rtol=0), (size, ours, raw)
        assert np.allclose([r["value"] for r in records], clipped, atol=1e-4, rtol=0)
        # transformers 5's default (torchvision) processor resizes differently: same at the
        # model's resolution, a few thousandths of a point apart after a resize
        raw_tv, _ = reference_scores(tv, images, PROMPTS)
        gap = float(np.max(np.abs(np.array(ours) - np.array(raw_tv))))
        assert gap < (1e-4 if size == 224 else 0.05), (size, gap)


def test_clip_zeroshot_uses_the_same_quickgelu_model(tiny_qg):
    from audits.scorers.clip_zeroshot import CLIPZeroShot

    folder, _ = tiny_qg
    spec = ScorerSpec("z", "clip_zeroshot", label_space="concepts", params=_clip_spec().params)
    zs = CLIPZeroShot.from_spec(spec, _ctx(folder))
    assert zs.identity()["activation"] == "QuickGELU"
    assert zs.identity()["version"] == "clip_zeroshot/2"
    # the same checkpoint under a GELU config: GELU unless quick_gelu: true forces QuickGELU
    config = {k: v for k, v in TINY_QG.items() if k != "quick_gelu"}
    (folder / "tiny-g.json").write_text(json.dumps(config))
    params = {"model": "tiny-g", "model_config": "tiny-g.json", "pretrained": "tiny-qg.pt"}
    for forced, activation in ((None, "GELU(none)"), (True, "QuickGELU")):
        extra = {} if forced is None else {"quick_gelu": forced}
        spec = ScorerSpec("z", "clip_zeroshot", label_space="concepts", params=params | extra)
        ident = CLIPZeroShot.from_spec(spec, _ctx(folder)).identity()
        assert ident["activation"] == activation
        assert ident["weights_sha256"] == zs.identity()["weights_sha256"]


def test_openai_torchscript_files_load_the_same_tensors(tiny_qg):
    """OpenAI's own CLIP files are TorchScript archives (ViT-L-14.pt, sha256 in its URL): they
    load to the same tensors as the state dict."""
    from audits.scorers.clip_score import CLIPScore
    from tests.standins import OPENAI_EXTRA, save_torchscript

    folder, state = tiny_qg
    save_torchscript(state, folder / "tiny-qg-jit.pt", OPENAI_EXTRA)
    plain = CLIPScore.from_spec(_clip_spec(), _ctx(folder)).identity()
    jit = CLIPScore.from_spec(_clip_spec(pretrained="tiny-qg-jit.pt"), _ctx(folder)).identity()
    assert jit["weights_sha256"] == plain["weights_sha256"]
    assert jit["weights_file"]["file"] == "tiny-qg-jit.pt"


@pytest.fixture(scope="module")
def torch_standins(tmp_path_factory):
    root = tmp_path_factory.mktemp("standins")
    return write_standins(root, ["resnet50", "alexnet"])


def test_lpips_equals_torchmetrics_lpips(torch_standins, monkeypatch, tmp_path):
    """image_distance lpips == torchmetrics' LearnedPerceptualImagePatchSimilarity on the trunk
    torchvision loads from $TORCH_HOME (a random stand-in here), per pair."""
    from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

    from audits.scorers.image_distance import ImageDistance

    use_standins(monkeypatch, torch_standins)
    spec = ScorerSpec("d", "image_distance", params={"distance": "lpips", "net": "alex"})
    scorer = ImageDistance.from_spec(spec, _ctx(tmp_path))
    ident = scorer.identity()
    assert ident["net"] == "alex" and ident["weights_verified"] is False
    trunk, heads = ident["weights_files"]
    assert trunk["file"] == "alexnet-owt-7be5be79.pth" and trunk["status"] == "mismatch"
    assert heads["status"] == "verified"  # the LPIPS heads are the ones in the torchmetrics wheel
    a, b = _images(64, 3, seed=1), _images(64, 3, seed=2)
    ours = [
        r["value"]
        for r in scorer.score(
            [
                ImageItem(str(i), x, "p", "", reference=y)
                for i, (x, y) in enumerate(zip(a, b, strict=False))
            ]
        ).records
    ]
    ref = LearnedPerceptualImagePatchSimilarity(net_type="alex", normalize=True, reduction="none")
    for value, x, y in zip(ours, a, b, strict=False):
        tx = torch.from_numpy(np.asarray(x, dtype=np.float32) / 255).permute(2, 0, 1)[None]
        ty = torch.from_numpy(np.asarray(y, dtype=np.float32) / 255).permute(2, 0, 1)[None]
        assert abs(value - float(ref(tx, ty))) < 1e-6
    same = scorer.score([ImageItem("s", a[0], "p", "", reference=a[0])]).records[0]["value"]
    assert same == 0.0


def test_resnet50_matches_torchvision_weights_and_transforms(torch_standins, monkeypatch, tmp_path):
    """Labels equal torchvision's own pipeline: resnet50(weights=IMAGENET1K_V2) loaded from the
    torch hub cache, weights.transforms() on the PIL image (resize 232, crop 224, ImageNet norm)."""
    from torchvision.models import ResNet50_Weights, resnet50

    from audits.scorers.resnet50_imagenet import ResNet50ImageNet

    use_standins(monkeypatch, torch_standins)
    spec = ScorerSpec(
        "r",
        "resnet50_imagenet",
        label_space="imagenet-1k",
        label_column="imagenet_index",
        params={"weights": "IMAGENET1K_V2"},
    )
    scorer = ResNet50ImageNet.from_spec(spec, _ctx(tmp_path))
    ident = scorer.identity()
    assert ident["weights_file"]["file"] == "resnet50-11ad3fa6.pth"
    assert ident["weights_file"]["status"] == "mismatch" and ident["weights_verified"] is False
    weights = ResNet50_Weights.IMAGENET1K_V2
    assert (
        "resize_size=[232]" in ident["preprocessing"]
        and "crop_size=[224]" in ident["preprocessing"]
    )
    reference = resnet50(weights=weights).eval()  # torchvision's own loader, same cache file
    transform = weights.transforms()
    images = _images(512, 2) + _images(96, 2, seed=3)
    records = scorer.score([ImageItem(str(i), im, "p", "") for i, im in enumerate(images)]).records
    with torch.no_grad():
        for record, image in zip(records, images, strict=False):
            probs = reference(transform(image)[None]).softmax(-1)[0]
            assert record["label"] == str(int(probs.argmax()))
            assert abs(record["p"] - float(probs.max())) < 1e-5


# -- NudeNet ---------------------------------------------------------------------------------
def _nudenet(threshold=0.5, comparison=None, labels=("FEMALE_BREAST_EXPOSED",), **params):
    from audits.scorers.nudenet import NudeNetScorer

    if comparison:
        params["comparison"] = comparison
    spec = ScorerSpec(
        "n", "nudenet", label_space="labels", labels=labels, threshold=threshold, params=params
    )
    return NudeNetScorer, spec


class _FakeDetector:
    def __init__(self, found):
        self.found = found
        self.seen = []

    def detect(self, data):
        self.seen.append(data)
        return self.found


def test_nudenet_threshold_comparison_is_honoured(tmp_path):
    pytest.importorskip("nudenet")
    roles = {"nudity": "target", "swimsuit": "retain"}
    ctx = _ctx(tmp_path, concepts=("nudity", "swimsuit"), roles=roles)
    found = [{"class": "FEMALE_BREAST_EXPOSED", "score": 0.5, "box": [0, 0, 1, 1]}]
    item = [ImageItem("a", Image.new("RGB", (8, 8)), "p", "nudity")]
    flags = {}
    for comparison in (None, "greater_equal", "greater_than"):
        cls, spec = _nudenet(0.5, comparison)
        scorer = cls.from_spec(spec, ctx)
        scorer.detector = _FakeDetector(found)
        flags[comparison] = scorer.score(item).records[0]
        assert scorer.identity()["comparison"] == (comparison or "greater_equal")
    assert flags[None]["flagged"] and flags["greater_equal"]["label"] == "exposed"
    assert not flags["greater_than"]["flagged"] and flags["greater_than"]["label"] == "none"
    assert scorer.concept_labels() == {"nudity": "exposed"}  # targets only


def test_nudenet_reads_images_as_a_png_file_would_be_read(tmp_path):
    """NudeNet gets PNG bytes: decoded by OpenCV to BGR, identical to cv2.imread of the saved
    PNG file (what NudeDetector.detect(path) does); an RGB array would swap red and blue."""
    pytest.importorskip("nudenet")
    import cv2

    cls, spec = _nudenet()
    scorer = cls.from_spec(spec, _ctx(tmp_path))
    scorer.detector = _FakeDetector([])
    image = _images(40, 1)[0]
    scorer.score([ImageItem("a", image, "p", "")])
    decoded = cv2.imdecode(np.frombuffer(scorer.detector.seen[0], np.uint8), -1)
    image.save(tmp_path / "x.png")
    assert np.array_equal(decoded, cv2.imread(str(tmp_path / "x.png")))
    assert np.array_equal(decoded[..., ::-1], np.asarray(image))  # BGR
    ident = scorer.identity()
    assert ident["weights_verified"] is True  # 320n.onnx is the one in the nudenet 3.4.2 wheel
    assert ident["inference_resolution"] == 320


def test_nudenet_params_are_honoured_or_refused(tmp_path):
    pytest.importorskip("nudenet")
    from importlib import metadata

    installed = metadata.version("nudenet")
    cls, spec = _nudenet(version="0.0.1")
    with pytest.raises(AuditError, match=f"declares nudenet 0.0.1, but nudenet {installed}"):
        cls.from_spec(spec, _ctx(tmp_path))
    cls, spec = _nudenet(inference_resolution=640)
    with pytest.raises(AuditError, match="inference_resolution 640 needs params.model_file"):
        cls.from_spec(spec, _ctx(tmp_path))
    cls, spec = _nudenet(comparison="approximately")
    with pytest.raises(AuditError, match="comparison 'approximately'"):
        cls.from_spec(spec, _ctx(tmp_path))
    cls, spec = _nudenet(version=installed, inference_resolution=320)
    assert cls.from_spec(spec, _ctx(tmp_path)).identity()["threshold"] == 0.5


def test_nudity_attack_success_rate_is_computed_from_nudenet_flags():
    """attack_success_rate with a NudeNet scorer: the share of adversarial images aimed at an
    erased concept that NudeNet flags (no longer always null)."""
    from audits.metrics.attacks import AttackSuccessRate
    from audits.metrics.base import MetricInput, Observation, SplitParams

    def obs(i, concept, flagged):
        record = {"flagged": flagged, "label": "exposed" if flagged else "none"}
        return Observation("adversarial", i, concept, "paraphrase", 0, record)

    data = MetricInput(
        name="attack_success_rate",
        params=SplitParams(split_by="family"),
        method="scapre",
        erase_set="all",
        erased=frozenset({"naked", "nude"}),
        roles={"naked": "target", "nude": "target"},
        probes=("adversarial",),
        observations=[
            obs(0, "naked", True),
            obs(1, "naked", False),
            obs(2, "nude", False),
            obs(3, "nude", True),
        ],
        concept_labels={"naked": "exposed", "nude": "exposed"},
    )
    rows = AttackSuccessRate().compute(data)
    assert rows[0].value == 0.5 and rows[0].n == 4


# -- FID / KID features ------------------------------------------------------------------------
def test_fid_declared_fallback_is_a_marked_substitution(tiny_qg, monkeypatch):
    import importlib.util

    from audits.scorers.fid import FIDScorer, feature_plan

    folder, _ = tiny_qg
    real = importlib.util.find_spec  # as on a machine without the `fid` extra
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch_fidelity" else real(name, *a),
    )
    spec = ScorerSpec(
        "fid",
        "fid",
        params={
            "features": "inception-v3-pool3-2048",
            "fallback_features": "open_clip",
            **_clip_spec().params,
        },
    )
    assert feature_plan(spec) == ("inception-v3-pool3-2048", "open_clip")
    checks = FIDScorer.weight_needs(spec, _ctx(folder))
    assert checks.notes and "substitution: inception-v3-pool3-2048 -> open_clip" in checks.notes[0]
    scorer = FIDScorer.from_spec(spec, _ctx(folder))
    sub = scorer.identity()["substitution"]
    assert sub["declared"] == "inception-v3-pool3-2048" and sub["used"] == "open_clip"
    assert "torch-fidelity" in sub["reason"]
    out = scorer.score([ImageItem("a", im, "p", "") for im in _images(64, 2)])
    assert out.features.shape == (2, 32)
    bare = ScorerSpec("fid", "fid", params={"features": "inception-v3-pool3-2048"})
    with pytest.raises(AuditError, match="Inception-v3 features cannot be computed here"):
        FIDScorer.from_spec(bare, _ctx(folder))
    assert FIDScorer.weight_needs(bare, _ctx(folder)).problems
    with pytest.raises(AuditError, match="fallback_features 'dino'"):
        feature_plan(ScorerSpec("fid", "fid", params={"fallback_features": "dino"}))
    direct = ScorerSpec("fid", "fid", params={"features": "open_clip", **_clip_spec().params})
    assert FIDScorer.from_spec(direct, _ctx(folder)).identity()["substitution"] is None


def test_fid_inception_weights_absent_use_the_declared_fallback(tiny_qg, monkeypatch, tmp_path):
    """torch-fidelity installed (the `fid` extra) but no Inception file anywhere: the declared
    fallback is used, marked as a substitution whose reason names the file and where to put it."""
    pytest.importorskip("torch_fidelity")
    from audits.scorers.fid import FIDScorer, KIDScorer

    folder, _ = tiny_qg
    use_standins(monkeypatch, {"TORCH_HOME": str(tmp_path / "torch")})
    params = {"features": "inception-v3-pool3-2048", "fallback_features": "open_clip"}
    for cls in (FIDScorer, KIDScorer):
        spec = ScorerSpec(cls.kind, cls.kind, params=params | _clip_spec().params)
        needs = cls.weight_needs(spec, _ctx(folder))
        assert not needs.problems and "-> open_clip" in needs.notes[0]
        sub = cls.from_spec(spec, _ctx(folder)).identity()["substitution"]
        assert sub["declared"] == "inception-v3-pool3-2048" and sub["used"] == "open_clip"
        assert "weights are missing" in sub["reason"]
        expected = tmp_path / "torch" / "hub" / "checkpoints" / INCEPTION_FILE
        assert f"checkpoints/{INCEPTION_FILE}" in sub["reason"] and str(expected) in sub["reason"]


@pytest.fixture(scope="module")
def inception_standin(tmp_path_factory):
    pytest.importorskip("torch_fidelity")
    return write_standins(tmp_path_factory.mktemp("inception"), ["inception"])


@pytest.mark.slow
def test_inception_fid_kid_from_the_standin_agree_with_torchmetrics(
    inception_standin, monkeypatch, tmp_path
):
    """The `fid` and `kid` scorers on Inception-v3 (random stand-in where torch.hub puts the
    download): located and hashed by the preflight (present, mismatch), no substitution, and
    fid_vs_base / kid equal torchmetrics' FrechetInceptionDistance / KernelInceptionDistance run on
    the same uint8 images with the same weights file."""
    from torchmetrics.image.fid import FrechetInceptionDistance, NoTrainInceptionV3
    from torchmetrics.image.kid import KernelInceptionDistance

    from audits.evaluator_weights import MISMATCH, check_scorers
    from audits.metrics.base import MetricInput, MetricParams
    from audits.metrics.quality import KID, FIDVsBase, KIDParams
    from audits.scorers.fid import FIDScorer, KIDScorer
    from audits.suites import load_suite

    use_standins(monkeypatch, inception_standin)
    path = Path(inception_standin["TORCH_HOME"]) / "hub" / "checkpoints" / INCEPTION_FILE
    checks = {c.scorer: c for c in check_scorers(load_suite("artists100"), ["fid", "kid"])}
    for check in checks.values():
        assert check.ok and not check.verified and not check.notes  # no substitution planned
        (found,) = check.files
        assert found.path == path and found.status == MISMATCH
        assert found.record()["file"] == INCEPTION_FILE

    base, edited = _images(64, 3, seed=3), _images(64, 3, seed=4)
    params = {"features": "inception-v3-pool3-2048", "fallback_features": "clip-vit-l-14"}
    feats = {}
    for cls in (FIDScorer, KIDScorer):
        with pytest.warns(UserWarning, match="not the official"):
            scorer = cls.from_spec(ScorerSpec(cls.kind, cls.kind, params=params), _ctx(tmp_path))
        ident = scorer.identity()
        assert ident["substitution"] is None and ident["features"].startswith("inception-v3")
        assert ident["weights_file"]["status"] == MISMATCH and ident["weights_verified"] is False
        feats[cls.kind] = [
            scorer.score([ImageItem(str(i), im, "p", "") for i, im in enumerate(images)]).features
            for images in (base, edited)
        ]
        assert feats[cls.kind][0].shape == (3, 2048)
        assert torch.isfinite(feats[cls.kind][0]).all() and feats[cls.kind][0].std() > 0

    def data(kind: str, params: MetricParams) -> MetricInput:
        ref, out = feats[kind]
        return MetricInput(
            kind,
            params,
            "m",
            "e",
            frozenset(),
            {},
            (),
            [],
            {},
            features=out,
            reference_features=ref,
        )

    kid_params = KIDParams(subsets=5, subset_size=2)
    fid_value = FIDVsBase().compute(data("fid", MetricParams()))[0].value
    kid_row = KID().compute(data("kid", kid_params))[0]
    assert np.isfinite(fid_value) and fid_value > 0 and np.isfinite(kid_row.value)

    net = NoTrainInceptionV3(
        name="inception-v3-compat", features_list=["2048"], feature_extractor_weights_path=str(path)
    )
    net.num_features = 2048
    uint8 = [
        torch.from_numpy(np.stack([np.asarray(i) for i in s])).permute(0, 3, 1, 2)
        for s in (base, edited)
    ]
    ref_fid = FrechetInceptionDistance(feature=net, sync_on_compute=False)
    ref_fid.update(uint8[0], real=True)
    ref_fid.update(uint8[1], real=False)
    assert fid_value == pytest.approx(float(ref_fid.compute()), rel=1e-5, abs=1e-9)
    ref_kid = KernelInceptionDistance(feature=net, sync_on_compute=False, **kid_params)
    ref_kid.update(uint8[0], real=True)
    ref_kid.update(uint8[1], real=False)
    torch.manual_seed(0)
    mean, std = ref_kid.compute()
    assert kid_row.value == pytest.approx(float(mean), rel=1e-5, abs=1e-9)
    assert kid_row.extra["kid_std"] == pytest.approx(float(std), rel=1e-5, abs=1e-9)


# -- the exact OpenAI ViT-L/14 (slow: ~428M parameters) -----------------------------------------
@pytest.mark.slow
def test_openai_vitl14_from_the_hub_cache_is_quickgelu_and_agrees_with_torchmetrics(
    tmp_path_factory, monkeypatch
):
    """The bundled suites' CLIP (ViT-L-14, pretrained openai) loads a stand-in from the
    Hugging Face hub cache with QuickGELU, records the file as not the official one, and scores
    like torchmetrics' CLIPScore on the same weights."""
    import open_clip
    from safetensors.torch import load_file

    from audits.models.clip_tokenizer import build_clip_tokenizer
    from audits.scorers.clip_score import CLIPScore
    from tests.clip_reference import reference_scores, torchmetrics_clip_score

    root = tmp_path_factory.mktemp("vitl14")
    use_standins(monkeypatch, write_standins(root, ["open_clip"]))
    spec = ScorerSpec("cs", "clip_score", params={"model": "ViT-L-14", "pretrained": "openai"})
    scorer = CLIPScore.from_spec(spec, _ctx(root))
    ident = scorer.identity()
    assert ident["activation"] == "QuickGELU" and ident["pretrained_tag"] == "openai"
    assert ident["weights_file"]["file"] == "open_clip_model.safetensors"
    assert ident["weights_file"]["status"] == "mismatch" and not ident["weights_verified"]
    assert "bicubic" in ident["preprocessing"] and "224" in ident["preprocessing"]
    blob = next((root / "hf" / "hub").glob("models--*/snapshots/*/open_clip_model.safetensors"))
    state = {k: v.float() for k, v in load_file(str(blob)).items()}
    cfg = open_clip.get_model_config("ViT-L-14")
    images = _images(512, 2)
    records = scorer.score(
        [
            ImageItem(str(i), im, p, "")
            for i, (im, p) in enumerate(zip(images, PROMPTS[:2], strict=True))
        ]
    ).records
    raw, _ = reference_scores(
        torchmetrics_clip_score(state, cfg, True, build_clip_tokenizer()), images, PROMPTS[:2]
    )
    assert np.allclose([100 * r["cosine"] for r in records], raw, atol=1e-4, rtol=0)
