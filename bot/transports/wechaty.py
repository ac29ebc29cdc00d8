"""The wechaty transport: WeChat through a wechaty puppet service.

The bot talks the puppet-service gRPC protocol itself, with the generated
stubs from `wechaty-grpc`, instead of going through python-wechaty's
`Wechaty` class. That class (0.10.x) stops the asyncio loop on a configuration
error, sleeps 60 s and recurses on a network error, starts a web server on
port 5000 and a job database in `.wechaty/` at login, keeps class-level caches,
logs the token, maps 群接龙 (GroupNote) to "unspecified" and crashes on message
types newer than its table. Owning the connection here gives one clear log line
per failure, reconnects with exponential backoff, and never touches the loop.

This is the only module that knows wechaty. Everything it delivers is one of
the project's own types from `bot.models`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import importlib
import json
import logging
import pathlib
import re
import sys
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, Final

from bot.models import (
    Event,
    Member,
    MemberJoined,
    Message,
    MessageKind,
    Outgoing,
    RoomInfo,
    RoomSeen,
    SentSeen,
)
from bot.transports.base import EventHandler, SendError, SendUncertain

log = logging.getLogger("bot.transports.wechaty")

QR_LINK_PREFIX: Final = "https://wechaty.js.org/qrcode/"
# A member the service cannot describe is addressed like this, never by her raw id.
UNKNOWN_NAME: Final = "群友"

# Message types as puppet services put them on the wire: the numbering of the
# Node `wechaty-puppet` MessageType enum, not the (different) enum in the .proto
# file that python-wechaty-grpc generated.
PUPPET_MSG_UNKNOWN: Final = 0
PUPPET_MSG_TEXT: Final = 7
PUPPET_MSG_GROUP_NOTE: Final = 10  # WeChat's native 群接龙 (appmsg type 53)
PUPPET_MSG_TRANSFER: Final = 11
PUPPET_MSG_RED_ENVELOPE: Final = 12

# Event types of the puppet-service event stream (wechaty.puppet.EventType).
EVENT_HEARTBEAT: Final = 1
EVENT_MESSAGE: Final = 2
EVENT_DONG: Final = 3
EVENT_ERROR: Final = 16
EVENT_ROOM_JOIN: Final = 19
EVENT_ROOM_LEAVE: Final = 20
EVENT_ROOM_TOPIC: Final = 21
EVENT_SCAN: Final = 22
EVENT_READY: Final = 23
EVENT_RESET: Final = 24
EVENT_LOGIN: Final = 25
EVENT_LOGOUT: Final = 26
EVENT_DIRTY: Final = 27

# wechaty-puppet ScanStatus values that carry a QR code worth showing.
_SCAN_WAITING: Final = 2
_SCAN_TIMEOUT: Final = 5
_SCAN_STATUS_NAMES: Final = {
    0: "unknown",
    1: "cancelled",
    2: "waiting",
    3: "scanned",
    4: "confirmed",
    5: "timeout",
}

# Payload types of the `dirty` event (wechaty-puppet types.Payload).
_DIRTY_CONTACT: Final = 2
_DIRTY_ROOM: Final = 3
_DIRTY_ROOM_MEMBER: Final = 4

# gRPC status codes (grpclib.const.Status values) that mean "fix the
# configuration", as opposed to "the network hiccupped".
_GRPC_UNAUTHENTICATED: Final = 16
_GRPC_PERMISSION_DENIED: Final = 7
_GRPC_UNAVAILABLE: Final = 14
_GRPC_ALREADY_EXISTS: Final = 6

_APPMSG_TYPE = re.compile(r"<appmsg\b.*?<type>\s*(\d+)\s*</type>", re.DOTALL)
_APPMSG_SOLITAIRE: Final = 53
_APPMSG_TRANSFER: Final = 2000
_APPMSG_RED_PACKET: Final = 2001


# ---------------------------------------------------------------------------
# Pure helpers (no network, no wechaty imports): unit-tested on their own.
# ---------------------------------------------------------------------------


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """`host:port` (optionally with an http:// or grpc:// prefix) -> (host, port)."""
    text = endpoint.strip()
    if "://" not in text:
        text = "grpc://" + text
    parts = urllib.parse.urlsplit(text)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad puppet service endpoint {endpoint!r}: {exc}") from None
    if not parts.hostname or port is None:
        raise ValueError(f"bad puppet service endpoint {endpoint!r}: expected HOST:PORT")
    return parts.hostname, port


def appmsg_type(text: str) -> int | None:
    """The `<appmsg><type>` of a raw WeChat app message, if `text` is one."""
    if "<appmsg" not in text:
        return None
    match = _APPMSG_TYPE.search(text)
    return int(match.group(1)) if match else None


def message_kind(puppet_type: int, text: str) -> MessageKind:
    """Map a wire message type (and, for raw XML, its appmsg type) to our kind.

    Services disagree on how they label a native 群接龙: GroupNote with the
    title text, Unknown or even Text with the raw appmsg XML. The XML, when
    present, is the more reliable witness.
    """
    inner = appmsg_type(text)
    if inner == _APPMSG_SOLITAIRE or "<solitaire_info" in text:
        return MessageKind.SOLITAIRE
    if puppet_type == PUPPET_MSG_GROUP_NOTE:
        return MessageKind.SOLITAIRE
    if puppet_type == PUPPET_MSG_TRANSFER or inner == _APPMSG_TRANSFER:
        return MessageKind.TRANSFER
    if puppet_type == PUPPET_MSG_RED_ENVELOPE or inner == _APPMSG_RED_PACKET:
        return MessageKind.RED_PACKET
    if puppet_type == PUPPET_MSG_TEXT:
        return MessageKind.TEXT
    return MessageKind.OTHER


def timestamp_to_datetime(value: float | None, *, now: datetime | None = None) -> datetime:
    """A service timestamp as an aware UTC datetime.

    Services send seconds, milliseconds or (rarely) microseconds since the
    epoch; 0 or nothing means "now".
    """
    if not value or value <= 0:
        return now if now is not None else datetime.now(UTC)
    seconds = float(value)
    if seconds > 1e14:
        seconds /= 1_000_000
    elif seconds > 1e11:
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz=UTC)


def qr_link(qrcode: str) -> str:
    return QR_LINK_PREFIX + urllib.parse.quote(qrcode, safe="")


def backoff_delay(attempt: int, *, initial: float, cap: float) -> float:
    """Seconds to wait before reconnect attempt `attempt` (0-based)."""
    if attempt <= 0:
        return min(initial, cap)
    return min(cap, initial * 2.0 ** min(attempt, 32))


def mentions_self(
    mention_ids: Iterable[str],
    self_id: str | None,
    text: str,
    self_names: Iterable[str],
) -> bool:
    """Whether a room message @-mentions the bot.

    Some services leave the mention list empty, so a visible "@name" followed by
    WeChat's mention separator (U+2005), a space or the end also counts.
    """
    if self_id is not None and self_id in mention_ids:
        return True
    return any(name and re.search("@" + re.escape(name) + r"(?:\u2005|\s|$)", text) for name in self_names)


def describe_error(exc: BaseException, endpoint: str) -> str:
    """One human line for a connection failure; never includes the token."""
    status = getattr(exc, "status", None)
    code = getattr(status, "value", None)
    if code in (_GRPC_UNAUTHENTICATED, _GRPC_PERMISSION_DENIED):
        return f"the puppet service at {endpoint} rejected the token (check WECHATY_PUPPET_SERVICE_TOKEN)"
    if code == _GRPC_UNAVAILABLE:
        return f"the puppet service at {endpoint} is unavailable"
    if code == _GRPC_ALREADY_EXISTS:
        # puppet-service serves one event stream at a time.
        return (
            f"another client is already connected to the puppet service at {endpoint} "
            "(one bot per token; or the old connection has not timed out yet)"
        )
    if code is not None:
        status_name = getattr(status, "name", str(code))
        message = getattr(exc, "message", None)
        suffix = f": {message}" if message else ""
        return f"the puppet service at {endpoint} answered {status_name}{suffix}"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot reach the puppet service at {endpoint} (connection refused)"
    if isinstance(exc, TimeoutError):
        return f"the puppet service at {endpoint} did not answer in time"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"cannot reach the puppet service at {endpoint} ({reason})"
    if type(exc).__name__ == "StreamTerminatedError":
        return f"the connection to the puppet service at {endpoint} dropped"
    if isinstance(exc, _StreamClosed):
        return f"the puppet service at {endpoint} closed the event stream"
    return f"error talking to the puppet service at {endpoint}: {type(exc).__name__}: {exc}"


def _is_connection_fatal(exc: BaseException) -> bool:
    """A gRPC error that says the connection (not one payload) is no good."""
    code = getattr(getattr(exc, "status", None), "value", None)
    return code in (_GRPC_UNAVAILABLE, _GRPC_UNAUTHENTICATED, _GRPC_PERMISSION_DENIED)


def _is_auth_error(exc: BaseException) -> bool:
    code = getattr(getattr(exc, "status", None), "value", None)
    return code in (_GRPC_UNAUTHENTICATED, _GRPC_PERMISSION_DENIED)


# ---------------------------------------------------------------------------
# The transport
# ---------------------------------------------------------------------------


class _StreamClosed(Exception):
    """The service ended the event stream without an error."""


@dataclass(frozen=True)
class _StreamEnded:
    error: BaseException | None


class _SyncRooms:
    """Queue marker: announce every room (no `ready` came after login)."""


class _Stop:
    """Queue marker: stop() was called."""


_QueueItem = Any  # an EventResponse from the wire, or one of the markers above


@functools.cache
def _grpc() -> SimpleNamespace:
    """The gRPC stack, imported on first use.

    Lazy so that the pure helpers above (and their tests) need none of it, and
    typed as Any because wechaty-grpc ships no type information.
    """
    client = importlib.import_module("grpclib.client")
    const = importlib.import_module("grpclib.const")
    exceptions = importlib.import_module("grpclib.exceptions")
    stubs = importlib.import_module("wechaty_grpc.wechaty")
    messages = importlib.import_module("wechaty_grpc.wechaty.puppet")
    return SimpleNamespace(
        Channel=client.Channel,
        Cardinality=const.Cardinality,
        GRPCError=exceptions.GRPCError,
        StreamTerminatedError=exceptions.StreamTerminatedError,
        ProtocolError=exceptions.ProtocolError,
        PuppetStub=stubs.PuppetStub,
        EventRequest=messages.EventRequest,
        EventResponse=messages.EventResponse,
    )


@dataclass
class _Connection:
    channel: Any
    stub: Any  # PuppetStub with a per-call timeout, for unary calls
    stream: Any  # the open Event server stream
    stream_cm: Any


class WechatyTransport:
    """Transport over a wechaty puppet service (gRPC, plaintext).

    `cache_dir` and `web_port` are accepted for wiring compatibility with a
    python-wechaty based setup; this adapter starts neither wechaty's plugin web
    server nor its job database, so it needs no port and writes no files.
    """

    name = "wechaty"

    def __init__(
        self,
        *,
        token: str | None,
        endpoint: str | None,
        cache_dir: pathlib.Path | None = None,
        web_port: int | None = None,
        backoff_initial: float = 1.0,
        # Capped low: once the service is reachable again the bot is back within
        # a few seconds; a refused connection costs the service nothing.
        backoff_cap: float = 4.0,
        rpc_timeout: float = 15.0,
        idle_ping_after: float = 60.0,
        ready_grace: float = 10.0,
    ) -> None:
        if not endpoint:
            # The token-to-endpoint discovery service python-wechaty falls back
            # on is gone; without an endpoint there is nothing to retry.
            raise ValueError("no wechaty puppet service endpoint: set WECHATY_PUPPET_SERVICE_ENDPOINT=HOST:PORT")
        self._host, self._port = parse_endpoint(endpoint)
        self._endpoint = f"{self._host}:{self._port}"
        self._token = token or ""
        self._cache_dir = cache_dir
        self._web_port = web_port
        self._backoff_initial = backoff_initial
        self._backoff_cap = backoff_cap
        self._rpc_timeout = rpc_timeout
        self._idle_ping_after = idle_ping_after
        self._ready_grace = ready_grace

        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self._run_task: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[_QueueItem] | None = None
        self._conn: _Connection | None = None
        self._last_activity = time.monotonic()

        self._self_id: str | None = None
        self._self_name: str | None = None
        self._ready = False
        # Set while logged in: the outbound queue waits for it, so posts made
        # before the owner scans the QR code wait instead of failing.
        self.ready = asyncio.Event()
        self._last_qr: str | None = None
        # Room state as last delivered to the bot, to send RoomSeen only on news.
        self._rooms: dict[str, RoomInfo] = {}
        # Per-room display names (群昵称 or WeChat name), reused across refreshes.
        self._member_names: dict[str, dict[str, str]] = {}
        self._contact_names: dict[str, str] = {}
        self._recent_ids: OrderedDict[str, None] = OrderedDict()

    # -- Transport protocol ------------------------------------------------

    async def run(self, on_event: EventHandler) -> None:
        if self._stopping.is_set():
            return
        self._run_task = asyncio.current_task()
        self._stopped.clear()
        attempt = 0
        last_reason: str | None = None
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                connected = False
                try:
                    conn = await self._connect_or_stop()
                    if conn is None:
                        break
                    connected = True
                    if last_reason is not None:
                        # As loud as the failure it ends.
                        log.warning("wechaty: reconnected to the puppet service at %s", self._endpoint)
                        last_reason = None
                    await self._session(conn, on_event)
                    if self._stopping.is_set():
                        break
                    raise _StreamClosed()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # any failure here means: reconnect
                    if self._stopping.is_set():
                        break
                    if connected and time.monotonic() - started >= 30:
                        attempt = 0
                    delay = backoff_delay(attempt, initial=self._backoff_initial, cap=self._backoff_cap)
                    attempt += 1
                    reason = describe_error(exc, self._endpoint)
                    if _is_auth_error(exc) and not self._token:
                        reason = (
                            f"no token configured for the puppet service at {self._endpoint} "
                            "(set WECHATY_PUPPET_SERVICE_TOKEN)"
                        )
                    level = logging.ERROR if _is_auth_error(exc) else logging.WARNING
                    if reason == last_reason:
                        # One line per failure, not per retry: repeats only show with -v.
                        level = logging.INFO
                    log.log(level, "wechaty: %s; retrying in %.3g s", reason, delay)
                    log.debug("wechaty: failure detail", exc_info=exc)
                    last_reason = reason
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), delay)
        finally:
            await self._close()
            self._run_task = None
            self._stopped.set()

    async def send(self, out: Outgoing) -> None:
        conversation = out.room_id or out.to
        if not conversation:
            raise ValueError("an Outgoing needs a room_id or a to")
        if self._self_id is None:
            raise SendError("not logged in to WeChat yet")
        grpc = _grpc()
        # The text already carries the visible "@name"; the ids make WeChat
        # notify those members. python-wechaty's Room.say would prepend a
        # second "@name".
        mention_ids = list(out.mentions) if out.room_id else []
        conn = self._conn
        try:
            if conn is not None:
                responses = await self._send_parts(conn.stub, conversation, out, mention_ids)
            else:
                # Between sessions (reconnecting, or draining after stop())
                # a one-off channel still gets the words out.
                channel, stub = self._open_channel()
                try:
                    responses = await self._send_parts(stub, conversation, out, mention_ids)
                finally:
                    channel.close()
        except TimeoutError as exc:
            # The request may have reached the service: the outbound queue must not blindly resend.
            raise SendUncertain(f"sending to {conversation}: no answer in {self._rpc_timeout:g} s") from exc
        except (
            grpc.GRPCError,
            grpc.StreamTerminatedError,
            grpc.ProtocolError,
            OSError,
        ) as exc:
            # Node services append a stack trace to the message; its first line says it all.
            lines = (getattr(exc, "message", None) or "").strip().splitlines()
            detail = lines[0] if lines and not _is_auth_error(exc) else describe_error(exc, self._endpoint)
            raise SendError(f"sending to {conversation} failed: {detail}") from exc
        for response in responses:
            message_id = getattr(response, "id", None)
            if message_id:
                self._remember(str(message_id))

    @staticmethod
    async def _send_parts(stub: Any, conversation: str, out: Outgoing, mention_ids: list[str]) -> list[Any]:
        """The text, then the file if there is one: the puppet service's file message carries a
        FileBox, here as JSON with the bytes in base64 (FileBox type 1), which every service accepts."""
        responses = []
        if out.text:
            responses.append(await stub.message_send_text(
                conversation_id=conversation, text=out.text, mentonal_ids=mention_ids))
        if out.file is not None:
            data = out.file.read()
            filebox = json.dumps({"type": 1, "name": out.file.name, "base64": base64.b64encode(data).decode("ascii"),
                                  "size": len(data), "metadata": {}})
            responses.append(await stub.message_send_file(conversation_id=conversation, filebox=filebox))
        return responses

    async def stop(self) -> None:
        self._stopping.set()
        if self._queue is not None:
            self._queue.put_nowait(_Stop())
        run_task = self._run_task
        if run_task is None:
            await self._close()
            return
        if run_task is asyncio.current_task():
            # Called from inside an event handler: run() returns once it
            # regains control, waiting for it here would deadlock.
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), 10)

    # -- connection ----------------------------------------------------------

    async def _connect_or_stop(self) -> _Connection | None:
        """Connect, unless stop() comes first (connecting can take a while)."""
        connect = asyncio.ensure_future(self._connect())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({connect, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if connect.done():
            return connect.result()
        connect.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await connect
        return None

    def _metadata(self) -> dict[str, str] | None:
        return {"authorization": f"Wechaty {self._token}"} if self._token else None

    def _open_channel(self) -> tuple[Any, Any]:
        """A channel (it connects on first use) and a stub with a call timeout."""
        grpc = _grpc()
        channel = grpc.Channel(host=self._host, port=self._port)
        stub = grpc.PuppetStub(channel, metadata=self._metadata(), timeout=self._rpc_timeout)
        return channel, stub

    async def _connect(self) -> _Connection:
        grpc = _grpc()
        channel, stub = self._open_channel()
        metadata = self._metadata()
        stream_cm = None
        try:
            # The event stream goes first: a `start` can emit login before a
            # stream opened after it would see it.
            stream_cm = channel.request(
                "/wechaty.Puppet/Event",
                grpc.Cardinality.UNARY_STREAM,
                grpc.EventRequest,
                grpc.EventResponse,
                metadata=metadata,
            )
            stream = await stream_cm.__aenter__()
            await asyncio.wait_for(stream.send_message(grpc.EventRequest(), end=True), self._rpc_timeout)
            # Surfaces a refused token (trailers-only answer) before we go on.
            await asyncio.wait_for(stream.recv_initial_metadata(), self._rpc_timeout)
            # Not `stop` first like python-wechaty does: stopping a hosted
            # puppet can log the WeChat account out.
            await stub.start()
        except BaseException:
            channel.close()
            raise
        self._last_activity = time.monotonic()
        log.info("wechaty: connected to the puppet service at %s", self._endpoint)
        return _Connection(channel=channel, stub=stub, stream=stream, stream_cm=stream_cm)

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        # Cancel the stream first: leaving its context normally would wait for
        # the server to end a stream that never ends.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.stream.cancel(), 2)
        with contextlib.suppress(Exception):
            await conn.stream_cm.__aexit__(None, None, None)
        conn.channel.close()

    # -- session -------------------------------------------------------------

    async def _session(self, conn: _Connection, on_event: EventHandler) -> None:
        """Deliver events until the stream ends (raises) or stop() (returns)."""
        self._conn = conn
        self._ready = False
        queue: asyncio.Queue[_QueueItem] = asyncio.Queue()
        self._queue = queue
        if self._stopping.is_set():
            # stop() came while connecting, before there was a queue to tell.
            queue.put_nowait(_Stop())
        helpers = [
            asyncio.ensure_future(self._pump(conn, queue)),
            asyncio.ensure_future(self._watchdog(conn, queue)),
        ]
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _Stop) or self._stopping.is_set():
                    return
                if isinstance(item, _StreamEnded):
                    raise item.error if item.error is not None else _StreamClosed()
                await self._handle(item, on_event, queue)
        finally:
            self._queue = None
            for task in helpers:
                task.cancel()
            for task in helpers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._close()

    async def _pump(self, conn: _Connection, queue: asyncio.Queue[_QueueItem]) -> None:
        """Move wire events into the queue; handling stays in run()'s task so
        stop() never cuts a handler off midway."""
        try:
            while True:
                response = await conn.stream.recv_message()
                if response is None:
                    await conn.stream.recv_trailing_metadata()
                    queue.put_nowait(_StreamEnded(None))
                    return
                self._last_activity = time.monotonic()
                queue.put_nowait(response)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # run() decides what a failure means
            queue.put_nowait(_StreamEnded(exc))

    async def _watchdog(self, conn: _Connection, queue: asyncio.Queue[_QueueItem]) -> None:
        """A half-open TCP connection never errors; a quiet stream gets a ding,
        and a ding that fails ends the session."""
        interval = max(self._idle_ping_after / 4, 0.5)
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - self._last_activity < self._idle_ping_after:
                continue
            try:
                await conn.stub.ding(data="watchdog")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # run() decides what a failure means
                queue.put_nowait(_StreamEnded(exc))
                return
            self._last_activity = time.monotonic()

    # -- events --------------------------------------------------------------

    async def _handle(self, item: _QueueItem, on_event: EventHandler, queue: asyncio.Queue[_QueueItem]) -> None:
        """One wire event (or a room sync); an RPC failure that concerns only
        this event is logged and skipped, a lost connection propagates."""
        grpc = _grpc()
        payload: dict[str, Any] = {}
        if isinstance(item, _SyncRooms):
            kind = EVENT_READY
        else:
            kind = int(item.type)
            try:
                decoded = json.loads(item.payload) if item.payload else {}
            except ValueError:
                log.warning("wechaty: ignoring event %s with a payload that is not JSON", kind)
                return
            payload = decoded if isinstance(decoded, dict) else {"data": decoded}
        try:
            if isinstance(item, _SyncRooms):
                if self._self_id is not None:
                    await self._sync_rooms(on_event)
            elif kind == EVENT_MESSAGE:
                await self._on_message(str(payload.get("messageId", "")), on_event)
            elif kind == EVENT_LOGIN:
                await self._on_login(str(payload.get("contactId", "")), queue)
            elif kind == EVENT_READY:
                if self._self_id is not None and not self._ready:
                    self._ready = True
                    await self._sync_rooms(on_event)
            elif kind == EVENT_ROOM_JOIN:
                await self._on_room_join(payload, on_event)
            elif kind in (EVENT_ROOM_LEAVE, EVENT_ROOM_TOPIC):
                room_id = str(payload.get("roomId", ""))
                if room_id:
                    await self._announce_room(room_id, on_event, force=True)
            elif kind == EVENT_SCAN:
                self._on_scan(payload)
            elif kind == EVENT_LOGOUT:
                log.warning(
                    "wechaty: the WeChat account logged out%s; waiting for a new login",
                    f" ({payload['data']})" if payload.get("data") else "",
                )
                self._self_id = None
                self.ready.clear()
                self._ready = False
            elif kind == EVENT_DIRTY:
                await self._on_dirty(payload, on_event)
            elif kind == EVENT_ERROR:
                log.warning(
                    "wechaty: the puppet service reported an error: %s",
                    payload.get("data", payload),
                )
            elif kind == EVENT_RESET:
                log.info("wechaty: the puppet service asked for a reset")
        except grpc.GRPCError as exc:
            if _is_connection_fatal(exc):
                raise
            # One bad payload must not cost the connection.
            log.warning(
                "wechaty: skipped event %s: %s %s",
                kind,
                exc.status.name,
                exc.message or "",
            )
        except TimeoutError:
            log.warning(
                "wechaty: skipped event %s: the puppet service did not answer in time",
                kind,
            )

    async def _on_login(self, contact_id: str, queue: asyncio.Queue[_QueueItem]) -> None:
        if not contact_id:
            return
        first = self._self_id is None and self._self_name is None
        self._self_id = contact_id
        self.ready.set()
        self._contact_names.pop(contact_id, None)
        self._self_name = await self._contact_name(contact_id)
        # Loud once (someone may be waiting after scanning the QR code), quiet
        # on the login every reconnect replays.
        log.log(
            logging.WARNING if first else logging.INFO,
            "wechaty: logged in as %s (%s)",
            self._self_name,
            contact_id,
        )
        self._last_qr = None
        # Services that never send `ready` still get their rooms announced.
        loop = asyncio.get_running_loop()
        loop.call_later(self._ready_grace, self._sync_if_not_ready, queue)

    def _sync_if_not_ready(self, queue: asyncio.Queue[_QueueItem]) -> None:
        if not self._ready and queue is self._queue:
            self._ready = True
            queue.put_nowait(_SyncRooms())

    def _on_scan(self, payload: dict[str, Any]) -> None:
        status = int(payload.get("status", 0) or 0)
        qrcode = str(payload.get("qrcode") or "")
        if qrcode and status in (_SCAN_WAITING, _SCAN_TIMEOUT) and qrcode != self._last_qr:
            self._last_qr = qrcode
            log.warning("wechaty: scan this QR code with WeChat to log in: %s", qr_link(qrcode))
            _print_ascii_qr(qrcode)
        else:
            log.info(
                "wechaty: login scan status: %s",
                _SCAN_STATUS_NAMES.get(status, str(status)),
            )

    async def _on_dirty(self, payload: dict[str, Any], on_event: EventHandler) -> None:
        """The service says a cached payload changed: forget it, and tell the
        bot when a group it knows now looks different (owner, members, names)."""
        payload_type = int(payload.get("payloadType", 0) or 0)
        payload_id = str(payload.get("payloadId", ""))
        if payload_type == _DIRTY_CONTACT:
            self._contact_names.pop(payload_id, None)
            for names in self._member_names.values():
                names.pop(payload_id, None)
        elif payload_type in (_DIRTY_ROOM, _DIRTY_ROOM_MEMBER):
            self._member_names.pop(payload_id, None)
            if payload_id in self._rooms:
                await self._announce_room(payload_id, on_event, force=True)

    async def _on_message(self, message_id: str, on_event: EventHandler) -> None:
        # Services sometimes deliver one message two or three times.
        if not message_id or message_id in self._recent_ids:
            return
        conn = self._require_conn()
        payload = await conn.stub.message_payload(id=message_id)
        self._remember(message_id)
        talker = payload.from_id
        text: str = payload.text or ""
        if talker and talker == self._self_id:
            # The account's own message: its echo tells an uncertain send that it arrived.
            where = payload.room_id or payload.to_id
            if where:
                echo = Outgoing(text=text, room_id=payload.room_id or None, to=None if payload.room_id else where)
                await self._deliver(on_event, SentSeen(echo))
            return
        if not talker:
            return
        kind = message_kind(int(payload.type), text)
        ts = timestamp_to_datetime(payload.timestamp)
        room_id = payload.room_id or None
        mention_ids = tuple(payload.mention_ids)
        if room_id is not None:
            await self._announce_room(room_id, on_event, force=False)
            name = await self._member_name(room_id, talker)
            self_names = [n for n in (self._self_name,) if n]
            mentions_bot = mentions_self(mention_ids, self._self_id, text, self_names)
        else:
            if payload.to_id and self._self_id and payload.to_id != self._self_id:
                return  # a chat the account is in but not addressed to the bot
            name = await self._contact_name(talker)
            mentions_bot = False
        await self._deliver(
            on_event,
            Message(
                id=message_id,
                ts=ts,
                sender=Member(id=talker, name=name),
                text=text,
                room_id=room_id,
                kind=kind,
                mentions=mention_ids,
                mentions_bot=mentions_bot,
            ),
        )

    async def _on_room_join(self, payload: dict[str, Any], on_event: EventHandler) -> None:
        room_id = str(payload.get("roomId", ""))
        if not room_id:
            return
        invitees = [str(i) for i in payload.get("inviteeIdList", []) or []]
        ts = timestamp_to_datetime(payload.get("timestamp"))
        if self._self_id in invitees or room_id not in self._rooms:
            # The bot joined (or we never announced this room): the members are
            # in the RoomSeen, no MemberJoined needed.
            await self._announce_room(room_id, on_event, force=True)
            return
        await self._announce_room(room_id, on_event, force=True, quiet=True)
        for invitee in invitees:
            name = await self._member_name(room_id, invitee)
            await self._deliver(
                on_event,
                MemberJoined(room_id=room_id, member=Member(id=invitee, name=name), ts=ts),
            )

    # -- rooms and names -----------------------------------------------------

    async def _sync_rooms(self, on_event: EventHandler) -> None:
        conn = self._require_conn()
        response = await conn.stub.room_list()
        room_ids = list(response.ids)
        log.info("wechaty: the account is in %d group(s)", len(room_ids))
        grpc = _grpc()
        for room_id in room_ids:
            try:
                await self._announce_room(room_id, on_event, force=True)
            except grpc.GRPCError as exc:
                if _is_connection_fatal(exc):
                    raise
                # One group the service cannot describe must not hide the others.
                log.warning("wechaty: skipped group %s: %s %s", room_id, exc.status.name, exc.message or "")

    async def _announce_room(self, room_id: str, on_event: EventHandler, *, force: bool, quiet: bool = False) -> None:
        """Deliver RoomSeen when the room is new to the bot or has changed.

        `quiet` updates what we know without telling the bot (its MemberJoined
        events carry the news instead).
        """
        if not force and room_id in self._rooms:
            return
        info = await self._load_room(room_id)
        if self._rooms.get(room_id) == info:
            return
        self._rooms[room_id] = info
        if not quiet:
            await self._deliver(on_event, RoomSeen(room=info, ts=datetime.now(UTC)))

    async def _load_room(self, room_id: str) -> RoomInfo:
        conn = self._require_conn()
        payload = await conn.stub.room_payload(id=room_id)
        member_ids = list(payload.member_ids)
        if not member_ids:
            member_ids = list((await conn.stub.room_member_list(id=room_id)).member_ids)
        # The bot is no customer: it is left out like its own messages are.
        member_ids = [m for m in member_ids if m and m != self._self_id]
        names = self._member_names.setdefault(room_id, {})
        missing = [m for m in member_ids if m not in names]
        limit = asyncio.Semaphore(8)

        async def fetch(member_id: str) -> None:
            async with limit:
                await self._member_name(room_id, member_id)

        await asyncio.gather(*(fetch(m) for m in missing))
        return RoomInfo(
            id=room_id,
            topic=payload.topic or "",
            owner_id=payload.owner_id or None,
            members=tuple(Member(id=m, name=names.get(m, m)) for m in member_ids),
        )

    async def _member_name(self, room_id: str, member_id: str) -> str:
        """The name the group shows: 群昵称 first, then the WeChat name."""
        names = self._member_names.setdefault(room_id, {})
        cached = names.get(member_id)
        if cached is not None:
            return cached
        conn = self._require_conn()
        grpc = _grpc()
        name = ""
        try:
            member = await conn.stub.room_member_payload(id=room_id, member_id=member_id)
            name = member.room_alias or member.name
        except grpc.GRPCError as exc:
            if _is_connection_fatal(exc):
                raise
        if not name:
            name = await self._contact_name(member_id)
        if name != UNKNOWN_NAME:
            names[member_id] = name
        return name

    async def _contact_name(self, contact_id: str) -> str:
        cached = self._contact_names.get(contact_id)
        if cached is not None:
            return cached
        conn = self._require_conn()
        grpc = _grpc()
        name = ""
        try:
            contact = await conn.stub.contact_payload(id=contact_id)
            name = contact.name or contact.alias
        except grpc.GRPCError as exc:
            if _is_connection_fatal(exc):
                raise
        if not name:
            # Never the raw id in what the group reads; not cached, so it is asked again next time.
            return UNKNOWN_NAME
        self._contact_names[contact_id] = name
        return name

    # -- plumbing ------------------------------------------------------------

    def _require_conn(self) -> _Connection:
        if self._conn is None:
            raise _StreamClosed()
        return self._conn

    def _remember(self, message_id: str) -> None:
        self._recent_ids[message_id] = None
        while len(self._recent_ids) > 4096:
            self._recent_ids.popitem(last=False)

    async def _deliver(self, on_event: EventHandler, event: Event) -> None:
        try:
            await on_event(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug in handling one event must not drop the WeChat connection
            # or the events after it.
            log.exception("wechaty: the bot failed to handle %s", type(event).__name__)


def _print_ascii_qr(qrcode: str) -> None:
    try:
        qr_module = importlib.import_module("qrcode")
    except ImportError:
        return
    try:
        qr = qr_module.QRCode(border=1)
        qr.add_data(qrcode)
        qr.make(fit=True)
        qr.print_ascii(out=sys.stderr, invert=True)
    except Exception:  # the link in the log is enough
        log.debug("wechaty: could not draw the QR code", exc_info=True)
