#!/usr/bin/env python3
"""Smoke test of a deployment: the core journey of a user against the HTTP API, step by step.

    python infra/smoke.py --url https://abc.execute-api.eu-west-1.amazonaws.com --id-token "$ID_TOKEN"
    python infra/smoke.py --url http://127.0.0.1:3000        # the local stack (`make dev`)

A deployed stack needs a Google ID token for the API's client id (``--id-token``, or the
``SMOKE_ID_TOKEN`` environment variable, which keeps it out of the shell's history); the local
stack hands one out for a fresh email at ``/_dev/id-token`` when none is given.

Each step prints ``ok  <step> (<ms> ms)`` or ``FAIL <step>: <why>``; the first failure ends the
run with exit code 1, a full pass exits 0. Whatever the run made (images, its session) is deleted
or ended before it exits, even when a step failed. It spends one generation's and one upload's
coins of the signed-in user, and deletes both images (the share link it makes of one, and revokes,
goes with it in any case). It starts one export of the user's data (one a day: a user who
exported in the last day has that export checked instead); its zip is kept, as any, for a week.

Needs only ``requests`` and the project's API client (``infra/tools/stacktools/api_client.py``,
itself only ``requests``): it runs from any machine against any deployment. Without the project
installed, the client is found beside this script.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import struct
import sys
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

try:
    from stacktools.api_client import ApiClient, ProfileUpdate, ShareRequest, UploadRequest
except ModuleNotFoundError:  # the project is not installed: its client is beside this script
    sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
    from stacktools.api_client import ApiClient, ProfileUpdate, ShareRequest, UploadRequest

Json = dict[str, Any]

# (connect, read) seconds for every HTTP call: a stuck call must fail the step, not hang the run.
REQUEST_TIMEOUT = (10.0, 60.0)
DEFAULT_WAIT_SECONDS = 180.0
# A Retry-After longer than this is not waited for: the run would look hung.
MAX_RETRY_AFTER_SECONDS = 120.0
PROMPT = "A small red lighthouse on a rocky shore at dusk, watercolor"
UPLOAD_WIDTH, UPLOAD_HEIGHT = 64, 48
# Leading bytes of the formats the API serves (originals and WebP thumbnails).
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
}


class SmokeFailure(Exception):
    """A step found the deployment broken; the message says how."""


# --------------------------------------------------------------------------- HTTP


def _network_reason(error: requests.RequestException) -> str:
    """A short reason for a failed call ("[Errno 111] Connection refused"), not urllib3's essay."""
    if isinstance(error, requests.Timeout):
        return "timed out"
    found = re.search(r"\[Errno -?\d+\][^'\")]*", str(error))
    return found.group(0).strip() if found else type(error).__name__


def describe(response: requests.Response) -> str:
    """The status and what the body says about it: the API's error code and message when it
    sent its envelope, else the start of the body (an API Gateway or S3 error)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict) and "code" in error:
        details = f" {error['details']}" if error.get("details") else ""
        return f"{response.status_code} {error['code']}: {error.get('message', '')}{details}"
    # S3 answers XML: <Code>AccessDenied</Code><Message>...</Message>
    s3 = re.search(r"<Code>(.*?)</Code>.*?<Message>(.*?)</Message>", response.text, re.S)
    if s3:
        return f"{response.status_code} {s3.group(1)}: {s3.group(2)}"
    text = " ".join(response.text.split())[:200]
    return f"{response.status_code} {text or response.reason}"


def json_of(response: requests.Response) -> Json:
    """The response's JSON object, or a failure saying it was none."""
    try:
        body = response.json()
    except ValueError:
        raise SmokeFailure(
            f"{response.request.method} {response.url}: not JSON: {describe(response)}"
        ) from None
    if not isinstance(body, dict):
        raise SmokeFailure(f"{response.request.method} {response.url}: not a JSON object")
    return body


class Api(ApiClient):
    """The API's client (``stacktools.api_client``), its calls made steps of a smoke test: a network
    error is a failure naming the URL, and a 429 with ``Retry-After`` is waited for once (the API
    says nothing was done, so the same request, with the same Idempotency-Key, is safe to send
    again)."""

    def __init__(self, base_url: str, say: Callable[[str], None]) -> None:
        super().__init__(base_url, timeout=REQUEST_TIMEOUT)
        self.say = say

    def send(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        def once() -> requests.Response:
            try:
                return super(Api, self).send(
                    method, url, token=token, idempotency_key=idempotency_key, headers=headers, **kwargs
                )
            except requests.RequestException as error:
                raise SmokeFailure(f"{method} {url}: {_network_reason(error)}") from None

        response = once()
        retry_after = _retry_after(response)
        if retry_after is not None:
            self.say(
                f"     {method} {urlsplit(url).path}: {describe(response)}; retrying in {retry_after:g} s"
            )
            time.sleep(retry_after)
            response = once()
        return response


def expect(response: requests.Response, status: int) -> requests.Response:
    """The response, when it has ``status``; else a failure describing the answer."""
    if response.status_code != status:
        request = response.request
        raise SmokeFailure(
            f"{request.method} {urlsplit(str(request.url)).path} answered {describe(response)}"
            f" (expected {status})"
        )
    return response


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait before retrying a 429, or None when it is not one worth waiting for."""
    if response.status_code != 429:
        return None
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER_SECONDS else None


# --------------------------------------------------------------------------- test data


def tiny_png(width: int = UPLOAD_WIDTH, height: int = UPLOAD_HEIGHT) -> bytes:
    """A real RGB PNG (a gradient), written by hand so the script needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00"  # filter type None for each scanline
        + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def image_format(data: bytes) -> str | None:
    """The format ``data`` starts like, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return next((name for magic, name in IMAGE_SIGNATURES.items() if data.startswith(magic)), None)


# --------------------------------------------------------------------------- the journey


@dataclass
class Journey:
    """The steps of the smoke test, sharing what earlier steps learned. Each returns a short
    detail for its ``ok`` line, or raises :class:`SmokeFailure`."""

    api: Api
    id_token: str | None
    wait_seconds: float
    # Cleanup notes are printed even with --quiet: something left behind is worth knowing.
    say: Callable[[str], None] = print
    user: Json = field(default_factory=dict)
    coins_before: int = 0
    model: Json = field(default_factory=dict)
    generated: Json = field(default_factory=dict)
    upscaled: Json = field(default_factory=dict)
    uploaded: Json = field(default_factory=dict)
    upload_size: int = 0
    # Ids of images this run made and has not deleted yet: the cleanup's list.
    leftovers: list[str] = field(default_factory=list)
    signed_in: bool = False
    packs: list[Json] = field(default_factory=list)
    share: Json = field(default_factory=dict)

    def health(self) -> str:
        """GET /health answers 200 {"status": "ok"}."""
        body = json_of(expect(self.api.health(), 200))
        if body.get("status") != "ok":
            raise SmokeFailure(f"status is {body.get('status')!r}, not 'ok'")
        return f"version {body.get('version')}"

    def sign_in(self) -> str:
        """POST /auth/google with the given ID token, or one from the local issuer."""
        token = self.id_token or self._local_id_token()
        body = json_of(expect(self.api.sign_in_with_google({"token": token}), 200))
        self.api.token = body["token"]
        self.signed_in = True
        self.user = body["user"]
        return str(self.user["email"])

    def _local_id_token(self) -> str:
        """An ID token for a fresh email from the local stack's issuer (it exists only there)."""
        email = f"smoke-{secrets.token_hex(4)}@example.com"
        response = self.api.local_id_token(email, firstName="Smoke", lastName="Test")
        token = json_of(response).get("token") if response.status_code == 200 and _is_json(response) else None
        if not isinstance(token, str):
            url = response.request.url
            raise SmokeFailure(
                f"no --id-token given, and {url} answered {describe(response)}: only the local stack"
                " hands out ID tokens; a deployed stack needs --id-token (or SMOKE_ID_TOKEN) with a"
                " Google ID token for its GoogleClientId"
            )
        return token

    def me(self) -> str:
        """GET /auth/me names the signed-in user; remembers the balance before any charge."""
        user = json_of(expect(self.api.me(), 200))["user"]
        if user["id"] != self.user["id"]:
            raise SmokeFailure(f"/auth/me is user {user['id']}, signed in as {self.user['id']}")
        self.coins_before = int(user["coins"])
        return f"{self.coins_before} coins"

    def profile(self) -> str:
        """PUT /users/me with the user's own names (so nothing changes) answers the same user; the same
        route refuses roles (422): a user may change their language and names, nothing else."""
        names: ProfileUpdate = {"firstName": self.user["firstName"], "lastName": self.user["lastName"]}
        same = json_of(expect(self.api.update_my_profile(names), 200))["user"]
        kept = ("id", "roles", "language", "firstName", "lastName")
        if [same.get(key) for key in kept] != [self.user.get(key) for key in kept]:
            raise SmokeFailure(f"PUT /users/me changed the profile: {same}")
        expect(self.api.request("PUT", "/users/me", json={"roles": ["USER", "ADMIN"]}), 422)
        return f"language {same['language']}"

    def models(self) -> str:
        """GET /models lists a default model."""
        models = json_of(expect(self.api.list_models(), 200))["models"]
        defaults = [model for model in models if model.get("default")]
        if len(defaults) != 1:
            raise SmokeFailure(f"{len(defaults)} default models among {[m.get('id') for m in models]}")
        self.model = defaults[0]
        return f"default {self.model['id']}"

    def style_presets(self) -> str:
        """GET /style-presets lists the presets, each a name, its names in other languages (maybe none)
        and its words (no preset at all is a choice of ops)."""
        presets = json_of(expect(self.api.style_presets(), 200))["presets"]
        if any(
            not preset.get("name") or not isinstance(preset.get("names"), dict) or not preset.get("words")
            for preset in presets
        ):
            raise SmokeFailure(f"a style preset without its name, names or words: {presets}")
        return ", ".join(preset["name"] for preset in presets) or "none offered"

    def generate(self) -> str:
        """POST /images/generate with the default model: 202, charged the catalog's cost."""
        response = self.api.generate(
            {"prompt": PROMPT, "title": "smoke test", "model": self.model["id"]},
            # A retry (a 429, or an operator re-running by hand) must not generate twice.
            idempotency_key=f"smoke-{uuid.uuid4()}",
        )
        expect(response, 202)
        accepted = json_of(response)
        self.generated = accepted["image"]
        self.leftovers.append(self.generated["id"])
        if [image["id"] for image in accepted.get("images", [])] != [self.generated["id"]]:
            raise SmokeFailure("the answer's images are not the one image asked for")
        cost = self.model["costs"].get(self.generated["imageSize"])
        if self.generated["coinsUsed"] != cost:
            raise SmokeFailure(
                f"charged {self.generated['coinsUsed']} coins, the catalog says {cost}"
                f" for {self.model['id']} at {self.generated['imageSize']}"
            )
        return f"image {self.generated['id']}, {cost} coins"

    def recent_prompts(self) -> str:
        """GET /users/me/prompts lists the prompt just sent first."""
        prompts = json_of(expect(self.api.my_prompts(limit=5), 200))["prompts"]
        if not prompts or (prompts[0]["prompt"], prompts[0]["imageId"]) != (PROMPT, self.generated["id"]):
            raise SmokeFailure(f"the newest recent prompt is not the one just sent: {prompts[:1]}")
        return f"{len(prompts)} prompts"

    def generated_completes(self) -> str:
        """The generated image ends COMPLETED with a thumbnail."""
        self.generated = self._wait_until_completed(self.generated["id"])
        return _size_of(self.generated)

    def generated_files(self) -> str:
        """Its storageUrl and thumbnailUrl serve image bytes."""
        return self._fetch_files(self.generated)

    def upscale(self) -> str:
        """POST /images/{id}/upscale of the generated image to its model's next size: a new version in
        its thread, charged as that size, that completes (when the model makes no larger size, skipped)."""
        sizes = self.model["imageSizes"]
        larger = sizes[sizes.index(self.generated["imageSize"]) + 1 :]
        if not larger:
            return f"skipped: {self.model['id']} makes nothing larger than {self.generated['imageSize']}"
        response = self.api.upscale(
            self.generated["id"], {"imageSize": larger[0]}, idempotency_key=f"smoke-{uuid.uuid4()}"
        )
        self.upscaled = json_of(expect(response, 202))["image"]
        self.leftovers.append(self.upscaled["id"])
        in_thread = (self.upscaled["parentImageId"], self.upscaled["threadId"])
        if in_thread != (self.generated["id"], self.generated["threadId"]):
            raise SmokeFailure(f"the upscaled version's parent and thread are {in_thread}")
        if self.upscaled["coinsUsed"] != self.model["costs"][larger[0]]:
            raise SmokeFailure(f"upscaling to {larger[0]} charged {self.upscaled['coinsUsed']} coins")
        self.upscaled = self._wait_until_completed(self.upscaled["id"])
        upscaled = self.upscaled
        return f"image {upscaled['id']}, {larger[0]}: {_size_of(upscaled)}, {upscaled['coinsUsed']} coins"

    def upload(self) -> str:
        """POST /images/upload, then the file to the presigned form as a browser posts it."""
        data = tiny_png()
        self.upload_size = len(data)
        request: UploadRequest = {
            "filename": "smoke.png",
            "contentType": "image/png",
            "size": len(data),
            "title": "smoke test upload",
        }
        body = json_of(expect(self.api.request_upload(request), 201))
        self.uploaded = body["image"]
        self.leftovers.append(self.uploaded["id"])
        # The signed fields first, the file last; no token: the policy is the credential.
        posted = self.api.post_form(body["upload"], "smoke.png", data, "image/png")
        if posted.status_code not in (200, 201, 204):
            raise SmokeFailure(f"POST of the file to the presigned form answered {describe(posted)}")
        return f"image {self.uploaded['id']}, {len(data)} bytes, {self.uploaded['coinsUsed']} coins"

    def uploaded_completes(self) -> str:
        """The uploaded image ends COMPLETED with a thumbnail, its size read from the file."""
        self.uploaded = self._wait_until_completed(self.uploaded["id"])
        metadata = self.uploaded.get("metadata") or {}
        seen = (metadata.get("width"), metadata.get("height"))
        if seen != (UPLOAD_WIDTH, UPLOAD_HEIGHT):
            raise SmokeFailure(f"metadata says {seen}, the file is {(UPLOAD_WIDTH, UPLOAD_HEIGHT)}")
        return _size_of(self.uploaded)

    def uploaded_files(self) -> str:
        """Its storageUrl and thumbnailUrl serve image bytes."""
        return self._fetch_files(self.uploaded)

    def gallery(self) -> str:
        """GET /images lists both images."""
        images = json_of(expect(self.api.list_images(limit=100), 200))["images"]
        listed = {image["id"] for image in images}
        missing = [image["id"] for image in (self.generated, self.uploaded) if image["id"] not in listed]
        if missing:
            raise SmokeFailure(f"GET /images does not list {missing} ({len(images)} images listed)")
        return f"{len(images)} images"

    def star_and_search(self) -> str:
        """PUT /images/{id} stars the generated image; GET /images finds it among the starred by a word
        of its prompt, in another case, and not the upload."""
        starred = json_of(expect(self.api.update_image(self.generated["id"], {"favorite": True}), 200))[
            "image"
        ]
        if starred.get("favorite") is not True:
            raise SmokeFailure(f"the image is not starred after starring it: {starred.get('favorite')!r}")
        word = PROMPT.split()[2].upper()
        found = json_of(expect(self.api.list_images(limit=100, favorite=True, q=word), 200))["images"]
        if [image["id"] for image in found] != [self.generated["id"]]:
            raise SmokeFailure(f"starred images matching {word!r}: {[image['id'] for image in found]}")
        return f"starred, found by {word!r}"

    def share_image(self) -> str:
        """POST /images/{id}/share of the generated image, showing its prompt: 201 with its link;
        asked again, 200 with the same link unchanged."""
        asked: ShareRequest = {"expiresInDays": 1, "showPrompt": True}
        self.share = json_of(expect(self.api.share_image(self.generated["id"], asked), 201))["share"]
        token = self.share["token"]
        if not str(self.share["url"]).endswith(f"/s/{token}") or self.share["showPrompt"] is not True:
            raise SmokeFailure(f"the link is not the page of its token, showing the prompt: {self.share}")
        again = json_of(expect(self.api.share_image(self.generated["id"], {"showPrompt": False}), 200))
        if again["share"] != self.share:
            raise SmokeFailure(f"sharing again changed the link: {again['share']}")
        return str(self.share["url"])

    def open_shared(self) -> str:
        """Without signing in: GET /shared/{token} shows the image and its prompt, its imageUrl serves
        it, and the link's page (its url, as a crawler reads it) carries its og: tags; both views
        are counted for the owner."""
        token = self.share["token"]
        shown = json_of(expect(self.api.shared_image(token), 200))
        if shown["image"]["prompt"] != PROMPT or shown["image"]["title"] != self.generated["title"]:
            raise SmokeFailure(f"the shared image is not the one shared: {shown['image']}")
        picture = self.api.download(shown["image"]["imageUrl"])
        if picture.status_code != 200 or image_format(picture.content) is None:
            raise SmokeFailure(f"the shared image's URL answered {describe(picture)}")
        page = self.api.download(str(self.share["url"]))  # through the site's CloudFront when it has one
        if page.status_code != 200 or 'property="og:image"' not in page.text:
            raise SmokeFailure(f"the link's page answered {describe(page)}, without its preview tags")
        if page.headers.get("Cache-Control") != "no-store":
            raise SmokeFailure(f"the link's page may be cached: {page.headers.get('Cache-Control')!r}")
        views = json_of(expect(self.api.get_share(self.generated["id"]), 200))["share"]["views"]
        if views != 2:
            raise SmokeFailure(f"the link counts {views} views, not the 2 just made")
        return f"{views} views"

    def revoke_share(self) -> str:
        """DELETE /images/{id}/share: 204, and at once the link answers 404, as JSON and as its page."""
        expect(self.api.revoke_share(self.generated["id"]), 204)
        gone = expect(self.api.shared_image(self.share["token"]), 404)
        if json_of(gone).get("error", {}).get("code") != "NOT_FOUND":
            raise SmokeFailure(f"the revoked link answered {describe(gone)}")
        page = self.api.download(str(self.share["url"]))
        if page.status_code != 404:
            raise SmokeFailure(f"the revoked link's page answered {describe(page)}")
        return "404 at once"

    def export(self) -> str:
        """POST /users/me/export, then GET /users/me/export until READY: its downloadUrl serves a zip
        holding this user's profile.json and, for an export this run started, the generated image's
        record and original. One export a day: a user who exported less than a day ago (a 429 not worth
        waiting for) has that latest export checked instead."""
        started = self.api.start_export()
        fresh = started.status_code == 202
        if not fresh:
            expect(started, 429)
        export = self._wait_until_exported()
        zipped = self.api.download(str(export["downloadUrl"]))
        if zipped.status_code != 200:
            raise SmokeFailure(f"the export's downloadUrl answered {describe(zipped)}")
        try:
            archive = zipfile.ZipFile(io.BytesIO(zipped.content))
            profile = json.loads(archive.read("profile.json"))
            records = json.loads(archive.read("images.json"))
        except (zipfile.BadZipFile, KeyError, ValueError) as error:
            raise SmokeFailure(f"the export's download is not the zip of an export: {error}") from None
        if profile.get("id") != self.user["id"]:
            raise SmokeFailure(f"the export's profile.json is not this user's: {profile.get('id')}")
        if fresh:
            mine = [record for record in records if record.get("id") == self.generated["id"]]
            if not mine or not any(name.startswith("images/smoke test") for name in archive.namelist()):
                raise SmokeFailure(f"the export lacks the generated image: {archive.namelist()}")
        made = "" if fresh else " (this user's export of the last day)"
        return f"{len(archive.namelist())} files, {len(zipped.content)} bytes{made}"

    def _wait_until_exported(self) -> Json:
        """Poll GET /users/me/export until READY; FAILED or the timeout fails."""
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.25
        while True:
            export: Json = json_of(expect(self.api.get_export(), 200))["export"]
            if export["status"] == "FAILED":
                raise SmokeFailure(f"export {export['id']} FAILED: {export.get('error')}")
            if export["status"] == "READY" and export.get("downloadUrl"):
                return export
            if time.monotonic() >= deadline:
                raise SmokeFailure(
                    f"export {export['id']} still {export['status']} after {self.wait_seconds:g} s"
                )
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    def ledger(self) -> str:
        """The ledger has both charges, and the balance fell by exactly their coins."""
        transactions = json_of(expect(self.api.my_transactions(limit=100), 200))["transactions"]
        made = [image for image in (self.generated, self.upscaled, self.uploaded) if image]
        for image in made:
            charges = [t for t in transactions if t["imageId"] == image["id"] and t["amount"] < 0]
            if [t["amount"] for t in charges] != [-image["coinsUsed"]]:
                raise SmokeFailure(
                    f"ledger entries charging image {image['id']}: {[t['amount'] for t in charges]},"
                    f" expected [{-image['coinsUsed']}]"
                )
        spent = sum(image["coinsUsed"] for image in made)
        coins = int(json_of(expect(self.api.my_profile(), 200))["user"]["coins"])
        if coins != self.coins_before - spent:
            raise SmokeFailure(
                f"balance {coins}, expected {self.coins_before} - {spent} = {self.coins_before - spent}"
                " (is something else spending this user's coins?)"
            )
        if transactions and transactions[0]["balance"] != coins:
            raise SmokeFailure(f"newest ledger entry's balance {transactions[0]['balance']} != {coins}")
        return f"{self.coins_before} -> {coins} coins"

    def delete(self) -> str:
        """DELETE /images/{id} of both: 204, then GET answers 404."""
        count = len(self.leftovers)
        for image_id in list(self.leftovers):
            expect(self.api.delete_image(image_id), 204)
            self.leftovers.remove(image_id)
            gone = expect(self.api.get_image(image_id), 404)
            code = json_of(gone).get("error", {}).get("code")
            if code != "NOT_FOUND":
                raise SmokeFailure(f"GET of deleted image {image_id}: 404 with code {code!r}")
        return f"{count} images"

    def coin_packs(self) -> str:
        """GET /coin-packs lists the packs on sale (404: the stack sells none, Payments=disabled)."""
        response = self.api.coin_packs()
        if response.status_code == 404:
            return "payments disabled"
        if response.status_code != 200:
            raise SmokeFailure(f"GET /api/v1/coin-packs answered {describe(response)}")
        self.packs = json_of(response)["packs"]
        if not self.packs:
            raise SmokeFailure("no coin pack on sale")
        return ", ".join(f"{pack['id']} {pack['coins']} coins" for pack in self.packs)

    def buy(self) -> str:
        """Locally (the local Stripe pays the checkout as its page does): POST /coins/checkout, pay
        with Stripe's test card, and the order ends PAID with the pack's coins credited once. A
        deployed stack is not charged a real card: the step is skipped there."""
        if not self.packs:
            return "skipped: no packs"
        pack = min(self.packs, key=lambda pack: int(pack["price"]["amount"]))
        before = int(json_of(expect(self.api.my_profile(), 200))["user"]["coins"])
        opened = json_of(
            expect(self.api.checkout({"packId": pack["id"]}, idempotency_key=f"smoke-{uuid.uuid4()}"), 201)
        )
        order = opened["order"]
        paid = self.api.local_pay_checkout(order["stripeSessionId"], card="4242424242424242")
        if paid.status_code == 404:
            return f"checkout {order['id']} opened; not paid: a deployed stack is paid by people"
        if paid.status_code != 200:
            raise SmokeFailure(f"the local Stripe would not pay the checkout: {describe(paid)}")
        deadline = time.monotonic() + self.wait_seconds
        while True:
            order = json_of(expect(self.api.get_order(order["id"]), 200))["order"]
            if order["status"] != "CREATED" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if order["status"] != "PAID":
            raise SmokeFailure(f"order {order['id']} is {order['status']} after paying, not PAID")
        after = int(json_of(expect(self.api.my_profile(), 200))["user"]["coins"])
        if after != before + int(pack["coins"]):
            raise SmokeFailure(f"balance {after} after buying {pack['coins']} coins on {before}")
        return f"{pack['id']}: {before} -> {after} coins"

    def logout(self) -> str:
        """POST /auth/logout: 204, and the access token stops working."""
        expect(self.api.logout(), 204)
        self.signed_in = False
        expect(self.api.me(), 401)
        return "token revoked"

    def steps(self) -> list[tuple[str, Callable[[], str]]]:
        """The steps, in order."""
        return [
            ("health", self.health),
            ("sign in", self.sign_in),
            ("me", self.me),
            ("profile", self.profile),
            ("models", self.models),
            ("style presets", self.style_presets),
            ("generate", self.generate),
            ("recent prompts", self.recent_prompts),
            ("generated image completes", self.generated_completes),
            ("generated image files", self.generated_files),
            ("upscale", self.upscale),
            ("upload", self.upload),
            ("uploaded image completes", self.uploaded_completes),
            ("uploaded image files", self.uploaded_files),
            ("list", self.gallery),
            ("star and search", self.star_and_search),
            ("share", self.share_image),
            ("open the shared image", self.open_shared),
            ("revoke the share", self.revoke_share),
            ("export", self.export),
            ("ledger", self.ledger),
            ("delete", self.delete),
            ("coin packs", self.coin_packs),
            ("buy a pack", self.buy),
            ("logout", self.logout),
        ]

    def clean_up(self) -> None:
        """Best effort, after a failure: delete the images left, end the session."""
        for image_id in self.leftovers:
            try:
                expect(self.api.delete_image(image_id), 204)
                self.say(f"     cleanup: deleted image {image_id}")
            except SmokeFailure as error:
                self.say(f"     cleanup: image {image_id} is left behind: {error}")
        self.leftovers.clear()
        if self.signed_in:
            try:
                expect(self.api.logout(), 204)
            except SmokeFailure as error:
                self.say(f"     cleanup: could not log out: {error}")
            self.signed_in = False

    # ------------------------------------------------------------------ helpers

    def _wait_until_completed(self, image_id: str) -> Json:
        """Poll GET /images/{id} until COMPLETED with a thumbnail; FAILED or the timeout fails."""
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.25
        while True:
            image: Json = json_of(expect(self.api.get_image(image_id), 200))["image"]
            if image["status"] == "FAILED":
                raise SmokeFailure(
                    f"image {image_id} FAILED ({image.get('errorCode')}): {image.get('error')}"
                )
            if image["status"] == "COMPLETED" and image.get("thumbnailUrl"):
                return image
            if time.monotonic() >= deadline:
                state = (
                    "COMPLETED without a thumbnailUrl" if image["status"] == "COMPLETED" else image["status"]
                )
                raise SmokeFailure(f"image {image_id} still {state} after {self.wait_seconds:g} s")
            time.sleep(pause)
            pause = min(pause * 2, 2.0)  # quick locally, gentle on a deployment

    def _fetch_files(self, image: Json) -> str:
        """GET the image's presigned storageUrl and thumbnailUrl: 200 and image bytes."""
        found = []
        for name in ("storageUrl", "thumbnailUrl"):
            url = image.get(name)
            if not url:
                raise SmokeFailure(f"image {image['id']} has no {name}")
            response = self.api.download(url)
            if response.status_code != 200:
                raise SmokeFailure(f"GET of its {name} answered {describe(response)}")
            kind = image_format(response.content)
            if kind is None:
                raise SmokeFailure(
                    f"its {name} served {len(response.content)} bytes of"
                    f" {response.headers.get('Content-Type')}, not an image"
                )
            found.append(f"{kind} {len(response.content)} B")
        return ", ".join(found)


def _is_json(response: requests.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def _size_of(image: Json) -> str:
    metadata = image.get("metadata") or {}
    return f"{metadata.get('width')}x{metadata.get('height')} {metadata.get('format')}"


# --------------------------------------------------------------------------- running


def run_step(name: str, action: Callable[[], str], say: Callable[[str], None], quiet: bool) -> bool:
    """Run one step, print its line, and say whether it passed."""
    started = time.perf_counter()
    try:
        detail = action()
    except SmokeFailure as error:
        say(f"FAIL {name}: {error}")
        return False
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # An answer without the contract's fields is a broken deployment, not a crash of the script.
        say(f"FAIL {name}: unexpected answer ({type(error).__name__}: {error})")
        return False
    if not quiet:
        milliseconds = round((time.perf_counter() - started) * 1000)
        say(f"ok  {name} ({milliseconds} ms)  {detail}".rstrip())
    return True


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--url",
        required=True,
        help="the API's base URL, e.g. https://abc.execute-api.eu-west-1.amazonaws.com",
    )
    parser.add_argument(
        "--id-token",
        default=os.environ.get("SMOKE_ID_TOKEN") or None,
        help="a Google ID token to sign in with (default: $SMOKE_ID_TOKEN; locally, one from /_dev/id-token)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        help=f"seconds to wait for each image to complete (default {DEFAULT_WAIT_SECONDS:g})",
    )
    parser.add_argument("--quiet", action="store_true", help="print only failures")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the smoke test; 0 when every step passed, 1 at the first that failed."""
    options = parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    def say_unless_quiet(line: str) -> None:
        if not options.quiet:
            say(line)

    api = Api(options.url, say=say_unless_quiet)  # with or without /api/v1, as operators paste it
    journey = Journey(api, id_token=options.id_token, wait_seconds=options.timeout, say=say)
    started = time.perf_counter()
    try:
        for name, action in journey.steps():
            if not run_step(name, action, say, options.quiet):
                return 1
    finally:
        journey.clean_up()
        api.close()
    if not options.quiet:
        say(f"passed: {len(journey.steps())} steps in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
