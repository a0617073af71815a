"""Sign-in requests and responses, and the authenticated caller."""

from dataclasses import dataclass, field

from pydantic import Field

from imagegen.models.base import CamelModel, RequestModel
from imagegen.models.users import AccountStats, User, UserView


class GoogleSignIn(RequestModel):
    token: str = Field(min_length=1, max_length=8192)


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class GoogleIdentity(CamelModel):
    """The verified claims of a Google ID token that the service uses."""

    subject: str
    email: str
    first_name: str
    last_name: str


class TokenPair(CamelModel):
    token: str
    refresh_token: str
    expires_in: int


ME = "me"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: read from the verified access token and its live session, never from the body."""

    user: User
    session_id: str
    balance: int
    stats: AccountStats = field(default_factory=AccountStats)

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    def named(self, user_id: str) -> str:
        """The user a ``/users/{id}`` path names: ``me`` is the caller, on every such route."""
        return self.user_id if user_id == ME else user_id

    def view(self, with_stats: bool = False) -> UserView:
        """The caller as the API shows a user, with the balance (and stats) read at authentication."""
        return UserView.of(self.user, self.balance, self.stats if with_stats else None)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """Who an access token speaks for."""

    user_id: str
    session_id: str
