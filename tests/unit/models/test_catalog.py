"""The model catalog: what a valid one is, and today's (the template's default) against what Google serves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imagegen.models.catalog import CatalogInvalid, ModelCatalog
from stacktools.template import TEMPLATE_PATH, load_template
from standins.gemini import RETIRED_MODELS, SERVED_MODELS


def todays() -> list[dict[str, Any]]:
    """The catalog the template deploys by default, as JSON values."""
    document: list[dict[str, Any]] = json.loads(load_template()["Parameters"]["ModelCatalog"]["Default"])
    return document


def parse(models: list[dict[str, Any]]) -> ModelCatalog:
    return ModelCatalog.parse(json.dumps(models))


def test_todays_catalog_is_nano_banana_2_1_by_default_at_the_seeds_price() -> None:
    catalog = parse(todays())

    assert [model.id for model in catalog.models] == ["fast", "pro", "lite"]
    assert (catalog.default.id, catalog.default.provider_model) == ("fast", "gemini-nano-banana-2.1")
    assert catalog.default.costs["1K"] == 100
    # Google's prices per image at standard rates: 2.1 at $0.0336 / $0.0504 / $0.1134, Pro at
    # $0.134 (1K and 2K) / $0.24, Lite at $0.0336; coins = 100 per $0.0336, rounded up.
    assert [model.costs for model in catalog.models] == [
        {"1K": 100, "2K": 150, "4K": 338},
        {"1K": 399, "2K": 399, "4K": 715},
        {"1K": 100},
    ]


def test_todays_catalog_asks_only_what_google_serves() -> None:
    for model in parse(todays()).models:
        served = SERVED_MODELS[model.provider_model]
        assert set(model.image_sizes) <= set(served.sizes), model.id
        assert set(model.aspect_ratios) <= set(served.ratios), model.id
        assert model.max_input_images <= served.max_images, model.id


def test_the_template_names_no_retired_model() -> None:
    text = TEMPLATE_PATH.read_text()

    assert [retired for retired in RETIRED_MODELS if retired in text] == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda models: models[0].pop("costs"), "costs"),
        (lambda models: models[0]["costs"].pop("4K"), "exactly its imageSizes"),
        (lambda models: models[0]["costs"].update({"1K": -1}), "greater than or equal to 0"),
        (lambda models: models[0].update({"imageSizes": ["2K", "4K"], "costs": {"2K": 1, "4K": 2}}), "1K"),
        (lambda models: models[0].update({"imageSizes": ["1K", "1K"], "costs": {"1K": 1}}), "twice"),
        (lambda models: models[0].update({"aspectRatios": ["16:9"]}), "1:1"),
        (lambda models: models[0].update({"aspectRatios": ["1:1", "16 by 9"]}), "pattern"),
        (lambda models: models[0].update({"imageSizes": ["1K", "8K"], "costs": {"1K": 1, "8K": 2}}), "8K"),
        (lambda models: models[1].update({"default": True}), "exactly one model"),
        (lambda models: models[0].update({"default": False}), "exactly one model"),
        (lambda models: models[1].update({"id": "fast"}), "same id"),
        (lambda models: models[0].update({"id": "Fast Model"}), "pattern"),
        (lambda models: models[0].update({"providerModel": "../../other"}), "pattern"),
        (lambda models: models[0].update({"maxInputImages": 1}), "greater than or equal to 2"),
        (lambda models: models[0].update({"defualt": True}), "Extra inputs are not permitted"),
        (lambda models: models.clear(), "at least 1"),
    ],
)
def test_a_bad_catalog_is_refused_saying_what_is_wrong(change: Any, problem: str) -> None:
    models = todays()
    change(models)

    with pytest.raises(CatalogInvalid, match="The model catalog is not valid") as refused:
        parse(models)

    assert problem in str(refused.value)


@pytest.mark.parametrize("text", ["", "not json", '{"models": []}', "[1, 2]"])
def test_a_catalog_that_is_not_a_list_of_models_is_refused(text: str) -> None:
    with pytest.raises(CatalogInvalid):
        ModelCatalog.parse(text)


@pytest.mark.parametrize(
    ("model", "width", "height", "ratio"),
    [
        ("fast", 4000, 1000, "4:1"),
        ("pro", 4000, 1000, "21:9"),
        ("fast", 1000, 1000, "1:1"),
        ("fast", 1920, 1080, "16:9"),
        ("fast", 1080, 1920, "9:16"),
        ("fast", 1200, 900, "4:3"),
        ("fast", 100, 5000, "1:8"),
    ],
)
def test_the_ratio_nearest_an_image(model: str, width: int, height: int, ratio: str) -> None:
    spec = parse(todays()).get(model)

    assert spec is not None
    assert spec.nearest_ratio(width, height) == ratio


def test_the_api_view_keeps_googles_ids_inside() -> None:
    view = parse(todays()).view().to_json()

    assert "gemini" not in json.dumps(view)
    assert set(view["models"][0]) == {  # type: ignore[index]
        "id",
        "name",
        "default",
        "aspectRatios",
        "imageSizes",
        "maxReferenceImages",
        "costs",
    }
