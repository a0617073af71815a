"""The container's model catalog source: fetched through Powertools' cache, parsed once per change."""

from __future__ import annotations

import json

import pytest

from imagegen.composition import CatalogSource
from imagegen.models.catalog import CatalogInvalid
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
