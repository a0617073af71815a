"""The share links' twin: ``ShareRecords`` in memory, with the conditions ``repositories.shares`` writes
with (a link made only over no link or the one it replaces, a removal refused only over another
link, a view counted only on the link it was read as)."""

from __future__ import annotations

from collections.abc import Sequence

from imagegen.models.shares import Share
from imagegen.services.share_records import SharedImageKey
from imagegen.services.unit_of_work import Write
from tests.fakes import in_memory_write

Key = tuple[str, str]


class InMemoryShares:
    """``ShareRecords`` in memory: each image's link, and each token hash's image."""

    def __init__(self) -> None:
        self.links: dict[Key, Share] = {}
        self.tokens: dict[str, Key] = {}

    def get(self, user_id: str, image_id: str) -> Share | None:
        return self.links.get((user_id, image_id))

    def find(self, token_hash: str) -> SharedImageKey | None:
        key = self.tokens.get(token_hash)
        return SharedImageKey(user_id=key[0], image_id=key[1]) if key else None

    def creation_writes(self, share: Share, replacing: Share | None) -> Sequence[Write]:
        key = (share.user_id, share.image_id)

        def over_what_was_read() -> bool:
            current = self.links.get(key)
            expected = replacing.token_hash if replacing else None
            return (current.token_hash if current else None) == expected

        def make() -> None:
            self.links[key] = share

        def point() -> None:
            self.tokens[share.token_hash] = key

        writes = [
            in_memory_write("share", over_what_was_read, make),
            in_memory_write("share token", lambda: share.token_hash not in self.tokens, point),
        ]
        if replacing is not None:
            old = replacing.token_hash
            writes.append(in_memory_write("replaced share token", lambda: True, lambda: self._drop(old)))
        return writes

    def removal_writes(self, share: Share) -> Sequence[Write]:
        key = (share.user_id, share.image_id)

        def gone_or_this_one() -> bool:
            current = self.links.get(key)
            return current is None or current.token_hash == share.token_hash

        return [
            in_memory_write("share removal", gone_or_this_one, lambda: self.links.pop(key, None)),
            in_memory_write("share token removal", lambda: True, lambda: self._drop(share.token_hash)),
        ]

    def count_view(self, share: Share) -> Share | None:
        key = (share.user_id, share.image_id)
        current = self.links.get(key)
        if current is None or current.token_hash != share.token_hash:
            return None
        self.links[key] = current.model_copy(update={"views": current.views + 1})
        return self.links[key]

    def _drop(self, token_hash: str) -> None:
        self.tokens.pop(token_hash, None)
