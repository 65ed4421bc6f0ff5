"""The project's synthetic toy world: an SD 1.x-structured pipeline (`audits/toyworld/`)."""

from __future__ import annotations

from audits.models.families.sd import ModelFamily


class ToyWorld(ModelFamily):
    name = "toyworld"
    structure = "sd-v1"
    native_size = 32
    context_width = None
    summary = "the bundled toy world: SD 1.x structure, tiny widths, 32 px"
