"""Fixtures shared by every test: fake AWS credentials, a local Google issuer over HTTP,
moto in-process with the template's resources, and the services wired to them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws
from werkzeug.wrappers import Request, Response

from devstack.provision import Provisioner
from imagegen.aws import AwsClients
from imagegen.composition import Composition
from imagegen.config import Settings
from imagegen.metrics import Metric
from stacktools.template import REGION, Template
from standins.gemini import LocalGemini
from standins.google import LocalGoogleIssuer
from standins.stripe import LocalStripe
from tests.loopback import serving

ADMIN_EMAIL = "admin@example.com"


@pytest.fixture(autouse=True)
def _never_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach AWS: fake credentials, and no endpoint other than the one a test sets."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


class ServedIssuer(LocalGoogleIssuer):
    """The local Google issuer with its JWKS served over HTTP, counting fetches."""

    jwks_fetches = 0


@pytest.fixture(scope="session")
def issuer() -> Iterator[ServedIssuer]:
    holder: dict[str, ServedIssuer] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        served = holder["issuer"]
        if request.path == "/oauth2/v3/certs":
            served.jwks_fetches += 1
            response = Response(json.dumps(served.jwks()), content_type="application/json")
            response.headers["Cache-Control"] = "public, max-age=300"
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    with serving(app) as base_url:
        holder["issuer"] = ServedIssuer(issuer=base_url)
        yield holder["issuer"]


class ServedStandIn[StandIn: (LocalGemini, LocalStripe)]:
    """A stand-in served over HTTP under ``prefix``; each test installs its own (its keys are the
    test's), and requests go to the one installed."""

    def __init__(self, base_url: str, prefix: str) -> None:
        self.base_url = f"{base_url}{prefix}"
        self.prefix = prefix
        self.current: StandIn | None = None


@contextmanager
def served_stand_in[StandIn: (LocalGemini, LocalStripe)](prefix: str) -> Iterator[ServedStandIn[StandIn]]:
    holder: dict[str, ServedStandIn[StandIn]] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        current = holder["served"].current
        if current is not None and request.path.startswith(prefix + "/"):
            response = current.handle(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    with serving(app) as base_url:
        holder["served"] = ServedStandIn(base_url, prefix)
        yield holder["served"]


ServedGemini = ServedStandIn[LocalGemini]
ServedStripe = ServedStandIn[LocalStripe]


@pytest.fixture(scope="session")
def gemini_server() -> Iterator[ServedGemini]:
    """Google's API is served at the root: the client is given the base URL and adds the version."""
    with served_stand_in("") as served:
        yield served


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[ServedStripe]:
    with served_stand_in("/_dev/stripe") as served:
        yield served


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process (not thread-safe: concurrency tests use the local stack instead)."""
    with mock_aws():
        yield


def template_parameters(
    issuer: LocalGoogleIssuer, gemini: ServedGemini, stripe: ServedStripe
) -> dict[str, str]:
    return {
        "Payments": "enabled",
        "StripeApiBase": stripe.base_url,
        "CheckoutReturnUrl": "http://127.0.0.1:3000/app/",
        "SiteUrl": "http://127.0.0.1:3000/",
        "GoogleClientId": issuer.client_id,
        "GoogleIssuers": issuer.issuer,
        "GoogleJwksUrl": issuer.jwks_url,
        "AdminEmails": ADMIN_EMAIL,
        "GeminiBaseUrl": gemini.base_url,
        "GeminiTimeoutSeconds": "5",
        "GeminiBackoffBaseSeconds": "0",
    }


@pytest.fixture
def template(
    aws: None, issuer: ServedIssuer, gemini_server: ServedGemini, stripe_server: ServedStripe
) -> Template:
    """The template with every resource created in moto."""
    loaded = Template.load(template_parameters(issuer, gemini_server, stripe_server))
    Provisioner(loaded, boto3.session.Session()).provision()
    return loaded


@pytest.fixture
def gemini(template: Template, gemini_server: ServedGemini) -> LocalGemini:
    """The Gemini stand-in of this test, accepting the key in the template's Gemini secret."""
    arn = template.physical["GeminiApiKeySecret"].ref
    gemini_server.current = LocalGemini(
        api_key=boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    )
    return gemini_server.current


@pytest.fixture
def settings(template: Template, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings of every area, as the template gives them to its functions, also set in the
    environment: the unit tests' container does what any function does."""
    environment: dict[str, str] = {}
    for function in template.functions().values():
        environment.update(function.environment)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return Settings(environment)


class CountedMetrics:
    """Records what the services count, as ``imagegen.metrics.count`` would write it."""

    def __init__(self) -> None:
        self.counts: list[tuple[Metric, int, dict[str, str]]] = []

    def __call__(self, metric: Metric, value: int = 1, **metadata: str) -> None:
        self.counts.append((metric, value, metadata))

    def totals(self) -> dict[Metric, int]:
        """Each metric's sum."""
        totals: dict[Metric, int] = {}
        for metric, value, _ in self.counts:
            totals[metric] = totals.get(metric, 0) + value
        return totals


@pytest.fixture
def counted() -> CountedMetrics:
    return CountedMetrics()


class MovedClock:
    """The real time, moved on by what the test says has passed."""

    def __init__(self) -> None:
        self.moved = 0.0

    def __call__(self) -> float:
        return time.time() + self.moved

    def move(self, seconds: float) -> None:
        self.moved += seconds


@pytest.fixture
def wall_clock() -> MovedClock:
    return MovedClock()


@pytest.fixture
def services(settings: Settings, counted: CountedMetrics, wall_clock: MovedClock) -> Composition:
    """A container's parts, on moto, counting into ``counted``, its sessions on ``wall_clock``."""
    return Composition(settings, AwsClients(), count=counted, clock=wall_clock)
