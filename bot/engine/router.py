"""The router: where every event goes, built per app from the features it is given.

A feature is a `Feature` object that declares what it handles (bot/features/*.py end with
one); `create_app` builds a `Router` from its list of features and the router never changes
after that. Two apps in one process have two routers.

How an event finds its function (`Router.dispatch`):
- from a group or room: `group_events[event type]`;
- a "message" event: `messages[message type]`, else `messages[ANY]`;
- a "postback" event: its data is a query string `action=NAME&...`: `actions[NAME](ctx, params)`;
- any other event: `events[event type]`.
Text messages go to the commands feature, which looks the words up in `commands` (`find`).
"""

import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

ANY = "*"  # messages[ANY]: a message type no feature claims


class RouteClash(ValueError):
    """Two features claim the same event, message type, postback action or command."""


@dataclass(frozen=True)
class Command:
    """A text command: the words that call it (ja, en), a help line (ja, en), function(ctx, rest)."""

    name: str
    words_ja: tuple[str, ...]
    words_en: tuple[str, ...]
    help_ja: str
    help_en: str
    function: Callable

    @property
    def words(self) -> tuple[str, ...]:
        return self.words_ja + self.words_en


@dataclass(frozen=True)
class Feature:
    """What one feature handles. Every table is optional.

    events: event type -> function(ctx)           (follow, unfollow, internal events…)
    group_events: event type -> function(ctx)     (events from group and room chats)
    messages: message type -> function(ctx)       (text, image, location…; ANY for the rest)
    actions: postback action -> function(ctx, params)
    commands: Command entries; `help` lists them in feature order
    replies: question kind -> function(ctx, text, data): a typed text while that feature's
             question waits (engine/pending.py): the answer, or the question asked again
    history: function(ctx) -> [messages], the parts of "History" in feature order
    sweeps: function(services, db, now) -> events stored; lane 0 runs them every few seconds
    maintenance: function(services, db, now); lane 0 runs them every 10 minutes
    ticks: function(services); every minute, in one process only (engine/scheduler.py)
    blueprints: Flask blueprints of the feature's pages
    """

    name: str
    events: dict = field(default_factory=dict)
    group_events: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)
    actions: dict = field(default_factory=dict)
    commands: tuple = ()
    replies: dict = field(default_factory=dict)
    history: tuple = ()
    sweeps: tuple = ()
    maintenance: tuple = ()
    ticks: tuple = ()
    blueprints: tuple = ()


def parse_postback(data: str) -> dict:
    return dict(parse_qsl(data or "", keep_blank_values=True))


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, no surrounding blanks."""
    return unicodedata.normalize("NFKC", text or "").strip().lower()


class Router:
    def __init__(self, features):
        self.features = tuple(features)
        self.events, self.group_events, self.messages, self.actions = {}, {}, {}, {}
        self.replies = {}
        self.commands, self.history, self.sweeps, self.maintenance, self.ticks = [], [], [], [], []
        self.blueprints = []
        for feature in self.features:
            self._install(feature)

    def _install(self, feature: Feature):
        for mine, theirs in ((self.events, feature.events), (self.group_events, feature.group_events),
                             (self.messages, feature.messages), (self.actions, feature.actions),
                             (self.replies, feature.replies)):
            clash = mine.keys() & theirs.keys()
            if clash:
                raise RouteClash(f"{feature.name} claims {sorted(clash)} again")
            mine.update(theirs)
        names = {command.name for command in self.commands}
        for command in feature.commands:
            if command.name in names:
                raise RouteClash(f"{feature.name} claims command {command.name!r} again")
            names.add(command.name)
            self.commands.append(command)
        self.history.extend(feature.history)
        self.sweeps.extend(feature.sweeps)
        self.maintenance.extend(feature.maintenance)
        self.ticks.extend(feature.ticks)
        self.blueprints.extend(feature.blueprints)

    # --- dispatch ------------------------------------------------------------------------
    def dispatch(self, ctx):
        kind = ctx.event.get("type")
        if ctx.source_type in ("group", "room"):
            handler = self.group_events.get(kind)
        elif kind == "message":
            message_type = ctx.message.get("type")
            handler = self.messages.get(message_type) or self.messages.get(ANY)
        elif kind == "postback":
            handler = self._postback
        else:
            handler = self.events.get(kind)
        if handler is None:
            log.info("no handler for %s event from a %s; ignored", kind, ctx.source_type)
            return
        handler(ctx)

    def _postback(self, ctx):
        postback = ctx.event.get("postback") or {}
        params = parse_postback(postback.get("data", ""))
        if postback.get("params"):  # date/time pickers put their choice here
            params.update({f"picked_{k}": v for k, v in postback["params"].items()})
        action = self.actions.get(params.get("action", ""))
        if action is None:
            log.info("postback with unknown action ignored")
            return
        action(ctx, params)

    def find_command(self, text: str) -> tuple[Command | None, str]:
        """The command a message starts with (longest word wins), and the rest of the message."""
        said = normalize(text)
        best, best_word = None, ""
        for command in self.commands:
            for word in command.words:
                w = normalize(word)
                if (said == w or said.startswith(w + " ")) and len(w) > len(best_word):
                    best, best_word = command, w
        return best, said[len(best_word):].strip() if best else said
