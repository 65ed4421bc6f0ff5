"""The red-team cases of issue 17 as regression tests, run at the command line: every refusal is
exit code 2 and exactly one `error:` line on stderr, never a traceback.

The CLI runs in a subprocess (`python -m audits.cli`, one torch thread) so each case sees what a
user sees; fixtures share the tiny audit suite of `tests/audits/run`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.audits.run.conftest import clip_dir, write_suite  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def cli(*args, env: dict | None = None, cwd: Path | None = None, timeout: int = 300, limit_mb=None):
    """Run `scapre-audit ARGS` in a subprocess; `limit_mb` caps its heap (RLIMIT_DATA)."""
    full_env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        **(env or {}),
    }

    def cap():
        if limit_mb:
            import resource

            size = limit_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_DATA, (size, size))

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "audits.cli",
            *(a if isinstance(a, bytes) else str(a) for a in args),
        ],
        env=full_env,
        cwd=cwd or REPO,
        capture_output=True,
        timeout=timeout,
        preexec_fn=cap,
    )
    return Result(
        proc.returncode,
        proc.stdout.decode("utf-8", "backslashreplace"),
        proc.stderr.decode("utf-8", "backslashreplace"),
    )


def refused(result: Result, *needles: str, alone: bool = True) -> str:
    """Assert the one-line refusal and return that line: exit code 2, no traceback, one `error:`
    line, last; `alone`: nothing else on stderr (a refusal before any work). Without `alone`,
    progress lines of the work done before the failure may precede it."""
    assert "Traceback" not in result.err, result.err[-2000:]
    assert result.rc == 2, (result.rc, result.err[-2000:])
    errors = [line for line in result.lines if line.startswith("error")]
    assert len(errors) == 1 and result.lines[-1] == errors[0], result.err[-2000:]
    if alone:
        assert len(result.lines) == 1, result.err[-2000:]
    line = result.lines[-1]
    assert line.startswith("error: "), line
    for needle in needles:
        assert needle in line, line
    return line


@pytest.fixture(scope="package", autouse=True)
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def rel_suite(tmp_path_factory, tiny_pipe_dir, clip_dir) -> Path:  # noqa: F811
    return write_suite(tmp_path_factory.mktemp("rel-suite") / "tinyaudit", tiny_pipe_dir, clip_dir)


RUN_ARGS = ("--methods", "none", "--limit", "1", "--micro-batch", "2")


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, rel_suite) -> Path:
    """One finished run of the reference method on one case per probe (made in-process)."""
    import torch

    from audits.run import RunRequest, run_suite

    out = tmp_path_factory.mktemp("rel-runs") / "small"
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as the CLI under OMP_NUM_THREADS=1 (a session fixture runs first)
    try:
        run_suite(
            RunRequest(suite=str(rel_suite), out=out, methods=["none"], limit=1, micro_batch=2),
            say=lambda s: None,
        )
    finally:
        torch.set_num_threads(before)
    return out
