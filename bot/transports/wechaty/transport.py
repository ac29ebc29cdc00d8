"""WeChat as the bot's Transport: the puppet service's events become the project's models.

The connection is the client's (client.py), the mapping is pure (protocol.py);
what lives here is what the transport remembers between events: who the
account is, which groups the bot was told about and how they looked, and the
names members go by, so a RoomSeen goes out only on news.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Final

import qrcode
from grpclib.exceptions import GRPCError
from wechaty_grpc.wechaty.puppet import EventResponse, EventType

from bot.clock import Clock, SystemClock
from bot.models import Event, Member, MemberJoined, Outgoing, RoomInfo, RoomSeen, SentSeen
from bot.transports.base import EventHandler, SendError, SendUncertain
from bot.transports.wechaty.client import (
    Connect,
    PuppetClient,
    SendFailed,
    Sleep,
    describe_error,
    is_auth_error,
    is_connection_fatal,
)
from bot.transports.wechaty.protocol import (
    UNKNOWN_NAME,
    ContactDirty,
    LoggedIn,
    LoggedOut,
    MessageArrived,
    Ready,
    ResetAsked,
    RoomChanged,
    RoomDirty,
    RoomJoined,
    Scanned,
    ServiceError,
    Undecodable,
    WireEvent,
    contact_name,
    conversation_of,
    customers,
    decode_event,
    member_name,
    qr_link,
    read_message,
    room_info,
    send_requests,
    timestamp_to_datetime,
)

log = logging.getLogger("bot.transports.wechaty")

# Services sometimes deliver one message two or three times; this many recent ids are remembered.
_RECENT_IDS: Final = 4096
# Name look-ups in flight at once while a group is loaded.
_NAME_FETCHES: Final = 8


class WechatyTransport:
    """Transport over a wechaty puppet service (gRPC, plaintext)."""

    name = "wechaty"

    def __init__(
        self,
        *,
        token: str | None,
        endpoint: str | None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        connect: Connect | None = None,
        backoff_initial: float = 1.0,
        backoff_cap: float = 4.0,
        rpc_timeout: float = 15.0,
        idle_ping_after: float = 60.0,
        ready_grace: float = 10.0,
    ) -> None:
        if not endpoint:
            # The token-to-endpoint discovery service python-wechaty falls back
            # on is gone; without an endpoint there is nothing to retry.
            raise ValueError("no wechaty puppet service endpoint: set WECHATY_PUPPET_SERVICE_ENDPOINT=HOST:PORT")
        self._clock = clock if clock is not None else SystemClock()
        self._client = PuppetClient(
            endpoint, token=token or "", clock=self._clock, sleep=sleep, connect=connect, rpc_timeout=rpc_timeout,
            backoff_initial=backoff_initial, backoff_cap=backoff_cap, idle_ping_after=idle_ping_after,
        )
        # Services that never send `ready` still get their rooms announced this long after login.
        self._ready_grace = ready_grace

        self._self_id: str | None = None
        self._self_name: str | None = None
        self._ready = False
        self._last_qr: str | None = None
        # Room state as last delivered to the bot, to send RoomSeen only on news.
        self._rooms: dict[str, RoomInfo] = {}
        # Per-room display names (群昵称 or WeChat name), reused across refreshes.
        self._member_names: dict[str, dict[str, str]] = {}
        self._contact_names: dict[str, str] = {}
        self._recent_ids: OrderedDict[str, None] = OrderedDict()

    # -- Transport protocol ------------------------------------------------------------------

    async def run(self, on_event: EventHandler) -> None:
        async def handle(response: EventResponse) -> None:
            await self._handle(response, on_event)

        await self._client.run(handle, on_session=self._new_session)

    async def send(self, out: Outgoing) -> None:
        conversation = conversation_of(out)
        if self._self_id is None:
            raise SendError("not logged in to WeChat yet")
        file_data = out.file.read() if out.file is not None else None
        try:
            sent_ids = await self._client.send(send_requests(out, file_data))
        except SendFailed as failed:
            cause = failed.__cause__ or failed
            if failed.may_have_arrived:
                # Its request may have reached the service (a deadline, a reset stream, a status
                # that can come after the service acted): the outbound queue must not resend it
                # blindly; the service's echo of it settles the doubt.
                raise SendUncertain(f"sending to {conversation}: {self._send_failure(cause)}; "
                                    "it may have arrived") from cause
            raise SendError(f"sending to {conversation} failed: {self._send_failure(cause)}") from cause
        for message_id in sent_ids:
            self._remember(message_id)

    async def stop(self) -> None:
        await self._client.stop()

    def _send_failure(self, exc: BaseException) -> str:
        # Node services append a stack trace to the message; its first line says it all.
        lines = (exc.message or "").strip().splitlines() if isinstance(exc, GRPCError) else []
        return lines[0] if lines and not is_auth_error(exc) else describe_error(exc, self._client.endpoint)

    # -- events ------------------------------------------------------------------------------

    def _new_session(self) -> None:
        # A new connection replays login and ready: the rooms are checked again after it.
        self._ready = False

    async def _handle(self, response: EventResponse, on_event: EventHandler) -> None:
        """One wire event; an RPC failure that concerns only this event is logged and
        skipped, a lost connection propagates (the client reconnects)."""
        event = decode_event(response)
        if event is None:
            return
        try:
            await self._dispatch(event, on_event)
        except GRPCError as exc:
            if is_connection_fatal(exc):
                raise
            # One bad payload must not cost the connection.
            log.warning("wechaty: skipped event %s: %s %s", int(response.type), exc.status.name, exc.message or "")
        except TimeoutError:
            log.warning("wechaty: skipped event %s: the puppet service did not answer in time", int(response.type))

    async def _dispatch(self, event: WireEvent, on_event: EventHandler) -> None:
        match event:
            case MessageArrived(message_id):
                await self._on_message(message_id, on_event)
            case LoggedIn(contact_id):
                await self._on_login(contact_id)
            case Ready():
                await self._on_ready(on_event)
            case RoomJoined():
                await self._on_room_join(event, on_event)
            case RoomChanged(room_id):
                await self._announce_room(room_id, on_event, force=True)
            case Scanned():
                self._on_scan(event)
            case LoggedOut(reason):
                self._on_logout(reason)
            case ContactDirty(contact_id):
                self._forget_contact(contact_id)
            case RoomDirty(room_id):
                await self._on_room_dirty(room_id, on_event)
            case ServiceError(detail):
                log.warning("wechaty: the puppet service reported an error: %s", detail)
            case ResetAsked():
                log.info("wechaty: the puppet service asked for a reset")
            case Undecodable(event_type):
                log.warning("wechaty: ignoring event %s with a payload that is not JSON", event_type)

    async def _on_login(self, contact_id: str) -> None:
        first = self._self_id is None and self._self_name is None
        self._self_id = contact_id
        self._contact_names.pop(contact_id, None)
        self._self_name = await self._contact_name(contact_id)
        # Loud once (someone may be waiting after scanning the QR code), quiet
        # on the login every reconnect replays.
        log.log(logging.WARNING if first else logging.INFO, "wechaty: logged in as %s (%s)", self._self_name,
                contact_id)
        self._last_qr = None
        # Services that never send `ready` still get their rooms announced.
        self._client.after(self._ready_grace, EventResponse(type=EventType.EVENT_TYPE_READY))

    async def _on_ready(self, on_event: EventHandler) -> None:
        if self._self_id is not None and not self._ready:
            self._ready = True
            await self._sync_rooms(on_event)

    def _on_logout(self, reason: str) -> None:
        log.warning("wechaty: the WeChat account logged out%s; waiting for a new login",
                    f" ({reason})" if reason else "")
        self._self_id = None
        self._ready = False

    def _on_scan(self, scan: Scanned) -> None:
        if scan.shows_qr and scan.qrcode != self._last_qr:
            self._last_qr = scan.qrcode
            log.warning("wechaty: scan this QR code with WeChat to log in: %s", qr_link(scan.qrcode))
            _print_ascii_qr(scan.qrcode)
        else:
            log.info("wechaty: login scan status: %s", scan.status_name)

    def _forget_contact(self, contact_id: str) -> None:
        self._contact_names.pop(contact_id, None)
        for names in self._member_names.values():
            names.pop(contact_id, None)

    async def _on_room_dirty(self, room_id: str, on_event: EventHandler) -> None:
        """The service says a group's cached payload changed: forget its names, and tell
        the bot when a group it knows now looks different (owner, members, names)."""
        self._member_names.pop(room_id, None)
        if room_id in self._rooms:
            await self._announce_room(room_id, on_event, force=True)

    async def _on_message(self, message_id: str, on_event: EventHandler) -> None:
        # Services sometimes deliver one message two or three times.
        if message_id in self._recent_ids:
            return
        payload = await self._client.stub.message_payload(id=message_id)
        self._remember(message_id)
        seen = read_message(message_id, payload, self_id=self._self_id, now=self._clock.now())
        if seen is None:
            return
        if isinstance(seen, SentSeen):
            await self._deliver(on_event, seen)
            return
        if seen.room_id is not None:
            await self._announce_room(seen.room_id, on_event, force=False)
            name = await self._member_name(seen.room_id, seen.talker)
        else:
            name = await self._contact_name(seen.talker)
        await self._deliver(on_event, seen.as_message(name, self_id=self._self_id, self_name=self._self_name))

    async def _on_room_join(self, join: RoomJoined, on_event: EventHandler) -> None:
        ts = timestamp_to_datetime(join.timestamp, now=self._clock.now())
        if self._self_id in join.invitee_ids or join.room_id not in self._rooms:
            # The bot joined (or we never announced this room): the members are
            # in the RoomSeen, no MemberJoined needed.
            await self._announce_room(join.room_id, on_event, force=True)
            return
        await self._announce_room(join.room_id, on_event, force=True, quiet=True)
        for invitee in join.invitee_ids:
            name = await self._member_name(join.room_id, invitee)
            await self._deliver(on_event, MemberJoined(room_id=join.room_id, member=Member(id=invitee, name=name),
                                                       ts=ts))

    # -- rooms and names ---------------------------------------------------------------------

    async def _sync_rooms(self, on_event: EventHandler) -> None:
        room_ids = list((await self._client.stub.room_list()).ids)
        log.info("wechaty: the account is in %d group(s)", len(room_ids))
        for room_id in room_ids:
            try:
                await self._announce_room(room_id, on_event, force=True)
            except GRPCError as exc:
                if is_connection_fatal(exc):
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
            await self._deliver(on_event, RoomSeen(room=info, ts=self._now_utc()))

    async def _load_room(self, room_id: str) -> RoomInfo:
        stub = self._client.stub
        payload = await stub.room_payload(id=room_id)
        member_ids = list(payload.member_ids) or list((await stub.room_member_list(id=room_id)).member_ids)
        member_ids = customers(member_ids, self._self_id)
        names = self._member_names.setdefault(room_id, {})
        limit = asyncio.Semaphore(_NAME_FETCHES)

        async def fetch(member_id: str) -> None:
            async with limit:
                await self._member_name(room_id, member_id)

        await asyncio.gather(*(fetch(m) for m in member_ids if m not in names))
        return room_info(room_id, payload, member_ids, names)

    async def _member_name(self, room_id: str, member_id: str) -> str:
        """The name the group shows: 群昵称 first, then the WeChat name."""
        names = self._member_names.setdefault(room_id, {})
        cached = names.get(member_id)
        if cached is not None:
            return cached
        name = ""
        try:
            name = member_name(await self._client.stub.room_member_payload(id=room_id, member_id=member_id))
        except GRPCError as exc:
            if is_connection_fatal(exc):
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
        name = ""
        try:
            name = contact_name(await self._client.stub.contact_payload(id=contact_id))
        except GRPCError as exc:
            if is_connection_fatal(exc):
                raise
        if not name:
            # Never the raw id in what the group reads; not cached, so it is asked again next time.
            return UNKNOWN_NAME
        self._contact_names[contact_id] = name
        return name

    # -- plumbing ----------------------------------------------------------------------------

    def _now_utc(self) -> datetime:
        return self._clock.now().astimezone(UTC)

    def _remember(self, message_id: str) -> None:
        self._recent_ids[message_id] = None
        while len(self._recent_ids) > _RECENT_IDS:
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


def _print_ascii_qr(code: str) -> None:
    try:
        qr = qrcode.QRCode(border=1)
        qr.add_data(code)
        qr.make(fit=True)
        qr.print_ascii(out=sys.stderr, invert=True)
    except Exception:  # the link in the log is enough
        log.debug("wechaty: could not draw the QR code", exc_info=True)
