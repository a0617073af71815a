"""The style presets: what a valid list is, refused loudly when wrong, and the template's default."""

from __future__ import annotations

import json

import pytest

from imagegen.models.styles import StylePresets, StylePresetsInvalid
from stacktools.template import load_template

PRESET = {"name": "Watercolour", "words": "watercolour painting, soft washes of colour"}


def test_the_templates_default_presets_are_valid_and_fit_a_prompt() -> None:
    presets = StylePresets.parse(load_template()["Parameters"]["StylePresets"]["Default"])

    assert [preset.name for preset in presets.presets] == [
        "Photo",
        "Watercolour",
        "Anime",
        "3D render",
        "Pixel art",
        "Line drawing",
        "Cinematic",
        "Minimal",
    ]
    assert [preset.names for preset in presets.presets] == [
        {"es": "Foto"},
        {"es": "Acuarela"},
        {"es": "Anime"},
        {"es": "Render 3D"},
        {"es": "Pixel art"},
        {"es": "Dibujo lineal"},
        {"es": "Cinematográfico"},
        {"es": "Minimalista"},
    ]
    for preset in presets.presets:
        assert len(preset.words) <= 150  # room left for the prompt they are added to (2000 in all)
        assert not preset.words.endswith((",", "."))  # the page joins them with ", "


def test_the_presets_fit_the_ssm_parameter_they_are_kept_in() -> None:
    default = load_template()["Parameters"]["StylePresets"]["Default"]

    assert len(default.encode()) < 4096  # a standard SSM parameter, and a CloudFormation parameter's value


def test_names_and_words_are_trimmed_and_no_presets_at_all_is_a_choice() -> None:
    presets = StylePresets.parse(json.dumps([{"name": "  Photo ", "words": " a photograph "}]))

    assert presets.to_json() == {"presets": [{"name": "Photo", "names": {}, "words": "a photograph"}]}
    assert StylePresets.parse("[]").presets == []


def test_a_preset_may_be_named_in_other_languages_and_is_shown_by_its_name_in_the_rest() -> None:
    presets = StylePresets.parse(
        json.dumps(
            [
                {**PRESET, "names": {"es": " Acuarela ", "fr": "Aquarelle"}},
                {"name": "Anime", "names": {"es": "Anime"}, "words": "anime style"},
                {"name": "Photo", "words": "a photograph"},
            ]
        )
    )

    assert presets.to_json()["presets"][0] == {**PRESET, "names": {"es": "Acuarela", "fr": "Aquarelle"}}
    assert [preset.name_in("es") for preset in presets.presets] == ["Acuarela", "Anime", "Photo"]
    assert [preset.name_in("de") for preset in presets.presets] == ["Watercolour", "Anime", "Photo"]


@pytest.mark.parametrize(
    ("presets", "wrong"),
    [
        ("not json", "not JSON"),
        ('{"name": "Photo"}', "presets"),  # a list, not one preset
        (json.dumps([PRESET, {**PRESET, "name": "WATERCOLOUR"}]), "same name"),
        (json.dumps([{**PRESET, "name": ""}]), "name"),
        (json.dumps([{**PRESET, "name": "   "}]), "name"),
        (json.dumps([{**PRESET, "name": "x" * 41}]), "name"),
        (json.dumps([{**PRESET, "name": "Two\nlines"}]), "name"),
        (json.dumps([{**PRESET, "words": ""}]), "words"),
        (json.dumps([{**PRESET, "words": "w" * 301}]), "words"),
        (json.dumps([{"name": "Photo"}]), "words"),
        (json.dumps([{**PRESET, "colour": "blue"}]), "colour"),  # a misspelt key is an error, not ignored
        (json.dumps([{**PRESET, "name": 5}]), "name"),
        (json.dumps([{**PRESET, "name": f"Preset {n}"} for n in range(13)]), "at most 12"),
        (
            json.dumps([{**PRESET, "names": {"ES": "Acuarela"}}]),
            r"names\.ES.*'ES' is not a two-letter lowercase",
        ),
        (json.dumps([{**PRESET, "names": {"spa": "Acuarela"}}]), "'spa' is not a two-letter lowercase"),
        (json.dumps([{**PRESET, "names": {"es-MX": "Acuarela"}}]), "'es-MX' is not a two-letter lowercase"),
        (json.dumps([{**PRESET, "names": {"es": ""}}]), r"names\.es"),
        (json.dumps([{**PRESET, "names": {"es": "x" * 41}}]), r"names\.es: String should have at most 40"),
        (json.dumps([{**PRESET, "names": {"es": "Dos\nlíneas"}}]), r"names\.es"),
        (json.dumps([{**PRESET, "names": ["es", "Acuarela"]}]), "names: Input should be a valid dictionary"),
        (json.dumps([{**PRESET, "names": {"es": 5}}]), r"names\.es"),
        (
            json.dumps(
                [
                    {**PRESET, "names": {"es": "Pintura"}},
                    {"name": "Oil", "names": {"es": "PINTURA"}, "words": "oil"},
                ]
            ),
            "same name in 'es', 'PINTURA'",
        ),
        # A preset without a Spanish name is shown by its name to a Spanish user: no two chips alike.
        (
            json.dumps([{**PRESET, "names": {"es": "Photo"}}, {"name": "photo", "words": "a photograph"}]),
            "same name in 'es', 'photo'",
        ),
    ],
)
def test_a_wrong_list_of_presets_is_refused_saying_what_is_wrong(presets: str, wrong: str) -> None:
    with pytest.raises(StylePresetsInvalid, match=wrong):
        StylePresets.parse(presets)


def test_the_longest_presets_allowed_are_taken() -> None:
    longest = [{"name": f"{n:02}" + "n" * 38, "words": "w" * 300} for n in range(12)]

    assert len(StylePresets.parse(json.dumps(longest)).presets) == 12
