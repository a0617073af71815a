"""A local stand-in for the part of Stripe that the service uses: Checkout, payments, refunds,
disputes, events and webhooks, answering Stripe's official SDK as Stripe does.

Served under a prefix the stack chooses (``/_dev/stripe``), so the SDK reaches it through its base
address setting, ``StripeClient(key, base_addresses={"api": f"{api_url}/_dev/stripe"})``: the SDK
appends ``/v1/...`` to that address as it is, so the production code path is the one tested.

**The API** (``/v1/...``), read as Stripe reads it:

* ``Authorization: Bearer <key>`` (or HTTP basic with the key as the user name); without it, or
  with another key, 401 in Stripe's words;
* form-encoded bodies and query strings with Stripe's brackets (``line_items[0][price_data][currency]``,
  ``expand[]=payment_intent``), decoded once by ``decode_form``; a parameter Stripe does not have is
  refused (400 ``Received unknown parameter: x``), and one Stripe has but the stand-in does not
  implement is refused with a 400 that says so, never ignored;
* ``Stripe-Version`` taken (and answered); it is the ``api_version`` of the events a request causes;
* ``Idempotency-Key`` on a POST: the same key with the same request replays the first answer
  (``Idempotent-Replayed: true``), with another request it is 400 ``idempotency_error``; a request
  refused before it ran (bad parameters) is not kept, as Stripe keeps only results of requests that
  ran; keys are forgotten after 24 hours;
* errors in Stripe's shape, ``{"error": {"type", "code", "message", "param", "doc_url"}}``: 404
  ``resource_missing`` ("No such checkout.session: 'cs_…'"), 400 ``invalid_request_error`` with the
  ``param``, 404 "Unrecognized request URL" for what the stand-in does not serve.

Endpoints: ``POST /v1/checkout/sessions`` (``mode=payment`` with ``price_data`` line items),
``GET /v1/checkout/sessions[/{id}[/line_items]]``, ``POST /v1/checkout/sessions/{id}/expire``,
``GET /v1/payment_intents/{id}``, ``GET /v1/charges/{id}``, ``POST|GET /v1/refunds``,
``GET /v1/refunds/{id}``, ``GET /v1/disputes/{id}``, ``GET /v1/events[/{id}]``; ``expand`` on each.
Objects have Stripe's shapes (its OpenAPI document's fields, for the fields they carry), ids,
minor-unit amounts and Unix-second times; as in Stripe's current API versions, a session has no
PaymentIntent until the customer pays, and a charge's ``refunds`` appear only when expanded.

**The hosted page** at a session's ``url`` (``{base}/checkout/pay/{id}``) shows the items and the
total and takes Stripe's test cards (``TEST_CARDS``: 4242… pays, 4000 0000 0000 0002 is declined,
9995 has insufficient funds, 0259 pays and is disputed soon after...) or a delayed method (SEPA
Direct Debit) that succeeds or fails ``settle_seconds`` later; "Cancel" goes to ``cancel_url``.
It runs under a strict content security policy (its script and style are files). It speaks the
session's ``locale`` as Stripe's page does, here English or Spanish (``PAGE_WORDS``): Spanish for
``es`` and ``es-419``, for ``auto`` (or no locale) the browser's ``Accept-Language``'s choice of the
two, English for any other locale; so does the pay control, by its request's ``Accept-Language``.

**Events** are made as Stripe makes them (``checkout.session.completed``,
``checkout.session.async_payment_succeeded|failed``, ``checkout.session.expired``,
``payment_intent.*``, ``charge.*``, ``refund.created``, ``charge.dispute.*``) and POSTed to the
webhook URL signed as Stripe signs them (``Stripe-Signature: t=…,v1=HMAC-SHA256("{t}.{body}")``
with the ``whsec_`` secret, anew for each attempt), by a background thread, retried with backoff
(``retry_delays``, Stripe's days scaled to minutes) on an answer other than 2xx or a failed
connection, each attempt recorded. Deliveries can be held back and let go again. A session past its
``expires_at`` expires (read lazily, and by the thread), with its event.

**Controls** under the same prefix, JSON in and out (the local stack's error envelope):
``POST checkout/sessions/{id}/pay``, ``POST payment_intents/{id}/refund``,
``POST payment_intents/{id}/dispute``, ``POST disputes/{id}/close``, ``POST events/{id}/resend``,
``GET events``, ``GET|POST webhooks``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import requests
from werkzeug.wrappers import Request, Response

PAGES_DIR = Path(__file__).parent / "pages"
# The version stripe-python 16.1.0 (layers/shared/requirements.txt) pins: a request without
# Stripe-Version is read at it, as an account's default version.
DEFAULT_API_VERSION: Final = "2026-10-28.endive"
# Stripe retries a failed delivery for up to three days; locally the same backoff in seconds.
RETRY_DELAYS: Final = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)
SETTLE_SECONDS: Final = 3.0
DELIVERY_TIMEOUT_SECONDS: Final = 10.0
SESSION_MIN_SECONDS: Final = 30 * 60
SESSION_MAX_SECONDS: Final = 24 * 60 * 60
IDEMPOTENCY_SECONDS: Final = 24 * 60 * 60
MAX_REQUEST_BYTES: Final = 1024 * 1024
EVENT_LOG_SIZE: Final = 100
# The languages Checkout speaks, in the order Stripe lists them when it refuses another ``locale``
# (as stripe-python 16.1.0 types the parameter). The session keeps it, as Stripe's does; the hosted
# page here speaks two of them (``PAGE_WORDS``).
CHECKOUT_LOCALES: Final = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA",
    "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR",
    "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
)  # fmt: skip

_BASE62 = string.ascii_letters + string.digits
_VERSION = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(\.[a-z]+)?$")
_KEY_NAME = re.compile(r"^(?P<name>[^\[\]]+)(?P<brackets>(?:\[[^\[\]]*\])*)$")
_ID = r"(?P<id>[^/]+)"

# Sender(url, body, headers) -> (status, body text); raises OSError when no answer came.
Sender = Callable[[str, bytes, Mapping[str, str]], tuple[int, str]]


def new_secret_key() -> str:
    """A test-mode secret key, shaped like Stripe's."""
    return "sk_test_" + _random(99)


def new_webhook_secret() -> str:
    """A webhook endpoint's signing secret, shaped like Stripe's."""
    return "whsec_" + _random(32)


def _random(length: int) -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    """``Stripe-Signature`` for ``payload`` as Stripe writes it: ``t=<unix>,v1=<hex HMAC-SHA256 of
    "{t}.{payload}" keyed with the whole whsec_ secret>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


# ------------------------------------------------------------------ money
# Stripe's zero- and three-decimal currencies (docs.stripe.com/currencies); the rest have two.
_ZERO_DECIMAL = "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf"
ZERO_DECIMAL: Final = frozenset(_ZERO_DECIMAL.split())
THREE_DECIMAL: Final = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
_SYMBOLS: Final = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "inr": "₹"}
# Stripe's minimum charge amounts of some currencies (docs.stripe.com/currencies, "Minimum and
# maximum charge amounts").
MINIMUM_AMOUNTS: Final = {
    "usd": 50,
    "eur": 50,
    "gbp": 30,
    "cad": 50,
    "aud": 50,
    "chf": 50,
    "jpy": 50,
    "sek": 300,
    "nok": 300,
    "dkk": 250,
}
MAXIMUM_AMOUNT: Final = 99_999_999


def format_amount(amount: int, currency: str) -> str:
    """An amount in minor units as a person reads it: ``$5.00``, ``€1,234.50``, ``¥500``, ``12.00 CHF``."""
    digits = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    text = f"{amount / 10**digits:,.{digits}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


# ------------------------------------------------------------------ test cards
@dataclass(frozen=True)
class TestCard:
    """What Stripe's test card does (docs.stripe.com/testing)."""

    brand: str
    decline_code: str | None = None
    """The charge is declined with this decline code (``code`` is ``card_declined`` unless ``code``)."""
    code: str | None = None
    message: str = ""
    dispute: str | None = None
    """The charge succeeds and is disputed for this reason soon after."""


_DECLINED = "Your card was declined."
TEST_CARDS: Final = {
    "4242424242424242": TestCard("visa"),
    "4000056655665556": TestCard("visa"),
    "5555555555554444": TestCard("mastercard"),
    "2223003122003222": TestCard("mastercard"),
    "5200828282828210": TestCard("mastercard"),
    "378282246310005": TestCard("amex"),
    "6011111111111117": TestCard("discover"),
    "3566002020360505": TestCard("jcb"),
    "4000000000000077": TestCard("visa"),
    "4000000000000002": TestCard("visa", "generic_decline", message=_DECLINED),
    "4000000000009995": TestCard("visa", "insufficient_funds", message="Your card has insufficient funds."),
    "4000000000009987": TestCard("visa", "lost_card", message=_DECLINED),
    "4000000000009979": TestCard("visa", "stolen_card", message=_DECLINED),
    "4000000000000069": TestCard("visa", code="expired_card", message="Your card has expired."),
    "4000000000000127": TestCard(
        "visa", code="incorrect_cvc", message="Your card's security code is incorrect."
    ),
    "4000000000000119": TestCard(
        "visa",
        code="processing_error",
        message="An error occurred while processing your card. Try again in a little bit.",
    ),
    "4000000000000259": TestCard("visa", dispute="fraudulent"),
    "4000000000002685": TestCard("visa", dispute="product_not_received"),
}
DISPUTE_REASONS: Final = (
    "bank_cannot_process",
    "check_returned",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "noncompliant",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
)
_OPEN_DISPUTES: Final = frozenset(
    {"warning_needs_response", "warning_under_review", "needs_response", "under_review"}
)


# Payment methods whose result comes later (docs.stripe.com/payments/payment-methods): the one a
# session offers by default is its currency's. Their test accounts (their names: ``PAGE_WORDS``).
DELAYED_METHODS: Final[dict[str, dict[str, Any]]] = {
    "sepa_debit": {
        "details": {"bank_code": "37040044", "branch_code": None, "country": "DE", "last4": "3000"},
    },
    "bacs_debit": {"details": {"last4": "2345", "sort_code": "108800"}},
    "us_bank_account": {
        "details": {
            "account_holder_type": "individual",
            "account_type": "checking",
            "bank_name": "STRIPE TEST BANK",
            "last4": "6789",
            "routing_number": "110000000",
        },
    },
}


def _delayed_method(currency: str) -> str:
    return {"eur": "sepa_debit", "gbp": "bacs_debit"}.get(currency, "us_bank_account")


def luhn_valid(number: str) -> bool:
    """Whether a card number's check digit is right (what makes 4242 4242 4242 4241 "incorrect")."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(int(char) for char in reversed(number)):
        doubled = digit * 2 if index % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


# ------------------------------------------------------------------ the hosted page's words
# Every word the hosted page (and its script, and the pay control's refusals) shows, in each
# language it speaks: a key, then its English and its Spanish (in ``PAGE_LANGUAGES``' order). An
# error's key is Stripe's code for it (a decline's ``decline_code``, else its ``code``).
PAGE_LANGUAGES: Final = ("en", "es")
PAGE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "title": ("Pay {business}", "Pagar a {business}"),
    "testmode": (
        "Test mode: the local Stripe stand-in. No real money moves.",
        "Modo de prueba: el sustituto local de Stripe. No se mueve dinero real.",
    ),
    "cancel_and_return": ("← Cancel and return to {business}", "← Cancelar y volver a {business}"),
    "pay": ("Pay", "Pagar"),
    "total_due": ("Total due", "Total a pagar"),
    "payment_details": ("Payment details", "Datos de pago"),
    "email_label": ("Email", "Correo electrónico"),
    "payment_method": ("Payment method", "Método de pago"),
    "card": ("Card", "Tarjeta"),
    "comes_later": ("{method} (the result comes later)", "{method} (el resultado llega más tarde)"),
    "sepa_debit": ("SEPA Direct Debit", "Adeudo directo SEPA"),
    "bacs_debit": ("Bacs Direct Debit", "Adeudo directo Bacs"),
    "us_bank_account": ("US bank account (ACH)", "Cuenta bancaria de EE. UU. (ACH)"),
    "bank_answers": (
        "The bank answers a few seconds after you pay. Choose its answer:",
        "El banco responde unos segundos después de pagar. Elige su respuesta:",
    ),
    "succeeds": ("The payment succeeds", "El pago se completa"),
    "fails": ("The payment fails", "El pago falla"),
    "card_number": ("Card number", "Número de tarjeta"),
    "expiry": ("Expiry", "Caducidad"),
    "expiry_placeholder": ("MM / YY", "MM / AA"),
    "cvc": ("CVC", "CVC"),
    "test_cards": (
        "Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined; 4000 0000 0000 9995 has "
        "insufficient funds. Any future expiry, any CVC.",
        "Tarjetas de prueba: 4242 4242 4242 4242 paga; 4000 0000 0000 0002 se rechaza; 4000 0000 0000 "
        "9995 no tiene fondos suficientes. Cualquier caducidad futura, cualquier CVC.",
    ),
    "pay_amount": ("Pay {amount}", "Pagar {amount}"),
    "processing": ("Processing…", "Procesando…"),
    "email_incomplete": ("Your email is incomplete.", "Tu correo electrónico está incompleto."),
    "number_incomplete": ("Your card number is incomplete.", "El número de tu tarjeta está incompleto."),
    "went_wrong": ("Something went wrong.", "Algo salió mal."),
    "not_sent": (
        "The payment could not be sent. Check your connection and try again.",
        "No se pudo enviar el pago. Comprueba tu conexión y vuelve a intentarlo.",
    ),
    "paid_title": ("Thanks for your payment", "Gracias por tu pago"),
    "paid_text": ("A payment of {total} to {business} was made.", "Se hizo un pago de {total} a {business}."),
    "processing_title": ("Your payment is processing", "Tu pago se está procesando"),
    "processing_text": (
        "Your bank payment has been submitted; you will hear once it has gone through.",
        "Tu pago bancario se ha enviado; te avisaremos cuando se complete.",
    ),
    "failed_title": ("Your payment failed", "Tu pago ha fallado"),
    "failed_text": (
        "Your bank did not make the payment. Nothing was taken.",
        "Tu banco no hizo el pago. No se cobró nada.",
    ),
    "expired_title": ("This checkout session has expired", "Esta sesión de pago ha caducado"),
    "expired_text": ("Go back and start again to pay.", "Vuelve atrás y empieza de nuevo para pagar."),
    "return_to": ("Return to {business}", "Volver a {business}"),
    "missing_title": ("Something went wrong", "Algo salió mal"),
    "missing_text": (
        "The page you were looking for could not be found. Please check the URL or contact the merchant.",
        "No se encontró la página que buscabas. Comprueba la URL o ponte en contacto con el comercio.",
    ),
    # The pay control's refusals that the page shows (by their code; any other stays English).
    "card_declined": ("Your card was declined.", "Se ha rechazado tu tarjeta."),
    "insufficient_funds": ("Your card has insufficient funds.", "Tu tarjeta no tiene fondos suficientes."),
    "expired_card": ("Your card has expired.", "Tu tarjeta ha caducado."),
    "incorrect_cvc": (
        "Your card's security code is incorrect.",
        "El código de seguridad de tu tarjeta es incorrecto.",
    ),
    "processing_error": (
        "An error occurred while processing your card. Try again in a little bit.",
        "Se produjo un error al procesar tu tarjeta. Vuelve a intentarlo dentro de un rato.",
    ),
    "test_mode_live_card": (
        "Your card was declined. Your request was in test mode, but used a non test (live) card. For a "
        "list of valid test cards, visit: https://stripe.com/docs/testing.",
        "Se ha rechazado tu tarjeta. Tu solicitud estaba en modo de prueba, pero usaste una tarjeta real "
        "(no de prueba). Para ver una lista de tarjetas de prueba válidas, visita: "
        "https://stripe.com/docs/testing.",
    ),
    "incorrect_number": ("Your card number is incorrect.", "El número de tu tarjeta es incorrecto."),
    "incomplete_cvc": (
        "Your card's security code is incomplete.",
        "El código de seguridad de tu tarjeta está incompleto.",
    ),
    "incomplete_expiry": (
        "Your card's expiration date is incomplete.",
        "La fecha de caducidad de tu tarjeta está incompleta.",
    ),
    "invalid_expiry_month": (
        "Your card's expiration month is invalid.",
        "El mes de caducidad de tu tarjeta no es válido.",
    ),
    "invalid_expiry_year_past": (
        "Your card's expiration year is in the past.",
        "El año de caducidad de tu tarjeta ya ha pasado.",
    ),
    "session_expired": ("This Checkout Session has expired.", "Esta sesión de pago ha caducado."),
    "session_complete": ("This Checkout Session is already complete.", "Esta sesión de pago ya se completó."),
}


def page_words(language: str) -> dict[str, str]:
    """The hosted page's words in one of ``PAGE_LANGUAGES``."""
    index = PAGE_LANGUAGES.index(language)
    return {key: words[index] for key, words in PAGE_WORDS.items()}


def browser_language(accept_language: Iterable[tuple[str, float]]) -> str:
    """The page's language a browser prefers: the first of its ``Accept-Language`` entries (by
    q-value, as werkzeug orders them) whose primary subtag the page speaks (``es-MX`` is ``es``);
    English when none is, for ``*``, and without the header."""
    for tag, quality in accept_language:
        primary = tag.split("-")[0].lower()
        if quality > 0 and primary == "*":
            break
        if quality > 0 and primary in PAGE_LANGUAGES:
            return primary
    return PAGE_LANGUAGES[0]


def page_language(locale: str | None, accept_language: Iterable[tuple[str, float]] = ()) -> str:
    """The language of a session's page, as Stripe's page picks it from the session's ``locale``:
    Spanish for ``es`` and its variants, the browser's for ``auto`` and for no locale (Stripe's
    default is ``auto``), English for any other."""
    if locale in (None, "auto"):
        return browser_language(accept_language)
    return "es" if locale.split("-")[0] == "es" else "en"


# ------------------------------------------------------------------ errors
class StripeError(Exception):
    """An answer in Stripe's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {}
        if self.code:
            error["code"] = self.code
        if self.decline_code:
            error["decline_code"] = self.decline_code
        if self.code:
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error["message"] = self.message
        if self.param:
            error["param"] = self.param
        error["type"] = self.error_type
        return {"error": error}


def _invalid(message: str, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code)


def _unknown(param: str) -> StripeError:
    return _invalid(f"Received unknown parameter: {param}", param, "parameter_unknown")


def _missing(param: str) -> StripeError:
    return _invalid(f"Missing required param: {param}.", param, "parameter_missing")


def _not_served(param: str) -> StripeError:
    return _invalid(
        f"The local Stripe stand-in does not implement {param} (Stripe takes it): it serves one-off "
        "Checkout payments with price_data line items.",
        param,
    )


class ControlRefused(Exception):
    """A control's refusal, in the local stack's envelope."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


# ------------------------------------------------------------------ Stripe's form encoding
def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracketed form parameters as nested values: ``a[b][c]=1`` is ``{"a": {"b": {"c":
    "1"}}}``, ``a[]=x&a[]=y`` is ``{"a": ["x", "y"]}``, and ``a[0][b]=1`` is ``{"a": {"0": {"b":
    "1"}}}`` (read as a list where the parameter is one: ``_array``). A name that is both a value
    and a hash, or a malformed name, is refused as Stripe refuses it."""
    decoded: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY_NAME.match(key)
        if match is None:
            raise _invalid(f"Invalid parameter name: {key[:100]}", key[:100])
        path = [match["name"], *re.findall(r"\[([^\[\]]*)\]", match["brackets"])]
        if "" in path[:-1]:
            raise _invalid("Invalid array", match["name"])
        append = path[-1] == ""
        names = path[:-1] if append else path
        container: dict[str, Any] = decoded
        for depth, segment in enumerate(names[:-1]):
            child = container.setdefault(segment, {})
            if not isinstance(child, dict):
                raise _invalid("Invalid hash", _param_name(names[: depth + 1]))
            container = child
        last, existing = names[-1], container.get(names[-1])
        if append and existing is None:
            container[last] = [value]
        elif append and isinstance(existing, list):
            existing.append(value)
        elif append or isinstance(existing, dict | list):
            raise _invalid(
                "Invalid hash" if isinstance(existing, dict) else "Invalid array", _param_name(names)
            )
        else:
            container[last] = value
    return decoded


def _param_name(path: Sequence[str | int]) -> str:
    head, *rest = path
    return str(head) + "".join(f"[{segment}]" for segment in rest)


def _join(where: str, key: str | int) -> str:
    return f"{where}[{key}]" if where else str(key)


def _check_keys(
    value: Mapping[str, Any], where: str, allowed: Collection[str], unserved: Collection[str] = ()
) -> None:
    for key in value:
        if key in unserved:
            raise _not_served(_join(where, key))
        if key not in allowed:
            raise _unknown(_join(where, key))


def _hash(value: Any, param: str) -> dict[str, Any]:
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid("Invalid hash", param)
    return value


def _array(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    raise _invalid("Invalid array", param)


def _string(value: Any, param: str, max_length: int = 5000) -> str:
    if not isinstance(value, str):
        raise _invalid(f"Invalid string: {_shown(value)}", param)
    if len(value) > max_length:
        raise _invalid(f"Invalid string: {value[:20]}...; must be at most {max_length} characters", param)
    return value


def _integer(value: Any, param: str) -> int:
    if not (isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value)):
        raise _invalid(f"Invalid integer: {_shown(value)}", param)
    return int(value)


def _boolean(value: Any, param: str) -> bool:
    if value not in ("true", "false"):
        raise _invalid(f"Invalid boolean: {_shown(value)}", param)
    return bool(value == "true")


def _enum(value: Any, param: str, choices: Sequence[str]) -> str:
    if value not in choices:
        listed = ", ".join(choices[:-1]) + f", or {choices[-1]}" if len(choices) > 1 else choices[0]
        raise _invalid(f"Invalid {param}: must be one of {listed}", param)
    return str(value)


def _shown(value: Any) -> str:
    return (value if isinstance(value, str) else json.dumps(value))[:100]


def _metadata(value: Any, param: str) -> dict[str, str]:
    """Stripe's metadata rules: at most 50 keys of at most 40 characters, values of at most 500;
    an empty value unsets its key."""
    metadata = _hash(value, param)
    if len(metadata) > 50:
        raise _invalid("Invalid metadata: metadata can have up to 50 keys.", param)
    cleaned: dict[str, str] = {}
    for key, item in metadata.items():
        if len(key) > 40:
            raise _invalid(
                f"Metadata keys can have up to 40 characters, but you passed in a key that is "
                f"{len(key)} characters. Invalid key: {key[:40]}...",
                _join(param, key),
            )
        text = _string(item, _join(param, key), max_length=10**6)
        if len(text) > 500:
            raise _invalid(
                f"Metadata values can have up to 500 characters, but you passed in a value that is "
                f"{len(text)} characters. Invalid value: {text[:40]}...",
                _join(param, key),
            )
        if text:
            cleaned[key] = text
    return cleaned


# ------------------------------------------------------------------ state
@dataclass
class _Cause:
    """What made an event: an API request (its id and idempotency key), or nothing (the customer,
    time); and the API version its objects are rendered at."""

    api_version: str
    request_id: str | None = None
    idempotency_key: str | None = None


@dataclass
class _Saved:
    """An idempotency key's first request and its answer."""

    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: str
    request_id: str
    at: float


@dataclass
class _Delivery:
    """An event's deliveries to the webhook URL."""

    event_id: str
    sequence: int
    state: str
    """``pending`` (to be tried), ``succeeded``, ``failed`` (every retry failed), or ``not_sent``
    (the endpoint does not listen to its type)."""
    next_at: float | None = None
    tries: int = 0
    """Scheduled attempts made (a resend is not one)."""
    attempts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(order=True)
class _Timer:
    due: float
    sequence: int
    action: Callable[[], None] = field(compare=False)


@dataclass
class _Session:
    """What the stand-in keeps beside a session's Stripe object."""

    line_items: list[dict[str, Any]]
    api_version: str


class LocalStripe:
    """Stripe's API, hosted checkout page, events and webhooks for one test-mode account, in memory."""

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        webhook_url: str,
        base_url: str,
        *,
        clock: Callable[[], float] = time.time,
        send: Sender | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        settle_seconds: float = SETTLE_SECONDS,
        enabled_events: Collection[str] = ("*",),
        business_name: str = "imagegen (local)",
        api_version: str = DEFAULT_API_VERSION,
    ) -> None:
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.base_url = base_url.rstrip("/")
        self.prefix = urlsplit(self.base_url).path
        self.enabled_events = frozenset(enabled_events)
        self.business_name = business_name
        self.api_version = api_version
        self.retry_delays = tuple(retry_delays)
        self.settle_seconds = settle_seconds
        self._clock = clock
        # With the real clock the thread sleeps until the next thing due (or until woken by new
        # work): an idle stand-in costs nothing. Another clock may jump: then it looks twice a second.
        self._longest_sleep = None if clock is time.time else 0.5
        self._send = send or _post
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._delivering = True
        self._objects: dict[str, dict[str, Any]] = {}
        self._sessions: dict[str, _Session] = {}
        self._session_order: list[str] = []
        self._session_of_intent: dict[str, str] = {}
        self._refunds_of_charge: dict[str, list[str]] = {}
        self._refund_order: list[str] = []
        self._events: list[str] = []
        self._deliveries: dict[str, _Delivery] = {}
        self._idempotency: dict[str, _Saved] = {}
        self._timers: list[_Timer] = []
        self._sequence = 0

    # ------------------------------------------------------------------ serving
    def routes(self) -> dict[tuple[str, str], Callable[[Request], Response]]:
        """The local routes to serve it under its prefix (``devstack.http_api.LocalRoute``s)."""
        return {(method, f"{self.prefix}/*"): self.handle for method in ("GET", "POST", "DELETE")}

    @property
    def _assets(self) -> str:
        return f"{self.base_url}/checkout/assets"

    def page_url(self, session_id: str) -> str:
        return f"{self.base_url}/checkout/pay/{session_id}"

    def handle(self, request: Request) -> Response:
        """Answer any request under the prefix: the API, the hosted page, or a control."""
        path = request.path.removeprefix(self.prefix)
        if path.startswith("/v1/"):
            return self._api(request, path)
        if request.method == "GET" and path.startswith("/checkout/pay/"):
            return self._page(path.removeprefix("/checkout/pay/"), request.accept_languages)
        if request.method == "GET" and path.startswith("/checkout/assets/"):
            return _asset(path.removeprefix("/checkout/assets/"))
        return self._control(request, path)

    def start(self) -> LocalStripe:
        """Start delivering events (and expiring sessions, settling delayed payments) in a thread."""
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="local-stripe", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (what it has not delivered stays undelivered)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(DELIVERY_TIMEOUT_SECONDS + 5)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._seconds_to_next())
            self._wake.clear()
            if not self._stopping.is_set():
                self.run_due()

    def _seconds_to_next(self) -> float | None:
        """How long the thread may sleep: until the next thing due (None: until woken)."""
        with self._lock:
            dues = [timer.due for timer in self._timers[:1]]
            if self._delivering:
                dues += [d.next_at for d in self._deliveries.values() if d.next_at is not None]
            dues += [s["expires_at"] for s in self._open_sessions()]
            wait = max(0.0, min(dues) - self._clock()) if dues else None
        if self._longest_sleep is None:
            return wait
        return self._longest_sleep if wait is None else min(wait, self._longest_sleep)

    def run_due(self) -> None:
        """Do what is due now: expire sessions, run timers (settlements, disputes), deliver events."""
        with self._lock:
            now = self._clock()
            for session in self._open_sessions():
                self._expire_if_due(session)
            due_timers = [timer for timer in self._timers if timer.due <= now]
            self._timers = [timer for timer in self._timers if timer.due > now]
        for timer in sorted(due_timers):
            timer.action()
        with self._lock:
            now = self._clock()
            due = sorted(
                (d for d in self._deliveries.values() if d.next_at is not None and d.next_at <= now),
                key=lambda d: (d.next_at or 0.0, d.sequence),
            )
            if not self._delivering:
                due = []
        for delivery in due:
            if self._stopping.is_set() or not self._delivering:
                return
            self._attempt(delivery.event_id, scheduled=True)

    def _after(self, seconds: float, action: Callable[[], None]) -> None:
        with self._lock:
            self._sequence += 1
            self._timers.append(_Timer(self._clock() + seconds, self._sequence, action))
            self._timers.sort()
        self._wake.set()

    # ------------------------------------------------------------------ the API
    def _api(self, request: Request, path: str) -> Response:
        request_id = "req_" + _random(14)
        version = request.headers.get("Stripe-Version") or self.api_version
        headers = {"Request-Id": request_id, "Stripe-Version": version}
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            self._authenticate(request)
            if not _VERSION.match(version):
                headers["Stripe-Version"] = self.api_version
                raise _invalid(f"Invalid Stripe API version: {version[:60]}")
            handler, path_parameters = self._endpoint(request.method, path)
            params = self._params(request)
            cause = _Cause(version, request_id, key)
            with self._lock:
                if key is not None:
                    replayed = self._replay(key, request.method, path, params)
                    if replayed is not None:
                        return replayed
                result = handler(params, cause, **path_parameters)
                body = json.dumps(result, indent=2)
                if key is not None:
                    self._idempotency[key] = _Saved(
                        request.method, path, params, 200, body, request_id, self._clock()
                    )
            return Response(body, 200, headers, content_type="application/json")
        except StripeError as error:
            return Response(
                json.dumps(error.body(), indent=2),
                error.status,
                {**headers, **error.headers},
                content_type="application/json",
            )

    def _authenticate(self, request: Request) -> None:
        authorization = request.headers.get("Authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        key = ""
        if scheme.lower() == "bearer":
            key = credentials.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        challenge = {"WWW-Authenticate": 'Basic realm="Stripe"'}
        if not key:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                "https://stripe.com/docs/api#authentication for details, or we can help at "
                "https://support.stripe.com/.",
                headers=challenge,
            )
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key[:4] + "***"
            raise StripeError(401, f"Invalid API Key provided: {shown}", headers=challenge)

    def _endpoint(self, method: str, path: str) -> tuple[Callable[..., dict[str, Any]], dict[str, str]]:
        for route_method, pattern, handler in self._endpoints():
            found = re.fullmatch(pattern, path)
            if found and route_method == method:
                return handler, found.groupdict()
        raise StripeError(
            404,
            f"Unrecognized request URL ({method}: {path[:200]}). The local Stripe stand-in serves: "
            + "; ".join(f"{m} {p.replace(_ID, '{id}')}" for m, p, _ in self._endpoints())
            + ".",
        )

    def _endpoints(self) -> list[tuple[str, str, Callable[..., dict[str, Any]]]]:
        return [
            ("POST", "/v1/checkout/sessions", self._create_session),
            ("GET", "/v1/checkout/sessions", self._list_sessions),
            ("GET", f"/v1/checkout/sessions/{_ID}", self._retrieve_session),
            ("GET", f"/v1/checkout/sessions/{_ID}/line_items", self._list_line_items),
            ("POST", f"/v1/checkout/sessions/{_ID}/expire", self._expire_session),
            ("GET", f"/v1/payment_intents/{_ID}", self._retriever("payment_intent", "intent")),
            ("GET", f"/v1/charges/{_ID}", self._retriever("charge", "charge")),
            ("POST", "/v1/refunds", self._create_refund),
            ("GET", "/v1/refunds", self._list_refunds),
            ("GET", f"/v1/refunds/{_ID}", self._retriever("refund", "refund")),
            ("GET", f"/v1/disputes/{_ID}", self._retriever("dispute", "dispute")),
            ("GET", f"/v1/events/{_ID}", self._retrieve_event),
            ("GET", "/v1/events", self._list_events),
        ]

    def _params(self, request: Request) -> dict[str, Any]:
        """The request's parameters: its query string, and a POST's form body."""
        raw = request.get_data(cache=True)
        if len(raw) > MAX_REQUEST_BYTES:
            raise StripeError(413, "Request payload is too large.")
        pairs = parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
        if request.method == "POST" and raw:
            if request.mimetype != "application/x-www-form-urlencoded":
                raise _invalid(
                    "Invalid request (check that your POST content type is "
                    "application/x-www-form-urlencoded). If you have any questions, we can help at "
                    "https://support.stripe.com/."
                )
            try:
                pairs += parse_qsl(raw.decode(), keep_blank_values=True, max_num_fields=10000)
            except (UnicodeDecodeError, ValueError) as error:
                raise _invalid("Invalid request: the body is not form-encoded UTF-8.") from error
        return decode_form(pairs)

    def _replay(self, key: str, method: str, path: str, params: dict[str, Any]) -> Response | None:
        if len(key) > 255:
            raise StripeError(
                400,
                "Invalid idempotency key: must be at most 255 characters.",
                error_type="idempotency_error",
            )
        saved = self._idempotency.get(key)
        if saved is None or self._clock() - saved.at > IDEMPOTENCY_SECONDS:
            return None
        if (saved.method, saved.path, saved.params) != (method, path, params):
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request.",
                error_type="idempotency_error",
            )
        return Response(
            saved.body,
            saved.status,
            {
                "Request-Id": "req_" + _random(14),
                "Original-Request": saved.request_id,
                "Idempotent-Replayed": "true",
                "Idempotency-Key": key,
            },
            content_type="application/json",
        )

    # ------------------------------------------------------------------ objects
    def _new(self, prefix: str, length: int = 24) -> str:
        while True:
            candidate = prefix + _random(length)
            if candidate not in self._objects:
                return candidate

    def _now(self) -> int:
        return int(self._clock())

    def _get(self, kind: str, object_id: str, param: str) -> dict[str, Any]:
        found = self._objects.get(object_id)
        if found is None or found["object"] != kind:
            raise StripeError(
                404, f"No such {kind}: '{object_id[:200]}'", code="resource_missing", param=param
            )
        if kind == "checkout.session":
            self._expire_if_due(found)
        return found

    def _rendered(
        self, obj: dict[str, Any], params: Mapping[str, Any], allowed: Collection[str] = ()
    ) -> dict[str, Any]:
        """``obj`` as the API answers it: expanded as ``params["expand"]`` asks."""
        _check_keys(params, "", {"expand", *allowed})
        expand = [_string(item, "expand") for item in _array(params.get("expand", []), "expand")]
        rendered = copy.deepcopy(obj)
        for item in expand:
            self._expand(rendered, item.split("."), item)
        return rendered

    def _expand(self, obj: dict[str, Any], segments: list[str], whole: str) -> None:
        head, rest = segments[0], segments[1:]
        if obj.get("object") == "list" and head == "data" and rest:
            for item in obj["data"]:
                self._expand(item, rest, whole)
            return
        expandable = {
            "checkout.session": {"payment_intent", "line_items"},
            "payment_intent": {"latest_charge"},
            "charge": {"payment_intent", "refunds"},
            "refund": {"charge", "payment_intent"},
            "dispute": {"charge", "payment_intent"},
        }.get(str(obj.get("object")), set())
        if head not in expandable:
            raise _invalid(f"This property cannot be expanded ({whole}).", "expand")
        if head == "line_items":
            obj[head] = self._line_items_list(obj["id"], {"limit": "100"})
        elif head == "refunds":
            refunds = [self._objects[r] for r in reversed(self._refunds_of_charge.get(obj["id"], []))]
            obj[head] = _list_object(copy.deepcopy(refunds), f"/v1/charges/{obj['id']}/refunds", False)
        elif isinstance(obj.get(head), str):
            obj[head] = copy.deepcopy(_public(self._objects[obj[head]]))
        if rest and isinstance(obj.get(head), dict):
            self._expand(obj[head], rest, whole)

    def _retriever(self, kind: str, param: str) -> Callable[..., dict[str, Any]]:
        def retrieve(params: dict[str, Any], _: _Cause, id: str) -> dict[str, Any]:
            return self._rendered(_public(self._get(kind, id, param)), params)

        return retrieve

    # ------------------------------------------------------------------ Checkout Sessions
    def _create_session(self, params: dict[str, Any], cause: _Cause) -> dict[str, Any]:
        _check_keys(
            params,
            "",
            {
                "mode",
                "line_items",
                "success_url",
                "cancel_url",
                "client_reference_id",
                "metadata",
                "payment_intent_data",
                "expires_at",
                "customer_email",
                "payment_method_types",
                "expand",
                "locale",
                "submit_type",
                "ui_mode",
            },
            unserved={
                "customer",
                "customer_creation",
                "discounts",
                "allow_promotion_codes",
                "automatic_tax",
                "shipping_address_collection",
                "shipping_options",
                "subscription_data",
                "setup_intent_data",
                "invoice_creation",
                "phone_number_collection",
                "tax_id_collection",
                "consent_collection",
                "custom_fields",
                "custom_text",
                "billing_address_collection",
                "payment_method_options",
                "payment_method_configuration",
                "saved_payment_method_options",
                "after_expiration",
                "currency",
                "return_url",
                "redirect_on_completion",
                "adaptive_pricing",
                "branding_settings",
                "optional_items",
                "permissions",
                "wallet_options",
                "origin_context",
                "name_collection",
            },
        )
        if "mode" not in params:
            raise _missing("mode")
        mode = _enum(params["mode"], "mode", ("payment", "setup", "subscription"))
        if mode != "payment":
            raise _not_served(f"mode={mode}")
        if params.get("ui_mode", "hosted") not in ("hosted", "hosted_page"):
            raise _not_served(f"ui_mode={_shown(params['ui_mode'])}")
        method_types: list[str] | None = None
        if params.get("payment_method_types") not in (None, ""):
            method_types = []
            for index, kind in enumerate(_array(params["payment_method_types"], "payment_method_types")):
                if kind not in ("card", *DELAYED_METHODS):
                    raise _not_served(f"payment_method_types[{index}]={_shown(kind)}")
                method_types.append(kind)
        locale = params.get("locale") or None
        if locale is not None:
            locale = _enum(locale, "locale", CHECKOUT_LOCALES)
        submit_type = params.get("submit_type")
        if submit_type not in (None, ""):
            _enum(submit_type, "submit_type", ("auto", "book", "donate", "pay", "subscribe"))
        if "line_items" not in params:
            raise _invalid(
                "You must provide at least one recurring price in `subscription` mode when using "
                "prices, or at least one line item in `payment` mode.",
                "line_items",
                "parameter_missing",
            )
        line_items = [
            self._line_item(item, f"line_items[{index}]")
            for index, item in enumerate(_array(params["line_items"], "line_items"))
        ]
        if not line_items:
            raise _missing("line_items")
        currencies = {item["currency"] for item in line_items}
        if len(currencies) > 1:
            raise _invalid(
                "All line items must have the same currency; the local Stripe stand-in was given "
                + ", ".join(sorted(currencies))
                + ".",
                "line_items",
            )
        currency = currencies.pop()
        total = sum(item["amount_total"] for item in line_items)
        minimum = MINIMUM_AMOUNTS.get(currency)
        if minimum is not None and total < minimum:
            raise _invalid(
                "The Checkout Session's total amount due must add up to at least "
                f"{format_amount(minimum, currency)} {currency}",
                "line_items",
                "amount_too_small",
            )
        if total > MAXIMUM_AMOUNT:
            raise _invalid(
                f"The Checkout Session's total amount due must be no more than "
                f"{format_amount(MAXIMUM_AMOUNT, currency)} {currency}",
                "line_items",
                "amount_too_large",
            )
        now = self._now()
        expires_at = now + SESSION_MAX_SECONDS
        if params.get("expires_at") not in (None, ""):
            expires_at = _integer(params["expires_at"], "expires_at")
            if expires_at - now < SESSION_MIN_SECONDS:
                raise _invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                    "expires_at",
                )
            if expires_at - now > SESSION_MAX_SECONDS:
                raise _invalid(
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                    "expires_at",
                )
        urls: dict[str, str | None] = {}
        for name in ("success_url", "cancel_url"):
            value = params.get(name)
            if value in (None, ""):
                urls[name] = None
                continue
            text = _string(value, name)
            if urlsplit(text).scheme not in ("http", "https") or not urlsplit(text).netloc:
                raise _invalid(f"Not a valid URL: {text[:200]}", name, "url_invalid")
            urls[name] = text
        intent_data = _hash(params.get("payment_intent_data", {}), "payment_intent_data")
        _check_keys(
            intent_data,
            "payment_intent_data",
            {"metadata", "description", "receipt_email", "statement_descriptor_suffix"},
            unserved={
                "capture_method",
                "setup_future_usage",
                "application_fee_amount",
                "on_behalf_of",
                "transfer_data",
                "transfer_group",
                "shipping",
                "statement_descriptor",
            },
        )
        for name in ("description", "receipt_email", "statement_descriptor_suffix"):
            if name in intent_data:
                _string(intent_data[name], f"payment_intent_data[{name}]", 1000)
        customer_email = params.get("customer_email") or None
        if customer_email is not None:
            customer_email = _string(customer_email, "customer_email", 800)
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", customer_email):
                raise _invalid(
                    f"Invalid email address: {customer_email[:100]}", "customer_email", "email_invalid"
                )
        client_reference_id = params.get("client_reference_id") or None
        if client_reference_id is not None:
            client_reference_id = _string(client_reference_id, "client_reference_id", 200)
        session_id = self._new("cs_test_a1", 56)
        session: dict[str, Any] = {
            "id": session_id,
            "object": "checkout.session",
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": total,
            "amount_total": total,
            "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
            "billing_address_collection": None,
            "cancel_url": urls["cancel_url"],
            "client_reference_id": client_reference_id,
            "client_secret": None,
            "created": now,
            "currency": currency,
            "customer": None,
            "customer_creation": "if_required",
            "customer_details": None,
            "customer_email": customer_email,
            "expires_at": expires_at,
            "invoice": None,
            "livemode": False,
            "locale": locale,
            "metadata": _metadata(params.get("metadata", {}), "metadata"),
            "mode": "payment",
            "payment_intent": None,
            "payment_link": None,
            "payment_method_collection": "if_required",
            "payment_method_types": method_types or ["card", _delayed_method(currency)],
            "payment_status": "unpaid",
            "status": "open",
            "submit_type": submit_type or None,
            "success_url": urls["success_url"],
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted_page",
            "url": self.page_url(session_id),
        }
        self._objects[session_id] = session
        self._sessions[session_id] = _Session(line_items, cause.api_version)
        self._session_order.append(session_id)
        session["_intent_data"] = {
            "metadata": _metadata(intent_data.get("metadata", {}), "payment_intent_data[metadata]"),
            "description": intent_data.get("description") or None,
            "receipt_email": intent_data.get("receipt_email") or None,
        }
        self._wake.set()
        return self._rendered(_public(session), params, allowed=set(params) - {"expand"})

    def _line_item(self, value: Any, where: str) -> dict[str, Any]:
        item = _hash(value, where)
        _check_keys(
            item,
            where,
            {"price_data", "quantity"},
            unserved={"price", "adjustable_quantity", "dynamic_tax_rates", "tax_rates", "metadata"},
        )
        if "price_data" not in item:
            raise _invalid(
                f"You must specify either `price` or `price_data` in {where}.", f"{where}[price_data]"
            )
        price = _hash(item["price_data"], f"{where}[price_data]")
        _check_keys(
            price,
            f"{where}[price_data]",
            {"currency", "unit_amount", "product_data", "unit_amount_decimal"},
            unserved={"product", "recurring", "tax_behavior"},
        )
        for name in ("currency", "product_data"):
            if name not in price:
                raise _missing(f"{where}[price_data][{name}]")
        currency = _string(price["currency"], f"{where}[price_data][currency]").lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise _invalid(f"Invalid currency: {currency[:20]}.", f"{where}[price_data][currency]")
        if "unit_amount" in price:
            unit_amount = _integer(price["unit_amount"], f"{where}[price_data][unit_amount]")
        elif "unit_amount_decimal" in price:
            decimal = _string(price["unit_amount_decimal"], f"{where}[price_data][unit_amount_decimal]")
            if not re.fullmatch(r"[0-9]+", decimal):
                raise _not_served(f"{where}[price_data][unit_amount_decimal] with a fraction")
            unit_amount = int(decimal)
        else:
            raise _missing(f"{where}[price_data][unit_amount]")
        if unit_amount < 0:
            raise _invalid(
                "This value must be greater than or equal to 0.", f"{where}[price_data][unit_amount]"
            )
        product = _hash(price["product_data"], f"{where}[price_data][product_data]")
        _check_keys(
            product,
            f"{where}[price_data][product_data]",
            {"name", "description", "metadata", "images"},
            unserved={"tax_code", "unit_label", "tax_details"},
        )
        if "name" not in product:
            raise _missing(f"{where}[price_data][product_data][name]")
        name = _string(product["name"], f"{where}[price_data][product_data][name]", 250)
        description = product.get("description") or None
        if description is not None:
            description = _string(description, f"{where}[price_data][product_data][description]", 40000)
        if "quantity" not in item:
            raise _missing(f"{where}[quantity]")
        quantity = _integer(item["quantity"], f"{where}[quantity]")
        if not 1 <= quantity <= 999999:
            raise _invalid("Quantity must be between 1 and 999999.", f"{where}[quantity]")
        now = self._now()
        product_id = "prod_" + _random(14)
        return {
            "id": "li_" + _random(24),
            "object": "item",
            "amount_discount": 0,
            "amount_subtotal": unit_amount * quantity,
            "amount_tax": 0,
            "amount_total": unit_amount * quantity,
            "currency": currency,
            "description": name,
            "price": {
                "id": "price_" + _random(24),
                "object": "price",
                "active": False,
                "billing_scheme": "per_unit",
                "created": now,
                "currency": currency,
                "custom_unit_amount": None,
                "livemode": False,
                "lookup_key": None,
                "metadata": {},
                "nickname": None,
                "product": product_id,
                "recurring": None,
                "tax_behavior": "unspecified",
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "one_time",
                "unit_amount": unit_amount,
                "unit_amount_decimal": str(unit_amount),
            },
            "quantity": quantity,
            "_product": {"name": name, "description": description},
        }

    def _retrieve_session(self, params: dict[str, Any], _: _Cause, id: str) -> dict[str, Any]:
        return self._rendered(_public(self._get("checkout.session", id, "session")), params)

    def _line_items_list(self, session_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """A session's line items, in its order, a page at a time as Stripe lists them."""
        items = [_public(item) for item in self._sessions[session_id].line_items]
        return _page_of(
            copy.deepcopy(items), params, f"/v1/checkout/sessions/{session_id}/line_items", "item"
        )

    def _list_line_items(self, params: dict[str, Any], _: _Cause, id: str) -> dict[str, Any]:
        self._get("checkout.session", id, "session")
        _check_keys(params, "", {"expand", "limit", "starting_after", "ending_before"})
        listed = self._line_items_list(id, params)
        return self._rendered(listed, {"expand": params.get("expand", [])})

    def _list_sessions(self, params: dict[str, Any], _: _Cause) -> dict[str, Any]:
        _check_keys(
            params,
            "",
            {
                "expand",
                "limit",
                "starting_after",
                "ending_before",
                "status",
                "created",
                "payment_intent",
                "customer_details",
            },
            unserved={"customer", "customer_account", "payment_link", "subscription"},
        )
        for session in self._open_sessions():
            self._expire_if_due(session)
        status = params.get("status")
        if status is not None:
            _enum(status, "status", ("complete", "expired", "open"))
        created = _range(params.get("created"), "created")
        intent = params.get("payment_intent")
        email = None
        if "customer_details" in params:
            details = _hash(params["customer_details"], "customer_details")
            _check_keys(details, "customer_details", {"email"})
            email = details.get("email")
        sessions = [
            _public(self._objects[session_id])
            for session_id in reversed(self._session_order)
            if (status is None or self._objects[session_id]["status"] == status)
            and created(self._objects[session_id]["created"])
            and (intent is None or self._objects[session_id]["payment_intent"] == intent)
            and (email is None or (self._objects[session_id]["customer_details"] or {}).get("email") == email)
        ]
        return self._rendered(
            _page_of(
                sessions, params, "/v1/checkout/sessions", "checkout.session", self._session_order[::-1]
            ),
            {"expand": params.get("expand", [])},
        )

    def _expire_session(self, params: dict[str, Any], cause: _Cause, id: str) -> dict[str, Any]:
        session = self._get("checkout.session", id, "session")
        _check_keys(params, "", {"expand"})
        if session["status"] != "open":
            raise _invalid(
                'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session '
                f"has a status of `{session['status']}`."
            )
        self._expire(session, cause)
        return self._rendered(_public(session), params)

    def _open_sessions(self) -> list[dict[str, Any]]:
        return [
            self._objects[session_id]
            for session_id in self._session_order
            if self._objects[session_id]["status"] == "open"
        ]

    def _expire_if_due(self, session: dict[str, Any]) -> None:
        if session["status"] == "open" and self._clock() >= session["expires_at"]:
            self._expire(session, _Cause(self._sessions[session["id"]].api_version))

    def _expire(self, session: dict[str, Any], cause: _Cause) -> None:
        session["status"] = "expired"
        session["url"] = None
        intent_id = session["payment_intent"]
        if intent_id is not None:
            intent = self._objects[intent_id]
            if intent["status"] not in ("succeeded", "canceled", "processing"):
                intent.update(status="canceled", canceled_at=self._now(), cancellation_reason="abandoned")
                self._emit("payment_intent.canceled", intent, cause)
        self._emit("checkout.session.expired", session, cause)

    # ------------------------------------------------------------------ paying (the page and the control)
    def pay(
        self,
        session_id: str,
        card: str | None = None,
        *,
        method: str = "card",
        outcome: str = "succeeds",
        email: str | None = None,
        expiry: str | None = None,
        cvc: str | None = None,
    ) -> dict[str, Any]:
        """Pay a session as its hosted page does: with a card number (Stripe's test cards), or
        ``method="delayed"`` (the session's delayed method: SEPA Direct Debit for euros, Bacs for
        pounds, ACH otherwise) whose ``outcome`` ("succeeds" or "fails") comes ``settle_seconds``
        later. Answers ``{"session", "redirect"}`` (the success URL with the
        session's id in it); ``ControlRefused`` for a declined card (402, its events made), a
        session that is not open (409), or an unknown one (404)."""
        with self._lock:
            session = self._objects.get(session_id)
            if session is None or session["object"] != "checkout.session":
                raise ControlRefused(404, "NOT_FOUND", f"No such checkout.session: '{session_id[:100]}'")
            self._expire_if_due(session)
            if session["status"] != "open":
                raise ControlRefused(
                    409,
                    "SESSION_NOT_OPEN",
                    "This Checkout Session has expired."
                    if session["status"] == "expired"
                    else "This Checkout Session is already complete.",
                    {"status": session["status"]},
                )
            email = email or session["customer_email"] or "customer@example.com"
            cause = _Cause(self._sessions[session_id].api_version)
            if method == "delayed":
                self._pay_later(session, outcome, email, cause)
            elif "card" not in session["payment_method_types"]:
                raise ControlRefused(
                    409,
                    "METHOD_NOT_OFFERED",
                    "This Checkout Session does not take cards (its payment_method_types).",
                    {"paymentMethodTypes": session["payment_method_types"]},
                )
            else:
                self._pay_by_card(session, card or "", email, expiry, cvc, cause)
            return {"session": _public(session), "redirect": _redirect(session)}

    def _pay_by_card(
        self,
        session: dict[str, Any],
        card: str,
        email: str,
        expiry: str | None,
        cvc: str | None,
        cause: _Cause,
    ) -> None:
        number = re.sub(r"[\s-]", "", card)
        if not luhn_valid(number):
            raise ControlRefused(
                402, "INCORRECT_NUMBER", "Your card number is incorrect.", {"code": "incorrect_number"}
            )
        exp_month, exp_year = _expiry(expiry, self._clock())
        if cvc is not None and not re.fullmatch(r"[0-9]{3,4}", cvc):
            raise ControlRefused(
                402, "INCOMPLETE_CVC", "Your card's security code is incomplete.", {"code": "incomplete_cvc"}
            )
        test_card = TEST_CARDS.get(number) or TestCard(
            _brand(number),
            "test_mode_live_card",
            message="Your card was declined. Your request was in test mode, but used a non test (live) "
            "card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
        )
        details = {
            "type": "card",
            "card": {
                "brand": test_card.brand,
                "country": "US",
                "exp_month": exp_month,
                "exp_year": exp_year,
                "funding": "credit",
                "last4": number[-4:],
                "network": test_card.brand,
            },
        }
        intent = self._intent_for(session, "card")
        charge = self._new_charge(intent, details, email)
        if test_card.decline_code or test_card.code:
            code = test_card.code or "card_declined"
            self._fail(intent, charge, code, test_card.decline_code, test_card.message, cause)
            raise ControlRefused(
                402,
                code.upper(),
                test_card.message,
                {
                    "code": code,
                    "declineCode": test_card.decline_code,
                    "paymentIntent": intent["id"],
                    "charge": charge["id"],
                },
            )
        self._succeed(intent, charge, cause)
        self._complete(session, email, "paid", cause)
        if test_card.dispute is not None:
            reason = test_card.dispute
            self._after(self.settle_seconds, lambda: self._dispute_later(intent["id"], reason))

    def _pay_later(self, session: dict[str, Any], outcome: str, email: str, cause: _Cause) -> None:
        if outcome not in ("succeeds", "fails"):
            raise ControlRefused(422, "VALIDATION_ERROR", 'outcome is "succeeds" or "fails".')
        delayed = [kind for kind in session["payment_method_types"] if kind in DELAYED_METHODS]
        if not delayed:
            raise ControlRefused(
                409,
                "METHOD_NOT_OFFERED",
                "This Checkout Session offers cards only (its payment_method_types).",
                {"paymentMethodTypes": session["payment_method_types"]},
            )
        kind = delayed[0]
        details = {"type": kind, kind: {**DELAYED_METHODS[kind]["details"], "fingerprint": _random(16)}}
        intent = self._intent_for(session, kind)
        charge = self._new_charge(intent, details, email, status="pending")
        intent.update(status="processing", last_payment_error=None)
        self._emit("payment_intent.processing", intent, cause)
        self._emit("charge.pending", charge, cause)
        self._complete(session, email, "unpaid", cause)
        self._after(self.settle_seconds, lambda: self._settle(session["id"], charge["id"], outcome))

    def _settle(self, session_id: str, charge_id: str, outcome: str) -> None:
        with self._lock:
            session = self._objects[session_id]
            charge = self._objects[charge_id]
            intent = self._objects[charge["payment_intent"]]
            cause = _Cause(self._sessions[session_id].api_version)
            if outcome == "succeeds":
                self._succeed(intent, charge, cause)
                session["payment_status"] = "paid"
                self._emit("checkout.session.async_payment_succeeded", session, cause)
            else:
                self._fail(
                    intent,
                    charge,
                    "insufficient_funds",
                    None,
                    "The customer's account has insufficient funds to cover this payment.",
                    cause,
                )
                self._emit("checkout.session.async_payment_failed", session, cause)

    def _intent_for(self, session: dict[str, Any], method_type: str) -> dict[str, Any]:
        """The session's PaymentIntent, made at its first payment attempt (as Checkout does)."""
        if session["payment_intent"] is not None:
            intent = self._objects[session["payment_intent"]]
            intent["payment_method_types"] = [method_type]
            return intent
        intent_id = self._new("pi_")
        data = session["_intent_data"]
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_capturable": 0,
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic_async",
            "client_secret": f"{intent_id}_secret_{_random(25)}",
            "confirmation_method": "automatic",
            "created": self._now(),
            "currency": session["currency"],
            "customer": None,
            "description": data["description"],
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": dict(data["metadata"]),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_types": [method_type],
            "receipt_email": data["receipt_email"],
            "setup_future_usage": None,
            "shipping": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "requires_payment_method",
            "transfer_data": None,
            "transfer_group": None,
        }
        self._objects[intent_id] = intent
        self._session_of_intent[intent_id] = session["id"]
        session["payment_intent"] = intent_id
        self._emit("payment_intent.created", intent, _Cause(self._sessions[session["id"]].api_version))
        return intent

    def _new_charge(
        self, intent: dict[str, Any], details: dict[str, Any], email: str, status: str = "succeeded"
    ) -> dict[str, Any]:
        charge_id = self._new("ch_")
        method_id = self._new("pm_")
        charge = {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": None,
            "billing_details": {"address": None, "email": email, "name": None, "phone": None},
            "calculated_statement_descriptor": "IMAGEGEN",
            "captured": False,
            "created": self._now(),
            "currency": intent["currency"],
            "customer": None,
            "description": intent["description"],
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "fraud_details": {},
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "on_behalf_of": None,
            "outcome": None,
            "paid": False,
            "payment_intent": intent["id"],
            "payment_method": method_id,
            "payment_method_details": details,
            "receipt_email": intent["receipt_email"],
            "receipt_number": None,
            "receipt_url": None,
            "refunded": False,
            "review": None,
            "shipping": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": status,
            "transfer_data": None,
            "transfer_group": None,
        }
        self._objects[charge_id] = charge
        intent.update(latest_charge=charge_id, payment_method=method_id)
        return charge

    def _succeed(self, intent: dict[str, Any], charge: dict[str, Any], cause: _Cause) -> None:
        charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=charge["amount"],
            balance_transaction="txn_" + _random(24),
            outcome={
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "Payment complete.",
                "type": "authorized",
            },
        )
        intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)
        self._emit("charge.succeeded", charge, cause)
        self._emit("payment_intent.succeeded", intent, cause)

    def _fail(
        self,
        intent: dict[str, Any],
        charge: dict[str, Any],
        code: str,
        decline_code: str | None,
        message: str,
        cause: _Cause,
    ) -> None:
        charge.update(
            status="failed",
            paid=False,
            failure_code=code,
            failure_message=message,
            outcome={
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "declined_by_network",
                "reason": decline_code or code,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            },
        )
        intent.update(
            status="requires_payment_method",
            last_payment_error={
                "type": "card_error"
                if charge["payment_method_details"]["type"] == "card"
                else "invalid_request_error",
                "charge": charge["id"],
                "code": code,
                "decline_code": decline_code,
                "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
                "message": message,
                "payment_method": {
                    "id": charge["payment_method"],
                    "object": "payment_method",
                    "type": charge["payment_method_details"]["type"],
                },
            },
        )
        self._emit("charge.failed", charge, cause)
        self._emit("payment_intent.payment_failed", intent, cause)

    def _complete(self, session: dict[str, Any], email: str, payment_status: str, cause: _Cause) -> None:
        session.update(
            status="complete",
            payment_status=payment_status,
            url=None,
            customer_details={
                "address": None,
                "business_name": None,
                "email": email,
                "individual_name": None,
                "name": None,
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
        )
        self._emit("checkout.session.completed", session, cause)

    # ------------------------------------------------------------------ refunds
    def _create_refund(self, params: dict[str, Any], cause: _Cause) -> dict[str, Any]:
        _check_keys(
            params,
            "",
            {"payment_intent", "charge", "amount", "reason", "metadata", "expand"},
            unserved={
                "refund_application_fee",
                "reverse_transfer",
                "instructions_email",
                "origin",
                "customer",
                "currency",
            },
        )
        if "charge" in params and "payment_intent" in params:
            raise _invalid("You cannot specify both the `charge` and `payment_intent` parameters.", "charge")
        if "charge" in params:
            charge = self._get("charge", _string(params["charge"], "charge"), "charge")
        elif "payment_intent" in params:
            intent = self._get(
                "payment_intent", _string(params["payment_intent"], "payment_intent"), "payment_intent"
            )
            if intent["status"] != "succeeded" or intent["latest_charge"] is None:
                raise _invalid(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                    "payment_intent",
                )
            charge = self._objects[intent["latest_charge"]]
        else:
            raise _invalid(
                "One of the following params should be provided for this request: payment_intent or charge."
            )
        amount = None if params.get("amount") in (None, "") else _integer(params["amount"], "amount")
        reason = params.get("reason") or None
        if reason is not None:
            _enum(reason, "reason", ("duplicate", "fraudulent", "requested_by_customer"))
        metadata = _metadata(params.get("metadata", {}), "metadata")
        refund = self.refund_charge(charge, amount, reason, metadata, cause)
        return self._rendered(refund, {"expand": params.get("expand", [])})

    def _list_refunds(self, params: dict[str, Any], _: _Cause) -> dict[str, Any]:
        _check_keys(
            params,
            "",
            {"expand", "limit", "starting_after", "ending_before", "charge", "payment_intent", "created"},
        )
        created = _range(params.get("created"), "created")
        charge = _string(params["charge"], "charge") if params.get("charge") else None
        intent = _string(params["payment_intent"], "payment_intent") if params.get("payment_intent") else None
        order = self._refund_order[::-1]
        refunds = [
            _public(self._objects[refund_id])
            for refund_id in order
            if (charge is None or self._objects[refund_id]["charge"] == charge)
            and (intent is None or self._objects[refund_id]["payment_intent"] == intent)
            and created(self._objects[refund_id]["created"])
        ]
        return self._rendered(
            _page_of(copy.deepcopy(refunds), params, "/v1/refunds", "refund", order),
            {"expand": params.get("expand", [])},
        )

    def refund_charge(
        self,
        charge: dict[str, Any],
        amount: int | None,
        reason: str | None,
        metadata: dict[str, str],
        cause: _Cause,
    ) -> dict[str, Any]:
        """Refund ``amount`` (all that is left by default) of a charge, as Stripe refuses or does it."""
        if charge["status"] != "succeeded":
            raise _invalid(f"Charge {charge['id']} has not succeeded; it cannot be refunded.", "charge")
        if charge["disputed"]:
            raise _invalid(
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                "charge",
                "charge_disputed",
            )
        left = charge["amount"] - charge["amount_refunded"]
        if left <= 0:
            raise _invalid(
                f"Charge {charge['id']} has already been refunded.", "charge", "charge_already_refunded"
            )
        amount = left if amount is None else amount
        if amount < 1:
            raise _invalid("Invalid positive integer", "amount")
        if amount > left:
            currency = charge["currency"]
            raise _invalid(
                f"Refund amount ({format_amount(amount, currency)}) is greater than unrefunded amount on "
                f"charge ({format_amount(left, currency)})",
                "amount",
                "amount_too_large",
            )
        refund_id = self._new("re_")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": "txn_" + _random(24),
            "charge": charge["id"],
            "created": self._now(),
            "currency": charge["currency"],
            "destination_details": {
                "card": {
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            }
            if charge["payment_method_details"]["type"] == "card"
            else None,
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self._objects[refund_id] = refund
        self._refunds_of_charge.setdefault(charge["id"], []).append(refund_id)
        self._refund_order.append(refund_id)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._emit("refund.created", refund, cause)
        self._emit("charge.refunded", charge, cause)
        return refund

    # ------------------------------------------------------------------ disputes
    def dispute(self, intent_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        """The customer's bank disputes the PaymentIntent's charge: ``charge.dispute.created`` and
        ``charge.dispute.funds_withdrawn``, as Stripe sends them."""
        with self._lock:
            intent = self._objects.get(intent_id)
            if intent is None or intent["object"] != "payment_intent":
                raise ControlRefused(404, "NOT_FOUND", f"No such payment_intent: '{intent_id[:100]}'")
            charge = self._objects[intent["latest_charge"]] if intent["latest_charge"] else None
            if charge is None or charge["status"] != "succeeded":
                raise ControlRefused(
                    409, "NOT_CHARGED", f"PaymentIntent {intent_id} has no successful charge to dispute."
                )
            if charge["disputed"]:
                raise ControlRefused(409, "ALREADY_DISPUTED", f"Charge {charge['id']} is already disputed.")
            amount = charge["amount"] - charge["amount_refunded"]
            if amount <= 0:
                raise ControlRefused(409, "FULLY_REFUNDED", f"Charge {charge['id']} was refunded in full.")
            dispute_id = self._new("dp_")
            now = self._now()
            dispute = {
                "id": dispute_id,
                "object": "dispute",
                "amount": amount,
                "balance_transactions": [],
                "charge": charge["id"],
                "created": now,
                "currency": charge["currency"],
                "evidence_details": {
                    "due_by": now + 7 * 24 * 3600,
                    "has_evidence": False,
                    "past_due": False,
                    "submission_count": 0,
                },
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "payment_intent": intent_id,
                "payment_method_details": {
                    "card": {
                        "brand": charge["payment_method_details"].get("card", {}).get("brand"),
                        "case_type": "chargeback",
                        "network_reason_code": None,
                    },
                    "type": "card",
                }
                if charge["payment_method_details"]["type"] == "card"
                else None,
                "reason": reason,
                "status": "needs_response",
            }
            self._objects[dispute_id] = dispute
            charge["disputed"] = True
            cause = _Cause(self._version_of_intent(intent_id))
            self._emit("charge.dispute.created", dispute, cause)
            self._emit("charge.dispute.funds_withdrawn", dispute, cause)
            return dispute

    def _dispute_later(self, intent_id: str, reason: str) -> None:
        # Refunded or disputed meanwhile: the bank has nothing left to dispute.
        with contextlib.suppress(ControlRefused):
            self.dispute(intent_id, reason)

    def close_dispute(self, dispute_id: str, status: str) -> dict[str, Any]:
        """Close a dispute ``won`` (``charge.dispute.closed`` and ``funds_reinstated``) or ``lost``
        (``charge.dispute.closed``)."""
        with self._lock:
            dispute = self._objects.get(dispute_id)
            if dispute is None or dispute["object"] != "dispute":
                raise ControlRefused(404, "NOT_FOUND", f"No such dispute: '{dispute_id[:100]}'")
            if dispute["status"] not in _OPEN_DISPUTES:
                raise ControlRefused(
                    409, "DISPUTE_CLOSED", f"Dispute {dispute_id} is already {dispute['status']}."
                )
            dispute["status"] = status
            cause = _Cause(self._version_of_intent(dispute["payment_intent"]))
            self._emit("charge.dispute.closed", dispute, cause)
            if status == "won":
                self._emit("charge.dispute.funds_reinstated", dispute, cause)
            return dispute

    def _version_of_intent(self, intent_id: str) -> str:
        return self._sessions[self._session_of_intent[intent_id]].api_version

    # ------------------------------------------------------------------ events and deliveries
    def _emit(self, event_type: str, obj: dict[str, Any], cause: _Cause) -> dict[str, Any]:
        event_id = self._new("evt_")
        event = {
            "id": event_id,
            "object": "event",
            "api_version": cause.api_version,
            "created": self._now(),
            "data": {"object": copy.deepcopy(_public(obj))},
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": cause.request_id, "idempotency_key": cause.idempotency_key},
            "type": event_type,
        }
        self._objects[event_id] = event
        self._events.append(event_id)
        listens = "*" in self.enabled_events or event_type in self.enabled_events
        self._deliveries[event_id] = _Delivery(
            event_id,
            len(self._events),
            "pending" if listens else "not_sent",
            self._clock() if listens else None,
        )
        self._wake.set()
        return event

    def _event_json(self, event_id: str) -> dict[str, Any]:
        event = copy.deepcopy(self._objects[event_id])
        event["pending_webhooks"] = int(self._deliveries[event_id].state in ("pending", "failed"))
        return event

    def _attempt(self, event_id: str, scheduled: bool) -> dict[str, Any] | None:
        """Deliver an event once (outside the lock), record the answer, and plan the next retry; a
        scheduled attempt no longer due (a resend delivered it meanwhile) is not made (None)."""
        with self._lock:
            delivery = self._deliveries[event_id]
            if scheduled and (delivery.next_at is None or delivery.next_at > self._clock()):
                return None
            if scheduled:
                delivery.tries += 1
                delivery.next_at = None  # in hand: not due again until this attempt is answered
            payload = json.dumps(self._event_json(event_id), indent=2)
            timestamp = self._now()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Cache-Control": "no-cache",
            "Accept": "*/*; q=0.5, application/xml",
            "Stripe-Signature": signature_header(payload, self.webhook_secret, timestamp),
        }
        attempt: dict[str, Any] = {
            "at": timestamp,
            "resent": not scheduled,
            "status": None,
            "error": None,
            "body": None,
        }
        try:
            attempt["status"], body = self._send(self.webhook_url, payload.encode(), headers)
            attempt["body"] = body[:500]
        except OSError as error:
            attempt["error"] = str(error)[:300] or type(error).__name__
        with self._lock:
            delivery.attempts.append(attempt)
            if attempt["status"] is not None and 200 <= attempt["status"] < 300:
                delivery.state, delivery.next_at = "succeeded", None
            elif scheduled and delivery.state == "pending":
                if delivery.tries <= len(self.retry_delays):
                    delivery.next_at = self._clock() + self.retry_delays[delivery.tries - 1]
                else:
                    delivery.state = "failed"
            return dict(attempt)

    def resend(self, event_id: str) -> dict[str, Any]:
        """Deliver an event once more, now, whether or not deliveries are held back (Stripe's
        "Resend"): the attempt's answer. A success ends its retries."""
        with self._lock:
            if event_id not in self._deliveries:
                raise ControlRefused(404, "NOT_FOUND", f"No such event: '{event_id[:100]}'")
        attempt = self._attempt(event_id, scheduled=False)
        assert attempt is not None  # a resend is always made
        return attempt

    def set_delivering(self, deliver: bool) -> None:
        """Hold deliveries back (False), or let them go (True): those held are tried at once."""
        with self._lock:
            self._delivering = deliver
            if deliver:
                now = self._clock()
                for delivery in self._deliveries.values():
                    if delivery.next_at is not None:
                        delivery.next_at = min(delivery.next_at, now)
        self._wake.set()

    @property
    def delivering(self) -> bool:
        return self._delivering

    def event_log(self, limit: int = 20, event_type: str | None = None) -> list[dict[str, Any]]:
        """The events made, newest first, each with its deliveries' answers."""
        with self._lock:
            events = [
                event_id
                for event_id in reversed(self._events)
                if event_type is None or _type_matches(self._objects[event_id]["type"], event_type)
            ][:limit]
            return [
                {
                    "id": event_id,
                    "type": self._objects[event_id]["type"],
                    "created": self._objects[event_id]["created"],
                    "object": self._objects[event_id]["data"]["object"].get("id"),
                    "delivery": {
                        "state": self._deliveries[event_id].state,
                        "attempts": [dict(attempt) for attempt in self._deliveries[event_id].attempts],
                        "nextAttemptAt": self._deliveries[event_id].next_at,
                    },
                    "event": self._event_json(event_id),
                }
                for event_id in events
            ]

    def _retrieve_event(self, params: dict[str, Any], _: _Cause, id: str) -> dict[str, Any]:
        _check_keys(params, "", {"expand"})
        self._get("event", id, "id")
        if params.get("expand"):
            raise _invalid(f"This property cannot be expanded ({_shown(params['expand'])}).", "expand")
        return self._event_json(id)

    def _list_events(self, params: dict[str, Any], _: _Cause) -> dict[str, Any]:
        _check_keys(
            params,
            "",
            {"limit", "starting_after", "ending_before", "type", "types", "created", "delivery_success"},
        )
        wanted = [_string(params["type"], "type")] if params.get("type") else []
        if "types" in params:
            if wanted:
                raise _invalid("You may only specify one of these parameters: type, types.", "types")
            wanted = [_string(item, "types") for item in _array(params["types"], "types")]
        created = _range(params.get("created"), "created")
        success = (
            None
            if params.get("delivery_success") in (None, "")
            else _boolean(params["delivery_success"], "delivery_success")
        )
        events = [
            self._event_json(event_id)
            for event_id in reversed(self._events)
            if (not wanted or any(_type_matches(self._objects[event_id]["type"], w) for w in wanted))
            and created(self._objects[event_id]["created"])
            and (success is None or (self._deliveries[event_id].state == "succeeded") == success)
        ]
        return _page_of(events, params, "/v1/events", "event", self._events[::-1])

    # ------------------------------------------------------------------ the hosted page
    def _page(self, session_id: str, accept_language: Iterable[tuple[str, float]] = ()) -> Response:
        with self._lock:
            session = self._objects.get(session_id)
            if session is None or session["object"] != "checkout.session":
                language = browser_language(accept_language)
                words = page_words(language)
                return _html_page(
                    words["missing_title"],
                    f"<h1>{html.escape(words['missing_title'])}</h1><p>{html.escape(words['missing_text'])}</p>",
                    self._assets,
                    language,
                    404,
                )
            self._expire_if_due(session)
            language = page_language(session["locale"], accept_language)
            words = page_words(language)
            business = html.escape(self.business_name)
            items = self._sessions[session_id].line_items
            total = format_amount(session["amount_total"], session["currency"])
            summary = "".join(
                "<li><span class='name'>{name}{quantity}</span>"
                "<span class='amount'>{amount}</span>{description}</li>".format(
                    name=html.escape(item["_product"]["name"]),
                    quantity=f" <span class='quantity'>&times; {item['quantity']}</span>"
                    if item["quantity"] > 1
                    else "",
                    amount=html.escape(format_amount(item["amount_total"], item["currency"])),
                    description=f"<p class='description'>{html.escape(item['_product']['description'])}</p>"
                    if item["_product"]["description"]
                    else "",
                )
                for item in items
            )
            state = session["status"]
            if state == "open":
                body = _template("stripe-checkout.html").substitute(
                    {key: html.escape(text) for key, text in words.items()},
                    business=business,
                    summary=summary,
                    total=html.escape(total),
                    pay_button=html.escape(words["pay_amount"].format(amount=total)),
                    pay_url=html.escape(f"{self.base_url}/checkout/sessions/{session_id}/pay"),
                    email=html.escape(session["customer_email"] or ""),
                    email_readonly="readonly" if session["customer_email"] else "",
                    delayed=self._delayed_choice(session, words),
                    cancel=(
                        f"<a class='back' href='{html.escape(session['cancel_url'])}'>"
                        f"{html.escape(words['cancel_and_return'].format(business=self.business_name))}</a>"
                        if session["cancel_url"]
                        else ""
                    ),
                    assets=html.escape(self._assets),
                )
                return _html_page(
                    words["title"].format(business=self.business_name), body, self._assets, language
                )
            intent = self._objects.get(session["payment_intent"] or "", {})
            if state == "complete" and session["payment_status"] == "paid":
                heading = words["paid_title"]
                text = words["paid_text"].format(total=total, business=self.business_name)
            elif state == "complete" and intent.get("status") == "processing":
                heading, text = words["processing_title"], words["processing_text"]
            elif state == "complete":
                heading, text = words["failed_title"], words["failed_text"]
            else:
                heading, text = words["expired_title"], words["expired_text"]
            link = _redirect(session) if state == "complete" else session["cancel_url"]
            back = (
                f"<p><a href='{html.escape(link)}'>"
                f"{html.escape(words['return_to'].format(business=self.business_name))}</a></p>"
                if link
                else ""
            )
            return _html_page(
                heading,
                f"<section class='done' data-state='{state}'><h1>{html.escape(heading)}</h1>"
                f"<p>{html.escape(text)}</p>{back}</section>",
                self._assets,
                language,
            )

    @staticmethod
    def _delayed_choice(session: dict[str, Any], words: Mapping[str, str]) -> str:
        """The page's choice of a delayed method, when the session offers one."""
        delayed = [kind for kind in session["payment_method_types"] if kind in DELAYED_METHODS]
        if not delayed:
            return ""
        return _template("stripe-delayed.html").substitute(
            {key: html.escape(text) for key, text in words.items()},
            method=html.escape(words["comes_later"].format(method=words[delayed[0]])),
        )

    # ------------------------------------------------------------------ controls
    def _control(self, request: Request, path: str) -> Response:
        try:
            return self._run_control(request, path)
        except ControlRefused as refused:
            return _local_error(refused.status, refused.code, refused.message, refused.details)

    def _run_control(self, request: Request, path: str) -> Response:
        method = request.method
        if method == "GET" and path == "/events":
            limit = request.args.get("limit", "20")
            if not (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= EVENT_LOG_SIZE):
                raise _field_error("limit", f"a number from 1 to {EVENT_LOG_SIZE}", "query")
            return _json({"events": self.event_log(int(limit), request.args.get("type") or None)})
        if path == "/webhooks" and method in ("GET", "POST"):
            if method == "POST":
                body = _json_body(request)
                if set(body) != {"deliver"} or not isinstance(body["deliver"], bool):
                    raise _field_error(
                        "deliver", 'Send {"deliver": false} to hold deliveries back, true to let them go.'
                    )
                self.set_delivering(body["deliver"])
            return _json(
                {
                    "url": self.webhook_url,
                    "deliver": self.delivering,
                    "enabledEvents": sorted(self.enabled_events),
                }
            )
        found = re.fullmatch(
            r"/(?P<kind>checkout/sessions|payment_intents|disputes|events)/(?P<id>[^/]+)/(?P<action>[a-z]+)",
            path,
        )
        if method != "POST" or found is None:
            raise ControlRefused(
                404,
                "NOT_FOUND",
                f"No route {method} {self.prefix}{path[:100]}. The local Stripe's controls are POST "
                "checkout/sessions/{id}/pay, payment_intents/{id}/refund, payment_intents/{id}/dispute, "
                "disputes/{id}/close, events/{id}/resend, webhooks; GET events, webhooks.",
            )
        body = _json_body(request)
        kind, object_id, action = found["kind"], found["id"], found["action"]
        if (kind, action) == ("checkout/sessions", "pay"):
            try:
                return _json(self._pay_control(object_id, body))
            except ControlRefused as refused:
                # The page shows the refusal: it asks in its own language (English without asking).
                refused.message = _refusal_in(refused, browser_language(request.accept_languages))
                raise
        if (kind, action) == ("payment_intents", "refund"):
            return _json({"refund": self._refund_control(object_id, body)})
        if (kind, action) == ("payment_intents", "dispute"):
            _only(body, {"reason"})
            reason = body.get("reason", "fraudulent")
            if reason not in DISPUTE_REASONS:
                raise _field_error("reason", f"One of {', '.join(DISPUTE_REASONS)}.")
            return _json({"dispute": _public(self.dispute(object_id, reason))})
        if (kind, action) == ("disputes", "close"):
            _only(body, {"status"})
            if body.get("status") not in ("won", "lost"):
                raise _field_error("status", 'Send {"status": "won"} or {"status": "lost"}.')
            return _json({"dispute": _public(self.close_dispute(object_id, body["status"]))})
        if (kind, action) == ("events", "resend"):
            _only(body, set())
            return _json({"event": object_id, "attempt": self.resend(object_id)})
        raise ControlRefused(404, "NOT_FOUND", f"No control {action} for {kind}.")

    def _pay_control(self, session_id: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"card", "method", "outcome", "email", "expiry", "cvc"})
        for name in ("card", "email", "expiry", "cvc"):
            if name in body and not isinstance(body[name], str):
                raise _field_error(name, "A string.")
        method = body.get("method", "card")
        if method not in ("card", "delayed"):
            raise _field_error("method", 'Either "card" (the default) or "delayed".')
        if method == "card" and not body.get("card"):
            raise _field_error("card", 'The card number, e.g. "4242424242424242".')
        if method == "delayed" and body.get("outcome") not in ("succeeds", "fails"):
            raise _field_error("outcome", 'A delayed method "succeeds" or "fails".')
        return self.pay(
            session_id,
            body.get("card"),
            method=method,
            outcome=body.get("outcome", "succeeds"),
            email=body.get("email") or None,
            expiry=body.get("expiry") or None,
            cvc=body.get("cvc") or None,
        )

    def _refund_control(self, intent_id: str, body: dict[str, Any]) -> dict[str, Any]:
        _only(body, {"amount", "reason"})
        amount = body.get("amount")
        if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount < 1):
            raise _field_error("amount", "A positive amount in the currency's minor unit.")
        reason = body.get("reason")
        if reason is not None and reason not in ("duplicate", "fraudulent", "requested_by_customer"):
            raise _field_error("reason", "duplicate, fraudulent or requested_by_customer.")
        with self._lock:
            intent = self._objects.get(intent_id)
            if intent is None or intent["object"] != "payment_intent":
                raise ControlRefused(404, "NOT_FOUND", f"No such payment_intent: '{intent_id[:100]}'")
            if intent["latest_charge"] is None:
                raise ControlRefused(
                    409, "NOT_CHARGED", f"PaymentIntent {intent_id} has no charge to refund."
                )
            try:
                return self.refund_charge(
                    self._objects[intent["latest_charge"]],
                    amount,
                    reason,
                    {},
                    _Cause(self._version_of_intent(intent_id)),
                )
            except StripeError as error:
                raise ControlRefused(409, (error.code or "REFUND_REFUSED").upper(), error.message) from error


# ------------------------------------------------------------------ helpers
def _public(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without the stand-in's own bookkeeping (keys starting with ``_``)."""
    return {key: value for key, value in obj.items() if not key.startswith("_")}


def _refusal_in(refused: ControlRefused, language: str) -> str:
    """A pay refusal's message in one of the page's languages, by its code (a decline's decline code
    first): one the page does not show (a bad request) stays as it is."""
    words = page_words(language)
    details = refused.details
    keys: list[Any] = (
        [f"session_{details.get('status')}"]
        if refused.code == "SESSION_NOT_OPEN"
        else [details.get("declineCode"), details.get("code")]
    )
    return next((words[key] for key in keys if key in words), refused.message)


def _redirect(session: dict[str, Any]) -> str | None:
    url = session["success_url"]
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


def _list_object(data: list[dict[str, Any]], url: str, has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def _limit(params: Mapping[str, Any]) -> int:
    if params.get("limit") in (None, ""):
        return 10
    limit = _integer(params["limit"], "limit")
    if not 1 <= limit <= 100:
        raise _invalid(
            "This value must be greater than or equal to 1 and less than or equal to 100.", "limit"
        )
    return limit


def _page_of(
    items: list[dict[str, Any]],
    params: Mapping[str, Any],
    url: str,
    kind: str,
    order: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A page of ``items`` (in the list's order, newest first) as Stripe's list endpoints cut it:
    ``limit``, and ``starting_after`` or ``ending_before`` an id. ``order`` is every id of the list
    before its filters: a cursor the filters leave out (a session that expired since) still marks
    its place, as in Stripe's lists."""
    limit = _limit(params)
    position = {object_id: index for index, object_id in enumerate(order or [i["id"] for i in items])}
    for cursor in ("starting_after", "ending_before"):
        if params.get(cursor) in (None, ""):
            continue
        mark = _string(params[cursor], cursor)
        if mark not in position:
            raise StripeError(404, f"No such {kind}: '{mark[:200]}'", code="resource_missing", param=cursor)
        if cursor == "starting_after":
            rest = [item for item in items if position[item["id"]] > position[mark]]
            return _list_object(rest[:limit], url, len(rest) > limit)
        before = [item for item in items if position[item["id"]] < position[mark]]
        return _list_object(before[-limit:], url, len(before) > limit)
    return _list_object(items[:limit], url, len(items) > limit)


def _range(value: Any, param: str) -> Callable[[int], bool]:
    """A ``created`` filter: an exact time, or ``gt``/``gte``/``lt``/``lte`` bounds."""
    if value in (None, ""):
        return lambda _: True
    if isinstance(value, str):
        exact = _integer(value, param)
        return lambda created: created == exact
    bounds = _hash(value, param)
    _check_keys(bounds, param, {"gt", "gte", "lt", "lte"})
    limits = {name: _integer(item, _join(param, name)) for name, item in bounds.items()}
    tests = {
        "gt": lambda created, bound: created > bound,
        "gte": lambda created, bound: created >= bound,
        "lt": lambda created, bound: created < bound,
        "lte": lambda created, bound: created <= bound,
    }
    return lambda created: all(tests[name](created, bound) for name, bound in limits.items())


def _type_matches(event_type: str, wanted: str) -> bool:
    """Stripe's event type filter: exact, or a ``*`` wildcard (``checkout.session.*``)."""
    if "*" in wanted:
        return re.fullmatch(re.escape(wanted).replace(r"\*", ".*"), event_type) is not None
    return event_type == wanted


def _expiry(expiry: str | None, now: float) -> tuple[int, int]:
    """(month, four-digit year) of an expiry written ``MM/YY`` (or ``MM / YYYY``); a test card's
    default is a year ahead. Refused as Checkout's form refuses it."""
    year_now, month_now = time.gmtime(now)[:2]
    if expiry is None:
        return month_now, year_now + 1
    found = re.fullmatch(r"\s*([0-9]{1,2})\s*/\s*([0-9]{2}|[0-9]{4})\s*", expiry)
    if found is None:
        raise ControlRefused(
            402,
            "INCOMPLETE_EXPIRY",
            "Your card's expiration date is incomplete.",
            {"code": "incomplete_expiry"},
        )
    month, year = int(found[1]), int(found[2])
    year = year + 2000 if year < 100 else year
    if not 1 <= month <= 12:
        raise ControlRefused(
            402,
            "INVALID_EXPIRY_MONTH",
            "Your card's expiration month is invalid.",
            {"code": "invalid_expiry_month"},
        )
    if (year, month) < (year_now, month_now):
        raise ControlRefused(
            402,
            "INVALID_EXPIRY_YEAR_PAST",
            "Your card's expiration year is in the past.",
            {"code": "invalid_expiry_year_past"},
        )
    return month, year


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    """POST a webhook as Stripe does: no redirects followed (a 3xx is a failure), a time limit."""
    response = requests.post(
        url, data=body, headers=dict(headers), timeout=DELIVERY_TIMEOUT_SECONDS, allow_redirects=False
    )
    return response.status_code, response.text


def _template(name: str) -> string.Template:
    return string.Template((PAGES_DIR / name).read_text())


# The page's own policy: its script, its style, its own origin to talk to; nothing inline.
PAGE_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _html_page(title: str, body: str, assets: str, language: str, status: int = 200) -> Response:
    document = _template("stripe-page.html").substitute(
        lang=language,
        testmode=html.escape(page_words(language)["testmode"]),
        title=html.escape(title),
        body=body,
        assets=html.escape(assets),
    )
    return Response(
        document,
        status,
        {
            "Content-Security-Policy": PAGE_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
        content_type="text/html; charset=utf-8",
    )


_ASSETS: Final = {
    "stripe-checkout.js": "text/javascript; charset=utf-8",
    "stripe-checkout.css": "text/css; charset=utf-8",
}


def _asset(name: str) -> Response:
    if name not in _ASSETS:
        return _local_error(404, "NOT_FOUND", f"No file {name[:100]}.")
    return Response(
        (PAGES_DIR / name).read_bytes(),
        content_type=_ASSETS[name],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


# The local stack's conventions for /_dev routes (devstack.stack): JSON only, its error envelope.
def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _local_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> Response:
    return _json({"error": {"code": code, "message": message, "details": details or {}}}, status)


def _field_error(name: str, message: str, location: str = "body") -> ControlRefused:
    return ControlRefused(
        422,
        "VALIDATION_ERROR",
        "The request is not valid.",
        {"fields": [{"field": name, "in": location, "message": message}]},
    )


def _only(body: Mapping[str, Any], allowed: Collection[str]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise _field_error(unknown[0], "Unknown field.")


def _json_body(request: Request) -> dict[str, Any]:
    """A control's JSON object body (empty: ``{}``); a page may send a form anywhere unasked, JSON
    only after a preflight, so nothing else is taken."""
    if request.mimetype != "application/json":
        raise ControlRefused(415, "UNSUPPORTED_MEDIA_TYPE", "Send JSON, with Content-Type: application/json.")
    raw = request.get_data()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise ControlRefused(400, "INVALID_JSON", "The request body is not valid JSON.") from error
    if not isinstance(body, dict):
        raise _field_error("body", "Expected a JSON object.")
    return body
