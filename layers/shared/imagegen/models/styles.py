"""Style presets: a name, and the words a client adds to a prompt when the preset is chosen ("Watercolour":
"watercolour painting, soft washes of colour..."). The name may be given in other languages too
(``"names": {"es": "Acuarela"}``), for the chip a client shows; the words stay as configured, the model
reads them.

Configuration, not code: the template's ``StylePresets`` parameter (JSON) is stored in an SSM parameter
that the generate function reads (``composition.Composition.style_presets``), as the model catalog is,
so ops change them without a release. They are validated whenever they are loaded; a bad list is
refused loudly (``StylePresetsInvalid``) rather than half shown. The service adds nothing to a prompt
itself: a client shows the words and sends them as part of the prompt.
"""

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from imagegen.models.base import CamelModel, ConfiguredList
from imagegen.models.users import LanguageCode

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


def _names_always_sent(schema: dict[str, Any]) -> None:
    required = {*schema.get("required", ()), "names"}
    schema["required"] = [field for field in schema["properties"] if field in required]


class StylePreset(CamelModel):
    """One preset: its ``name`` (1-40 characters), shown to choose it, in the service's fallback
    language (the first of ``Languages``); its ``names`` in other languages by language code
    (``{"es": "Acuarela"}``, maybe none), which a client shows instead of ``name`` to a user of that
    language; and the ``words`` (1-300) added to the prompt when it is chosen, in any language."""

    # A misspelt key in ops' JSON is an error, not ignored. The schema is the response's, which
    # always carries ``names`` (maybe ``{}``), though ops may leave it out.
    model_config = ConfigDict(extra="forbid", json_schema_extra=_names_always_sent)

    name: PresetName
    names: dict[LanguageCode, PresetName] = Field(default_factory=dict)
    words: PresetWords

    def name_in(self, language: str) -> str:
        """The name a user of ``language`` is shown: its name in that language, else ``name``."""
        return self.names.get(language, self.name)


class StylePresets(ConfiguredList):
    """The style presets offered, in the order to show them (at most 12, the names shown in each
    language distinct in any case): words a client adds to a prompt before sending it."""

    model_config = ConfigDict(extra="forbid")
    invalid = StylePresetsInvalid
    described = "The style presets are"

    presets: list[StylePreset] = Field(max_length=MAX_STYLE_PRESETS)

    @model_validator(mode="after")
    def _distinct(self) -> "StylePresets":
        # The chips a user sees: in each language, a preset's name in it or else its name.
        if same := _repeated(preset.name for preset in self.presets):
            raise ValueError(f"two presets have the same name, {same!r}")
        for language in sorted({code for preset in self.presets for code in preset.names}):
            if same := _repeated(preset.name_in(language) for preset in self.presets):
                raise ValueError(
                    f"two presets have the same name in {language!r}, {same!r} (a preset without a name"
                    f" in {language!r} is shown by its name)"
                )
        return self


def _repeated(names: Iterable[str]) -> str | None:
    """The first of ``names`` that an earlier one equals in any case, or None."""
    seen: set[str] = set()
    for name in names:
        if name.casefold() in seen:
            return name
        seen.add(name.casefold())
    return None
