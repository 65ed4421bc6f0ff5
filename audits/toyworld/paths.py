"""Where the committed toy-world weights live."""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
PIPELINE_DIR = WEIGHTS_DIR / "pipeline"
CLASSIFIER_DIR = WEIGHTS_DIR / "classifier"
OPEN_CLIP_DIR = WEIGHTS_DIR / "open_clip"
