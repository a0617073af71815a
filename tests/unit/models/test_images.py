"""An image record's failure: its code beside its words, and older records that kept words alone."""

from __future__ import annotations

from imagegen.models.images import Failure, Image, ImageFailure

NOW = "2026-11-22T00:00:00.000Z"
STORED = {
    "userId": "U1",
    "imageId": "I1",
    "type": "UPLOADED",
    "status": "FAILED",
    "objectKey": "images/U1/I1.png",
    "coinsUsed": 50,
    "error": "The upload never arrived.",
    "createdAt": NOW,
    "updatedAt": NOW,
}


def test_a_failure_is_read_with_its_code() -> None:
    image = Image.model_validate({**STORED, "errorCode": "NEVER_ARRIVED"})

    assert image.failure == Failure(ImageFailure.NEVER_ARRIVED, "The upload never arrived.")


def test_an_image_that_failed_before_codes_were_kept_reads_as_no_code_and_none_is_guessed() -> None:
    image = Image.model_validate(STORED)

    assert (image.error, image.error_code, image.failure) == ("The upload never arrived.", None, None)


def test_the_codes_are_their_own_names() -> None:
    assert all(code.value == code.name for code in ImageFailure)
