"""Style presets: a name, and the words a client adds to a prompt when the preset is chosen ("Watercolour":
"watercolour painting, soft washes of colour...").

Configuration, not code: the template's ``StylePresets`` parameter (JSON) is stored in an SSM parameter
that the generate function reads (``composition.Composition.style_presets``), as the model catalog is,
so ops change them without a release. They are validated whenever they are loaded; a bad list is
refused loudly (``StylePresetsInvalid``) rather than half shown. The service adds nothing to a prompt
itself: a client shows the words and sends them as part of the prompt.
"""

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from imagegen.models.base import CamelModel, ConfiguredList

MAX_STYLE_PRESETS = 12
# One line of printable text: a preset is shown as a chip and its words after the prompt.
_ONE_LINE = r"^[^\x00-\x1f\x7f]+$"
PresetName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=_ONE_LINE)
]
PresetWords = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=_ONE_LINE)
]


class StylePresetsInvalid(ValueError):
    """The presets configured are not ones the service can offer; the message says what is wrong."""


class StylePreset(CamelModel):
    """One preset: its ``name`` (1-40 characters), shown to choose it, and the ``words`` (1-300) added
    to the prompt when it is chosen."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in ops' JSON is an error, not ignored

    name: PresetName
    words: PresetWords


class StylePresets(ConfiguredList):
    """The style presets offered, in the order to show them (at most 12, their names distinct in any
    case): words a client adds to a prompt before sending it."""

    model_config = ConfigDict(extra="forbid")
    invalid = StylePresetsInvalid
    described = "The style presets are"

    presets: list[StylePreset] = Field(max_length=MAX_STYLE_PRESETS)

    @model_validator(mode="after")
    def _distinct(self) -> "StylePresets":
        names = [preset.name.casefold() for preset in self.presets]
        if len(set(names)) != len(names):
            raise ValueError("two presets have the same name")
        return self
