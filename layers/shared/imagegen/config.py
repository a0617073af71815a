"""Configuration, read once from the environment the template gives each function, area by area.

Nothing else in the code base reads ``os.environ``. Settings come in areas (tokens, Google sign-in,
accounts, languages, coins, images, uploads, generation, style presets, rate limits, share links,
shared views, exports, deletions, erasure, Gemini); a function needs only the areas of what it does,
and each area is validated the first time the function asks for it.
Every setting of an area is required: a function deployed without one fails on first use with
``MissingSettings`` naming each variable, instead of running on a silent default. The health check
needs no table, and only the generation worker needs Gemini's key.
"""

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, overload

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

if TYPE_CHECKING:
    from imagegen.models.payments import CoinPacks
    from imagegen.models.users import Languages


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], BeforeValidator(_split_csv)]


class MissingSettings(RuntimeError):
    """The environment lacks, or holds a bad value for, settings of an area this function uses."""


class _Area(BaseModel):
    # Built when first read, like the models (imagegen.models.base): a function reads few areas.
    model_config = ConfigDict(frozen=True, populate_by_name=True, defer_build=True)


class ServiceSettings(_Area):
    """What every function says about itself."""

    stage: str = Field(alias="STAGE")
    version: str = Field(alias="SERVICE_VERSION")


class TokenSettings(_Area):
    """The service's own access and refresh tokens (and the secret that also signs page cursors)."""

    secret_arn: str = Field(alias="TOKEN_SECRET_ARN")
    issuer: str = Field(alias="TOKEN_ISSUER")
    audience: str = Field(alias="TOKEN_AUDIENCE")
    access_ttl_seconds: int = Field(alias="ACCESS_TOKEN_TTL_SECONDS", gt=0)
    refresh_ttl_seconds: int = Field(alias="REFRESH_TOKEN_TTL_SECONDS", gt=0)


class GoogleSettings(_Area):
    """Verifying Google ID tokens at sign-in."""

    client_ids: CsvList = Field(alias="GOOGLE_CLIENT_IDS", min_length=1)
    issuers: CsvList = Field(alias="GOOGLE_ISSUERS", min_length=1)
    jwks_url: str = Field(alias="GOOGLE_JWKS_URL")


class AccountSettings(_Area):
    """Users and their sessions."""

    users_table: str = Field(alias="USERS_TABLE")
    sessions_table: str = Field(alias="SESSIONS_TABLE")
    admin_emails: CsvList = Field(alias="ADMIN_EMAILS")
    welcome_coins: int = Field(alias="WELCOME_COINS", ge=0)

    @property
    def admin_email_set(self) -> frozenset[str]:
        return frozenset(email.lower() for email in self.admin_emails)


class LanguageSettings(_Area):
    """The languages the product speaks, its users' ``language``: two-letter codes, the first the fallback."""

    codes: CsvList = Field(alias="LANGUAGES")

    @field_validator("codes")
    @classmethod
    def _languages(cls, codes: list[str]) -> list[str]:
        from imagegen.models.users import Languages  # here: only the functions that read them load it

        Languages(tuple(codes))  # raises what breaks the rules (none, malformed, repeated)
        return codes

    @property
    def languages(self) -> "Languages":
        from imagegen.models.users import Languages

        return Languages(tuple(self.codes))


class CoinSettings(_Area):
    """Balances and their ledger."""

    table: str = Field(alias="COINS_TABLE")


class ImageSettings(_Area):
    """Image records, the bucket, and what any image may be."""

    table: str = Field(alias="IMAGES_TABLE")
    bucket: str = Field(alias="IMAGES_BUCKET")
    url_ttl_seconds: int = Field(alias="IMAGE_URL_TTL_SECONDS", gt=0, le=604800)
    max_pixels: int = Field(alias="MAX_IMAGE_PIXELS", gt=0)


class UploadSettings(_Area):
    """Uploads straight from browsers."""

    cost: int = Field(alias="UPLOAD_COST", ge=0)
    max_bytes: int = Field(alias="MAX_UPLOAD_BYTES", gt=0)
    accepted_types: CsvList = Field(alias="ACCEPTED_UPLOAD_TYPES", min_length=1)
    url_ttl_seconds: int = Field(alias="UPLOAD_URL_TTL_SECONDS", gt=0, le=3600)

    @field_validator("accepted_types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        from imagegen.models import formats  # here: only the functions that take uploads read them

        unknown = set(types) - set(formats.CONTENT_TYPES)
        if unknown:
            raise ValueError(
                f"cannot store {sorted(unknown)}; known types are {sorted(formats.CONTENT_TYPES)}"
            )
        return types


class GenerationSettings(_Area):
    """Generation requests, their queue and the model catalog."""

    queue_url: str = Field(alias="GENERATE_QUEUE_URL")
    max_receives: int = Field(alias="GENERATE_MAX_RECEIVES", ge=1)
    deadline_seconds: int = Field(alias="GENERATION_DEADLINE_SECONDS", gt=0)
    model_catalog_parameter: str = Field(alias="MODEL_CATALOG_PARAMETER", min_length=1)
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")


class StyleSettings(_Area):
    """The style presets offered for prompts (an SSM parameter, as the model catalog is)."""

    presets_parameter: str = Field(alias="STYLE_PRESETS_PARAMETER", min_length=1)


class LimitSettings(_Area):
    """How many generations (edits included) and uploads one user may start a minute."""

    table: str = Field(alias="RATE_LIMITS_TABLE")
    generations_per_minute: int = Field(alias="GENERATIONS_PER_MINUTE", ge=1)
    uploads_per_minute: int = Field(alias="UPLOADS_PER_MINUTE", ge=1)


class ShareSettings(_Area):
    """Images' share links: where they are kept (the function that deletes images reads it too: a link
    goes with its image)."""

    table: str = Field(alias="SHARES_TABLE")


class SharedViewSettings(_Area):
    """Share links as their owners and anyone see them, from the function that is also the site's
    origin for ``/s/*``: the SSM parameter naming the site and the images bucket (read at run time:
    the site's distribution and the bucket, whose CORS names the distribution, cannot be referenced
    by an origin of it), the images table and the lifetime of image URLs (the images area's, named
    for this use: that area names the bucket), and how many views one client address may make a
    minute (counted in the rate-limits table)."""

    pages_parameter: str = Field(alias="SHARED_PAGES_PARAMETER", min_length=1)
    images_table: str = Field(alias="SHARED_IMAGES_TABLE")
    image_url_ttl_seconds: int = Field(alias="SHARED_IMAGE_URL_TTL_SECONDS", gt=0, le=604800)
    limits_table: str = Field(alias="SHARED_VIEW_LIMITS_TABLE")
    views_per_minute: int = Field(alias="SHARED_VIEWS_PER_MINUTE", ge=1)


class DeletionSettings(_Area):
    """Accounts' deletions as they are asked for and resumed: the users table (whose index lists the
    deletions under way), the queue of the job that carries them out, and how long one may be under way
    before the sweeper queues it again (the job may have crashed, or its message may have been lost)."""

    users_table: str = Field(alias="DELETION_USERS_TABLE")
    queue_url: str = Field(alias="DELETION_QUEUE_URL")
    resume_after_seconds: int = Field(alias="DELETION_RESUME_AFTER_SECONDS", gt=0)


class ErasureSettings(_Area):
    """What the deletion job removes an account from besides the images, coins and shares areas: the
    users and sessions tables, and the user's rate-limit windows and ``Idempotency-Key`` records (each
    table named for this use: a variable is one area's)."""

    users_table: str = Field(alias="ERASURE_USERS_TABLE")
    sessions_table: str = Field(alias="ERASURE_SESSIONS_TABLE")
    rate_limits_table: str = Field(alias="ERASURE_RATE_LIMITS_TABLE")
    idempotency_table: str = Field(alias="ERASURE_IDEMPOTENCY_TABLE")


class ExportSettings(_Area):
    """Exports of everything of a user's: their state (in the users table, named for this use), the
    queue that builds them, the orders table (empty where payments are disabled: no orders to export)
    and how many originals a worker writes between two saves of its progress."""

    table: str = Field(alias="EXPORTS_TABLE")
    queue_url: str = Field(alias="EXPORT_QUEUE_URL")
    orders_table: str = Field(alias="EXPORT_ORDERS_TABLE")
    progress_every: int = Field(alias="EXPORT_PROGRESS_EVERY", ge=1)


class GeminiSettings(_Area):
    """Calling Google's image models."""

    base_url: str = Field(alias="GEMINI_BASE_URL")
    timeout_seconds: float = Field(alias="GEMINI_TIMEOUT_SECONDS", gt=0)
    backoff_base_seconds: float = Field(alias="GEMINI_BACKOFF_BASE_SECONDS", ge=0)
    api_key_secret_arn: str = Field(alias="GEMINI_API_KEY_SECRET_ARN")


class PaymentSettings(_Area):
    """Coin packs sold through Stripe Checkout, their orders and Stripe's events."""

    orders_table: str = Field(alias="ORDERS_TABLE")
    events_table: str = Field(alias="PAYMENT_EVENTS_TABLE")
    # The rate-limits and idempotency tables, as the payments use them: each user's checkouts of the
    # day, and checkouts retried with their Idempotency-Key (named for that: a variable is one area's).
    checkout_limits_table: str = Field(alias="CHECKOUT_LIMITS_TABLE")
    checkout_idempotency_table: str = Field(alias="CHECKOUT_IDEMPOTENCY_TABLE")
    if TYPE_CHECKING:
        coin_packs: CoinPacks
    else:  # the packs' models are built by the payments functions alone, when they first read them
        coin_packs: Any = Field(alias="COIN_PACKS")
    checkouts_per_day: int = Field(alias="CHECKOUTS_PER_DAY", ge=1)
    return_url: str = Field(alias="CHECKOUT_RETURN_URL", pattern=r"^https?://\S+$")
    stripe_api_key_secret_arn: str = Field(alias="STRIPE_API_KEY_SECRET_ARN")
    stripe_webhook_secret_arn: str = Field(alias="STRIPE_WEBHOOK_SECRET_ARN")
    # Empty: Stripe's own API; locally, the stack's stand-in.
    stripe_api_base: str = Field(alias="STRIPE_API_BASE")

    @field_validator("coin_packs", mode="before")
    @classmethod
    def _packs(cls, value: object) -> object:
        from imagegen.models import payments  # here: only the payments functions read their packs

        packs = payments.CoinPacks
        return packs.parse(value) if isinstance(value, str) else packs.model_validate(value)


def variables(area: type[_Area]) -> list[str]:
    """The environment variables an area reads."""
    return [str(field.alias) for field in area.model_fields.values()]


def read_area[Area: _Area](area: type[Area], environ: Mapping[str, str]) -> Area:
    """One area of settings from ``environ``; ``MissingSettings`` names every variable missing or bad."""
    try:
        return area.model_validate(dict(environ))
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        ]
        raise MissingSettings(
            f"{area.__name__} cannot be read from the environment: {'; '.join(problems)}"
        ) from None


class _AreaOf[Area: _Area]:
    """A ``Settings`` attribute: its area, read from the environment at first access, then kept."""

    def __init__(self, area: type[Area]) -> None:
        self.area = area
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, settings: None, owner: type) -> "_AreaOf[Area]": ...
    @overload
    def __get__(self, settings: "Settings", owner: type) -> Area: ...
    def __get__(self, settings: "Settings | None", owner: type) -> "_AreaOf[Area] | Area":
        if settings is None:
            return self
        read: Area | None = settings.read.get(self._name)  # type: ignore[assignment]
        if read is None:
            read = settings.read[self._name] = read_area(self.area, settings.environ)
        return read


class Settings:
    """The settings of a container: each area validated the first time it is asked for, then kept."""

    service = _AreaOf(ServiceSettings)
    tokens = _AreaOf(TokenSettings)
    google = _AreaOf(GoogleSettings)
    accounts = _AreaOf(AccountSettings)
    languages = _AreaOf(LanguageSettings)
    coins = _AreaOf(CoinSettings)
    images = _AreaOf(ImageSettings)
    uploads = _AreaOf(UploadSettings)
    generation = _AreaOf(GenerationSettings)
    styles = _AreaOf(StyleSettings)
    limits = _AreaOf(LimitSettings)
    shares = _AreaOf(ShareSettings)
    shared_views = _AreaOf(SharedViewSettings)
    exports = _AreaOf(ExportSettings)
    deletions = _AreaOf(DeletionSettings)
    erasure = _AreaOf(ErasureSettings)
    gemini = _AreaOf(GeminiSettings)
    payments = _AreaOf(PaymentSettings)

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = dict(environ)
        self.read: dict[str, _Area] = {}


AREAS: tuple[type[_Area], ...] = tuple(
    member.area for member in vars(Settings).values() if isinstance(member, _AreaOf)
)
"""Every area, in the order ``Settings`` lists them."""


def environment_settings() -> Settings:
    """The settings of this process's environment (each area validated on first use): a container's."""
    return Settings(os.environ)
