"""Image groups (identity recipe 3): nothing is padded, a short last group is split into powers
of two, and an image's identity names the size of the group its networks saw."""

from __future__ import annotations

import hashlib

import pytest

from audits.errors import AuditError
from audits.run.plan import cut, group_sizes


def test_group_sizes_split_the_rest_into_powers_of_two():
    assert group_sizes(0, 8) == []
    assert group_sizes(16, 8) == [8, 8]
    assert group_sizes(23, 8) == [8, 8, 4, 2, 1]
    assert group_sizes(2, 8) == [2]
    assert group_sizes(7, 6) == [6, 1]
    assert group_sizes(5, 1) == [1] * 5
    for n in range(40):
        for m in (1, 2, 3, 4, 6, 8, 16):
            sizes = group_sizes(n, m)
            assert sum(sizes) == n and all(s <= m for s in sizes)  # never any padding
            assert len(sizes) <= n // m + max(1, m.bit_length())
    assert cut(list(range(7)), 4) == [[0, 1, 2, 3], [4, 5], [6]]


def _digests(images):
    from audits.run.render import render_png

    return [hashlib.sha256(render_png(i)).hexdigest() for i in images]


def test_an_image_has_the_same_bytes_in_any_group_of_the_same_size():
    """On this pipeline an image's bytes depend on the size of its group (so the size is part of
    its identity) and on nothing else: not on the other images, nor on the call around it."""
    from audits.models.sampling import set_scheduler
    from audits.models.tiny import tiny_pipeline
    from audits.run.render import generate_batch

    pipe = tiny_pipeline()
    pipe.set_progress_bar_config(disable=True)
    set_scheduler(pipe, "ddim")
    sampling = {"negative_prompt": "", "steps": 2, "guidance_scale": 7.5, "height": 32, "width": 32}
    prompts, seeds = ["a cat", "a dog", "a fox", "tench", "a red square"], [0, 1, 2, 3, 4]
    four = _digests(generate_batch(pipe, prompts[:4], seeds[:4], sampling, [4]))
    other = _digests(
        generate_batch(pipe, ["tench", "a dog", "a cat", "a fox"], [3, 1, 0, 2], sampling, [4])
    )
    assert other == [four[3], four[1], four[0], four[2]]
    mixed = _digests(generate_batch(pipe, prompts, seeds, sampling, [4, 1]))
    assert mixed[:4] == four
    alone = _digests(generate_batch(pipe, prompts[4:], seeds[4:], sampling, [1]))
    assert mixed[4] == alone[0]


def test_an_image_id_names_its_group_size(tmp_path):
    from audits.case import Case
    from audits.run.plan import ProbePlan, RunPlan

    cases = tuple(Case("p", i, f"prompt {i}", (0,), "c", "") for i in range(7))
    probe = ProbePlan("p", "target", cases, "x", "suite")
    sampling = {"micro_batch": 4, "steps": 2}
    plan = RunPlan([], {"p": probe}, [], sampling)
    assert [len(g) for g in plan.generation_groups()] == [4, 2, 1]
    assert plan.group_rows("prompt 5", 0) == 2
    # the same image in a group of 4 under --micro-batch 4 and under --micro-batch 8 (split 4+2+1)
    eight = RunPlan([], {"p": probe}, [], {"micro_batch": 8, "steps": 2})
    assert plan.image_id("e", "prompt 0", 0) == eight.image_id("e", "prompt 0", 0)
    assert plan.image_id("e", "prompt 5", 0) != plan.image_id("e", "prompt 4", 0)
    assert plan.image_id("e", "unplanned", 0, rows=2) != plan.image_id("e", "unplanned", 0, rows=4)
    with pytest.raises(AuditError, match="not in the run's plan"):
        plan.image_id("e", "unplanned", 0)


@pytest.mark.parametrize("sampler", ["pndm", "ddim", "dpmsolver++", "euler"])
@pytest.mark.parametrize("steps", [1, 2, 3])
def test_low_step_counts_sample(sampler, steps):
    """PNDM is SD's PLMS-only variant, so 1-3 steps work (with Runge-Kutta warm-up steps it
    failed with 'operands could not be broadcast together')."""
    from audits.models.sampling import check_sampler

    check_sampler(sampler, steps)


def test_a_sampler_that_cannot_sample_is_one_line():
    from audits.models.sampling import check_sampler

    with pytest.raises(AuditError, match="at least 1"):
        check_sampler("pndm", 0)
    with pytest.raises(AuditError, match="unknown sampler 'plms'"):
        check_sampler("plms", 10)


def test_render_calls_share_only_consecutive_jobs_of_one_edit_and_kind():
    from audits.run.render import RenderImage, RenderJob, calls

    def job(edit: str, share=()) -> RenderJob:
        return RenderJob(edit, (RenderImage("i", "p", 0),), "label", share)

    jobs = [job("a"), job("a"), job("a"), job("b"), job("a", "x"), job("a", "x"), job("a")]
    sizes = [(len(c), c[0].edit_id, c[0].share) for c in calls(jobs, 2)]
    assert sizes == [(2, "a", ()), (1, "a", ()), (1, "b", ()), (2, "a", "x"), (1, "a", ())]
