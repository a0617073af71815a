"""make dev keeps its data: a local stack stopped and started again on the same folder still has
its users, sessions, coins, ledger, images and their files; on an empty folder it starts clean.

(Stacks of their own, one after another: the e2e package's stack must not share the process with
a second one.)"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests

from devstack.stack import LocalStack
from tests import images
from tests.e2e.conftest import Api, Session, upload, wait_for_image


def started(data_dir: Path) -> LocalStack:
    return LocalStack(api_port=0, aws_port=0, data_dir=data_dir).start()


def gallery(api: Api, session: Session) -> dict[str, dict[str, Any]]:
    listed = api.call("GET", "/images", session.token, params={"limit": 100}).json()["images"]
    return {image["id"]: image for image in listed}


def ledger(api: Api, session: Session) -> list[dict[str, Any]]:
    response = api.call("GET", "/users/me/transactions", session.token, params={"limit": 100})
    entries: list[dict[str, Any]] = response.json()["transactions"]
    return entries


def test_a_restarted_stack_has_what_the_last_run_left(tmp_path: Path) -> None:
    data_dir = tmp_path / "kept"
    photo = images.png(96, 64)
    stack = started(data_dir)
    try:
        api = Api(stack)
        ada = api.sign_in("ada@example.com")
        uploaded = upload(api, ada, photo, "image/png")["image"]["id"]
        generated = api.call("POST", "/images/generate", ada.token, json={"prompt": "a harbour"}).json()
        for image_id in (uploaded, generated["image"]["id"]):
            assert wait_for_image(api, ada, image_id)["status"] == "COMPLETED"
        user_before = api.call("GET", "/users/me", ada.token).json()["user"]
        images_before, ledger_before = gallery(api, ada), ledger(api, ada)
    finally:
        stack.stop()

    stack = started(data_dir)
    try:
        api = Api(stack)
        # The session signed before the restart is still good: its secret and its record were kept.
        me = api.call("GET", "/users/me", ada.token).json()["user"]
        assert {key: me[key] for key in ("id", "coins", "roles")} == {
            key: user_before[key] for key in ("id", "coins", "roles")
        }
        after = gallery(api, ada)
        assert set(after) == set(images_before)
        for image_id, image in after.items():
            assert (image["status"], image["metadata"]) == ("COMPLETED", images_before[image_id]["metadata"])
            for url in (image["storageUrl"], image["thumbnailUrl"]):
                assert requests.get(url, timeout=10).status_code == 200
        assert requests.get(after[uploaded]["storageUrl"], timeout=10).content == photo
        assert ledger(api, ada) == ledger_before
        refreshed = api.call("POST", "/auth/refresh", json={"refreshToken": ada.refresh_token})
        assert refreshed.status_code == 200, refreshed.text
        # And it goes on: a new image is charged after what was kept.
        again = api.call("POST", "/images/generate", ada.token, json={"prompt": "a lighthouse"})
        assert again.json()["user"]["coins"] == me["coins"] - again.json()["image"]["coinsUsed"]
    finally:
        stack.stop()

    stack = started(tmp_path / "empty")
    try:
        assert Api(stack).call("GET", "/users/me", ada.token).status_code == 401
    finally:
        stack.stop()


def test_a_generation_queued_when_the_stack_stopped_is_made_after_it_starts_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "kept"
    stack = started(data_dir)
    try:
        api = Api(stack)
        ada = api.sign_in("ada@example.com")
        # Gemini is down: the job goes back to its queue after each try, to be redelivered.
        assert (
            api.call("POST", "/_dev/faults", json={"gemini": {"failNext": 1000, "status": 503}}).status_code
            == 204
        )
        made = api.call("POST", "/images/generate", ada.token, json={"prompt": "a harbour"}).json()
        deadline = time.monotonic() + 30
        while stack.gemini.calls == 0:  # the worker has it in hand
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        stack.stop()

    stack = started(data_dir)  # its Gemini is up
    try:
        api = Api(stack)
        image = wait_for_image(api, ada, made["image"]["id"])
        assert image["status"] == "COMPLETED"
        assert api.call("GET", "/users/me", ada.token).json()["user"]["coins"] == made["user"]["coins"]
    finally:
        stack.stop()
