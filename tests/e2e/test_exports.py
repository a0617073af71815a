"""Exports on the local stack, over HTTP: a user with a gallery starts an export, polls it until it is
READY, downloads the zip from its presigned URL and unzips it: every original, byte for byte, and the
records; a second export the same day is refused with when to try again."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

from tests import images
from tests.e2e.conftest import Api, Session, error_code, new_email, upload, wait_for_image


def wait_for_export(api: Api, session: Session, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GET /users/me/export, as the page does, until the export is READY or FAILED."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.of(session).get_export()
        assert response.status_code == 200, response.text
        export: dict[str, Any] = response.json()["export"]
        if export["status"] in ("READY", "FAILED"):
            return export
        assert time.monotonic() < deadline, f"still {export['status']} after {timeout} s"
        time.sleep(0.2)


def test_an_export_is_started_polled_downloaded_and_unzipped(api: Api) -> None:
    session = api.sign_in(new_email())
    photo, drawing = images.jpeg(), images.png(80, 60)
    ids = {}
    for data, content_type in ((photo, "image/jpeg"), (drawing, "image/png")):
        image_id = upload(api, session, data, content_type)["image"]["id"]
        assert wait_for_image(api, session, image_id)["status"] == "COMPLETED"
        ids[image_id] = data
    none_yet = api.of(session).get_export()

    started = api.of(session).start_export()
    export = wait_for_export(api, session)
    downloaded = api.download(export["downloadUrl"])
    again = api.of(session).start_export()

    assert none_yet.status_code == 404
    assert started.status_code == 202, started.text
    assert started.json()["export"]["status"] == "PENDING"
    assert export["status"] == "READY", export
    assert export["progress"] == {"done": 2, "total": 2}
    assert export["expiresAt"] is not None
    assert downloaded.status_code == 200
    assert downloaded.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(downloaded.content))
    assert archive.testzip() is None
    originals = sorted(name for name in archive.namelist() if name.startswith("images/"))
    assert originals == ["images/photo.jpg", "images/photo.png"]  # each titled by its file's name
    assert sorted(archive.read(name) for name in originals) == sorted(ids.values())
    records = json.loads(archive.read("images.json"))
    assert sorted(record["id"] for record in records) == sorted(ids)
    assert json.loads(archive.read("profile.json"))["id"] == session.user["id"]
    assert [entry["reason"] for entry in json.loads(archive.read("ledger.json"))] == [
        "upload",
        "upload",
        "welcome",
    ]
    assert json.loads(archive.read("orders.json")) == []
    assert again.status_code == 429
    assert error_code(again) == "RATE_LIMITED"
    assert 86000 < int(again.headers["Retry-After"]) <= 86400
