"""Google's SDK on `make dev`'s Gemini, with the README's lines, run as a developer runs them: a
fresh Python process, against the test's stack (the README's ports swapped for its own)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.stack import LocalStack
from stacktools.template import ROOT
from standins.gemini import output_size
from tests import images

# What the README's block made, printed for the test to read.
REPORT = """
import io, json
from PIL import Image
def size(response):
    part = next(part for part in response.candidates[0].content.parts if part.inline_data)
    return Image.open(io.BytesIO(part.inline_data.data)).size
print(json.dumps({"wide": size(wide), "watercolour": size(watercolour), "fox": size(fox), "hat": size(hat)}))
"""


def readme_python(after: str) -> str:
    """The first ``python`` code block of the README after the text ``after``."""
    match = re.search(
        re.escape(after) + r".*?```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S
    )
    assert match, f"no python block after {after!r} in the README"
    return match.group(1)


def test_the_sdk_generates_edits_and_chat_edits_on_make_devs_gemini_as_the_readme_says(
    stack: LocalStack, tmp_path: Path
) -> None:
    code = readme_python("**Google's SDK against the local Gemini.**")
    code = code.replace("http://localhost:3000", stack.api_url).replace(
        "http://localhost:4566", stack.aws.url
    )
    (tmp_path / "photo.jpg").write_bytes(images.jpeg(800, 600))

    finished = subprocess.run(  # noqa: S603 - our README, our Python
        [sys.executable, "-c", code + REPORT],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    sizes = {name: tuple(size) for name, size in json.loads(finished.stdout).items()}
    assert sizes == {
        "wide": output_size("16:9", "2K"),
        "watercolour": output_size("4:3"),  # the photo's ratio
        "fox": (1024, 1024),
        "hat": (1024, 1024),
    }
    chat_edit = stack.gemini.requests(limit=1)[0]
    assert (chat_edit["apiVersion"], chat_edit["status"]) == ("v1beta", 200)
    assert [turn["role"] for turn in chat_edit["turns"]] == ["user", "model", "user"]
    assert all(part["thoughtSignature"] for part in chat_edit["turns"][1]["parts"])


def test_the_sdks_default_version_reaches_make_devs_gemini_and_is_answered_as_google_answers_it(
    stack: LocalStack,
) -> None:
    from google import genai  # the SDK costs most of a second to import: this test's alone
    from google.genai import errors, types

    client = genai.Client(
        api_key=stack.gemini.api_key, http_options=types.HttpOptions(base_url=f"{stack.api_url}/_dev/gemini")
    )

    made = client.models.generate_content(model="gemini-nano-banana-2.1", contents="a harbour wall")
    sized = types.GenerateContentConfig(image_config=types.ImageConfig(image_size="2K"))
    with pytest.raises(errors.ClientError) as refused:  # v1 has no image settings
        client.models.generate_content(model="gemini-nano-banana-2.1", contents="a harbour", config=sized)

    assert refused.value.code == 400
    assert any(part.inline_data for part in made.parts or [])
    assert [request["apiVersion"] for request in stack.gemini.requests(limit=2)] == ["v1", "v1"]
