"""`scapre-audit erase`: edit a model and write `delta.safetensors`, `edit.json` (method, config,
concepts, model fingerprint, versions, timings, tensor hashes) and a loadable pipeline that links
the base model's files instead of copying them (`audits.erasers.edit_folder`;
`--full-copy` copies).

All input is checked before the model is loaded, and everything is written to a staging folder
that is moved into place at the end, so a failed run writes nothing and overwrites nothing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from audits.errors import AuditError


def parse_concepts(concepts: str | None, concepts_file: Path | None) -> list[str]:
    """Concepts from a comma-separated string and/or a file (one per line, '#' comments)."""
    from scapre.text import check_concepts

    items: list[str] = []
    if concepts:
        items += [c.strip() for c in concepts.split(",")]
    if concepts_file is not None:
        try:
            text = Path(concepts_file).read_text(encoding="utf-8")
        except OSError as err:
            reason = err.strerror or type(err).__name__
            raise AuditError(f"cannot read --concepts-file {concepts_file}: {reason}") from err
        except UnicodeDecodeError as err:
            raise AuditError(
                f"--concepts-file {concepts_file} is not UTF-8 text (byte {err.start})"
            ) from None
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if line and not line.startswith("#"):
                if "," in line:
                    raise AuditError(f"{concepts_file}:{number}: one concept per line, no commas")
                items.append(line)
    if concepts is None and concepts_file is None:
        raise AuditError("give the concepts to erase with --concepts or --concepts-file")
    if concepts and any(not c for c in items[: len(concepts.split(","))]):
        raise AuditError(f"empty concept in --concepts {concepts!r}")
    return check_concepts(items)


def erase(
    model: str = typer.Option(..., "--model", help="Hub id or local diffusers pipeline folder."),
    concepts: str = typer.Option(None, "--concepts", help='Comma-separated, e.g. "a, b, c".'),
    concepts_file: Path = typer.Option(None, "--concepts-file", help="One concept per line."),
    method: str = typer.Option("scapre", "--method", help="Eraser name (scapre, uce, ...)."),
    preset: str = typer.Option(None, "--preset", help="Published configuration of the method."),
    overrides: list[str] = typer.Option(None, "--set", help="Config override key=value."),
    out: Path = typer.Option(..., "--out", help="New folder for the edited pipeline."),
    revision: str = typer.Option(None, "--revision", help="Hub revision (commit or tag)."),
    local_files_only: bool = typer.Option(False, "--local-files-only", help="Never download."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    dtype: str = typer.Option("float32", "--dtype", help="Dtype the model is loaded in."),
    full_copy: bool = typer.Option(
        False,
        "--full-copy",
        help="Write a complete self-contained pipeline (default: link the base model's files and"
        " write only the edited tensors).",
    ),
) -> None:
    """Erase concepts from a model and save the edited pipeline with its provenance."""
    from audits.erasers.edit_folder import (
        base_folder,
        check_out_dir,
        edit_record,
        write_edit_folder,
    )

    eraser = build_eraser(method, preset, list(overrides or []))
    concept_list = parse_concepts(concepts, concepts_file)
    check_out_dir(out)
    from runfmt.staging import check_writable

    try:
        check_writable(out.resolve().parent, out.name)  # before the model loads
    except OSError as err:
        raise AuditError(f"cannot write to --out {out}: {err.strerror or err}") from None
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise AuditError(f"--device {device} asked for, but CUDA is not available here")
    eraser.check_ready()

    from audits.models.loading import load_pipeline

    pipe, ref = load_pipeline(
        model, revision=revision, local_files_only=local_files_only, device=device, dtype=dtype
    )
    from audits.erasers.matrices import check_pipeline

    check_pipeline(pipe)
    started = time.time()
    progress = _MatrixProgress() if sys.stderr.isatty() else None
    try:
        edit = eraser.erase(pipe, concept_list, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    record = edit_record(pipe, ref, concept_list, eraser, preset, edit, device, started)
    base = None if full_copy else base_folder(model, revision, ref.local)
    write_edit_folder(out, pipe, edit, record, base, full_copy)
    total = edit.timings.get("total_s", 0.0)
    typer.echo(
        f"erased {len(concept_list)} concept(s) from {model} with {eraser.name} "
        f"({preset or 'default config'}; {edit.variant}): {len(edit.weights)} matrices, "
        f"edit {total:.2f} s -> {out}"
    )


def build_eraser(method: str, preset: str | None, overrides: list[str]):
    """The eraser named by --method, configured by --preset then --set (no model needed)."""
    from audits.registry import ERASERS

    if method not in ERASERS:
        raise AuditError(f"unknown --method {method!r}: {ERASERS.unknown_message(method)}")
    eraser_cls = ERASERS.get(method)
    config = eraser_cls.preset(preset) if preset else eraser_cls.config_class()
    return eraser_cls(config).with_overrides(overrides)


class _MatrixProgress:
    """A progress bar over edited matrices, shown only on a terminal and started lazily."""

    def __init__(self) -> None:
        self.bar = None
        self.task = None

    def __call__(self, name: str) -> None:
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("editing", total=None)
        self.bar.update(self.task, advance=1, description=name.split(".transformer")[0])

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
