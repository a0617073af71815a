"""Users: the stored profile, its API view, the languages it may be in, and the changes a user and an
admin may make."""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, ConfigDict, Field, Strict, WithJsonSchema, field_validator

from imagegen.models.base import CamelModel, RequestModel

LANGUAGE_CODE = r"^[a-z]{2}$"
"""A language as the service names it: an ISO 639-1 code, two lowercase letters."""


def _language_code(code: str) -> str:
    if not re.fullmatch(LANGUAGE_CODE, code):
        raise ValueError(f"{code!r} is not a two-letter lowercase language code (ISO 639-1), such as 'es'")
    return code


LanguageCode = Annotated[
    str, AfterValidator(_language_code), WithJsonSchema({"type": "string", "pattern": LANGUAGE_CODE})
]
"""A field (or a dict's key) holding a language code, refused saying what a language code is."""


@dataclass(frozen=True, slots=True)
class Languages:
    """The languages the product speaks (the ``Languages`` parameter), the first its fallback: at least
    one, each an ISO 639-1 code (``en``), none twice. A ``ValueError`` says what breaks these rules."""

    codes: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.codes:
            raise ValueError("at least one language is needed")
        malformed = [code for code in self.codes if not re.fullmatch(LANGUAGE_CODE, code)]
        if malformed:
            raise ValueError(f"{malformed} are not two-letter lowercase language codes (ISO 639-1)")
        repeated = sorted({code for code in self.codes if self.codes.count(code) > 1})
        if repeated:
            raise ValueError(f"{repeated} are listed more than once")

    @classmethod
    def parse(cls, text: str) -> Self:
        """The languages of a comma-separated list (``en,es``)."""
        return cls(tuple(code.strip() for code in text.split(",") if code.strip()))

    @property
    def fallback(self) -> str:
        """The language of whoever asks for none of the others."""
        return self.codes[0]

    def __contains__(self, code: object) -> bool:
        return code in self.codes


class Role(StrEnum):
    USER = "USER"
    ADMIN = "ADMIN"


class UserStatus(StrEnum):
    """Whether a user may use the service: ``SUSPENDED`` by an admin, until restored to ``ACTIVE``;
    ``DELETING`` once the account's deletion was asked for, until its record is gone."""

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DELETING = "DELETING"


CHANGEABLE_STATUSES = (UserStatus.ACTIVE, UserStatus.SUSPENDED)
"""What an admin may set ``status`` to: a deletion has routes of its own, and is never undone."""


class User(CamelModel):
    """A user as stored: identity, profile and roles. The balance lives in the coin ledger."""

    id: str
    email: str
    google_sub: str
    first_name: str = ""
    last_name: str = ""
    roles: list[Role]
    language: str = "en"
    created_at: str
    updated_at: str
    # The disputes that stop this user buying coins: each opened by a card holder, until won.
    purchases_frozen_by: frozenset[str] | None = None
    status: UserStatus = UserStatus.ACTIVE  # records written before suspensions existed are active
    # When the user was last suspended (ISO 8601, as sessions' createdAt): the sessions opened up to
    # then have ended, also once the user is restored; None if never suspended.
    sessions_valid_from: str | None = None
    # When the account's deletion was asked for (ISO 8601), while it is under way; None otherwise.
    deletion_requested_at: str | None = None

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_suspended(self) -> bool:
        return self.status is UserStatus.SUSPENDED

    @property
    def is_being_deleted(self) -> bool:
        return self.status is UserStatus.DELETING

    @property
    def purchases_frozen(self) -> bool:
        return bool(self.purchases_frozen_by)


class AccountStats(CamelModel):
    """Counters kept with the balance (never computed by scanning): images in the gallery by kind,
    and coins spent on them (refunds deducted)."""

    images: int = 0
    generated: int = 0
    uploaded: int = 0
    coins_spent: int = 0


class UserView(CamelModel):
    """A user as the API shows it (``stats`` only on the caller's own profile)."""

    id: str
    email: str
    first_name: str
    last_name: str
    roles: list[Role]
    language: str
    coins: int
    purchases_frozen: bool = False  # a payment of theirs is disputed: they may not buy coins
    status: UserStatus = UserStatus.ACTIVE
    created_at: str
    updated_at: str
    stats: AccountStats | None = Field(default=None, exclude_if=lambda stats: stats is None)

    @classmethod
    def of(cls, user: User, coins: int, stats: AccountStats | None = None) -> "UserView":
        return cls(
            id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            roles=user.roles,
            language=user.language,
            coins=coins,
            purchases_frozen=user.purchases_frozen,
            status=user.status,
            created_at=user.created_at,
            updated_at=user.updated_at,
            stats=stats,
        )


class ProfileUpdate(RequestModel):
    """``PUT /users/me``: what a user may change of their own profile. Absent fields stay as they are.

    ``language`` has the shape of a language code here; the service checks it is one of its languages
    (configuration)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"language": "es"}, {"firstName": "Ada"}]})

    language: str | None = Field(
        default=None,
        pattern=LANGUAGE_CODE,
        description="one of the service's languages (the Languages parameter: en, es by default)",
    )
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)


class UserUpdate(ProfileUpdate):
    """``PUT /users/{id}``: what an admin may change of anyone's profile, roles, and whether the user is
    suspended. Absent fields stay."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"roles": ["USER", "ADMIN"], "language": "es"}, {"status": "SUSPENDED"}]
        }
    )

    roles: list[Annotated[Role, Strict(False)]] | None = Field(default=None, min_length=1)
    status: (
        Annotated[
            UserStatus,
            Strict(False),
            WithJsonSchema({"type": "string", "enum": [status.value for status in CHANGEABLE_STATUSES]}),
        ]
        | None
    ) = Field(
        default=None,
        description="SUSPENDED ends every session of the user at once and refuses their sign-ins; "
        "ACTIVE restores them (they sign in again)",
    )

    @field_validator("status")
    @classmethod
    def _never_deleting(cls, status: UserStatus | None) -> UserStatus | None:
        if status is not None and status not in CHANGEABLE_STATUSES:
            raise ValueError(
                "status must be ACTIVE or SUSPENDED (an account is deleted with DELETE /users/{id})"
            )
        return status

    @field_validator("roles")
    @classmethod
    def _every_user_is_a_user(cls, roles: list[Role] | None) -> list[Role] | None:
        if roles is None:
            return None
        if Role.USER not in roles:
            raise ValueError("roles must include USER")
        return sorted(set(roles), key=list(Role).index)


class UserPage(CamelModel):
    """A page of users, newest first, and the cursor of the next page."""

    users: list[UserView]
    next_cursor: str | None


class AccountDeletionRequest(RequestModel):
    """``DELETE /users/me``: the account's own email, typed again as the confirmation."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "ada@example.com"}]})

    email: str = Field(min_length=1, max_length=254, description="the account's email (any case)")


class AccountDeletion(CamelModel):
    """A deletion under way: whose, and since when (the first time it was asked for)."""

    user_id: str
    requested_at: str
