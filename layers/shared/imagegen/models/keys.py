"""Where an image's objects live in the bucket: one key per role, derived from the user and the image.

The template's rules (which prefix the pipeline hears, what a presigned POST may write) are written
for these prefixes.
"""

from __future__ import annotations

from imagegen.models.formats import BY_CONTENT_TYPE

THUMBNAIL_NAME = "512.webp"


def object_key(user_id: str, image_id: str, content_type: str) -> str:
    """Where an image's original lives: ``images/{userId}/{imageId}.{ext}``. Only the service
    writes there, and only bytes that passed its checks."""
    return f"images/{user_id}/{image_id}.{BY_CONTENT_TYPE[content_type].extension}"


def incoming_key(user_id: str, image_id: str) -> str:
    """Where a browser's upload lands (``incoming/{userId}/{imageId}``): the only key a presigned POST
    may write. The pipeline checks what arrives and copies those exact bytes to ``object_key``."""
    return f"incoming/{user_id}/{image_id}"


def thumbnail_key(user_id: str, image_id: str) -> str:
    """Where an image's thumbnail lives, outside the ``images/`` prefix the pipeline listens to."""
    return f"thumbnails/{user_id}/{image_id}/{THUMBNAIL_NAME}"


def turn_key(user_id: str, image_id: str) -> str:
    """Where the model's turn that made a generated image is kept (what an edit of it replays),
    outside the ``images/`` prefix too."""
    return f"turns/{user_id}/{image_id}.json"


def derived_keys(user_id: str, image_id: str) -> tuple[str, ...]:
    """Every object an image may have besides its original: removed with it."""
    return thumbnail_key(user_id, image_id), turn_key(user_id, image_id), incoming_key(user_id, image_id)
