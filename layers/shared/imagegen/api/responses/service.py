"""What the service says about itself: its health and its OpenAPI document."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from imagegen.models.base import CamelModel


class HealthStatus(CamelModel):
    """The service answers, and which version of it does."""

    status: Literal["ok"]
    version: str


class ApiDescription(BaseModel):
    """The OpenAPI 3.1 document of this API (this one)."""

    model_config = ConfigDict(extra="allow", defer_build=True)  # built when the document is first asked for

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
