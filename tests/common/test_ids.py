import uuid

from services.common.ids import new_id, new_ids


def test_ids_made_in_a_row_sort_in_the_order_they_were_made() -> None:
    ids = [new_id() for _ in range(20_000)]  # many share a millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_are_uuid_version_7_with_the_rfc_variant() -> None:
    for value in (uuid.UUID(new_id()) for _ in range(2_000)):
        assert value.version == 7
        assert value.variant == uuid.RFC_4122


def test_ids_made_in_blocks_sort_with_those_made_one_by_one() -> None:
    ids = [new_id(), *new_ids(5_000), new_id(), *new_ids(3), *new_ids(1), new_id()]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for value in (uuid.UUID(made) for made in ids):
        assert value.version == 7 and value.variant == uuid.RFC_4122
