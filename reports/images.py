"""Copy the images a report shows into the report folder, shrinking large ones to thumbnails.

The report must open from disk or any static host, so it cannot link into the run directory;
each image is read only through `Run.image_path`, which refuses ids that could leave the run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from reports.load import Run

THUMB_PX = 192  # longest side of a thumbnail; smaller images are copied unchanged


class ImageStore:
    """Images copied into `<out>/img/<edit_id>/`, each once; returns paths relative to `out`."""

    def __init__(self, run: Run, out: Path, prefix: str = "img") -> None:
        self.run = run
        self.out = out
        self.prefix = prefix
        self._done: dict[tuple[str, str], str | None] = {}

    def add(self, edit_id: str, image_id: str) -> str | None:
        key = (edit_id, image_id)
        if key not in self._done:
            self._done[key] = self._copy(edit_id, image_id)
        return self._done[key]

    def _copy(self, edit_id: str, image_id: str) -> str | None:
        source = self.run.image_path(edit_id, image_id)
        if source is None:
            return None
        try:
            with Image.open(source) as image:
                if max(image.size) <= THUMB_PX:
                    rel = f"{self.prefix}/{edit_id}/{image_id}.png"
                    target = self.out / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
                    return rel
                rel = f"{self.prefix}/{edit_id}/{image_id}.jpg"
                target = self.out / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                thumb = image.convert("RGB")
                thumb.thumbnail((THUMB_PX, THUMB_PX))
                thumb.save(target, "JPEG", quality=85)
                return rel
        except (OSError, UnidentifiedImageError):
            return None
