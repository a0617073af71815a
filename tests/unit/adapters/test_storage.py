"""The images bucket's adapter: S3's failures come out as StorageUnavailable, and the answers the use
cases rely on (no such object, already written) as values."""

from __future__ import annotations

import pytest

from imagegen.adapters.storage import ImageStorage
from imagegen.composition import Composition
from imagegen.errors import StorageUnavailable


@pytest.fixture
def missing_bucket(services: Composition) -> ImageStorage:
    """The storage of a bucket that is not there: every call is refused by S3."""
    return ImageStorage(services.aws.s3, "no-such-bucket-here", 300, services.aws.credentials)


def test_a_write_that_s3_refuses_is_storage_unavailable(missing_bucket: ImageStorage) -> None:
    with pytest.raises(StorageUnavailable) as refused:
        missing_bucket.write("images/U/I.png", b"x", "image/png")
    assert "NoSuchBucket" in str(refused.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda storage: storage.read("images/U/I.png"),
        lambda storage: storage.read_if_exists("images/U/I.png"),
        lambda storage: storage.fetch("images/U/I.png", 10),
        lambda storage: storage.write_new("images/U/I.png", b"x", "image/png"),
        lambda storage: storage.delete("images/U/I.png"),
    ],
    ids=["read", "read_if_exists", "fetch", "write_new", "delete"],
)
def test_every_call_s3_refuses_is_storage_unavailable(missing_bucket: ImageStorage, call: object) -> None:
    with pytest.raises(StorageUnavailable):
        call(missing_bucket)  # type: ignore[operator]


def test_a_missing_object_is_none_and_a_taken_key_is_false(services: Composition) -> None:
    storage = services.storage

    assert storage.read_if_exists("images/U/none.png") is None
    assert storage.fetch("images/U/none.png", 10) is None
    assert storage.write_new("images/U/once.png", b"x", "image/png") is True
    assert storage.write_new("images/U/once.png", b"y", "image/png") is False
    assert storage.read("images/U/once.png") == b"x"
