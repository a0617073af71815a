from __future__ import annotations

import pytest

from imagegen.errors import BadRequest
from imagegen.services.cursors import CursorCodec

codec = CursorCodec(lambda: "k" * 64)
POSITION = {"pk": "USER#1", "entity": "USER", "createdAt": "2026-01-01T00:00:00.000Z"}


def test_a_cursor_gives_back_its_position_in_its_scope() -> None:
    cursor = codec.encode(POSITION, "users:A")
    assert cursor is not None
    assert codec.decode(cursor, "users:A") == POSITION


def test_no_position_is_no_cursor() -> None:
    assert codec.encode(None, "users:A") is None
    assert codec.decode(None, "users:A") is None
    assert codec.decode("", "users:A") is None


def test_a_cursor_from_another_scope_is_refused() -> None:
    cursor = codec.encode(POSITION, "users:A")
    with pytest.raises(BadRequest):
        codec.decode(cursor, "users:B")


def test_an_edited_cursor_is_refused() -> None:
    cursor = codec.encode(POSITION, "users:A")
    assert cursor is not None
    payload, signature = cursor.split(".")
    edited = codec.encode({**POSITION, "pk": "USER#2"}, "users:A")
    assert edited is not None
    with pytest.raises(BadRequest):
        codec.decode(edited.split(".")[0] + "." + signature, "users:A")
    with pytest.raises(BadRequest):
        codec.decode(payload + "x." + signature, "users:A")


@pytest.mark.parametrize("garbage", ["x", "x.y", "....", "%%%.%%%"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(BadRequest):
        codec.decode(garbage, "users:A")


def test_a_cursor_signed_with_another_secret_is_refused() -> None:
    cursor = CursorCodec(lambda: "z" * 64).encode(POSITION, "users:A")
    with pytest.raises(BadRequest):
        codec.decode(cursor, "users:A")


@pytest.mark.parametrize("garbage", ["é.é", "x.é", "é", "\udcff.\udcff", "\ud800.x"])
def test_cursors_outside_ascii_are_refused(garbage: str) -> None:
    with pytest.raises(BadRequest):
        codec.decode(garbage, "users:A")
