"""The LINE Messaging API client: the bot's only module importing linebot.v3.messaging (the
emulator, LINE's side, reads messages with the SDK's models as LINE's schema).

Messages are plain LINE JSON dicts. The calls of every photo (the loading animation, the
download, the profile read, the reply or push) go through the SDK's ApiClient (its auth, REST
client and errors) without its pydantic models: building them from a result card and
serialising them back cost more CPU than the rest of the server's work on a photo
(RELIABILITY.md, issue 23), and LINE checks messages itself. The rich-menu calls use the SDK's
models. Every call has a timeout; 5xx, 429 (Retry-After honoured) and network
failures are retried with back-off; other 4xx are not. A push carries X-Line-Retry-Key, and
LINE's 409 for a repeated key means "already accepted", which is success.
"""

import logging
import time
import uuid

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    RichMenuRequest,
)

log = logging.getLogger(__name__)

RETRY_KEY_NAMESPACE = uuid.UUID("5d1c3f0e-6a8b-4c1e-9a55-0ad0a1b0c0de")
MAX_RETRY_AFTER_S = 30.0


class LineError(Exception):
    """Base of the client's failures."""


class LineRejected(LineError):
    """LINE answered 4xx (other than 409 on a retried push): retrying cannot help."""

    def __init__(self, status, body, after_retry=False):
        super().__init__(f"LINE rejected the request: HTTP {status}")
        self.status = status
        self.body = body
        # An earlier attempt failed without an answer (timeout, 5xx): LINE may have
        # processed it, so e.g. "invalid reply token" may mean "already delivered".
        self.after_retry = after_retry


class LineUnavailable(LineError):
    """5xx, 429 or network failures outlasted every retry."""


def retry_key(*parts) -> str:
    """A stable UUID for one logical send, so a retry of it is never delivered twice."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, ":".join(str(p) for p in parts)))


class LineClient:
    def __init__(
        self,
        access_token,
        base_url=None,
        timeout_s=10.0,
        attempts=4,
        backoff_s=0.5,
        sleep=time.sleep,
        metrics=None,
    ):
        configuration = Configuration(access_token=access_token, host=base_url)
        configuration.retries = False  # our loop owns retries; urllib3 must not add its own
        self._client = ApiClient(configuration)
        self._api = MessagingApi(self._client)
        self._blob = MessagingApiBlob(self._client)
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.metrics = metrics  # engine/metrics.py: calls by endpoint and status, retries

    def close(self):
        self._client.close()

    # --- messages -----------------------------------------------------------------
    def reply(self, reply_token, messages) -> dict:
        body = {"replyToken": reply_token, "messages": as_messages(messages)}
        response = self._call("reply", self._post_json, "/v2/bot/message/reply", body,
                              "ReplyMessageResponse")
        return _data(response)

    def push(self, to, messages, retry_key=None) -> dict:
        """Push; with a retry key a 409 (LINE already accepted this key) counts as sent."""
        body = {"to": to, "messages": as_messages(messages)}
        headers = {"X-Line-Retry-Key": retry_key} if retry_key else {}
        try:
            response = self._call("push", self._post_json, "/v2/bot/message/push", body,
                                  "PushMessageResponse", headers)
        except LineRejected as e:
            if e.status == 409 and retry_key:
                return {"accepted": "earlier", "retryKey": retry_key}
            raise
        return _data(response)

    def content(self, message_id) -> bytes:
        response = self._call("content", self._get, self._blob.line_base_path,
                              "/v2/bot/message/{messageId}/content", {"messageId": str(message_id)},
                              "bytearray", "*/*")
        return bytes(response.data)

    def loading(self, chat_id, seconds=20):
        """Show the typing animation (5–60 s in steps of 5)."""
        seconds = min(60, max(5, 5 * round(seconds / 5)))
        body = {"chatId": chat_id, "loadingSeconds": seconds}
        self._call("loading", self._post_json, "/v2/bot/chat/loading/start", body, "object")

    def profile(self, user_id) -> dict:
        """LINE's JSON as it comes ({"userId", "displayName", "language", ...})."""
        response = self._call("profile", self._get, self._api.line_base_path, "/v2/bot/profile/{userId}",
                              {"userId": str(user_id)}, "object")
        return response.data if isinstance(response.data, dict) else {}

    def _get(self, host, path, path_params, response_type, accept="application/json", _request_timeout=None):
        """GET the way the SDK's generated methods do (path parameters quoted by the SDK), minus
        their argument validation and model round trip: a photo's download and the profile read
        are two of the four LINE calls of every photo."""
        return self._client.call_api(
            path, "GET", path_params, [], {"Accept": accept}, body=None, post_params=[], files={},
            response_types_map={"200": response_type, "400": "ErrorResponse", "404": "ErrorResponse"},
            auth_settings=["Bearer"], _host=host, collection_formats={},
            _request_timeout=_request_timeout, _preload_content=True,
        )

    def _post_json(self, path, body, response_type, headers=None, _request_timeout=None):
        """POST a plain JSON body the way the SDK's generated methods do, minus their model
        round trip (the SDK's request models, then to_dict); a 200 answer is still read into the
        SDK's response model ("object": a plain dict, for answers without a body)."""
        client = self._client
        header_params = {**(headers or {}), "Accept": "application/json", "Content-Type": "application/json"}
        return client.call_api(
            path, "POST", {}, [], header_params, body=body, post_params=[], files={},
            response_types_map={"200": response_type, "400": "ErrorResponse", "409": "ErrorResponse",
                                "429": "ErrorResponse"},
            auth_settings=["Bearer"], _host=self._api.line_base_path, collection_formats={},
            _request_timeout=_request_timeout, _preload_content=True,
        )

    # --- rich menus ---------------------------------------------------------------
    def create_rich_menu(self, menu: dict) -> str:
        request = RichMenuRequest.from_dict(menu)
        response = self._call("richmenu", self._api.create_rich_menu_with_http_info, request)
        return response.data.rich_menu_id

    def set_rich_menu_image(self, rich_menu_id, data: bytes, content_type="image/png"):
        self._call(
            "richmenu-image",
            self._blob.set_rich_menu_image_with_http_info,
            rich_menu_id,
            bytes(data),
            _headers={"Content-Type": content_type},  # the SDK ignores _content_type
        )

    def set_default_rich_menu(self, rich_menu_id):
        self._call("richmenu-default", self._api.set_default_rich_menu_with_http_info, rich_menu_id)

    def rich_menus(self) -> list[dict]:
        response = self._call("richmenu-list", self._api.get_rich_menu_list_with_http_info)
        return [m.to_dict() for m in response.data.richmenus]

    def delete_rich_menu(self, rich_menu_id):
        self._call("richmenu-delete", self._api.delete_rich_menu_with_http_info, rich_menu_id)

    # --- the retry loop -------------------------------------------------------------
    def _call(self, what, fn, *args, **kwargs):
        for attempt in range(1, self.attempts + 1):
            if attempt > 1 and self.metrics:
                self.metrics.line_retry(what)
            try:
                response = fn(*args, _request_timeout=self.timeout_s, **kwargs)
                self._count(what, getattr(response, "status_code", None) or 200)
                return response
            except ApiException as e:
                status = e.status or 0
                self._count(what, status or "error")
                if status == 429 or status >= 500 or status == 0:
                    delay = self._delay(attempt, _retry_after(e))
                    log.warning("line %s: HTTP %s (attempt %d)", what, status, attempt)
                else:
                    raise LineRejected(status, e.body, after_retry=attempt > 1) from e
            except (urllib3.exceptions.HTTPError, OSError) as e:
                self._count(what, "error")
                delay = self._delay(attempt, None)
                log.warning("line %s: %s (attempt %d)", what, type(e).__name__, attempt)
            if attempt == self.attempts:
                break
            self.sleep(delay)
        raise LineUnavailable(f"LINE {what} failed after {self.attempts} attempts")

    def _count(self, what, status):
        if self.metrics:
            self.metrics.line_call(what, status)

    def _delay(self, attempt, retry_after):
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_S)
        return self.backoff_s * 2 ** (attempt - 1)


def _retry_after(e: ApiException):
    headers = e.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _data(response) -> dict:
    data = response.data
    return data.to_dict() if hasattr(data, "to_dict") else {}


def as_messages(messages) -> list[dict]:
    """Accept one message dict, a list of them, or a plain string (a text message)."""
    if isinstance(messages, str):
        return [{"type": "text", "text": messages}]
    if isinstance(messages, dict):
        return [messages]
    return [{"type": "text", "text": m} if isinstance(m, str) else m for m in messages]
