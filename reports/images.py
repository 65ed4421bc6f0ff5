"""Copy the images a report shows into the report folder, shrinking large ones to thumbnails.

The report must open from disk or any static host, so it cannot link into the run directory;
each image is read only through `Run.image_path`, which refuses ids that could leave the run.
Small images (the run's generation size <= THUMB_PX) are hard-linked or copied unchanged;
larger ones become JPEG thumbnails, made in a thread pool (Pillow releases the GIL while it
decodes, resizes and encodes). Image ids are content identities, so a thumbnail from the previous
report at the same path is the same picture and is reused instead of decoded again.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from reports.progress import progress_bar
from runfmt import Run

THUMB_PX = 192  # thumbnails are at most this long; smaller images are copied unchanged


class ImageStore:
    """Images placed in `<out>/img/<edit_id>/`, each once; `add` returns the relative path."""

    def __init__(self, run: Run, out: Path, previous: Path | None = None) -> None:
        self.run = run
        self.out = out
        self.previous = previous  # an earlier report of this run, whose thumbnails are reused
        self._done: dict[tuple[str, str], str | None] = {}
        self._jobs: list[tuple[Path, Path]] = []
        generation = run.results.get("generation") or run.plan.get("sampling") or {}
        sides = [generation.get("height"), generation.get("width")]
        # the run says how large its images are: small ones are linked without decoding them
        self.small = all(isinstance(s, int) and s <= THUMB_PX for s in sides)

    def add(self, edit_id: str, image_id: str) -> str | None:
        key = (edit_id, image_id)
        if key not in self._done:
            self._done[key] = self._place(edit_id, image_id)
        return self._done[key]

    def _place(self, edit_id: str, image_id: str) -> str | None:
        source = self.run.image_path(edit_id, image_id)
        if source is None:
            return None
        if self.small:
            rel = f"img/{edit_id}/{image_id}.png"
            _link_or_copy(source, self.out / rel)
            return rel
        rel = f"img/{edit_id}/{image_id}.jpg"
        old = self.previous / rel if self.previous else None
        if old is not None and old.is_file():
            _link_or_copy(old, self.out / rel)
        else:
            self._jobs.append((source, self.out / rel))
        return rel

    def finish(self, workers: int | None = None) -> int:
        """Make the queued thumbnails; returns how many failed (each replaced by a grey tile)."""
        jobs, self._jobs = self._jobs, []
        workers = workers or min(8, os.cpu_count() or 1)
        failed = 0
        with (
            progress_bar("report thumbnails", len(jobs), "images") as advance,
            ThreadPoolExecutor(max_workers=workers) as pool,
        ):
            for ok in pool.map(_thumbnail, jobs):
                failed += not ok
                advance()
        if failed:
            print(
                f"WARNING: {failed} images could not be read; shown as grey tiles", file=sys.stderr
            )
        return failed


def _thumbnail(job: tuple[Path, Path]) -> bool:
    source, target = job
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with Image.open(source) as image:
            image.load()
            rgb = image if image.mode == "RGB" else image.convert("RGB")
            # an integer box reduction (512 px -> 171 px) costs about a third of a resample
            factor = max(1, math.ceil(max(rgb.size) / THUMB_PX))
            rgb.reduce(factor).save(target, "JPEG", quality=85)
        return True
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        Image.new("RGB", (8, 8), (200, 200, 200)).save(target, "JPEG")
        return False


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link when the report is on the run's file system (fast, no extra space), else a
    copy; either way the report folder holds a real file and stays self-contained."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
