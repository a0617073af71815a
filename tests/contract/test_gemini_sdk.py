"""Google's own SDK (google-genai, pinned in pyproject's dev extra) against the local Gemini
stand-in: what the SDK sends, the stand-in takes as Google does, and it answers as Google does.

Each case runs through the SDK and through our own client (``imagegen.adapters.gemini``) with
the same outcome. The two do not send the same JSON (the SDK writes ``mime_type`` and sends
signatures back in URL-safe base64; ours writes ``mimeType`` and returns them as received):
the stand-in takes both, because Google's JSON parsing does.

The SDK is given no retries and a loopback base URL: it never reaches for the internet.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
import requests
from google import genai
from google.genai import errors, types
from PIL import Image

from imagegen.adapters.gemini import GeminiClient
from imagegen.services.image_model import (
    GenerationFailed,
    GenerationRefused,
    ImageRequest,
    InlineImage,
    ModelReply,
    ModelRetired,
    Part,
    Turn,
)
from standins.gemini import output_size
from tests.contract.conftest import KEY, ServedGemini
from tests.images import BLUE, GREEN, RED, close_to, encode, solid

FAST = "gemini-nano-banana-2.1"
PRO = "gemini-3-pro-image"
LITE = "gemini-3.1-flash-lite-image"


@dataclass(frozen=True)
class Outcome:
    """What a call came to, in terms both clients can say: ``image``, ``refused`` (``detail``: the
    block reason), ``not found`` or ``invalid`` (``detail``: Google's message)."""

    kind: str
    image: Image.Image | None = None
    detail: str = ""


class Caller(Protocol):
    def generate(
        self,
        model: str,
        prompt: str,
        images: Sequence[bytes] = (),
        ratio: str | None = None,
        size: str | None = None,
    ) -> Outcome: ...

    def chat(
        self, model: str, prompts: Sequence[str], ratio: str | None = None, size: str | None = None
    ) -> list[Outcome]: ...


class Sdk:
    """google-genai, pointed at the stand-in the way the README says."""

    def __init__(self, served: ServedGemini, api_version: str | None = "v1beta") -> None:
        options = types.HttpOptions(
            base_url=served.base_url,
            timeout=60_000,
            retry_options=types.HttpRetryOptions(attempts=1),
            **({"api_version": api_version} if api_version else {}),  # None: the SDK's default, v1
        )
        self.client = genai.Client(api_key=KEY, http_options=options)

    @staticmethod
    def _config(ratio: str | None, size: str | None) -> types.GenerateContentConfig | None:
        if ratio is None and size is None:
            return None  # as Google's image guide calls it: no config at all
        return types.GenerateContentConfig(
            image_config=types.ImageConfig(aspect_ratio=ratio, image_size=size)
        )

    def generate(
        self,
        model: str,
        prompt: str,
        images: Sequence[bytes] = (),
        ratio: str | None = None,
        size: str | None = None,
    ) -> Outcome:
        contents: list[Any] = [
            prompt,
            *(types.Part.from_bytes(data=data, mime_type="image/png") for data in images),
        ]
        config = self._config(ratio, size)
        return _sdk_outcome(
            lambda: self.client.models.generate_content(model=model, contents=contents, config=config)
        )

    def chat(
        self, model: str, prompts: Sequence[str], ratio: str | None = None, size: str | None = None
    ) -> list[Outcome]:
        chat = self.client.chats.create(model=model, config=self._config(ratio, size))
        return [_sdk_outcome(lambda prompt=prompt: chat.send_message(prompt)) for prompt in prompts]


def _sdk_outcome(call: Callable[[], types.GenerateContentResponse]) -> Outcome:
    try:
        response = call()
    except errors.ClientError as error:
        kind = {400: "invalid", 404: "not found"}.get(error.code, f"HTTP {error.code}")
        return Outcome(kind, detail=str(error.message))
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        return Outcome("refused", detail=str(getattr(feedback.block_reason, "value", feedback.block_reason)))
    content = response.candidates[0].content if response.candidates else None
    assert content is not None
    assert content.parts
    data = next(part.inline_data.data for part in content.parts if part.inline_data)
    assert data is not None
    return Outcome("image", Image.open(io.BytesIO(data)))


class Ours:
    """The worker's own client, on the same stand-in; it always says the ratio and size."""

    def __init__(self, served: ServedGemini) -> None:
        self.client = GeminiClient(served.base_url, lambda: KEY, timeout_seconds=60, attempts=1)

    def generate(
        self,
        model: str,
        prompt: str,
        images: Sequence[bytes] = (),
        ratio: str | None = None,
        size: str | None = None,
    ) -> Outcome:
        parts = (Part(text=prompt), *(Part(image=InlineImage(data, "image/png")) for data in images))
        return self._outcome(ImageRequest(model, (Turn("user", parts),), ratio or "1:1", size or "1K"))[0]

    def chat(
        self, model: str, prompts: Sequence[str], ratio: str | None = None, size: str | None = None
    ) -> list[Outcome]:
        turns: list[Turn] = []
        outcomes = []
        for prompt in prompts:
            turns.append(Turn("user", (Part(text=prompt),)))
            outcome, reply = self._outcome(ImageRequest(model, tuple(turns), ratio or "1:1", size or "1K"))
            outcomes.append(outcome)
            if reply is not None:  # the model's turn goes back as it came, signatures and all
                turns.append(Turn("model", reply.parts))
        return outcomes

    def _outcome(self, request: ImageRequest) -> tuple[Outcome, ModelReply | None]:
        try:
            reply = self.client.generate(request)
        except ModelRetired as retired:
            return Outcome("not found", detail=retired.detail), None
        except GenerationRefused as refused:
            return Outcome("refused", detail=refused.reason or ""), None
        except GenerationFailed as failed:
            return Outcome("invalid", detail=failed.detail), None
        return Outcome("image", Image.open(io.BytesIO(reply.image.data))), reply


@pytest.fixture(params=["google-genai", "our client"])
def caller(request: pytest.FixtureRequest, served: ServedGemini) -> Caller:
    return Sdk(served) if request.param == "google-genai" else Ours(served)


def image_of(outcome: Outcome) -> Image.Image:
    assert outcome.kind == "image", outcome
    assert outcome.image is not None
    return outcome.image.convert("RGB")


def middle(image: Image.Image) -> tuple[int, ...]:
    pixel = image.getpixel((image.width // 2, image.height // 2))
    assert isinstance(pixel, tuple)
    return pixel


# ---------------------------------------------------------------------------------------------
# The same cases through both clients, on v1beta (the version of Google's image guide)


@pytest.mark.parametrize(
    ("model", "ratio", "size"),
    [
        (FAST, "1:1", "1K"),
        (FAST, "16:9", "2K"),
        (FAST, "1:8", "1K"),
        (PRO, "3:4", "2K"),
        (PRO, "21:9", "4K"),
        (LITE, "4:1", "1K"),
    ],
)
def test_an_image_has_the_size_class_and_ratio_asked_for(
    caller: Caller, model: str, ratio: str, size: str
) -> None:
    image = image_of(caller.generate(model, "a harbour wall at dawn", ratio=ratio, size=size))

    assert image.size == output_size(ratio, size)


@pytest.mark.parametrize("model", ["gemini-2.5-flash-image", "gemini-3-pro-image-preview", "gemini-9-image"])
def test_a_retired_or_unknown_model_is_not_found(caller: Caller, model: str) -> None:
    outcome = caller.generate(model, "a fox", ratio="1:1", size="1K")

    assert outcome.kind == "not found"
    assert f"models/{model} is not found for API version v1beta" in outcome.detail


@pytest.mark.parametrize(
    ("model", "ratio", "size"), [(LITE, "1:1", "2K"), (FAST, "1:1", "512"), (PRO, "4:1", "1K")]
)
def test_a_size_or_ratio_the_model_does_not_take_is_invalid(
    caller: Caller, model: str, ratio: str, size: str
) -> None:
    outcome = caller.generate(model, "a fox", ratio=ratio, size=size)

    assert outcome.kind == "invalid"
    assert outcome.detail.startswith("Unsupported")


def test_a_refused_prompt_comes_with_googles_block_reason(caller: Caller) -> None:
    outcome = caller.generate(FAST, "a forbidden fruit", ratio="1:1", size="1K")

    assert (outcome.kind, outcome.detail) == ("refused", "PROHIBITED_CONTENT")


def test_an_edit_paints_the_input_image(caller: Caller, served: ServedGemini) -> None:
    source = encode(solid(300, 200, RED), "PNG")

    image = image_of(caller.generate(FAST, "make it pop", images=(source,), ratio="3:2", size="1K"))

    assert image.size == output_size("3:2")
    assert close_to(middle(image), RED)
    summary = served.gemini.requests(limit=1)[0]["turns"][0]["parts"][1]
    assert summary == {"image": {"mimeType": "image/png", "width": 300, "height": 200, "bytes": len(source)}}


def test_a_three_turn_chat_edit_replays_the_models_signed_turns(caller: Caller, served: ServedGemini) -> None:
    outcomes = caller.chat(FAST, ["a red fox in the snow", "give it a hat", "make it night"], "1:1", "1K")

    first, *edits = (image_of(outcome) for outcome in outcomes)
    # Each edit is painted over the model's own previous image: the same sky under a new caption.
    for edit in edits:
        assert close_to(edit.getpixel((512, 100)), first.getpixel((512, 100)), tolerance=8)
    turns = served.gemini.requests(limit=1)[0]["turns"]
    assert [turn["role"] for turn in turns] == ["user", "model", "user", "model", "user"]
    assert all(part["thoughtSignature"] for turn in turns[1::2] for part in turn["parts"])


def test_fourteen_input_images_are_taken_and_fifteen_are_not(caller: Caller) -> None:
    tiles = [encode(solid(48, 48, colour), "PNG") for colour in (RED, GREEN, BLUE)] * 5

    fourteen = caller.generate(FAST, "a collage", images=tiles[:14], ratio="1:1", size="1K")
    fifteen = caller.generate(FAST, "a collage", images=tiles, ratio="1:1", size="1K")

    assert close_to(middle(image_of(fourteen)), RED)
    assert fifteen.kind == "invalid"
    assert "at most 14" in fifteen.detail


def test_the_two_clients_spell_their_requests_differently_and_both_are_taken(served: ServedGemini) -> None:
    for client in (Sdk(served), Ours(served)):
        assert [outcome.kind for outcome in client.chat(FAST, ["a fox", "a hat"], "1:1", "1K")] == [
            "image"
        ] * 2
    sdk, ours = served.bodies[-3], served.bodies[-1]  # each client's second turn

    def image_part(body: dict[str, Any]) -> dict[str, Any]:
        part: dict[str, Any] = body["contents"][1]["parts"][1]
        return part

    # The SDK writes the Blob's field by its proto name, ours by its JSON name; the SDK sends a
    # signature back in the URL-safe alphabet (re-encoded from bytes), ours as it came, standard.
    assert set(image_part(sdk)["inlineData"]) == {"mime_type", "data"}
    assert set(image_part(ours)["inlineData"]) == {"mimeType", "data"}
    assert not set(image_part(sdk)["thoughtSignature"]) & set("+/")
    assert not set(image_part(ours)["thoughtSignature"]) & set("-_")
    for body in (sdk, ours):
        assert served.gemini.accepts_signature(FAST, image_part(body)["thoughtSignature"])


# ---------------------------------------------------------------------------------------------
# The SDK's default version, v1: Google's v1 has no image settings and no signatures


def test_on_v1_the_sdk_generates_and_edits_without_a_config(served: ServedGemini) -> None:
    sdk = Sdk(served, api_version=None)

    square = image_of(sdk.generate(FAST, "a lighthouse"))
    wide = image_of(sdk.generate(FAST, "wider", images=(encode(solid(400, 100, BLUE), "PNG"),)))

    assert served.gemini.requests(limit=1)[0]["apiVersion"] == "v1"
    assert square.size == (1024, 1024)
    assert wide.size == output_size("4:1")
    assert close_to(middle(wide), BLUE)


def test_on_v1_a_size_or_a_chat_edit_is_refused_as_google_refuses_it(served: ServedGemini) -> None:
    sdk = Sdk(served, api_version=None)

    sized = sdk.generate(FAST, "a lighthouse", ratio="16:9", size="2K")
    first, edit = sdk.chat(FAST, ["a red fox", "give it a hat"])

    assert sized.kind == "invalid"
    assert sized.detail == (
        'Invalid JSON payload received. Unknown name "imageConfig" '
        "at 'generation_config': Cannot find field."
    )
    assert first.kind == "image"
    assert edit.kind == "invalid"  # the v1 reply had no signature to send back
    assert "missing a thought_signature" in edit.detail


@pytest.mark.parametrize("version", ["v1", "v1beta"])
def test_the_methods_colon_may_come_encoded(served: ServedGemini, version: str) -> None:
    response = requests.post(
        f"{served.base_url}/{version}/models/{FAST}%3AgenerateContent",
        json={"contents": [{"parts": [{"text": "a lighthouse"}]}]},
        headers={"x-goog-api-key": KEY},
        timeout=30,
    )

    assert response.status_code == 200
    assert served.gemini.requests(limit=1)[0]["apiVersion"] == version
