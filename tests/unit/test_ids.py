from __future__ import annotations

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
    assert new_id_after(None) > earlier


def test_a_time_never_goes_back_past_the_one_before() -> None:
    assert not_before("2999-01-01T00:00:00.000Z") == "2999-01-01T00:00:00.000Z"
    assert not_before("2000-01-01T00:00:00.000Z") > "2000-01-01T00:00:00.000Z"
