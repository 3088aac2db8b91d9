"""Signed media links: the token scheme alone, then the /media route over HTTP."""

import pytest

from bot import tokens
from bot.engine import media
from storage import files

KEY = tokens.derive_key("channel-secret", "media")
NOW = 1_800_000_000.0


def test_round_trip_until_expiry():
    token = media.media_token(KEY, "Uaaaa", "chart", "c1", ttl=60, now=NOW)
    payload = tokens.verify(KEY, token, now=NOW + 59)
    assert (payload["k"], payload["r"]) == ("chart", "c1")
    with pytest.raises(tokens.ExpiredToken):
        tokens.verify(KEY, token, now=NOW + 60)


def test_token_holds_no_raw_user_id(tmp_path):
    from storage import files

    user_key = files.user_key(tmp_path, "U0123456789abcdef0123456789abcdef")
    token = media.media_token(KEY, user_key, "chart", "c1", now=NOW)
    import base64

    body = base64.urlsafe_b64decode(token.split(".")[0] + "==").decode()
    assert "U0123456789abcdef" not in body and "U0123456789abcdef" not in token


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),       # altered signature
        lambda t: "x" + t[1:],                                    # altered payload
        lambda t: t.replace(".", ""),                             # no separator
        lambda t: "",                                             # empty
        lambda t: t + ".extra",                                   # extra part
        lambda t: "%%%.%%%",                                      # not base64
    ],
)
def test_altered_tokens_are_refused(mangle):
    token = media.media_token(KEY, "Uaaaa", "chart", "c1", now=NOW)
    with pytest.raises(tokens.BadToken):
        tokens.verify(KEY, mangle(token), now=NOW)


def test_key_from_another_secret_or_purpose_is_refused():
    token = media.media_token(KEY, "Uaaaa", "chart", "c1", now=NOW)
    for other in (tokens.derive_key("another-secret", "media"), tokens.derive_key("channel-secret", "referral")):
        with pytest.raises(tokens.BadToken):
            tokens.verify(other, token, now=NOW)


@pytest.mark.parametrize("kind, ref", [("secrets", "c1"), ("chart", "../../adai"), ("chart", ""), ("chart", "a/b")])
def test_kinds_and_references_are_whitelisted(kind, ref):
    with pytest.raises(tokens.BadToken):
        media.media_token(KEY, "Uaaaa", kind, ref, now=NOW)


# --- the /media route over HTTP ----------------------------------------------------------------

import datetime as dt  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
ALICE, BOB = "U" + "a" * 32, "U" + "b" * 32


@pytest.fixture
def app_config(app_config):
    return {**app_config, "public_url": "https://adai.example"}


def path_of(url):
    parsed = urlparse(url)
    assert parsed.scheme == "https" and parsed.netloc == "adai.example"
    return parsed.path


def test_a_stored_chart_is_served_until_its_link_expires(client, services, clock):
    config = services.settings
    media.store(config, ALICE, "chart", "c1", PNG)
    url = media.media_url(config, ALICE, "chart", "c1", clock.now())
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert response.data == PNG and response.mimetype == "image/png"
    assert "private" in response.headers["Cache-Control"]
    clock.advance(hours=23, minutes=59)
    assert client.get(path_of(url)).status_code == 200
    clock.advance(minutes=1)
    assert client.get(path_of(url)).status_code == 404


def test_the_type_comes_from_the_bytes(client, services, clock):
    media.store(services.settings, ALICE, "photo", "p1", PNG)  # a PNG the user sent as a "photo"
    media.store(services.settings, ALICE, "crop", "k1", JPEG)
    assert client.get(path_of(media.media_url(services.settings, ALICE, "photo", "p1", clock.now()))).mimetype == "image/png"
    assert client.get(path_of(media.media_url(services.settings, ALICE, "crop", "k1", clock.now()))).mimetype == "image/jpeg"


def test_wrong_altered_and_other_users_tokens_are_404(client, services, clock):
    config = services.settings
    media.store(config, ALICE, "chart", "c1", PNG)
    good = path_of(media.media_url(config, ALICE, "chart", "c1", clock.now()))
    token = good.rsplit("/", 1)[1]
    other_user = path_of(media.media_url(config, BOB, "chart", "c1", clock.now()))
    other_ref = path_of(media.media_url(config, ALICE, "chart", "c2", clock.now()))
    forged = media.media_token(tokens.derive_key("not-our-secret", "media"), files.user_key(config.data_dir, ALICE),
                               "chart", "c1",
                               now=clock.now().timestamp())
    for path in (other_user, other_ref, f"/media/{forged}", f"/media/{token[:-2]}xx",
                 "/media/nonsense", "/media/..%2F..%2Fadai.sqlite3"):
        assert client.get(path).status_code == 404, path
    assert client.get(good).status_code == 200


def test_custom_ttl(client, services, clock):
    media.store(services.settings, ALICE, "overlay", "o1", PNG)
    url = media.media_url(services.settings, ALICE, "overlay", "o1", clock.now(), ttl=600)
    clock.advance(minutes=11)
    assert client.get(path_of(url)).status_code == 404


def test_forgetting_the_user_makes_the_link_404(client, services, clock, db):
    from storage import users

    users.follow(db, ALICE, clock.now())
    media.store(services.settings, ALICE, "chart", "c1", PNG)
    url = media.media_url(services.settings, ALICE, "chart", "c1", clock.now())
    users.forget(db, ALICE, services.settings.data_dir)
    assert client.get(path_of(url)).status_code == 404
