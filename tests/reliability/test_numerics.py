"""Item 7: image bytes depend on the CPU thread count, so the thread count (with the device kind
and SIMD level) is part of every image identity (recipe 3), and a run or cache made under other
numerics is never mixed with this one."""

from __future__ import annotations

import shutil

from audits.run.identity import IDENTITY_RECIPE
from audits.suites import load_suite
from tests.reliability.conftest import RUN_ARGS, cli, refused

MODEL = {"weights_sha256": {"unet": "0" * 64}, "pipeline_class": "StableDiffusionPipeline"}


def test_thread_count_enters_every_image_identity(rel_suite):
    from audits.run.plan import plan_run

    suite = load_suite(str(rel_suite))
    one = {"device": "cpu", "threads": 1, "cpu_capability": "AVX2"}
    two = {**one, "threads": 2}
    a = plan_run(suite, "default", ["none"], 1, MODEL, "float32", 2, numerics=one)
    b = plan_run(suite, "default", ["none"], 1, MODEL, "float32", 2, numerics=two)
    edit = a.reference_edit()
    ids_a = {i for p in a.probes for _, _, i in a.images(edit, p)}
    ids_b = {i for p in b.probes for _, _, i in b.images(edit, p)}
    assert ids_a and not ids_a & ids_b
    assert a.sampling["numerics"] == one and IDENTITY_RECIPE >= "scapre-audit/identity/4"


def test_numerics_name_what_changes_bytes():
    from audits.run.generate_stage import numerics

    now = numerics("cpu")
    assert now["device"] == "cpu" and isinstance(now["threads"], int) and now["cpu_capability"]


def test_resume_under_another_thread_count_is_refused(tmp_path, rel_suite, small_run):
    out = tmp_path / "run"
    shutil.copytree(small_run, out)  # made with one torch thread
    result = cli("run", rel_suite, *RUN_ARGS, "--out", out, env={"OMP_NUM_THREADS": "2"})
    refused(result, "cannot resume", "numerics.threads")
    again = cli("run", rel_suite, *RUN_ARGS, "--out", out, env={"OMP_NUM_THREADS": "1"})
    assert again.rc == 0, again.err[-2000:]


def test_a_cache_filled_under_other_threads_is_not_used(tmp_path, rel_suite):
    cache = tmp_path / "cache"
    first = cli("run", rel_suite, *RUN_ARGS, "--out", tmp_path / "a", "--cache", cache)
    assert first.rc == 0, first.err[-2000:]
    two = cli(
        "run", rel_suite, *RUN_ARGS, "--out", tmp_path / "b", "--cache", cache,
        env={"OMP_NUM_THREADS": "2"},
    )  # fmt: skip
    assert two.rc == 0, two.err[-2000:]
    a = {p.name for p in (tmp_path / "a").glob("images/*/*.png")}
    b = {p.name for p in (tmp_path / "b").glob("images/*/*.png")}
    assert a and b and not a & b  # other identities: generated, not copied from the cache
