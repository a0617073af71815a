"""Settings come by area: a function needs only the areas it uses, and a missing or bad variable of
one of them fails loudly, naming it."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from imagegen import config
from imagegen.config import (
    AREAS,
    GeminiSettings,
    MissingSettings,
    Settings,
    TokenSettings,
    UploadSettings,
    read_area,
    variables,
)
from stacktools.template import Template

SERVICE_ONLY = {"STAGE": "test", "SERVICE_VERSION": "1.2.3"}
TOKENS = {
    "TOKEN_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:token",
    "TOKEN_ISSUER": "imagegen/test",
    "TOKEN_AUDIENCE": "imagegen-api/test",
    "ACCESS_TOKEN_TTL_SECONDS": "900",
    "REFRESH_TOKEN_TTL_SECONDS": "2592000",
}


def test_a_function_runs_on_the_areas_it_uses_alone() -> None:
    settings = Settings(SERVICE_ONLY)

    assert settings.service.version == "1.2.3"  # the health check: no table, no secret, no Gemini


def test_an_area_that_is_missing_fails_on_first_use_naming_every_variable() -> None:
    settings = Settings(SERVICE_ONLY)

    with pytest.raises(MissingSettings) as missing:
        settings.gemini  # noqa: B018 - reading the area is the act under test

    message = str(missing.value)
    assert message.startswith("GeminiSettings cannot be read from the environment")
    for name in variables(GeminiSettings):
        assert f"{name}: Field required" in message


def test_a_bad_value_is_named_with_what_is_wrong() -> None:
    with pytest.raises(MissingSettings, match=r"ACCESS_TOKEN_TTL_SECONDS: Input should be greater than 0"):
        read_area(TokenSettings, {**TOKENS, "ACCESS_TOKEN_TTL_SECONDS": "0"})
    with pytest.raises(
        MissingSettings, match=r"ACCEPTED_UPLOAD_TYPES: Value error, cannot store \['image/bmp'\]"
    ):
        read_area(
            UploadSettings,
            {
                "UPLOAD_COST": "50",
                "MAX_UPLOAD_BYTES": "1",
                "UPLOAD_URL_TTL_SECONDS": "300",
                "ACCEPTED_UPLOAD_TYPES": "image/png, image/bmp",
            },
        )


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "at least one language is needed"),
        ("en,EN", r"\['EN'\] are not two-letter lowercase language codes"),
        ("en,spa", r"\['spa'\] are not two-letter"),
        ("en-GB", r"\['en-GB'\] are not two-letter"),
        ("en,es,en", r"\['en'\] are listed more than once"),
    ],
)
def test_languages_that_break_the_rules_are_refused_saying_why(value: str, why: str) -> None:
    with pytest.raises(MissingSettings, match=rf"LANGUAGES: Value error, {why}"):
        Settings({"LANGUAGES": value}).languages  # noqa: B018 - reading the area is the act under test


def test_the_languages_are_kept_in_order_the_first_the_fallback() -> None:
    languages = Settings({"LANGUAGES": " es, en ,"}).languages.languages

    assert (languages.codes, languages.fallback) == (("es", "en"), "es")
    assert "en" in languages
    assert "fr" not in languages


def test_an_area_is_read_once_from_a_snapshot_and_lists_are_split() -> None:
    environment = {
        **SERVICE_ONLY,
        "GOOGLE_CLIENT_IDS": " a.apps , b.apps,",
        "GOOGLE_ISSUERS": "x",
        "GOOGLE_JWKS_URL": "http://127.0.0.1/certs",
    }
    settings = Settings(environment)
    environment["GOOGLE_ISSUERS"] = "changed"  # the container's settings are what it started with

    assert settings.google.client_ids == ["a.apps", "b.apps"]
    assert settings.google.issuers == ["x"]
    assert settings.google is settings.google


def test_every_area_is_reachable_from_the_settings() -> None:
    defined = {
        area
        for area in vars(config).values()
        if isinstance(area, type) and issubclass(area, BaseModel) and area.__module__ == config.__name__
    }
    assert set(AREAS) == defined - {config._Area}  # an area no function can read would be dead config


def test_the_template_gives_each_function_whole_areas_and_every_area_to_some_function(
    template: Template,
) -> None:
    area_of = {name: area for area in AREAS for name in variables(area)}
    given: set[type] = set()
    for logical_id, function in template.functions().items():
        ours = {name for name in function.environment if not name.startswith("POWERTOOLS_")}
        assert ours <= set(area_of), f"{logical_id}: {sorted(ours - set(area_of))} belong to no area"
        areas = {area_of[name] for name in ours}
        for area in areas:
            assert set(variables(area)) <= ours, f"{logical_id} has part of {area.__name__}"
        given |= areas
    assert given == set(AREAS)
