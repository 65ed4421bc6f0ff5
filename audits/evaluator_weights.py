"""Evaluator weights: where each file is looked for, the digests pinned for the official ones, and
a check of everything a run's evaluators need that loads no model.

One documented place for local weights: a folder given as `--weights-dir DIR` (on `run` and
`score`) or as the environment variable SCAPRE_AUDIT_WEIGHTS=DIR, laid out as

    DIR/open_clip/<architecture>/<tag>/<file>   open_clip weights, e.g.
        DIR/open_clip/ViT-L-14/openai/open_clip_model.safetensors (or OpenAI's ViT-L-14.pt)
    DIR/checkpoints/<file>                       torchvision and torch-fidelity files, named as
        in their download URL (what $TORCH_HOME/hub/checkpoints holds after a download)

Besides that folder the caches the libraries fill on a normal download are read: the Hugging Face
hub cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub) for open_clip, the
torch hub folder ($TORCH_HOME/hub/checkpoints, else ~/.cache/torch/hub/checkpoints) for
torchvision, LPIPS and torch-fidelity, and ~/.cache/clip for OpenAI's own CLIP file.

Every file found is hashed (sha256) and compared with a digest pinned here; a file with no pin
is "unverified", one that differs from its pin is "mismatch" (loaded, but never labelled as the
official weights). `check_scorers` is the preflight: per scorer, each file it needs, where it
was found and its status, without building any network.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audits.errors import AuditError

if TYPE_CHECKING:
    from audits.suites import Suite

ENV_VAR = "SCAPRE_AUDIT_WEIGHTS"

VERIFIED = "verified"
UNVERIFIED = "unverified"
MISMATCH = "mismatch"
MISSING = "missing"


@dataclass(frozen=True)
class Pin:
    """A known sha256 of one official file and where that digest comes from."""

    sha256: str
    size: int | None
    source: str


_PREFIX = (
    "the publisher's file name carries the first 8 hex digits (torch.hub's check_hash); the full "
    "digest and size as recorded identically by several independent public projects"
)

PINS: dict[str, Pin] = {
    # open_clip 3.x downloads OpenAI's ViT-L/14 from the HF hub as safetensors
    "timm/vit_large_patch14_clip_224.openai/open_clip_model.safetensors": Pin(
        "9ce2e8a8ebfff3793d7d375ad6d3c35cb9aebf3de7ace0fc7308accab7cd207e",
        1710517724,
        "Hugging Face hub LFS object of timm/vit_large_patch14_clip_224.openai, as recorded"
        " identically by several independent public projects (not checkable offline here)",
    ),
    # OpenAI's own file (openai/CLIP and open_clip's url): the URL path is its sha256
    "openai/ViT-L-14.pt": Pin(
        "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836",
        None,
        "OpenAI's download URL embeds the digest (openaipublic.azureedge.net/clip/models/<sha256>/"
        "ViT-L-14.pt)",
    ),
    "resnet50-11ad3fa6.pth": Pin(
        "11ad3fa62ca79e40addfd354a8ec4b7c75143b3038b8d2a807fbc68deab379ca", 102540417, _PREFIX
    ),
    "alexnet-owt-7be5be79.pth": Pin(
        "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02", 244408911, _PREFIX
    ),
    "weights-inception-2015-12-05-6726825d.pth": Pin(
        "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2", 95628359, _PREFIX
    ),
    "nudenet/320n.onnx": Pin(
        "c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f",
        12150158,
        "the RECORD of the nudenet 3.4.2 wheel (PyPI)",
    ),
    "torchmetrics/lpips_models/alex.pth": Pin(
        "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
        6009,
        "the RECORD of the torchmetrics 1.9.0 wheel (LPIPS v0.1 linear heads, richzhang/"
        "PerceptualSimilarity)",
    ),
    "torchmetrics/lpips_models/vgg.pth": Pin(
        "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
        7289,
        "the RECORD of the torchmetrics 1.9.0 wheel",
    ),
    "torchmetrics/lpips_models/squeeze.pth": Pin(
        "4a5350f23600cb79923ce65bb07cbf57dca461329894153e05a1346bd531cf76",
        10811,
        "the RECORD of the torchmetrics 1.9.0 wheel",
    ),
    # the toy world's evaluators ship with the project
    "toyworld/open_clip/open_clip_model.safetensors": Pin(
        "6230cdb7d0a34268fad89f481a13a9b49fdcd3b49b457d102e33f864e7da4804",
        None,
        "trained and bundled by scapre-audit (audits/toyworld/weights)",
    ),
    "toyworld/classifier/classifier.safetensors": Pin(
        "f551094169f00021f2a9de99e95a2c483e5719c47a62540ce7fd2919c20d386f",
        None,
        "trained and bundled by scapre-audit (audits/toyworld/weights)",
    ),
}


# -- where things are ------------------------------------------------------------------------
def weights_root(explicit: str | Path | None = None) -> Path | None:
    """The local weights folder: `--weights-dir`, else $SCAPRE_AUDIT_WEIGHTS, else None."""
    value = explicit if explicit not in (None, "") else os.environ.get(ENV_VAR)
    return Path(value).expanduser() if value else None


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache as huggingface_hub resolves it, read now (not at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(xdg).expanduser() / "huggingface" / "hub"


def torch_checkpoints() -> Path:
    """torch.hub's checkpoint folder ($TORCH_HOME/hub/checkpoints), read now."""
    if os.environ.get("TORCH_HOME"):
        return Path(os.environ["TORCH_HOME"]).expanduser() / "hub" / "checkpoints"
    xdg = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(xdg).expanduser() / "torch" / "hub" / "checkpoints"


def hf_cached_file(repo_id: str, filename: str) -> Path | None:
    """A file of a hub repo in the local hub cache (snapshot of refs/main, else any snapshot)."""
    folder = hf_hub_cache() / f"models--{repo_id.replace('/', '--')}"
    snapshots = folder / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = folder / "refs" / "main"
    order = []
    if ref.is_file():
        order.append(snapshots / ref.read_text().strip())
    order += sorted(p for p in snapshots.iterdir() if p not in order)
    for snap in order:
        if (snap / filename).is_file():
            return snap / filename
    return None


# -- what is needed ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """One acceptable file for a need: its name, path in the weights folder, the caches a
    normal download fills, its pin (key into PINS) and where to get it."""

    name: str
    layout: str  # relative to the weights folder; "" when the file cannot live there
    caches: tuple[Path, ...] = ()
    pin: str | None = None
    url: str = ""
    fmt: str = "state-dict"  # "safetensors", "openai-jit", "onnx", "state-dict"


@dataclass(frozen=True)
class Need:
    """One weights file an evaluator needs, with its acceptable alternatives (preferred first)."""

    what: str
    candidates: tuple[Candidate, ...]


@dataclass
class Located:
    """Where a need was found (or not) and whether the file is the pinned one."""

    need: Need
    path: Path | None
    candidate: Candidate | None
    sha256: str | None
    status: str  # verified, unverified, mismatch, missing
    pin_matched: str | None = None  # key of the pin the file's digest equals

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    def record(self) -> dict[str, Any]:
        """JSON-ready, no paths: what goes into an evaluator identity."""
        c = self.candidate
        key = self.pin_matched or (c.pin if c else None)
        pin = PINS.get(key) if key else None
        return {
            "what": self.need.what,
            "file": c.name if c else None,
            "format": c.fmt if c else None,
            "sha256": self.sha256,
            "status": self.status,
            "pinned_sha256": pin.sha256 if pin else None,
            "pin_source": pin.source if pin else None,
        }

    def where_to_put(self, root: Path | None) -> str:
        """One sentence naming the file(s) expected and where to put them."""
        folder = str(root) if root else f"DIR (--weights-dir DIR or {ENV_VAR}=DIR)"
        options = []
        for c in self.need.candidates:
            places = [f"{folder}/{c.layout}"] if c.layout else []
            places += [str(p) for p in c.caches]
            text = f"{c.name}" + (f" (from {c.url})" if c.url else "")
            options.append(f"{text} at {' or '.join(places)}")
        return f"{self.need.what}: put " + "; or ".join(options)


_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a file, remembered per (path, size, mtime) for the life of the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def verify(path: Path, pin_key: str | None) -> tuple[str, str, str | None]:
    """(sha256, status, key of the pin it matches) of a file. A file with a pin of its own is
    verified or a mismatch; any other file is verified when its digest is one of the pinned ones
    (a user's copy of an official file), else unverified."""
    digest = file_sha256(path)
    if pin_key is not None and pin_key in PINS:
        ok = digest == PINS[pin_key].sha256
        return digest, VERIFIED if ok else MISMATCH, pin_key if ok else None
    matched = next((key for key, pin in PINS.items() if pin.sha256 == digest), None)
    return digest, VERIFIED if matched else UNVERIFIED, matched


def locate(need: Need, root: Path | None) -> Located:
    """The first candidate file present (weights folder first, then the caches), verified."""
    for c in need.candidates:
        places = ([root / c.layout] if root and c.layout else []) + list(c.caches)
        for place in places:
            if place.is_file():
                digest, status, matched = verify(place, c.pin)
                return Located(need, place, c, digest, status, matched)
    return Located(need, None, None, None, MISSING)


def require(need: Need, root: Path | None, who: str) -> Located:
    """`locate`, or an AuditError naming the file expected and where to put it."""
    found = locate(need, root)
    if found.path is None:
        raise AuditError(f"scorer '{who}' cannot find its weights. {found.where_to_put(root)}")
    if found.status == MISMATCH:
        import warnings

        pin = PINS[found.candidate.pin]  # type: ignore[union-attr,index]
        warnings.warn(
            f"scorer '{who}': {found.path} has sha256 {found.sha256[:16]}..., not the official"
            f" {pin.sha256[:16]}... ({found.need.what}); results are marked unverified",
            stacklevel=2,
        )
    return found


# -- needs of the known evaluators --------------------------------------------------------------
OPENAI_VITL14_URL = (
    "https://openaipublic.azureedge.net/clip/models/"
    "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836/ViT-L-14.pt"
)


def open_clip_need(arch: str, tag: str, hf_hub: str = "") -> Need:
    """The weights of open_clip architecture `arch` with pretrained tag `tag`.

    `hf_hub` is open_clip's `repo/` or `repo/file` entry for the tag (looked up by the caller
    when the pair is not one of the pinned ones)."""
    base = arch.removesuffix("-quickgelu")
    what = f"open_clip {base} '{tag}' weights"
    if base == "ViT-L-14" and tag == "openai":
        repo = "timm/vit_large_patch14_clip_224.openai"
        cached = hf_cached_file(repo, "open_clip_model.safetensors")
        return Need(
            what,
            (
                Candidate(
                    "open_clip_model.safetensors",
                    f"open_clip/{base}/{tag}/open_clip_model.safetensors",
                    (cached,) if cached else (),
                    f"{repo}/open_clip_model.safetensors",
                    f"https://huggingface.co/{repo}",
                    "safetensors",
                ),
                Candidate(
                    "ViT-L-14.pt",
                    f"open_clip/{base}/{tag}/ViT-L-14.pt",
                    (Path("~/.cache/clip/ViT-L-14.pt").expanduser(),),
                    "openai/ViT-L-14.pt",
                    OPENAI_VITL14_URL,
                    "openai-jit",
                ),
            ),
        )
    repo, filename = _split_hub(hf_hub)
    names = (
        [filename] if filename else ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
    )
    candidates = []
    for name in names:
        cached = hf_cached_file(repo, name) if repo else None
        fmt = "safetensors" if name.endswith(".safetensors") else "state-dict"
        url = f"https://huggingface.co/{repo}" if repo else ""
        layout = f"open_clip/{base}/{tag}/{name}"
        candidates.append(Candidate(name, layout, (cached,) if cached else (), None, url, fmt))
    return Need(what, tuple(candidates))


def _split_hub(hf_hub: str) -> tuple[str, str]:
    """open_clip's 'org/repo/' or 'org/repo/file' -> (repo id, file name or '')."""
    parts = hf_hub.strip().strip("/").split("/")
    if len(parts) < 2:
        return "", ""
    return "/".join(parts[:2]), "/".join(parts[2:])


def torch_hub_need(what: str, url: str) -> Need:
    """A torchvision / torch-fidelity file fetched by torch.hub into $TORCH_HOME/hub/checkpoints."""
    name = url.rsplit("/", 1)[-1]
    pin = name if name in PINS else None
    return Need(
        what,
        (Candidate(name, f"checkpoints/{name}", (torch_checkpoints() / name,), pin, url),),
    )


def local_file_need(what: str, path: Path, pin: str | None = None) -> Need:
    """A file named by path (a suite param or a file inside an installed package)."""
    return Need(what, (Candidate(path.name, "", (path,), pin, "", _fmt(path)),))


def _fmt(path: Path) -> str:
    suffix = path.suffix
    return {".safetensors": "safetensors", ".onnx": "onnx"}.get(suffix, "state-dict")


# -- the preflight check ------------------------------------------------------------------------
@dataclass
class ScorerNeeds:
    """What one scorer needs: weights files, and problems that are not files (packages)."""

    needs: list[Need] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. a declared substitution


@dataclass
class ScorerCheck:
    """The check of one scorer: each file located, problems and notes."""

    scorer: str
    kind: str
    files: list[Located]
    problems: list[str]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems and all(f.path is not None for f in self.files)

    @property
    def verified(self) -> bool:
        return self.ok and all(f.verified for f in self.files)

    def to_json(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer,
            "kind": self.kind,
            "ok": self.ok,
            "verified": self.verified,
            "files": [f.record() | {"path": str(f.path) if f.path else None} for f in self.files],
            "problems": self.problems,
            "notes": self.notes,
        }


def scorer_context(suite: Suite, device: str = "cpu", batch_size: int = 16, weights_dir=None):
    """The ScorerContext every scorer of `suite` is built with."""
    from audits.scorers.base import ScorerContext

    assert suite.concepts is not None
    return ScorerContext(
        concepts=suite.concepts.names(),
        concept_label_columns={c.name: dict(c.labels) for c in suite.concepts.concepts},
        suite_root=suite.root,
        device=device,
        batch_size=batch_size,
        weights_dir=weights_root(weights_dir),
        concept_roles={c.name: c.role for c in suite.concepts.concepts},
    )


def check_scorers(
    suite: Suite, names: list[str], weights_dir: str | Path | None = None
) -> list[ScorerCheck]:
    """Per scorer in `names`: every weights file it needs, where it was found, its sha256 and
    whether that is the pinned digest, plus missing packages. Builds no network (it imports the
    scorer modules and hashes files only)."""
    from audits.registry import SCORERS

    ctx = scorer_context(suite, weights_dir=weights_dir)
    out = []
    for name in names:
        spec = suite.scorers[name]
        cls = SCORERS.get(spec.kind)
        wanted: ScorerNeeds = cls.weight_needs(spec, ctx)
        files = [locate(n, ctx.weights_dir) for n in wanted.needs]
        out.append(ScorerCheck(name, spec.kind, files, list(wanted.problems), list(wanted.notes)))
    return out


def require_all(checks: list[ScorerCheck], weights_dir: str | Path | None = None) -> None:
    """Raise one AuditError listing every missing file (and where to put it) and every missing
    package of `checks`; do nothing when all are present."""
    root = weights_root(weights_dir)
    lines = []
    for check in checks:
        lines += [f"scorer '{check.scorer}': {p}" for p in check.problems]
        lines += [
            f"scorer '{check.scorer}': {f.where_to_put(root)}"
            for f in check.files
            if f.path is None
        ]
    if lines:
        raise AuditError(
            f"{len(lines)} evaluator requirement(s) missing (nothing was loaded):\n  "
            + "\n  ".join(lines)
        )
