"""The model's turn that made a generated image, kept beside it (``turns/{userId}/{imageId}.json``).

An edit of a generated image replays this turn before its own request, as Gemini's multi-turn
editing does: the text the model was given, then the model's answer with the
``thoughtSignature`` of each part, so a chain of edits keeps its subject and style. The image
itself is not copied here; it is the image's original in ``images/``.
"""

from pydantic import Field

from imagegen.models.base import CamelModel


class TurnPart(CamelModel):
    """A part of the model's answer: a text, or (``image``) the image that was stored."""

    text: str | None = None
    image: bool = False
    thought_signature: str | None = None


class ModelTurn(CamelModel):
    """What an edit of this image replays."""

    provider_model: str
    """Google's id of the model that answered: its signatures mean nothing to another model."""
    prompt: str
    parts: list[TurnPart] = Field(min_length=1)
