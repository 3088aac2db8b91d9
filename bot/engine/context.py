"""What a handler gets: the event, the database, the LINE client, the settings, and `answer()`."""

import logging
from datetime import timedelta

from bot import texts
from bot.engine.clock import from_millis
from bot.engine.line_api import LineRejected, as_messages, retry_key
from bot.engine.logs import user_ref
from storage import consent, sent, users

log = logging.getLogger(__name__)
MAX_PER_REQUEST = 5


class EventContext:
    def __init__(self, services, db, event: dict, event_id: str):
        self.services = services
        self.settings = services.settings
        self.router = services.router
        self.line = services.line
        self.clock = services.clock
        self.db = db
        self.event = event
        self.event_id = event_id
        source = event.get("source") or {}
        self.source_type = source.get("type")
        self.user_id = source.get("userId")
        # Where answers go: the group or room when there is one, else the user.
        self.chat_id = source.get("groupId") or source.get("roomId") or self.user_id
        # Whose row a sent batch is: only in one-to-one chats. In groups and rooms nothing
        # about the member is stored (the retry key alone makes replays exactly-once).
        self.sent_owner = self.user_id if self.source_type == "user" else None
        self._lang = None  # read when first needed (the `lang` property)
        self._reply_token = event.get("replyToken")
        self._seq = 0

    # --- language ------------------------------------------------------------------
    @property
    def lang(self) -> str:
        """ja or en: the user's own choice ("language") when they made one; else what their LINE
        profile says now, so a phone switched to English is followed at once (LINE sends no event
        for it) and an English patient stays English after "delete my data" erased the stored
        row; else the stored language, else Japanese. Read once per event, when first needed."""
        if self._lang is None:
            self._lang = self._read_lang()
        return self._lang

    @lang.setter
    def lang(self, value: str):
        self._lang = value

    def _read_lang(self) -> str:
        if not self.user_id:
            return texts.DEFAULT_LANG
        row = users.get(self.db, self.user_id)
        if row and row.get("lang_chosen"):
            return row["lang"]
        # Only a one-to-one chat's user has a profile the bot may read (groups: member profiles).
        profile = self.profile_lang() if self.source_type == "user" else None
        if profile and row and row["lang"] != profile:
            users.follow_profile(self.db, self.user_id, profile, self.now())  # reminders follow too
        return profile or (row["lang"] if row else texts.DEFAULT_LANG)

    # --- helpers -------------------------------------------------------------------
    def now(self):
        return self.clock.now()

    def t(self, key, **values) -> str:
        return texts.t(key, self.lang, **values)

    def pipeline(self):
        return self.services.pipeline()

    def consented(self, refusal_key: str | None = None) -> bool:
        """Has the user consented to us keeping records? If not and refusal_key is given, the
        user is told so with that text."""
        if consent.given(self.db, self.user_id):
            return True
        if refusal_key:
            self.answer({"type": "text", "text": self.t(refusal_key)})
        return False

    def profile_lang(self) -> str | None:
        """ja or en from the user's LINE profile; None when LINE does not tell us (the stored or
        default language then stays)."""
        try:
            language = self.line.profile(self.user_id).get("language") or ""
        except Exception as e:  # noqa: BLE001 — a greeting in the default language is fine
            log.info("profile unavailable: %s", type(e).__name__)
            return None
        if not language:
            return None
        return "en" if language.startswith("en") else "ja"

    @property
    def user_ref(self) -> str:
        return user_ref(self.services.log_key, self.user_id)

    @property
    def message(self) -> dict:
        return self.event.get("message") or {}

    def loading(self, seconds=20):
        """The typing animation while something slow runs; cosmetic, so failures are ignored."""
        if self.source_type != "user" or not self.user_id:
            return
        try:
            self.line.loading(self.user_id, seconds)
        except Exception as e:  # noqa: BLE001 — never let a cosmetic call fail the event
            log.info("loading animation not shown: %s", type(e).__name__)

    # --- answering -------------------------------------------------------------------
    def reply_token_fresh(self) -> bool:
        return bool(self._reply_token) and self._token_young()

    def waited(self) -> timedelta:
        """How long ago LINE says the user sent this event (the inbox's queue, a redelivery)."""
        return self.now() - from_millis(self.event.get("timestamp", 0))

    def _token_young(self) -> bool:
        """The event's reply token is younger than our TTL (LINE's lifetime less a margin)."""
        return self.waited() < timedelta(seconds=self.settings.reply_token_ttl_s)

    def answer(self, messages):
        """Send messages to whoever wrote: reply while the token is fresh, else push with a
        retry key derived from the event. Replaying an event after a crash skips batches
        already recorded as sent, so every batch goes out exactly once."""
        messages = as_messages(messages)
        for start in range(0, len(messages), MAX_PER_REQUEST):
            self._send_batch(messages[start:start + MAX_PER_REQUEST])

    def _send_batch(self, batch):
        key = retry_key(self.event_id, self._seq)
        self._seq += 1
        earlier = sent.get(self.db, key)
        if earlier and earlier["state"] == sent.SENT:
            return
        if earlier:  # replaying a batch whose fate is unknown: resend it the same way
            use_reply = earlier["kind"] == "reply" and bool(self._reply_token)
        else:
            use_reply = self.reply_token_fresh()
        if use_reply:
            token, self._reply_token = self._reply_token, None  # a token works once
            sent.begin(self.db, key, self.sent_owner, "reply", len(batch), self.now())
            try:
                self.line.reply(token, batch)
                sent.finish(self.db, key, self.now())
                return
            except LineRejected as e:
                if e.status != 400:
                    raise
                fate_unknown = (earlier and earlier["kind"] == "reply") or e.after_retry
                if fate_unknown and self._token_young():
                    # An earlier try of this reply went through (we crashed before recording
                    # it, or LINE's answer was lost): a young token is refused only when used.
                    sent.finish(self.db, key, self.now())
                    return
                # The token was never used, or it may simply have expired since the earlier
                # try (LINE's 400 does not say which). A lost health answer is worse than a
                # rare duplicate: push, with the retry key so that the push itself goes once.
                log.info("reply token refused (%s); pushing instead",
                         "expired or used" if fate_unknown else "expired?")
        self._reply_token = None
        sent.begin(self.db, key, self.sent_owner, "push", len(batch), self.now())
        self.line.push(self.chat_id, batch, retry_key=key)
        sent.finish(self.db, key, self.now(), kind="push")
