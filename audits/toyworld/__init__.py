"""The synthetic toy world: rendered coloured shapes, a small SD-format model trained on them, and
evaluators (a label classifier and a small open_clip model) whose ground truth is known exactly.

It makes every image-level number of an audit testable offline on a laptop CPU.
"""

from audits.toyworld.world import COLOURS, CONCEPTS, SHAPES, Concept, concept_by_prompt

__all__ = ["COLOURS", "CONCEPTS", "SHAPES", "Concept", "concept_by_prompt"]
