"""``make dev``'s environment: frontends on other origins are let in by ``ALLOWED_ORIGINS``."""

from __future__ import annotations

import pytest

from devstack.__main__ import allowed_origins, parameter_overrides

FRONTEND = "http://localhost:5173"


def test_origins_are_listed_with_commas_and_spaces() -> None:
    assert allowed_origins(" http://localhost:5173, https://app.example:8443 ,") == [
        FRONTEND,
        "https://app.example:8443",
    ]
    assert allowed_origins("") == []


@pytest.mark.parametrize(
    "wrong", ["localhost:5173", "http://localhost:5173/", "http://x/app", "*", "ftp://x"]
)
def test_what_is_not_an_origin_is_refused_by_name(wrong: str) -> None:
    with pytest.raises(ValueError, match=r"is not an origin") as refused:
        allowed_origins(f"{FRONTEND},{wrong}")
    assert wrong in str(refused.value)


def test_parameter_overrides_are_read_as_sam_takes_them() -> None:
    assert parameter_overrides(" WelcomeCoins=5000  GenerationsPerMinute=100 ") == {
        "WelcomeCoins": "5000",
        "GenerationsPerMinute": "100",
    }
    assert parameter_overrides("AdminEmails=") == {"AdminEmails": ""}
    assert parameter_overrides("") == {}


@pytest.mark.parametrize(
    ("overrides", "named"),
    [("WelcomeCoin=5", "no parameter WelcomeCoin"), ("WelcomeCoins", "not Name=Value")],
)
def test_an_override_the_template_cannot_take_is_refused_by_name(overrides: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parameter_overrides(overrides)
