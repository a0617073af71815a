"""events/ holds a sample event for every route the template deploys and every event-driven function."""

from __future__ import annotations

import json

from stacktools.samples import EVENTS
from stacktools.template import Template


def test_every_route_has_a_sample_event() -> None:
    routes = {
        route.route_key
        for route in Template.load({"GoogleClientId": "events", "Payments": "enabled"}).http_routes()
    }
    samples = {json.loads(path.read_text()).get("routeKey") for path in EVENTS.rglob("*.json")}

    assert routes - samples == set()


def test_every_event_driven_function_has_a_sample_event() -> None:
    for sample in (
        "generate_worker/sqs_batch.json",
        "export_worker/sqs_batch.json",
        "account_deletion/sqs_batch.json",
        "pipeline/object_created.json",
        "sweeper/scheduled.json",
        "payments_reconcile/scheduled.json",
    ):
        assert json.loads((EVENTS / sample).read_text())
