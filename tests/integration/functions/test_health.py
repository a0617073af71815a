from __future__ import annotations

from tests.integration.conftest import Invoke, body_of, load_event


def test_health_reports_ok_and_the_version(invoke: Invoke) -> None:
    response = invoke("HealthFunction", load_event("health/get_health.json"))

    assert response["statusCode"] == 200
    assert body_of(response) == {"status": "ok", "version": "0.1.0"}


def test_an_unknown_route_is_404_in_the_envelope(invoke: Invoke) -> None:
    response = invoke("HealthFunction", load_event("health/unknown_route.json"))

    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "NOT_FOUND"
    assert response["headers"]["Content-Type"] == "application/json"
