"""Progress of the engine's stages: see `reports.progress` (shared with the report's thumbnails,
which must not import the engine)."""

from reports.progress import is_quiet, progress_bar, set_interval, set_quiet

__all__ = ["is_quiet", "progress_bar", "set_interval", "set_quiet"]
