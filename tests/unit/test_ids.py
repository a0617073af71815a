from __future__ import annotations

import re
import time

from imagegen.ids import new_id, new_id_after, not_before

FAR_FUTURE = "7ZZZZZZZZZ0000000000000000"  # a ULID of a clock far ahead of this one


def test_an_id_after_a_later_one_still_sorts_after_it() -> None:
    following = new_id_after(FAR_FUTURE)
    assert following > FAR_FUTURE
    assert following == "7ZZZZZZZZZ0000000000000001"


def test_an_id_after_an_earlier_one_is_a_fresh_one() -> None:
    earlier = new_id()
    following = new_id_after(earlier)
    assert following > earlier
    # With nothing before it, an id is just a fresh one: of this millisecond or later, its random
    # part in any order with another of the same millisecond.
    assert new_id_after(None)[:10] >= earlier[:10]


def test_a_time_never_goes_back_past_the_one_before() -> None:
    assert not_before("2999-01-01T00:00:00.000Z") == "2999-01-01T00:00:00.000Z"
    assert not_before("2000-01-01T00:00:00.000Z") > "2000-01-01T00:00:00.000Z"


def test_an_id_is_a_ulid_of_now() -> None:
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000

    assert re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", made)  # Crockford's base32, 128 bits
    milliseconds = 0  # the first 10 characters: 2 bits of padding, then the 48-bit time
    for character in made[:10]:
        milliseconds = milliseconds * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(character)
    assert before <= milliseconds <= after


def test_ids_are_unique_and_sort_by_time() -> None:
    made = [new_id() for _ in range(2000)]
    assert len(set(made)) == len(made)
    later = new_id()
    time.sleep(0.002)
    assert new_id()[:10] > later[:10]
