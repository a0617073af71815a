"""The error envelope: every non-2xx answer of the API."""

from typing import Any

from pydantic import ConfigDict, Field

from imagegen.models.base import CamelModel


class ErrorBody(CamelModel):
    """What went wrong: a stable ``code`` to branch on, a ``message`` for people, and ``details``
    (``fields`` of a 422, ``balance`` and ``required`` of a 402, ``requestId`` of a 500)."""

    code: str = Field(examples=["VALIDATION_ERROR"])
    message: str
    details: dict[str, Any]


class ErrorEnvelope(CamelModel):
    """Every non-2xx answer of the API."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "VALIDATION_ERROR",
                        "message": "The request is not valid.",
                        "details": {
                            "fields": [{"field": "prompt", "in": "body", "message": "Field required"}]
                        },
                    }
                }
            ]
        }
    )

    error: ErrorBody
