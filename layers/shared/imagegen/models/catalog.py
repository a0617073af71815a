"""The model catalog: the image models the service offers, under stable ids of its own.

Configuration, not code: the template's ``ModelCatalog`` parameter (JSON) is stored in an SSM
parameter that every function needing it reads (``composition.Composition.catalog``), so ops can
follow Google's model changes without a release. It is validated whenever it is loaded; a
bad catalog is refused loudly (``CatalogInvalid``) rather than half-used.

Each entry maps a public id (``fast``) to Google's model id, with what that model takes
(image sizes, aspect ratios, input images) and what an image costs at each size. It is the
one list of sizes and ratios in the service: requests are validated against it, and the
Gemini client sends what it says.
"""

import math
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from imagegen.models.base import CamelModel, ConfiguredList
from imagegen.models.images import MAX_REFERENCES

ImageSize = Literal["1K", "2K", "4K"]
"""Gemini's ``imageConfig.imageSize`` values (upper-case K, as Google requires)."""

DEFAULT_IMAGE_SIZE: ImageSize = "1K"
# The longer side, in pixels, of an image of each size (Google's 1K is 1024 on the longer side).
LONGER_SIDE: dict[ImageSize, int] = {"1K": 1024, "2K": 2048, "4K": 4096}
DEFAULT_ASPECT_RATIO = "1:1"
# Google's aspect ratios are "width:height" in small whole numbers.
AspectRatio = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]?:[1-9][0-9]?$")]
ModelId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]


class CatalogInvalid(ValueError):
    """The catalog configured is not one the service can use; the message says what is wrong."""


class ModelSpec(CamelModel):
    """One model of the catalog."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in ops' JSON is an error, not ignored

    id: ModelId
    """The service's own stable name for it, what clients send (``fast``)."""
    name: str = Field(min_length=1, max_length=80)
    provider_model: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{0,99}$")
    """Google's model id (``gemini-nano-banana-2.1``); never shown to clients."""
    default: bool = False
    image_sizes: list[ImageSize] = Field(min_length=1)
    aspect_ratios: list[AspectRatio] = Field(min_length=1)
    max_input_images: int = Field(ge=2, le=MAX_REFERENCES + 1)
    """The most input images Google's model takes in one request (Google counts every image)."""
    costs: dict[ImageSize, Annotated[int, Field(ge=0)]]

    @model_validator(mode="after")
    def _consistent(self) -> "ModelSpec":
        for field, values in (("imageSizes", self.image_sizes), ("aspectRatios", self.aspect_ratios)):
            if len(set(values)) != len(values):
                raise ValueError(f"{field} of {self.id} lists a value twice")
        if set(self.costs) != set(self.image_sizes):
            raise ValueError(f"costs of {self.id} must give a price for exactly its imageSizes")
        # The defaults of a request (contract: 1K, and 1:1 for a generation) must be valid for every model.
        if DEFAULT_IMAGE_SIZE not in self.image_sizes:
            raise ValueError(f"{self.id} must offer {DEFAULT_IMAGE_SIZE}")
        if DEFAULT_ASPECT_RATIO not in self.aspect_ratios:
            raise ValueError(f"{self.id} must offer {DEFAULT_ASPECT_RATIO}")
        return self

    @property
    def max_reference_images(self) -> int:
        """The most reference images of a request, generation or edit alike: one input stays free for
        an edit's source, so a client need not know which kind of request it is making."""
        return self.max_input_images - 1

    def offered_size(self, size: str) -> ImageSize | None:
        """``size`` if this model makes images of that size, else None."""
        return next((offered for offered in self.image_sizes if offered == size), None)

    def nearest_size(self, width: int, height: int) -> ImageSize:
        """The image size of this model closest to an image of ``width`` x ``height`` (its longer side,
        compared as logarithms; a tie takes the smaller): what an edit of it keeps by default."""
        wanted = math.log(max(width, height))
        return min(
            self.image_sizes, key=lambda size: (abs(math.log(LONGER_SIDE[size]) - wanted), LONGER_SIDE[size])
        )

    def nearest_ratio(self, width: int, height: int) -> str:
        """The aspect ratio of this model closest to ``width`` x ``height`` (compared as logarithms,
        so 2:1 is as far from 1:1 as 1:2 is)."""
        wanted = math.log(width / height)
        return min(self.aspect_ratios, key=lambda ratio: abs(_log_ratio(ratio) - wanted))

    def view(self) -> "ModelView":
        """The model as the API shows it (Google's id and limit stay inside the service)."""
        return ModelView(
            id=self.id,
            name=self.name,
            default=self.default,
            image_sizes=self.image_sizes,
            aspect_ratios=self.aspect_ratios,
            costs=self.costs,
            max_reference_images=self.max_reference_images,
        )


class ModelView(CamelModel):
    """A model as the API shows it: what it makes, what each size costs, how many references it takes."""

    id: str
    name: str
    default: bool
    image_sizes: list[ImageSize]
    aspect_ratios: list[str]
    costs: dict[ImageSize, int]
    max_reference_images: int


class ModelList(CamelModel):
    """Every model offered (exactly one of them the default)."""

    models: list[ModelView]


def _log_ratio(ratio: str) -> float:
    across, down = ratio.split(":")
    return math.log(int(across) / int(down))


class ModelCatalog(ConfiguredList):
    """Every model offered, exactly one of them the default."""

    model_config = ConfigDict(extra="forbid")
    invalid = CatalogInvalid
    described = "The model catalog is"

    models: list[ModelSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_default(self) -> "ModelCatalog":
        ids = [model.id for model in self.models]
        if len(set(ids)) != len(ids):
            raise ValueError("two models have the same id")
        defaults = [model.id for model in self.models if model.default]
        if len(defaults) != 1:
            raise ValueError(f"exactly one model must be the default, not {len(defaults)}")
        return self

    @property
    def default(self) -> ModelSpec:
        return next(model for model in self.models if model.default)

    def get(self, model_id: str) -> ModelSpec | None:
        """The model with this public id, if the catalog has it."""
        return next((model for model in self.models if model.id == model_id), None)

    def view(self) -> ModelList:
        """The catalog as the API shows it."""
        return ModelList(models=[model.view() for model in self.models])
