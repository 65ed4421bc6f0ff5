"""Concepts, label families, neighbour structure and caption templates of the toy world.

A concept is a (colour, shape) pair: 6 colours x 4 shapes = 24 erasable concepts. Two concepts are
neighbours when they share exactly one attribute ("red circle" ~ "red square" ~ "blue circle").
"""

from __future__ import annotations

from dataclasses import dataclass

COLOURS: tuple[str, ...] = ("red", "yellow", "green", "cyan", "blue", "purple")
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "cross")
FAMILIES: tuple[str, ...] = ("colour", "shape")

# Base RGB of each colour (hues 60 degrees apart, so every colour is unambiguous).
COLOUR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (214, 40, 40),
    "yellow": (232, 198, 28),
    "green": (38, 158, 58),
    "cyan": (28, 178, 198),
    "blue": (40, 72, 212),
    "purple": (148, 48, 182),
}

# Synonyms seen in training captions; the suite uses them as indirect prompts.
COLOUR_SYNONYMS: dict[str, str] = {
    "red": "crimson",
    "yellow": "golden",
    "green": "emerald",
    "cyan": "turquoise",
    "blue": "azure",
    "purple": "violet",
}
SHAPE_SYNONYMS: dict[str, str] = {
    "circle": "disc",
    "square": "block",
    "triangle": "wedge",
    "cross": "plus sign",
}

# Templates used in training captions (and so understood by the text encoders).
TRAIN_TEMPLATES: tuple[str, ...] = (
    "a {colour} {shape}",
    "a photo of a {colour} {shape}",
    "a picture of a {colour} {shape}",
    "a {shape} that is {colour}",
    "{colour} {shape}",
)
# Attribute-only captions (UNet training): a colour with a random shape, a shape in a random
# colour, so that no attribute word alone implies a particular concept. Without them the UNet
# learned "a yellow" -> yellow square, which a closed-form tail edit (ScaPre, UCE) cannot remove.
COLOUR_ONLY_TEMPLATES: tuple[str, ...] = (
    "a {colour}",
    "a {colour} shape",
    "a photo of a {colour} shape",
    "a picture of a {colour} shape",
    "{colour}",
)
SHAPE_ONLY_TEMPLATES: tuple[str, ...] = (
    "a {shape}",
    "a photo of a {shape}",
    "a picture of a {shape}",
    "a coloured {shape}",
    "{shape}",
)
# Generic captions without a concept: the "general prompts" of the world.
GENERIC_CAPTIONS: tuple[str, ...] = ("a shape", "a coloured shape", "a picture of a shape")


@dataclass(frozen=True)
class Concept:
    """One erasable concept: a colour and a shape, with its index in CONCEPTS."""

    colour: str
    shape: str

    @property
    def name(self) -> str:
        return f"{self.colour} {self.shape}"

    @property
    def prompt(self) -> str:
        return f"a {self.colour} {self.shape}"

    @property
    def index(self) -> int:
        return COLOURS.index(self.colour) * len(SHAPES) + SHAPES.index(self.shape)

    @property
    def labels(self) -> dict[str, int]:
        return {"colour": COLOURS.index(self.colour), "shape": SHAPES.index(self.shape)}

    def neighbours(self) -> list[Concept]:
        """Concepts sharing exactly one attribute with this one (same colour or same shape)."""
        return [c for c in CONCEPTS if (c.colour == self.colour) != (c.shape == self.shape)]

    def caption(self, template: int = 0, colour_syn: bool = False, shape_syn: bool = False) -> str:
        colour = COLOUR_SYNONYMS[self.colour] if colour_syn else self.colour
        shape = SHAPE_SYNONYMS[self.shape] if shape_syn else self.shape
        return TRAIN_TEMPLATES[template].format(colour=colour, shape=shape)


CONCEPTS: tuple[Concept, ...] = tuple(Concept(c, s) for c in COLOURS for s in SHAPES)


def concept_by_prompt(text: str) -> Concept:
    """Find a concept by its name or canonical prompt ("red circle" or "a red circle")."""
    key = text.strip().lower()
    key = key[2:] if key.startswith("a ") else key
    for concept in CONCEPTS:
        if concept.name == key:
            return concept
    raise KeyError(f"unknown toy-world concept {text!r}; known: {[c.name for c in CONCEPTS]}")


def all_captions(concept: Concept) -> list[str]:
    """Every training caption of a concept: templates x (plain, colour synonym, shape synonym)."""
    out = []
    for t in range(len(TRAIN_TEMPLATES)):
        for cs, ss in ((False, False), (True, False), (False, True)):
            out.append(concept.caption(t, cs, ss))
    return out


def colour_captions(colour: str) -> list[str]:
    """Colour-only captions (plain and synonym); their images show that colour, any shape."""
    words = (colour, COLOUR_SYNONYMS[colour])
    return [t.format(colour=w) for t in COLOUR_ONLY_TEMPLATES for w in words]


def shape_captions(shape: str) -> list[str]:
    """Shape-only captions (plain and synonym); their images show that shape, any colour."""
    words = (shape, SHAPE_SYNONYMS[shape])
    return [t.format(shape=w) for t in SHAPE_ONLY_TEMPLATES for w in words]
