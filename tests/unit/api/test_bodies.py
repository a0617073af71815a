from __future__ import annotations

import base64
import json

import pytest

from imagegen.api.bodies import MAX_JSON_DEPTH, body_text, parse_json


def test_a_base64_body_of_utf8_is_its_text() -> None:
    event = {"body": base64.b64encode('{"prompt": "café"}'.encode()).decode(), "isBase64Encoded": True}
    assert parse_json(body_text(event)) == {"prompt": "café"}


@pytest.mark.parametrize(
    "event",
    [
        {"body": base64.b64encode(b'{"prompt": "\xff\xfe"}').decode(), "isBase64Encoded": True},
        {"body": '{"prompt": "\ud800"}', "isBase64Encoded": False},  # a lone surrogate in the text
        {"body": '{"prompt": "\\ud800"}', "isBase64Encoded": False},  # one escaped in the JSON
        {"body": "[" * 5000 + "]" * 5000, "isBase64Encoded": False},
        {"body": "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "isBase64Encoded": False},
        {
            "body": '{"a": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1),
            "isBase64Encoded": False,
        },
    ],
    ids=[
        "not utf-8",
        "lone surrogate",
        "escaped lone surrogate",
        "nested too deeply for the parser",
        "arrays nested over the limit",
        "objects nested over the limit",
    ],
)
def test_bodies_that_are_not_utf8_json_are_one_kind_of_error(event: dict[str, object]) -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_json(body_text(event))


def test_bodies_nested_up_to_the_limit_are_parsed() -> None:
    arrays = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    objects = '{"a": ' * MAX_JSON_DEPTH + '"\\ud83c\\udf0a"' + "}" * MAX_JSON_DEPTH
    assert parse_json(arrays) == json.loads(arrays)
    assert parse_json(objects) == json.loads(objects)


def test_a_valid_surrogate_pair_escape_is_fine() -> None:
    assert parse_json('{"prompt": "\\ud83c\\udf0a"}') == {"prompt": "🌊"}
