"""A content-addressed image cache shared by runs (`--cache DIR`).

Images are stored exactly as in a run directory (`images/<edit_id>/<image_id>.png` + record), so
an image whose identity another run already produced (typically the unedited model's reference
images) is copied instead of generated. Identities hold the weights, sampler settings and dtype
but not the hardware, so keep one cache per machine.
"""

from __future__ import annotations

from pathlib import Path

from runfmt.atomic import read_json, write_bytes, write_json
from runfmt.layout import RunDir


class ImageCache:
    def __init__(self, root: Path) -> None:
        self.store = RunDir(Path(root))

    def fetch(self, run: RunDir, edit_id: str, image_id: str) -> bool:
        """Copy a verified cached image into the run; False when the cache does not hold it."""
        record = self.store.image_done(edit_id, image_id)
        if record is None:
            return False
        data = self.store.image_png(edit_id, image_id).read_bytes()
        write_bytes(run.image_png(edit_id, image_id), data)
        write_json(run.image_record(edit_id, image_id), record)
        return True

    def keep(self, run: RunDir, edit_id: str, image_id: str) -> None:
        """Store a finished image of the run (best effort: a full or read-only cache only warns
        through the caller's log, the run itself is unaffected)."""
        if self.store.image_done(edit_id, image_id):
            return
        data = run.image_png(edit_id, image_id).read_bytes()
        write_bytes(self.store.image_png(edit_id, image_id), data)
        write_json(
            self.store.image_record(edit_id, image_id),
            read_json(run.image_record(edit_id, image_id)),
        )
