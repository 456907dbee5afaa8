"""The visitor cookie's state: visits, category entries, and verification."""

from django.core import signing

from personalization.engine.cookies import STATE_SALT, VisitorState


def test_category_counts_entries_not_every_page_inside_it():
    state = VisitorState(vid="00000000-0000-0000-0000-000000000001")
    for category in (3, 3, 3, 4, 3):
        state.record_view((category,))
    assert state.views == {"3": 2, "4": 1}


def test_state_survives_a_round_trip_and_later_changes_do_not_leak_into_it():
    state = VisitorState(vid="00000000-0000-0000-0000-000000000002")
    state.record_view((7,))
    raw = state.dumps()
    state.record_view((8,))  # changes after signing must not alter what raw means
    again = VisitorState.loads(raw)
    assert again.views == {"7": 1} and again.vid == state.vid


def test_a_remembered_cookie_does_not_make_a_tampered_one_valid():
    raw = VisitorState(vid="00000000-0000-0000-0000-000000000003").dumps()
    assert VisitorState.loads(raw).vid.endswith("3")
    tampered = raw[:-2] + ("AA" if not raw.endswith("AA") else "BB")
    fresh = VisitorState.loads(tampered)
    assert fresh.is_new and not fresh.vid.endswith("000000000003")
    # Signed with the site's key but for another purpose (salt): not a visitor cookie.
    forged = signing.dumps({"v": "00000000-0000-0000-0000-000000000009"},
                           salt="personalization.caps")
    assert VisitorState.loads(forged).is_new
    genuine = signing.dumps({"v": "00000000-0000-0000-0000-000000000009"}, salt=STATE_SALT)
    assert not VisitorState.loads(genuine).is_new
