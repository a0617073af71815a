"""Answers about images: one image, a generation accepted, an upload accepted."""

from imagegen.models.base import CamelModel
from imagegen.models.images import ImageView, PresignedPost
from imagegen.models.users import UserView


class ImageResponse(CamelModel):
    """One image."""

    image: ImageView


class GenerationAccepted(CamelModel):
    """The images asked for are recorded (``PENDING``), charged and queued (``images``: the variations,
    in order; ``image``: the first); ``user.coins`` is the balance after."""

    image: ImageView
    images: list[ImageView]
    user: UserView


class UploadAccepted(CamelModel):
    """The upload is recorded (``PENDING``) and charged: POST ``upload.fields`` then the file to
    ``upload.url`` before ``upload.expiresAt``; ``user.coins`` is the balance after."""

    image: ImageView
    upload: PresignedPost
    user: UserView
