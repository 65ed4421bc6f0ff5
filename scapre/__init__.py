"""ScaPre ("Forget Many, Forget Right", ICLR 2026): closed-form erasure of many concepts from the
cross-attention key/value projections of a Stable Diffusion UNet, exact and batched.

    weights = scapre.erase_concepts(pipe, ["Van Gogh", "Monet"], scapre.preset("large-scale"))
    scapre.apply_edit(pipe, weights)
"""

from scapre.config import PRESET_SOURCES, PRESETS, ScaPreConfig, preset
from scapre.edit import ScaPreEdit, compute_edit, edit_from_features, erase_concepts
from scapre.errors import ScaPreError
from scapre.families import TextStack, text_stack
from scapre.text import TextFeatures, encode_text_features, pipeline_text_features
from scapre.unet import applied, apply_edit, projections

__version__ = "0.1.0"
SOLVER_VERSION = "scapre-solver/1"

__all__ = [
    "PRESETS",
    "PRESET_SOURCES",
    "SOLVER_VERSION",
    "ScaPreConfig",
    "ScaPreEdit",
    "ScaPreError",
    "TextFeatures",
    "TextStack",
    "applied",
    "apply_edit",
    "compute_edit",
    "edit_from_features",
    "encode_text_features",
    "erase_concepts",
    "pipeline_text_features",
    "preset",
    "projections",
    "text_stack",
]
