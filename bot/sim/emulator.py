"""A LINE Messaging API emulator on loopback: the paths the bot uses, with LINE's rules.

Enforces: Bearer token; reply tokens issued by the emulator, single use, ~1 min expiry;
1–5 messages per request; message shape (text, image, flex altText, template altText,
≤ 13 quick-reply items); X-Line-Retry-Key as a UUID, 409 on a repeat. Records every
accepted send. Fault injection: `fail_next(n, status=500 | 429 (+retry_after) |
"timeout" | "reset" | "hang" | "lost" (processed, answer dropped))`.
Used by tests (real SDK over real HTTP) and, in simulator
mode, by `make run` in-process.

Side door for the simulator page and tests (no token): GET /_emulator/sent?to=&since=,
POST /_emulator/content/<message_id> (raw bytes), POST /_emulator/reply-token {"to": id}.
"""

import argparse
import hmac
import json
import re
import secrets
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from linebot.v3.messaging import Message

from bot.engine.clock import SystemClock
from bot.settings import SIMULATOR_TOKEN

REPLY_TOKEN_TTL = timedelta(seconds=60)
MAX_MESSAGES = 5
MAX_QUICK_REPLY_ITEMS = 13
MESSAGE_TYPES = {"text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"}


class Invalid(Exception):
    """A request LINE would refuse with 400."""

    def __init__(self, message, details=None, status=400):
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "details": details or []}


@dataclass
class Fault:
    status: int | str  # 500, 429, "timeout", "reset", "hang", "lost"
    retry_after: float | None = None
    path: str | None = None  # only calls whose path contains this


@dataclass
class Call:
    method: str
    path: str
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)


class Emulator:
    def __init__(self, access_token, host="127.0.0.1", port=0, clock=None, hold_s=5.0, loopback_http=False):
        self.access_token = access_token
        # The simulator's emulator takes http image links on loopback (LINE wants https, and could
        # not reach loopback anyway); a test's emulator checks as LINE does.
        self.loopback_http = loopback_http
        self.clock = clock or SystemClock()
        self.hold_s = hold_s  # how long a "timeout" fault keeps the client waiting
        self._lock = threading.Condition()
        self._faults: list[Fault] = []
        self._release = threading.Event()
        self.reply_tokens: dict[str, dict] = {}
        self.retry_keys: dict[str, str] = {}
        self.contents: dict[str, tuple[bytes, str]] = {}
        self.profiles: dict[str, dict] = {}
        self.rich_menus: dict[str, dict] = {}
        self.rich_menu_images: dict[str, bytes] = {}
        self.default_rich_menu: str | None = None
        self.sent: list[dict] = []
        self.calls: list[Call] = []
        self.loading_calls: list[dict] = []
        self.held = 0  # calls currently or ever held by a "hang"/"timeout" fault
        self._server = _Server((host, port), _handler_for(self))
        self._thread = None

    # --- lifecycle ------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="line-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    # --- what tests and the simulator call --------------------------------------------
    def issue_reply_token(self, to: str) -> str:
        token = secrets.token_hex(16)
        with self._lock:
            self.reply_tokens[token] = {"to": to, "issued": self.clock.now(), "used": False}
        return token

    def add_content(self, message_id: str, data: bytes, content_type="image/jpeg"):
        with self._lock:
            self.contents[str(message_id)] = (data, content_type)

    def set_profile(self, user_id, display_name="LINE user", language="ja", **extra):
        self.profiles[user_id] = {"userId": user_id, "displayName": display_name, "language": language, **extra}

    def fail_next(self, n=1, status: int | str = 500, retry_after=None, path=None):
        with self._lock:
            self._faults.extend(Fault(status, retry_after, path) for _ in range(n))
            self._release.clear()

    def release(self):
        """Let calls held by a "hang" fault go (they then get a reset, nothing recorded)."""
        self._release.set()

    def messages_to(self, to) -> list[dict]:
        with self._lock:
            return [m for s in self.sent if s["to"] == to for m in s["messages"]]

    def sent_json(self, to=None, since=0) -> list[dict]:
        with self._lock:
            return [dict(s, index=i) for i, s in enumerate(self.sent) if i >= since and (to is None or s["to"] == to)]

    def wait_for(self, predicate, timeout=5.0):
        """Wait (bounded) until predicate(self) holds; returns its last value."""
        deadline = time.monotonic() + timeout
        with self._lock:
            # Re-check every 50 ms too: predicates may also look at things outside the emulator.
            while not predicate(self) and time.monotonic() < deadline:
                self._lock.wait(min(0.05, max(0.0, deadline - time.monotonic())))
            return predicate(self)

    def wait_sent(self, count, timeout=5.0) -> list[dict]:
        self.wait_for(lambda e: len(e.sent) >= count, timeout)
        with self._lock:
            return list(self.sent)

    def reset(self):
        with self._lock:
            self.sent.clear()
            self.calls.clear()
            self._faults.clear()

    # --- request handling (called from server threads) ---------------------------------
    def _take_fault(self, path) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.path is None or fault.path in path:
                    return self._faults.pop(i)
        return None

    def _record(self, call: Call, sent=None):
        with self._lock:
            self.calls.append(call)
            if sent is not None:
                self.sent.append(sent)
            self._lock.notify_all()

    def handle(self, method, path, headers, body: bytes):
        """Returns (status, headers, payload bytes|dict)."""
        if path.startswith("/_emulator/"):  # the simulator's and tests' side door, no token
            return self._control(method, path, headers, body)
        given = str(headers.get("Authorization") or "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, f"Bearer {self.access_token}".encode()):
            return 401, {}, {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."}
        for (verb, pattern), fn in ROUTES.items():
            match = pattern.fullmatch(path.split("?")[0])
            if verb == method and match:
                try:
                    return fn(self, headers, body, **match.groupdict())
                except Invalid as e:
                    return e.status, {}, e.body
        return 404, {}, {"message": "Not found"}


    def _control(self, method, path, headers, body):
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if method == "GET" and parts.path == "/_emulator/sent":
            return 200, {}, {"sent": self.sent_json(query.get("to"), int(query.get("since", 0)))}
        if method == "POST" and parts.path.startswith("/_emulator/content/"):
            message_id = parts.path.rsplit("/", 1)[1]
            self.add_content(message_id, body, headers.get("Content-Type") or "image/jpeg")
            return 200, {}, {"messageId": message_id}
        if method == "POST" and parts.path == "/_emulator/reply-token":
            return 200, {}, {"replyToken": self.issue_reply_token(_json(body)["to"])}
        return 404, {}, {"message": "Not found"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default of 5 resets bursts of new connections

    def handle_error(self, request, client_address):
        # A client killed mid-request (the fleet's kill -9 proof) resets its connection; that
        # is the client's fault, not the emulator's, and a traceback per reset buries real ones.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


# --- routes ---------------------------------------------------------------------------

def _json(body):
    try:
        return json.loads(body or b"{}")
    except ValueError:
        raise Invalid("The request body has 1 error(s)", [{"message": "invalid JSON"}])


def reply(emu: Emulator, headers, body):
    data = _json(body)
    check_messages(data.get("messages"), emu.loopback_http)
    token = data.get("replyToken")
    with emu._lock:
        info = emu.reply_tokens.get(token)
        now = emu.clock.now()
        if info is None or info["used"] or now - info["issued"] > REPLY_TOKEN_TTL:
            raise Invalid("Invalid reply token")
        info["used"] = True
    sent = {"kind": "reply", "to": info["to"], "messages": data["messages"], "retry_key": None, "at": now.isoformat(),
            "reply_token": token}  # lets a load generator tie each answer to its event
    emu._record(Call("POST", "/v2/bot/message/reply", 200, data), sent)
    return 200, {}, {"sentMessages": [{"id": str(uuid.uuid4().int)[:18]} for _ in data["messages"]]}


def push(emu: Emulator, headers, body):
    data = _json(body)
    key = headers.get("X-Line-Retry-Key")
    if key is not None:
        try:
            uuid.UUID(key)
        except ValueError:
            raise Invalid("The retry key is invalid")
    if not data.get("to"):
        raise Invalid("The request body has 1 error(s)", [{"property": "to", "message": "must be specified"}])
    check_messages(data.get("messages"), emu.loopback_http)
    with emu._lock:
        if key is not None and key in emu.retry_keys:
            request_id = emu.retry_keys[key]
            emu.calls.append(Call("POST", "/v2/bot/message/push", 409, data))
            return 409, {"x-line-accepted-request-id": request_id}, {"message": "The retry key is already accepted", "sentMessages": []}
        if key is not None:
            emu.retry_keys[key] = str(uuid.uuid4())
    sent = {"kind": "push", "to": data["to"], "messages": data["messages"], "retry_key": key, "at": emu.clock.now().isoformat()}
    emu._record(Call("POST", "/v2/bot/message/push", 200, data), sent)
    return 200, {}, {"sentMessages": [{"id": str(uuid.uuid4().int)[:18]} for _ in data["messages"]]}


def content(emu: Emulator, headers, body, message_id):
    with emu._lock:
        item = emu.contents.get(message_id)
    emu._record(Call("GET", f"/v2/bot/message/{message_id}/content", 200 if item else 404))
    if item is None:
        return 404, {}, {"message": "Not found"}
    data, content_type = item
    return 200, {"Content-Type": content_type}, data


def loading(emu: Emulator, headers, body):
    data = _json(body)
    seconds = data.get("loadingSeconds", 20)
    if not data.get("chatId") or seconds not in range(5, 61, 5):
        raise Invalid("The request body has 1 error(s)", [{"property": "loadingSeconds", "message": "invalid"}])
    emu.loading_calls.append(data)
    emu._record(Call("POST", "/v2/bot/chat/loading/start", 202, data))
    return 202, {}, {}


def profile(emu: Emulator, headers, body, user_id):
    emu._record(Call("GET", f"/v2/bot/profile/{user_id}", 200))
    return 200, {}, emu.profiles.get(user_id, {"userId": user_id, "displayName": "LINE user", "language": "ja"})


def create_rich_menu(emu: Emulator, headers, body):
    menu = _json(body)
    check_rich_menu(menu)
    menu_id = "richmenu-" + secrets.token_hex(16)
    emu.rich_menus[menu_id] = menu
    emu._record(Call("POST", "/v2/bot/richmenu", 200, menu))
    return 200, {}, {"richMenuId": menu_id}


def validate_rich_menu(emu: Emulator, headers, body):
    check_rich_menu(_json(body))
    return 200, {}, {}


def rich_menu_image(emu: Emulator, headers, body, menu_id):
    if menu_id not in emu.rich_menus:
        return 404, {}, {"message": "Not found"}
    if headers.get("Content-Type") not in ("image/png", "image/jpeg") or len(body) > 1024 * 1024:
        raise Invalid("Invalid image")
    emu.rich_menu_images[menu_id] = body
    emu._record(Call("POST", f"/v2/bot/richmenu/{menu_id}/content", 200))
    return 200, {}, {}


def set_default_rich_menu(emu: Emulator, headers, body, menu_id):
    if menu_id not in emu.rich_menus:
        return 404, {}, {"message": "Not found"}
    if menu_id not in emu.rich_menu_images:
        raise Invalid("An image has not been uploaded to the rich menu")
    emu.default_rich_menu = menu_id
    emu._record(Call("POST", f"/v2/bot/user/all/richmenu/{menu_id}", 200))
    return 200, {}, {}


def list_rich_menus(emu: Emulator, headers, body):
    return 200, {}, {"richmenus": [dict(m, richMenuId=i) for i, m in emu.rich_menus.items()]}


def delete_rich_menu(emu: Emulator, headers, body, menu_id):
    emu.rich_menus.pop(menu_id, None)
    emu.rich_menu_images.pop(menu_id, None)
    if emu.default_rich_menu == menu_id:
        emu.default_rich_menu = None
    return 200, {}, {}


ROUTES = {
    ("POST", re.compile(r"/v2/bot/message/reply")): reply,
    ("POST", re.compile(r"/v2/bot/message/push")): push,
    ("GET", re.compile(r"/v2/bot/message/(?P<message_id>[^/]+)/content")): content,
    ("POST", re.compile(r"/v2/bot/chat/loading/start")): loading,
    ("GET", re.compile(r"/v2/bot/profile/(?P<user_id>[^/]+)")): profile,
    ("POST", re.compile(r"/v2/bot/richmenu/validate")): validate_rich_menu,
    ("POST", re.compile(r"/v2/bot/richmenu")): create_rich_menu,
    ("POST", re.compile(r"/v2/bot/richmenu/(?P<menu_id>[^/]+)/content")): rich_menu_image,
    ("POST", re.compile(r"/v2/bot/user/all/richmenu/(?P<menu_id>[^/]+)")): set_default_rich_menu,
    ("GET", re.compile(r"/v2/bot/richmenu/list")): list_rich_menus,
    ("DELETE", re.compile(r"/v2/bot/richmenu/(?P<menu_id>[^/]+)")): delete_rich_menu,
}


# --- message shape checks -----------------------------------------------------------------

def check_messages(messages, loopback_http=False):
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        raise Invalid("Size must be between 1 and 5", [{"property": "messages"}])
    for i, message in enumerate(messages):
        check_message(message, f"messages[{i}]", loopback_http)


def check_message(message, where, loopback_http=False):
    kind = message.get("type") if isinstance(message, dict) else None
    if kind not in MESSAGE_TYPES:
        raise Invalid("The request body has 1 error(s)", [{"property": f"{where}.type", "message": "invalid type"}])
    _check_schema(message, where)
    check = _loopback_image if kind == "image" and loopback_http else MESSAGE_CHECKS.get(kind, lambda m, w: None)
    check(message, where)
    items = (message.get("quickReply") or {}).get("items")
    if items is not None and not 1 <= len(items) <= MAX_QUICK_REPLY_ITEMS:
        raise Invalid("The request body has 1 error(s)", [{"property": f"{where}.quickReply.items", "message": "Size must be between 1 and 13"}])


def _check_schema(message, where):
    """The message against the Messaging API's schema, as the SDK's models (generated from
    LINE's OpenAPI) read it: the bot posts messages as plain JSON (engine/line_api.py), and
    LINE, like this check, refuses a malformed one with 400."""
    try:
        Message.from_dict(message)
    except (ValueError, TypeError, KeyError, AttributeError) as error:  # pydantic's errors are ValueErrors
        raise Invalid("The request body has 1 error(s)",
                      [{"property": where, "message": str(error).splitlines()[0][:200]}]) from error


def _need(message, where, key, max_len=None):
    value = message.get(key)
    if value in (None, "", [], {}):
        raise Invalid("The request body has 1 error(s)", [{"property": f"{where}.{key}", "message": "must be specified"}])
    if max_len is not None and isinstance(value, str) and len(value) > max_len:
        raise Invalid("The request body has 1 error(s)", [{"property": f"{where}.{key}", "message": f"Length must be between 0 and {max_len}"}])


def _https(message, where, key, loopback_http=False):
    _need(message, where, key, 2000)
    url = str(message[key])
    if loopback_http and re.match(r"http://(127\.0\.0\.1|localhost)(:\d+)?/", url):
        return
    if not url.startswith("https://"):
        raise Invalid("The request body has 1 error(s)", [{"property": f"{where}.{key}", "message": "must be https"}])


def _loopback_image(message, where):
    _https(message, where, "originalContentUrl", True)
    _https(message, where, "previewImageUrl", True)


def _check_flex(message, where):
    _need(message, where, "altText", 1500)
    _need(message, where, "contents")
    if message["contents"].get("type") not in ("bubble", "carousel"):
        raise Invalid("The request body has 1 error(s)", [{"property": f"{where}.contents.type", "message": "invalid"}])


MESSAGE_CHECKS = {
    "text": lambda m, w: _need(m, w, "text", 5000),
    "flex": _check_flex,
    "template": lambda m, w: (_need(m, w, "altText", 400), _need(m, w, "template")),
    "image": lambda m, w: (_https(m, w, "originalContentUrl"), _https(m, w, "previewImageUrl")),
    "sticker": lambda m, w: (_need(m, w, "packageId"), _need(m, w, "stickerId")),
    "location": lambda m, w: (_need(m, w, "title", 100), _need(m, w, "address", 100)),
}


def check_rich_menu(menu):
    size = menu.get("size") or {}
    if size.get("width") not in range(800, 2501) or size.get("height", 0) < 250:
        raise Invalid("The request body has 1 error(s)", [{"property": "size", "message": "invalid"}])
    if not menu.get("name") or not menu.get("chatBarText") or len(menu.get("chatBarText", "")) > 14:
        raise Invalid("The request body has 1 error(s)", [{"property": "chatBarText", "message": "invalid"}])
    if not 1 <= len(menu.get("areas") or []) <= 20:
        raise Invalid("The request body has 1 error(s)", [{"property": "areas", "message": "Size must be between 1 and 20"}])


# --- the HTTP server -----------------------------------------------------------------------

def _handler_for(emu: Emulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

        def log_message(self, *args):  # keep test output quiet
            pass

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            self._body = body
            fault = emu._take_fault(self.path)
            if fault is not None and self._inject(fault):
                return
            status, headers, payload = emu.handle(self.command, self.path, self.headers, body)
            if isinstance(payload, (dict, list)):
                payload = json.dumps(payload).encode()
                headers = {"Content-Type": "application/json", **headers}
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _inject(self, fault: Fault) -> bool:
            """Returns True when the request was consumed by the fault."""
            if fault.status in ("timeout", "hang"):
                # Hold the client past its timeout; then drop the connection unprocessed.
                with emu._lock:
                    emu.held += 1
                    emu._lock.notify_all()
                emu._release.wait(emu.hold_s if fault.status == "timeout" else 600)
                self._reset()
                return True
            if fault.status == "reset":
                self._reset()
                return True
            if fault.status == "lost":  # processed, but the answer never reaches the client
                emu.handle(self.command, self.path, self.headers, self._body)
                self._reset()
                return True
            headers = {"Content-Type": "application/json"}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(int(fault.retry_after))
            payload = json.dumps({"message": "injected fault"}).encode()
            self.send_response(int(fault.status))
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            emu._record(Call(self.command, self.path, int(fault.status)))
            return True

        def _reset(self):
            # RST instead of FIN: the client sees "connection reset by peer".
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.close_connection = True
            emu._record(Call(self.command, self.path, 0))

        do_GET = do_POST = do_DELETE = _serve

    return Handler


# --- on its own: `python -m bot.sim.emulator` ------------------------------------------------

def main(argv=None) -> int:
    """`python -m bot.sim.emulator [--host H] [--port P] [--token T]`: the emulator as its own
    process (load benchmarks; a bot started with LINE_API_BASE_URL pointing here). Prints its
    URL on the first line of stdout, then serves until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m bot.sim.emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--token", default=SIMULATOR_TOKEN, help="the access token it accepts")
    args = parser.parse_args(argv)
    emulator = Emulator(args.token, host=args.host, port=args.port).start()
    print(emulator.url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        emulator._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
