"""The edit-time claim: the 50-concept edit's wall time, from the saved edit records."""

from __future__ import annotations

from typing import Any

from audits.claims.verdicts import GPU_HOUR_S, PAPER, Claim, claim_result

EDIT_TIME_CLAIM = (
    "ScaPre completes the unlearning of 50 concepts in only 120 seconds (while Figure 3 of the"
    " same paper shows about 1.5 GPU-hours)"
)
EDIT_TIME_SOURCE = f"{PAPER}: abstract and Sec. 5.5 (120 s); Figure 3 (~1.5 GPU-hours)"


def edit_seconds(record: dict[str, Any]) -> float | None:
    """The timed edit alone: the eraser call (text features + solve), never model loading,
    image generation or scoring."""
    timings = record.get("timings_s") or {}
    value = timings.get("wall_s", timings.get("total_s"))
    return None if value is None else float(value)


def hardware_name(hardware: dict[str, Any]) -> str:
    device = str(hardware.get("device", "unknown"))
    if hardware.get("gpu"):
        return f"{hardware['gpu']} ({device})"
    threads = f", {hardware['cpu_threads']} logical CPUs" if hardware.get("cpu_threads") else ""
    if hardware.get("torch_threads"):
        threads += f", torch on {hardware['torch_threads']} thread(s)"
    return f"{device}{threads}"


def edit_time_claim(
    edits: list[dict[str, Any]], manifest: dict[str, Any], spec: dict[str, Any] | None
) -> Claim:
    if not spec:
        return claim_result(
            "edit-time",
            EDIT_TIME_CLAIM,
            EDIT_TIME_SOURCE,
            "not defined: the suite declares no claims.edit_time parameters",
            "none",
            "not checkable",
            reason="the suite declares no claims.edit_time parameters",
        )
    method, k = spec["method"], spec["concepts"]
    reported_s = spec["reported_seconds"]
    hours = spec.get("reported_gpu_hours")
    paper_hw = spec.get("reported_hardware") or "a GPU"
    definition = (
        f"wall time of the eraser call of '{method}' on {k} concepts (edits/*/edit.json"
        f" timings_s.wall_s: text features and solve; no loading, generation or scoring), on a"
        f" GPU as the paper ({paper_hw}); supported when <= {reported_s:g} s"
    )
    if hours is not None:
        definition += f"; also compared with Figure 3's {hours:g} GPU-hours"
    hardware = (manifest.get("provenance") or {}).get("hardware") or {}
    hw = hardware_name(hardware)
    mine = sorted(
        (e for e in edits if e.get("method") == method and edit_seconds(e) is not None),
        key=lambda e: (len(e.get("concepts", [])), e.get("edit_id", "")),
    )
    timed = [
        {"edit_id": e.get("edit_id"), "concepts": len(e["concepts"]), "seconds": edit_seconds(e)}
        for e in mine
    ]
    details: dict[str, Any] = {
        "hardware": hardware,
        "reported_seconds": reported_s,
        "reported_gpu_hours": hours,
        "reported_hardware": paper_hw,
        "edits": timed,
    }
    exact = [t for t in timed if t["concepts"] == k]
    if not exact:
        largest = max(timed, key=lambda t: t["concepts"], default=None)
        text = f"no edit of {k} concepts"
        if largest:
            text += (
                f"; largest: {largest['concepts']} concept(s) in {largest['seconds']:.3f} s on {hw}"
            )
        details["reason"] = f"the run has no edit of {k} concepts by '{method}'"
        return claim_result(
            "edit-time",
            EDIT_TIME_CLAIM,
            EDIT_TIME_SOURCE,
            definition,
            text,
            "not checkable",
            **details,
        )
    seconds = max(t["seconds"] for t in exact)  # the slowest of equal-size edits
    details.update(seconds=seconds, ratio_to_reported=seconds / reported_s if reported_s else None)
    text = f"{seconds:.2f} s for {k} concepts on {hw} (paper: {reported_s:g} s"
    if hours is not None:
        details["ratio_to_gpu_hours"] = seconds / (hours * GPU_HOUR_S) if hours else None
        text += f"; Figure 3: {hours:g} GPU-h = {hours * GPU_HOUR_S:g} s"
    text += ")"
    if not str(hardware.get("device", "")).startswith("cuda"):
        details["reason"] = f"measured on {hw}, not on a GPU like the paper's {paper_hw}"
        verdict = "not checkable"
    else:
        verdict = "supported" if seconds <= reported_s else "not supported"
    return claim_result(
        "edit-time", EDIT_TIME_CLAIM, EDIT_TIME_SOURCE, definition, text, verdict, **details
    )
