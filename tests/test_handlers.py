"""One small function per event kind: every kind gets a short answer or none, never an error."""

import pytest

from bot import create_app, texts
from bot.engine.line_api import retry_key
from bot.engine.router import Command, Feature, RouteClash, Router
from bot.features import DEFAULT
from storage import inbox, users


def texts_to(emulator, to):
    return [m.get("text") for m in emulator.messages_to(to)]


@pytest.mark.parametrize("builder", ["video", "audio", "file", "sticker"])
def test_other_message_kinds_get_one_short_answer(deliver, events, emulator, db, builder):
    ev = getattr(events, builder)()
    deliver(ev)
    answers = texts_to(emulator, ev["source"]["userId"])
    assert len(answers) == 1 and 0 < len(answers[0]) < 200
    assert inbox.counts(db) == {"done": 1}


def test_location_is_answered(deliver, events, emulator, db):
    ev = events.location()
    deliver(ev)
    assert emulator.messages_to(ev["source"]["userId"])  # a feature (clinics) may answer at length
    assert inbox.counts(db) == {"done": 1}


def test_follow_greets_in_the_profile_language_and_unfollow_marks_inactive(deliver, events, emulator, db):
    user = "U" + "e" * 32
    emulator.set_profile(user, "Sam", "en")
    deliver(events.follow(user=user))
    assert users.get(db, user)["lang"] == "en"
    assert emulator.messages_to(user)  # greeted
    count = len(emulator.sent)
    deliver(events.unfollow(user=user))
    assert users.get(db, user)["active"] == 0
    assert len(emulator.sent) == count  # no reply to an unfollow


def test_groups_and_rooms_only_ever_hear_the_one_to_one_note(deliver, events, emulator, db):
    group, room = "C" + "1" * 32, "R" + "3" * 32
    deliver(events.join(group=group))
    assert texts_to(emulator, group) == [texts.t("core.group_only_personal", "ja")]
    image = events.image(room=room)
    emulator.add_content(image["message"]["id"], b"jpeg")
    deliver(events.text("help", group=group, user="U" + "2" * 32), image)
    note = {texts.t("core.group_only_personal", lang) for lang in texts.LANGS}
    assert set(texts_to(emulator, group) + texts_to(emulator, room)) <= note
    assert not [c for c in emulator.calls if c.path.endswith("/content")]  # no photo fetched
    assert inbox.counts(db) == {"done": 3}


def test_image_content_is_downloaded_and_handed_to_the_photo_seam(deliver, events, emulator):
    ev = events.image()
    emulator.add_content(ev["message"]["id"], b"\xff\xd8\xff jpeg")
    deliver(ev)
    paths = [c.path for c in emulator.calls]
    assert f"/v2/bot/message/{ev['message']['id']}/content" in paths
    assert emulator.messages_to(ev["source"]["userId"])  # the seam answered


def test_image_that_cannot_be_downloaded_gets_a_kind_answer(deliver, events, emulator):
    ev = events.image()
    deliver(ev)
    assert texts_to(emulator, ev["source"]["userId"]) == [texts.t("core.photo_unavailable", "ja")]


def test_image_set_is_downloaded_once_its_last_part_arrives(deliver, events, emulator):
    user = "U" + "4" * 32
    parts = [events.image(user=user, image_set=("set9", i, 3)) for i in (1, 3, 2)]
    for ev in parts:
        emulator.add_content(ev["message"]["id"], b"jpeg")
    content_calls = lambda: [c.path for c in emulator.calls if c.path.endswith("/content")]  # noqa: E731
    deliver(parts[0], parts[1])
    assert content_calls() == []
    deliver(parts[2])
    assert len(content_calls()) == 3


@pytest.mark.parametrize("said", ["help", "HELP ", "ＨＥＬＰ", "ヘルプ", "使い方", "なにこれ"])
def test_help_answers_words_in_both_languages_and_unknown_text(deliver, events, emulator, said):
    ev = events.text(said)
    deliver(ev)
    assert texts.t("core.help_intro", "ja") in texts_to(emulator, ev["source"]["userId"])[0]


def test_command_table_finds_the_longest_word_and_the_rest():
    router = Router(DEFAULT)
    command, rest = router.find_command("help me please")
    assert command.name == "help" and rest == "me please"
    assert router.find_command("helpful")[0] is None


SEEN = []


def broken(ctx, params):
    raise RuntimeError("bug")


PROBE = Feature("probe", actions={
    "probe": lambda ctx, params: SEEN.append(params),
    "many": lambda ctx, params: ctx.answer([f"m{i}" for i in range(7)]),
    "broken": broken,
})


@pytest.fixture
def app_features():
    return (*DEFAULT, PROBE)


def test_postbacks_route_by_action_with_params(deliver, events, emulator):
    SEEN.clear()
    deliver(events.postback("action=probe&answer=yes", params={"date": "2025-06-02"}))
    deliver(events.postback("action=unknown"))
    assert SEEN == [{"action": "probe", "answer": "yes", "picked_date": "2025-06-02"}]
    assert emulator.sent == []


def test_two_apps_in_one_process_do_not_share_handlers(app, app_config, clock, tmp_path):
    other = create_app({**app_config, "data_dir": tmp_path / "other"}, clock=clock)
    try:
        assert "probe" in app.extensions["adai"].router.actions
        assert "probe" not in other.extensions["adai"].router.actions
        assert Router(DEFAULT).actions.keys() == other.extensions["adai"].router.actions.keys()
    finally:
        other.extensions["adai"].stop()


@pytest.mark.parametrize("clash", [
    Feature("again", actions={"consent": broken}),
    Feature("again", events={"follow": broken}),
    Feature("again", commands=(Command("help", ("x",), ("x",), "", "", broken),)),
])
def test_two_features_claiming_one_route_is_an_error(clash):
    with pytest.raises(RouteClash, match="again"):
        Router((*DEFAULT, clash))


def test_more_than_five_messages_go_as_reply_then_push(deliver, events, emulator):
    ev = events.postback("action=many")
    deliver(ev)
    assert [(s["kind"], len(s["messages"])) for s in emulator.sent] == [("reply", 5), ("push", 2)]
    assert emulator.sent[1]["retry_key"] == retry_key(ev["webhookEventId"], 1)


def test_a_handler_bug_is_retried_then_given_up_without_a_500(post_events, services, events, db, clock):
    ev = events.postback("action=broken")
    assert post_events(ev).status_code == 200
    for _ in range(services.settings.handle_attempts):
        services.worker.drain()
        clock.advance(hours=1)
    row = inbox.get(db, ev["webhookEventId"])
    assert row["state"] == inbox.FAILED and row["body"] is None


def test_every_text_key_exists_in_both_languages_with_the_same_placeholders():
    catalog = texts.catalog()
    assert catalog["ja"].keys() == catalog["en"].keys()
    for key, ja in catalog["ja"].items():
        assert texts.placeholders(ja) == texts.placeholders(catalog["en"][key]), key
