"""Answers about users: a profile, and a sign-in."""

from imagegen.models.auth import TokenPair
from imagegen.models.base import CamelModel
from imagegen.models.users import AccountDeletion, UserView


class UserResponse(CamelModel):
    """One user, with the balance (and ``stats``, on the caller's own profile)."""

    user: UserView


class SignedIn(TokenPair):
    """The user signed in, and the tokens of the new session."""

    user: UserView


class DeletionResponse(CamelModel):
    """An account's deletion, under way."""

    deletion: AccountDeletion
