"""Item 6 (and item 8's safetensors rule): failures that used to be tracebacks are one line.
Write failures (read-only, under a file, disk full), undecodable input, pickled weights, an
abstract suite, a decompression bomb, library log lines before a refusal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.reliability.conftest import REPO, RUN_ARGS, Result, cli, refused


def _blocker(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    return blocker / "out"


def test_out_under_a_file_is_refused_before_any_model_loads(tmp_path, rel_suite, small_run):
    out = _blocker(tmp_path)
    line = refused(cli("run", rel_suite, *RUN_ARGS, "--out", out), "a-file")
    assert "--out" in line or "Not a directory" in line
    refused(cli("report", small_run, "--out", out), "a-file")
    edit = cli("erase", "--model", rel_suite, "--concepts", "cat", "--out", out)
    refused(edit, "a-file")


def test_read_only_out_is_refused_before_any_model_loads(tmp_path, rel_suite):
    if os.geteuid() == 0:  # root writes through file modes; sysfs refuses even root
        out = "/sys/scapre-audit-out"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        out = ro / "out"
    refused(cli("run", rel_suite, *RUN_ARGS, "--out", out), "cannot write to --out")


FULL_DISK = """
import errno, sys
import runfmt.atomic as atomic
plain = atomic.write_bytes
def full(path, data):
    if path.name.endswith(sys.argv[1]):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    plain(path, data)
atomic.write_bytes = full  # write_json and every stage's writes go through it
from audits.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize("victim", ["results.json", "claims.json"])
def test_disk_full_after_generation_is_one_line(tmp_path, small_run, victim):
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    shutil.rmtree(run / "scores")
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, victim, "score", str(run)],
        env=env, cwd=REPO, capture_output=True, timeout=600,
    )  # fmt: skip
    result = Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())
    refused(result, "No space left on device", victim, alone=False)


def test_undecodable_concepts_are_one_line(tmp_path):
    names = tmp_path / "names.txt"
    names.write_bytes(b"cat\n\xff\xfe dog\n")
    refused(
        cli("erase", "--model", tmp_path, "--concepts-file", names, "--out", tmp_path / "o"),
        "not UTF-8",
    )
    refused(
        cli("erase", "--model", tmp_path, "--concepts", b"cat, d\xffog", "--out", tmp_path / "o"),
        "undecodable",
    )


PAYLOAD = """
import os, pickle, sys
class Boom:
    def __reduce__(self):
        return (os.system, ("touch " + sys.argv[2],))
with open(sys.argv[1], "wb") as fh:
    pickle.dump({"weights": Boom()}, fh)
"""


def test_pickled_weights_are_refused_and_never_run(tmp_path, tiny_pipe_dir):
    model = tmp_path / "model"
    shutil.copytree(tiny_pipe_dir, model)
    (model / "text_encoder" / "model.safetensors").unlink()
    ran = tmp_path / "payload-ran"
    pickled = model / "text_encoder" / "pytorch_model.bin"
    subprocess.run(
        [sys.executable, "-c", PAYLOAD, str(pickled), str(ran)],
        check=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    result = cli("erase", "--model", model, "--concepts", "cat", "--out", tmp_path / "edit")
    refused(result, "cannot load model", "safetensors")
    assert not ran.exists()


def test_an_abstract_suite_is_refused_before_the_model_loads(tmp_path):
    refused(cli("run", "common", "--out", tmp_path / "r"), "abstract")
    assert not (tmp_path / "r").exists()


def test_no_library_log_line_before_a_refusal(rel_suite, tmp_path):
    suite = tmp_path / "suite"
    shutil.copytree(rel_suite, suite)
    (suite / "general.csv").write_text("prompt\n" + "a very long prompt " * 40 + "\n")
    refused(cli("suite", "validate", suite), "CLIP tokens")


def _bomb_png(side: int) -> bytes:
    """A valid 1-bit PNG of side x side black pixels, compressed row by row."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + (side + 7) // 8)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_in_a_run_does_not_crash_the_report(tmp_path, small_run):
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    results = json.loads((run / "results.json").read_text())
    results["generation"] = {**(results.get("generation") or {}), "height": 512, "width": 512}
    (run / "results.json").write_text(json.dumps(results))  # large images: thumbnails decode
    for victim in run.glob("images/*/*.png"):
        victim.write_bytes(_bomb_png(20000))  # 400 Mpx in ~100 kB: over PIL's bomb limit
    result = cli("report", run)
    assert result.rc == 0 and "Traceback" not in result.err, result.err[-2000:]
    assert "grey tiles" in result.err
