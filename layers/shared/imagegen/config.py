"""Configuration, read once from the environment the template gives each function.

Nothing else in the code base reads ``os.environ``. Every setting is required: a function
deployed without one fails loudly on first use instead of running on a silent default.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from imagegen.models import formats


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], BeforeValidator(_split_csv)]


class Settings(BaseModel):
    """Everything configurable about the service, named as in the template's environment."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    stage: str = Field(alias="STAGE")
    service_version: str = Field(alias="SERVICE_VERSION")

    users_table: str = Field(alias="USERS_TABLE")
    coins_table: str = Field(alias="COINS_TABLE")
    sessions_table: str = Field(alias="SESSIONS_TABLE")
    images_table: str = Field(alias="IMAGES_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    images_bucket: str = Field(alias="IMAGES_BUCKET")

    google_client_ids: CsvList = Field(alias="GOOGLE_CLIENT_IDS", min_length=1)
    google_issuers: CsvList = Field(alias="GOOGLE_ISSUERS", min_length=1)
    google_jwks_url: str = Field(alias="GOOGLE_JWKS_URL")
    admin_emails: CsvList = Field(alias="ADMIN_EMAILS")

    token_secret_arn: str = Field(alias="TOKEN_SECRET_ARN")
    token_issuer: str = Field(alias="TOKEN_ISSUER")
    token_audience: str = Field(alias="TOKEN_AUDIENCE")
    access_token_ttl_seconds: int = Field(alias="ACCESS_TOKEN_TTL_SECONDS", gt=0)
    refresh_token_ttl_seconds: int = Field(alias="REFRESH_TOKEN_TTL_SECONDS", gt=0)

    welcome_coins: int = Field(alias="WELCOME_COINS", ge=0)
    upload_cost: int = Field(alias="UPLOAD_COST", ge=0)
    max_upload_bytes: int = Field(alias="MAX_UPLOAD_BYTES", gt=0)
    accepted_upload_types: CsvList = Field(alias="ACCEPTED_UPLOAD_TYPES", min_length=1)
    upload_url_ttl_seconds: int = Field(alias="UPLOAD_URL_TTL_SECONDS", gt=0, le=3600)
    image_url_ttl_seconds: int = Field(alias="IMAGE_URL_TTL_SECONDS", gt=0, le=604800)
    max_image_pixels: int = Field(alias="MAX_IMAGE_PIXELS", gt=0)

    generate_queue_url: str = Field(alias="GENERATE_QUEUE_URL")
    generate_max_receives: int = Field(alias="GENERATE_MAX_RECEIVES", ge=1)
    generation_deadline_seconds: int = Field(alias="GENERATION_DEADLINE_SECONDS", gt=0)
    model_catalog_parameter: str = Field(alias="MODEL_CATALOG_PARAMETER", min_length=1)
    gemini_base_url: str = Field(alias="GEMINI_BASE_URL")
    gemini_timeout_seconds: float = Field(alias="GEMINI_TIMEOUT_SECONDS", gt=0)
    gemini_backoff_base_seconds: float = Field(alias="GEMINI_BACKOFF_BASE_SECONDS", ge=0)
    gemini_api_key_secret_arn: str = Field(alias="GEMINI_API_KEY_SECRET_ARN")

    @field_validator("accepted_upload_types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        unknown = set(types) - set(formats.CONTENT_TYPES)
        if unknown:
            raise ValueError(
                f"cannot store {sorted(unknown)}; known types are {sorted(formats.CONTENT_TYPES)}"
            )
        return types

    @property
    def admin_email_set(self) -> frozenset[str]:
        return frozenset(email.lower() for email in self.admin_emails)


@cache
def get_settings() -> Settings:
    """The settings of this container, validated on first use and cached for warm invocations."""
    return Settings.model_validate(dict(os.environ))
