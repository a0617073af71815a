"""The one Python client of the HTTP API: the smoke test (``infra/smoke.py``), the tests over HTTP
(``tests/e2e``, ``tests/fuzz``, ``tests/restart``) and the benchmark (``bench``) call the API
through it.

One method per operation of the API's document (``docs/openapi.json``), named by its
``operationId`` (``sign_in_with_google``, ``generate``, ``list_images``...), its path parameters
named as the document names them, its request body typed as the document's schema of the same
name (``GenerateRequest``...). Each returns the :class:`requests.Response`, for the caller to hold
to the status it expects. ``tests/unit/test_api_client.py`` holds every method to the document
(method, path, query, headers, body, which need the bearer token), so the client cannot drift
from the contract.

Headers are set in one place (:meth:`ApiClient.send`): the bearer token of the client (operations
the document leaves open are sent without it), the ``Idempotency-Key`` when one is given. Besides
the operations: the presigned URLs the API hands out (:meth:`ApiClient.post_form`,
:meth:`ApiClient.download`, never with the token) and the local stack's own routes under
``/_dev`` (``local_*``, which a deployment does not have).

It needs only ``requests`` and the standard library: the smoke test runs from any machine
against any deployment.
"""

# No `from __future__ import annotations`: the request bodies' NotRequired keys must be known at run
# time (``__required_keys__``), which string annotations hide.
import copy
from collections.abc import Mapping
from typing import Any, NotRequired, Self, TypedDict
from urllib.parse import quote

import requests

API_PREFIX = "/api/v1"
# (connect, read) seconds: a stuck call must fail, not hang its caller.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
Timeout = float | tuple[float, float]

# --------------------------------------------------------------------------- request bodies
# As the document's schemas of the same names (a test holds each to its schema).


class GoogleSignIn(TypedDict):
    token: str


class RefreshRequest(TypedDict):
    refreshToken: str


class GenerateRequest(TypedDict):
    prompt: str
    title: NotRequired[str | None]
    model: NotRequired[str | None]
    imageSize: NotRequired[str | None]
    aspectRatio: NotRequired[str | None]
    referenceImageIds: NotRequired[list[str] | None]
    count: NotRequired[int]


class UpscaleRequest(TypedDict):
    imageSize: str
    model: NotRequired[str | None]


class UploadRequest(TypedDict):
    filename: str
    contentType: str
    size: int
    title: NotRequired[str | None]
    description: NotRequired[str | None]


class ImageUpdate(TypedDict, total=False):
    title: str | None
    description: str | None
    favorite: bool | None


class ProfileUpdate(TypedDict, total=False):
    language: str | None
    firstName: str | None
    lastName: str | None


class UserUpdate(TypedDict, total=False):
    roles: list[str] | None
    language: str | None
    firstName: str | None
    lastName: str | None
    status: str | None  # "ACTIVE" or "SUSPENDED"


class CoinGrant(TypedDict):
    amount: int
    reason: str


class AccountDeletionRequest(TypedDict):
    email: str  # the account's own, as the confirmation


class CheckoutRequest(TypedDict):
    packId: str


class ShareRequest(TypedDict, total=False):
    expiresInDays: int | None
    showPrompt: bool


# --------------------------------------------------------------------------- the client


def _gallery_query(
    limit: int | None,
    cursor: str | None,
    image_type: str | None,
    status: str | None,
    favorite: bool | None,
    q: str | None,
) -> dict[str, object]:
    """A gallery listing's query, its booleans written as JSON writes them (``true``)."""
    starred = None if favorite is None else str(favorite).lower()
    return {
        "limit": limit,
        "cursor": cursor,
        "type": image_type,
        "status": status,
        "favorite": starred,
        "q": q,
    }


def _segment(value: str) -> str:
    """A path parameter as one segment of the path, whatever it holds."""
    return quote(str(value), safe="")


class ApiClient:
    """Calls to ``<base_url>/api/v1``, with ``token`` as the bearer once signed in.

    ``base_url`` is where the routes hang off (``https://abc.execute-api.eu-west-1.amazonaws.com``,
    ``http://127.0.0.1:3000``); a trailing ``/`` or ``/api/v1`` is dropped. :meth:`with_token`
    gives a client for another session over the same connections.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        http: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/").removesuffix(API_PREFIX)
        self.token = token
        self.http = http if http is not None else requests.Session()
        self.timeout = timeout

    def with_token(self, token: str | None) -> Self:
        """This client as the session of ``token`` (None: no one's), sharing its connections."""
        other = copy.copy(self)
        other.token = token
        return other

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ the one place of HTTP

    def url(self, path: str) -> str:
        """The URL of an API path (``/images/abc``)."""
        return f"{self.base_url}{API_PREFIX}{path}"

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
        """Any HTTP call, with the client's timeout, a bearer ``token`` and an ``Idempotency-Key``
        when given: every call of the client goes through here (a subclass may wrap it: retries)."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if idempotency_key is not None:
            sent["Idempotency-Key"] = idempotency_key
        kwargs.setdefault("timeout", self.timeout)
        return self.http.request(method, url, headers=sent, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        anonymous: bool = False,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """``method /api/v1<path>``, with the client's token unless ``anonymous``. The operations
        below are made of this; a test may call it to send what no operation sends."""
        token = None if anonymous else self.token
        return self.send(method, self.url(path), token=token, idempotency_key=idempotency_key, **kwargs)

    # ------------------------------------------------------------------ operations: health, docs

    def health(self) -> requests.Response:
        return self.request("GET", "/health", anonymous=True)

    def openapi_document(self) -> requests.Response:
        return self.request("GET", "/openapi.json", anonymous=True)

    # ------------------------------------------------------------------ operations: auth

    def sign_in_with_google(
        self, body: GoogleSignIn, *, accept_language: str | None = None
    ) -> requests.Response:
        """``accept_language``: the languages a browser would say it prefers (a new user gets one)."""
        headers = {"Accept-Language": accept_language} if accept_language is not None else {}
        return self.request("POST", "/auth/google", anonymous=True, json=body, headers=headers)

    def refresh(self, body: RefreshRequest) -> requests.Response:
        return self.request("POST", "/auth/refresh", anonymous=True, json=body)

    def logout(self) -> requests.Response:
        return self.request("POST", "/auth/logout")

    def me(self) -> requests.Response:
        return self.request("GET", "/auth/me")

    # ------------------------------------------------------------------ operations: images

    def list_models(self) -> requests.Response:
        return self.request("GET", "/models", anonymous=True)

    def style_presets(self) -> requests.Response:
        return self.request("GET", "/style-presets", anonymous=True)

    def generate(self, body: GenerateRequest, *, idempotency_key: str | None = None) -> requests.Response:
        return self.request("POST", "/images/generate", json=body, idempotency_key=idempotency_key)

    def edit(
        self, image_id: str, body: GenerateRequest, *, idempotency_key: str | None = None
    ) -> requests.Response:
        return self.request(
            "POST", f"/images/{_segment(image_id)}/edit", json=body, idempotency_key=idempotency_key
        )

    def upscale(
        self, image_id: str, body: UpscaleRequest, *, idempotency_key: str | None = None
    ) -> requests.Response:
        return self.request(
            "POST", f"/images/{_segment(image_id)}/upscale", json=body, idempotency_key=idempotency_key
        )

    def request_upload(self, body: UploadRequest) -> requests.Response:
        return self.request("POST", "/images/upload", json=body)

    def list_images(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        type: str | None = None,  # the document names the filter so
        status: str | None = None,
        favorite: bool | None = None,
        q: str | None = None,
    ) -> requests.Response:
        params = _gallery_query(limit, cursor, type, status, favorite, q)
        return self.request("GET", "/images", params=params)

    def get_image(self, image_id: str) -> requests.Response:
        return self.request("GET", f"/images/{_segment(image_id)}")

    def update_image(self, image_id: str, body: ImageUpdate) -> requests.Response:
        return self.request("PUT", f"/images/{_segment(image_id)}", json=body)

    def delete_image(self, image_id: str) -> requests.Response:
        return self.request("DELETE", f"/images/{_segment(image_id)}")

    def image_thread(
        self, image_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> requests.Response:
        params = {"limit": limit, "cursor": cursor}
        return self.request("GET", f"/images/{_segment(image_id)}/thread", params=params)

    # ------------------------------------------------------------------ operations: share links

    def share_image(self, image_id: str, body: ShareRequest) -> requests.Response:
        """201 a new link, or 200 the image's active one, unchanged."""
        return self.request("POST", f"/images/{_segment(image_id)}/share", json=body)

    def get_share(self, image_id: str) -> requests.Response:
        return self.request("GET", f"/images/{_segment(image_id)}/share")

    def revoke_share(self, image_id: str) -> requests.Response:
        return self.request("DELETE", f"/images/{_segment(image_id)}/share")

    def shared_image(self, token: str) -> requests.Response:
        """The shared image as anyone holding the link sees it: no token of a session is sent."""
        return self.request("GET", f"/shared/{_segment(token)}", anonymous=True)

    def share_page(self, token: str, *, accept_language: str | None = None) -> requests.Response:
        """The link's HTML page (``/s/{token}``, outside ``/api/v1``), as a browser or a crawler asks
        for it: no token of a session; ``accept_language`` the languages a visitor would prefer."""
        headers = {"Accept-Language": accept_language} if accept_language is not None else {}
        return self.send("GET", f"{self.base_url}/s/{_segment(token)}", headers=headers)

    # ------------------------------------------------------------------ operations: the user's own

    def my_profile(self) -> requests.Response:
        return self.request("GET", "/users/me")

    def update_my_profile(self, body: ProfileUpdate) -> requests.Response:
        return self.request("PUT", "/users/me", json=body)

    def delete_my_account(self, body: AccountDeletionRequest) -> requests.Response:
        return self.request("DELETE", "/users/me", json=body)

    def start_export(self) -> requests.Response:
        """202 an export of everything of the caller's, started; 429 while one runs or within a day."""
        return self.request("POST", "/users/me/export")

    def get_export(self) -> requests.Response:
        """The caller's latest export: its progress, then its download (404 if none)."""
        return self.request("GET", "/users/me/export")

    def my_transactions(self, *, limit: int | None = None, cursor: str | None = None) -> requests.Response:
        return self.request("GET", "/users/me/transactions", params={"limit": limit, "cursor": cursor})

    def my_prompts(self, *, limit: int | None = None) -> requests.Response:
        return self.request("GET", "/users/me/prompts", params={"limit": limit})

    def my_orders(self, *, limit: int | None = None, cursor: str | None = None) -> requests.Response:
        return self.request("GET", "/users/me/orders", params={"limit": limit, "cursor": cursor})

    # ------------------------------------------------------------------ operations: coins

    def coin_packs(self) -> requests.Response:
        return self.request("GET", "/coin-packs", anonymous=True)

    def checkout(self, body: CheckoutRequest, *, idempotency_key: str | None = None) -> requests.Response:
        return self.request("POST", "/coins/checkout", json=body, idempotency_key=idempotency_key)

    def get_order(self, order_id: str) -> requests.Response:
        return self.request("GET", f"/coins/orders/{_segment(order_id)}")

    # ------------------------------------------------------------------ operations: admins

    def list_users(
        self, *, limit: int | None = None, cursor: str | None = None, email: str | None = None
    ) -> requests.Response:
        return self.request("GET", "/users", params={"limit": limit, "cursor": cursor, "email": email})

    def get_user(self, user_id: str) -> requests.Response:
        return self.request("GET", f"/users/{_segment(user_id)}")

    def update_user(self, user_id: str, body: UserUpdate) -> requests.Response:
        return self.request("PUT", f"/users/{_segment(user_id)}", json=body)

    def grant_coins(self, user_id: str, body: CoinGrant) -> requests.Response:
        return self.request("POST", f"/users/{_segment(user_id)}/coins", json=body)

    def delete_user(self, user_id: str) -> requests.Response:
        return self.request("DELETE", f"/users/{_segment(user_id)}")

    def list_user_images(
        self,
        user_id: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        type: str | None = None,  # the document names the filter so
        status: str | None = None,
        favorite: bool | None = None,
        q: str | None = None,
    ) -> requests.Response:
        params = _gallery_query(limit, cursor, type, status, favorite, q)
        return self.request("GET", f"/users/{_segment(user_id)}/images", params=params)

    def user_orders(
        self, user_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> requests.Response:
        params = {"limit": limit, "cursor": cursor}
        return self.request("GET", f"/users/{_segment(user_id)}/orders", params=params)

    # ------------------------------------------------------------------ presigned URLs

    def post_form(
        self, form: Mapping[str, Any], filename: str, data: bytes, content_type: str
    ) -> requests.Response:
        """POST a file to a presigned form (``{"url", "fields"}``, as ``request_upload`` answers)
        as a browser does: the signed fields first, the file last, as S3's POST policy requires
        (requests writes ``data`` before ``files``). No bearer token: the policy is the credential."""
        return self.send(
            "POST", str(form["url"]), data=form["fields"], files={"file": (filename, data, content_type)}
        )

    def download(self, url: str) -> requests.Response:
        """GET a presigned URL (an image's ``storageUrl``, ``thumbnailUrl``). No bearer token."""
        return self.send("GET", url)

    # ------------------------------------------------------------------ the local stack's own routes

    def local_id_token(self, email: str, **names: str) -> requests.Response:
        """An ID token for ``email`` from the local stack's Google issuer (``POST /_dev/id-token``,
        ``{"token"}``), with ``firstName``, ``lastName`` if given. A deployment answers 404."""
        return self.send("POST", f"{self.base_url}/_dev/id-token", json={"email": email, **names})

    def local_pay_checkout(self, stripe_session_id: str, card: str = "4242424242424242") -> requests.Response:
        """Pay a checkout as the local Stripe's page does, with a test card. A deployment answers 404:
        it is paid by people, on Stripe's page."""
        url = f"{self.base_url}/_dev/stripe/checkout/sessions/{_segment(stripe_session_id)}/pay"
        return self.send("POST", url, json={"card": card})
