"""A rank that dies mid-stage leaves the run resumable: the same command with another number of
ranks finishes it, with bytes identical to a clean one-process run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from audits.run import RunRequest, run_suite

QUIET = lambda s: None  # noqa: E731

# rank 1 SIGKILLs itself right after writing its first PNG (before that image's record)
KILL_RANK_1 = """
import os, signal, sys
import audits.run.render as stage
plain = stage.write_bytes
def write_then_die(path, data):
    plain(path, data)
    if os.environ.get("RANK") == "1" and path.name.endswith(".png"):
        os.kill(os.getpid(), signal.SIGKILL)
stage.write_bytes = write_then_die
from audits.cli import main
main(sys.argv[1:])
"""


def _results(run: Path) -> bytes:
    data = json.loads((run / "results.json").read_text())
    data.pop("git")  # other people edit this checkout while the tests run
    return json.dumps(data, sort_keys=True).encode()


def _pngs(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.glob("images/*/*.png"))}


def test_rank_killed_mid_generate_resumes_with_one_process(tmp_path, suite_dir):
    out = tmp_path / "ranks"
    script = tmp_path / "kill_rank_1.py"
    script.write_text(KILL_RANK_1)
    args = ["run", str(suite_dir), "--out", str(out), "--methods", "none", "--micro-batch", "2"]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    launcher += ["--nproc_per_node", "2", "--max-restarts", "0"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([*launcher, str(script), *args], env=env, capture_output=True)
    assert proc.returncode != 0, "torchrun should report the dead rank"
    assert (out / "manifest.json").is_file()
    assert not (out / "results.json").exists()
    pngs, records = list(out.glob("images/*/*.png")), list(out.glob("images/*/*.json"))
    assert len(records) < len(pngs) < 8  # stopped mid-stage: one PNG without its record

    # the same command with one process finishes the run
    request = RunRequest(suite=str(suite_dir), micro_batch=2, out=out, methods=["none"])
    summary = run_suite(request, say=QUIET)
    assert summary.counts["images"] == 8 - len(records)  # complete images are not redone
    clean = tmp_path / "clean"
    run_suite(RunRequest(suite=str(suite_dir), micro_batch=2, out=clean, methods=["none"]), QUIET)
    assert _pngs(out) == _pngs(clean)
    assert _results(out) == _results(clean)
    assert not list(out.rglob("*.tmp"))
