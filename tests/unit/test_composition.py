"""The container's model catalog and style presets sources: fetched through Powertools' cache, parsed
once per change."""

from __future__ import annotations

import json

import pytest

from imagegen.composition import CatalogSource, PresetSource
from imagegen.models.catalog import CatalogInvalid
from imagegen.models.styles import StylePresetsInvalid
from tests.unit.models.test_catalog import todays


def test_the_catalog_is_parsed_again_only_when_its_text_changes() -> None:
    texts = [json.dumps(todays())]
    source = CatalogSource(lambda: texts[-1])

    first = source()
    assert source() is first

    changed = todays()
    changed[0]["costs"]["1K"] = 120
    texts.append(json.dumps(changed))
    assert source().default.costs["1K"] == 120


def test_a_bad_catalog_fails_every_call_until_it_is_fixed() -> None:
    texts = [json.dumps(todays())]
    source = CatalogSource(lambda: texts[-1])
    assert source().default.id == "fast"

    texts.append('[{"id": "fast"}]')
    for _ in range(2):
        with pytest.raises(CatalogInvalid):
            source()

    texts.append(json.dumps(todays()))
    assert source().default.id == "fast"


def test_bad_style_presets_fail_every_call_until_they_are_fixed() -> None:
    good = json.dumps([{"name": "Photo", "words": "a photograph"}])
    texts = [good]
    source = PresetSource(lambda: texts[-1])
    first = source()
    assert source() is first

    texts.append(json.dumps([{"name": "Photo"}]))
    for _ in range(2):
        with pytest.raises(StylePresetsInvalid):
            source()

    texts.append(good)
    assert [preset.name for preset in source().presets] == ["Photo"]
