"""Stripe's words for a user's language: the ``locale`` a Checkout Session is opened in."""

from __future__ import annotations

from imagegen.adapters.stripe_gateway import CHECKOUT_LOCALES, checkout_locale
from standins.stripe import CHECKOUT_LOCALES as LOCAL_STRIPE_LOCALES


def test_a_language_stripe_speaks_is_its_locale() -> None:
    assert [checkout_locale(language) for language in ("en", "es", "fr", "pt", "zh")] == [
        "en",
        "es",
        "fr",
        "pt",
        "zh",
    ]


def test_a_language_stripe_speaks_only_in_one_region_is_that_regions() -> None:
    assert checkout_locale("hi") == "hi-IN"


def test_a_language_stripe_does_not_speak_is_the_browsers() -> None:
    # Catalan, Basque, Welsh: Stripe refuses them, and the buyer would be left unable to pay.
    assert [checkout_locale(language) for language in ("ca", "eu", "cy")] == ["auto", "auto", "auto"]


def test_the_service_knows_the_locales_the_local_stripe_takes() -> None:
    assert frozenset(LOCAL_STRIPE_LOCALES) == CHECKOUT_LOCALES
