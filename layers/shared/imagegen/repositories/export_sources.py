"""What an export holds of a user (an ``ExportSources``), read from the tables a page at a time, each
as the API shows it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from imagegen.errors import NotFound
from imagegen.models.users import UserView

if TYPE_CHECKING:
    from imagegen.models.images import Image
    from imagegen.repositories.coins import CoinRepository
    from imagegen.repositories.images import ImageRepository
    from imagegen.repositories.orders import OrderRepository
    from imagegen.repositories.users import UserRepository

PAGE = 100


def pages[Item](
    read: Callable[[dict[str, Any] | None], tuple[list[Item], dict[str, Any] | None]],
) -> Iterator[Item]:
    """Every item of a paged listing, a page at a time: ``read(start_key)`` gives a page and where to
    continue (None at the end)."""
    start: dict[str, Any] | None = None
    while True:
        items, start = read(start)
        yield from items
        if start is None:
            return


class RecordSources:
    """The users, images, coins and (where payments are enabled) orders tables, as an export reads
    them; ``image_record`` shows an image as the API does, without URLs."""

    def __init__(
        self,
        users: UserRepository,
        images: ImageRepository,
        coins: CoinRepository,
        orders: OrderRepository | None,
        image_record: Callable[[Image], dict[str, Any]],
    ) -> None:
        self._users = users
        self._images = images
        self._coins = coins
        self._orders = orders
        self.image_record = image_record

    def profile(self, user_id: str) -> dict[str, Any]:
        """The user as ``GET /users/me`` shows them (their balance included)."""
        user = self._users.get(user_id)
        if user is None:
            raise NotFound("No such user.")  # deleted meanwhile: the export fails
        return UserView.of(user, self._coins.get_balance(user_id) or 0).to_json()

    def images(self, user_id: str) -> Iterator[Image]:
        """Every image record of the user's, newest first."""
        return pages(lambda start: self._images.list_page(user_id, PAGE, start))

    def ledger(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Every ledger entry, newest first, as ``GET /users/me/transactions`` shows them."""
        for entry in pages(lambda start: self._coins.list_entries(user_id, PAGE, start)):
            yield entry.view().to_json()

    def orders(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Every order, newest first (none where payments are disabled)."""
        if self._orders is None:
            return
        orders = self._orders
        for order in pages(lambda start: orders.user_page(user_id, PAGE, start)):
            yield order.view().to_json()
