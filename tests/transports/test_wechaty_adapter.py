"""The wechaty adapter's pure helpers and the transport's behaviour before any connection (no network)."""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError
from wechaty_grpc.wechaty import PuppetStub
from wechaty_grpc.wechaty.puppet import (
    ContactPayloadResponse,
    EventResponse,
    EventType,
    MessagePayloadResponse,
    MessageSendFileRequest,
    MessageSendTextRequest,
    MessageType,
    RoomListResponse,
    RoomMemberPayloadResponse,
    RoomPayloadResponse,
)

from bot.app.outbox import ManualSleep
from bot.clock import ManualClock
from bot.models import Attachment, Event, Member, MemberJoined, Message, MessageKind, Outgoing, RoomSeen
from bot.transports.base import SendError, SendUncertain
from bot.transports.wechaty import WechatyTransport
from bot.transports.wechaty.client import Link, SendFailed, StreamClosed, backoff_delay, describe_error
from bot.transports.wechaty.protocol import (
    PUPPET_MSG_TEXT,
    SendRequest,
    appmsg_type,
    mentions_self,
    message_kind,
    parse_endpoint,
    qr_link,
    timestamp_to_datetime,
)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("127.0.0.1:8788", ("127.0.0.1", 8788)),
        (" puppet.example:443 ", ("puppet.example", 443)),
        ("http://10.0.0.2:30001", ("10.0.0.2", 30001)),
        ("grpc://[::1]:8788", ("::1", 8788)),
    ],
)
def test_parse_endpoint(endpoint: str, expected: tuple[str, int]) -> None:
    assert parse_endpoint(endpoint) == expected


@pytest.mark.parametrize("endpoint", ["puppet.example", ":8788", "host:notaport", "host:99999"])
def test_parse_endpoint_rejects_what_is_not_host_port(endpoint: str) -> None:
    with pytest.raises(ValueError, match="bad puppet service endpoint"):
        parse_endpoint(endpoint)


NATIVE_XML = (
    "<msg><appmsg appid='' sdkver='0'><title>#接龙\n周六水果团\n\n1. 张三 草莓2盒</title><des />"
    "<type>53</type><extinfo><solitaire_info><![CDATA[<solitaire><content><i><u>wx_zhang</u></i>"
    "</content></solitaire>]]></solitaire_info></extinfo></appmsg></msg>"
)


@pytest.mark.parametrize(
    ("wire_type", "text", "kind"),
    [
        (7, "草莓2盒", MessageKind.TEXT),
        (10, "#接龙\n周六水果团\n\n1. 张三 草莓2盒", MessageKind.SOLITAIRE),  # GroupNote, title text only
        (10, NATIVE_XML, MessageKind.SOLITAIRE),
        (0, NATIVE_XML, MessageKind.SOLITAIRE),  # services that do not know GroupNote
        (7, NATIVE_XML, MessageKind.TEXT),  # typed by a member: text, whatever it looks like
        (7, "<msg><appmsg><title>微信转账</title><type>2000</type></appmsg></msg>", MessageKind.TEXT),
        (11, "[转账]", MessageKind.TRANSFER),
        (12, "[红包]", MessageKind.RED_PACKET),
        (0, "<msg><appmsg><title>微信转账</title><type>2000</type></appmsg></msg>", MessageKind.TRANSFER),
        (0, "<msg><appmsg><title>红包</title><type>2001</type></appmsg></msg>", MessageKind.RED_PACKET),
        (0, "<msg><appmsg><title>link</title><type>5</type></appmsg></msg>", MessageKind.OTHER),
        (6, "", MessageKind.IMAGE),  # a photo: a 售后 claim refers to it
        (16, "", MessageKind.OTHER),  # newer types than python-wechaty's table
    ],
)
def test_message_kind(wire_type: int, text: str, kind: MessageKind) -> None:
    assert message_kind(wire_type, text) is kind


def test_appmsg_type_reads_the_outer_type() -> None:
    assert appmsg_type(NATIVE_XML) == 53
    assert appmsg_type("草莓2盒") is None
    assert appmsg_type("<msg><appmsg><title>x</title></appmsg></msg>") is None


NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [1_763_600_000, 1_763_600_000_000, 1_763_600_000_000_000])
def test_timestamps_in_seconds_millis_or_micros_become_aware_utc(value: int) -> None:
    ts = timestamp_to_datetime(value, now=NOW)
    assert ts == datetime.fromtimestamp(1_763_600_000, tz=UTC)
    assert ts.tzinfo is UTC


def test_missing_timestamp_means_now_in_utc() -> None:
    assert timestamp_to_datetime(0, now=NOW) == NOW
    shanghai_now = NOW.astimezone(timezone(timedelta(hours=8)))
    ts = timestamp_to_datetime(None, now=shanghai_now)
    assert ts == NOW and ts.utcoffset() == timedelta(0)


def test_qr_link_encodes_the_code() -> None:
    assert qr_link("https://login.weixin.qq.com/l/abc==") == (
        "https://wechaty.js.org/qrcode/https%3A%2F%2Flogin.weixin.qq.com%2Fl%2Fabc%3D%3D"
    )


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [backoff_delay(n, initial=1.0, cap=60.0) for n in range(9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_delay(10_000, initial=1.0, cap=60.0) == 60


@pytest.mark.parametrize(
    ("ids", "text", "expected"),
    [
        (("wx_bot",), "在吗", True),
        ((), "@团购助手\u2005在吗", True),
        ((), "@团购助手 在吗", True),
        ((), "问一下 @团购助手", True),
        ((), "@团购助手小号 在吗", False),
        (("wx_zhang",), "@张三 在吗", False),
    ],
)
def test_mentions_self(ids: tuple[str, ...], text: str, expected: bool) -> None:
    assert mentions_self(ids, "wx_bot", text, ["团购助手"]) is expected


def test_describe_error_never_repeats_the_token() -> None:
    line = describe_error(GRPCError(Status.UNAUTHENTICATED, 'Invalid Wechaty TOKEN "s3cret"'), "h:1")
    assert "s3cret" not in line
    assert "rejected the token" in line


@pytest.mark.parametrize(
    ("exc", "needle"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (OSError(-2, "Name or service not known"), "Name or service not known"),
        (TimeoutError(), "did not answer in time"),
        (GRPCError(Status.UNAVAILABLE, ""), "unavailable"),
        (GRPCError(Status.INTERNAL, "boom"), "INTERNAL: boom"),
        (GRPCError(Status.ALREADY_EXISTS), "another client is already connected"),
        (StreamTerminatedError("Connection lost"), "dropped"),
        (StreamClosed(), "closed the event stream"),
    ],
)
def test_describe_error_says_what_happened(exc: BaseException, needle: str) -> None:
    assert needle in describe_error(exc, "127.0.0.1:8788")


def test_an_endpoint_is_required() -> None:
    with pytest.raises(ValueError, match="WECHATY_PUPPET_SERVICE_ENDPOINT"):
        WechatyTransport(token="t", endpoint=None)


async def test_send_before_login_is_a_send_error() -> None:
    transport = WechatyTransport(token="t", endpoint="127.0.0.1:1")
    with pytest.raises(SendError):
        await transport.send(Outgoing(text="x", room_id="r1"))
    with pytest.raises(ValueError):
        await transport.send(Outgoing(text="x"))


async def test_stop_is_idempotent_and_run_after_stop_returns() -> None:
    transport = WechatyTransport(token="t", endpoint="127.0.0.1:1")
    await transport.stop()
    await transport.stop()

    async def on_event(event: object) -> None:
        raise AssertionError("no event expected")

    await transport.run(on_event)


# -- the transport on a fake service, on a ManualClock ---------------------------------------------

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class FakeStub(PuppetStub):
    """The calls the transport makes, answered from a fake account `wx_bot` in group r1."""

    def __init__(self) -> None:
        super().__init__(Channel("127.0.0.1", 1))  # never connects: every call used is overridden
        self.messages: dict[str, MessagePayloadResponse] = {}
        self.calls: list[str] = []

    async def contact_payload(self, *, id: str = "") -> ContactPayloadResponse:
        self.calls.append(f"contact {id}")
        return ContactPayloadResponse(id=id, name={"wx_bot": "团购助手", "wx_zhang": "张三"}.get(id, ""))

    async def room_list(self) -> RoomListResponse:
        return RoomListResponse(ids=["r1"])

    async def room_payload(self, *, id: str = "") -> RoomPayloadResponse:
        return RoomPayloadResponse(id=id, topic="阳光花园水果团购群", owner_id="wx_owner",
                                   member_ids=["wx_owner", "wx_bot", "wx_zhang"])

    async def room_member_payload(self, *, id: str = "", member_id: str = "") -> RoomMemberPayloadResponse:
        self.calls.append(f"member {member_id}")
        return RoomMemberPayloadResponse(id=member_id, room_alias={"wx_owner": "王姐"}.get(member_id, ""))

    async def message_payload(self, *, id: str = "") -> MessagePayloadResponse:
        return self.messages[id]


class FakeLink:
    def __init__(self) -> None:
        self.fake_stub = FakeStub()
        self.stream: asyncio.Queue[EventResponse | None] = asyncio.Queue()
        # Each send's request, and how the service answers the next ones (an id, or a failure).
        self.requests: list[SendRequest] = []
        self.answers: list[str | SendFailed] = []

    @property
    def stub(self) -> PuppetStub:
        return self.fake_stub

    async def next_event(self) -> EventResponse | None:
        return await self.stream.get()

    async def ding(self) -> None:
        pass

    async def send(self, request: SendRequest) -> str:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else f"sent-{len(self.requests)}"
        if isinstance(answer, SendFailed):
            raise answer
        return answer

    async def close(self) -> None:
        pass

    def emit(self, kind: EventType, payload: dict[str, object]) -> None:
        self.stream.put_nowait(EventResponse(type=kind, payload=json.dumps(payload)))


@dataclass
class Bot:
    clock: ManualClock
    timer: ManualSleep
    link: FakeLink
    transport: WechatyTransport
    events: list[Event] = field(default_factory=list)

    async def on_event(self, event: Event) -> None:
        self.events.append(event)

    def seen(self) -> list[RoomSeen]:
        return [e for e in self.events if isinstance(e, RoomSeen)]


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    clock = ManualClock(START.astimezone(timezone(timedelta(hours=8))))
    timer = ManualSleep(clock)
    link = FakeLink()

    async def connect() -> Link:
        return link

    transport = WechatyTransport(token="t", endpoint="127.0.0.1:8788", clock=clock, sleep=timer.sleep,
                                 connect=connect)
    b = Bot(clock, timer, link, transport)
    task = asyncio.create_task(transport.run(b.on_event))
    await timer.settle()
    yield b
    await transport.stop()
    await asyncio.wait_for(task, 5)


async def test_a_service_that_never_says_ready_gets_its_groups_announced_after_the_grace(bot: Bot) -> None:
    bot.link.emit(EventType.EVENT_TYPE_LOGIN, {"contactId": "wx_bot"})
    await bot.timer.advance(9.9)
    assert bot.seen() == []
    await bot.timer.advance(0.1)
    [seen] = bot.seen()
    assert seen.room.members == (Member("wx_owner", "王姐"), Member("wx_zhang", "张三"))  # not the bot
    assert (seen.room.topic, seen.room.owner_id) == ("阳光花园水果团购群", "wx_owner")
    assert seen.ts == START + timedelta(seconds=10) and seen.ts.utcoffset() == timedelta(0)
    await bot.timer.advance(60)
    assert len(bot.seen()) == 1


async def test_ready_announces_the_groups_once_and_the_grace_adds_nothing(bot: Bot) -> None:
    bot.link.emit(EventType.EVENT_TYPE_LOGIN, {"contactId": "wx_bot"})
    bot.link.emit(EventType.EVENT_TYPE_READY, {})
    await bot.timer.settle()
    assert len(bot.seen()) == 1 and bot.seen()[0].ts == START
    bot.link.emit(EventType.EVENT_TYPE_READY, {})
    await bot.timer.advance(30)
    assert len(bot.seen()) == 1


async def test_a_message_arrives_once_with_the_name_the_group_shows(bot: Bot) -> None:
    bot.link.emit(EventType.EVENT_TYPE_LOGIN, {"contactId": "wx_bot"})
    bot.link.fake_stub.messages["m1"] = MessagePayloadResponse(
        id="m1", text="@团购助手 草莓2盒", type=MessageType(PUPPET_MSG_TEXT), from_id="wx_zhang", room_id="r1")
    bot.link.emit(EventType.EVENT_TYPE_MESSAGE, {"messageId": "m1"})
    bot.link.emit(EventType.EVENT_TYPE_MESSAGE, {"messageId": "m1"})  # services repeat themselves
    await bot.timer.settle()
    messages = [e for e in bot.events if isinstance(e, Message)]
    assert len(messages) == 1
    msg = messages[0]
    assert (msg.sender, msg.room_id, msg.kind, msg.mentions_bot) == (Member("wx_zhang", "张三"), "r1",
                                                                     MessageKind.TEXT, True)
    assert msg.ts == START  # no time on the payload: the clock's, in UTC
    # The group was announced before its first message, and her name was looked up once.
    assert isinstance(bot.events[0], RoomSeen)
    assert bot.link.fake_stub.calls.count("member wx_zhang") == 1


async def test_a_new_member_is_announced_with_her_name(bot: Bot) -> None:
    bot.link.emit(EventType.EVENT_TYPE_LOGIN, {"contactId": "wx_bot"})
    bot.link.emit(EventType.EVENT_TYPE_READY, {})
    bot.link.emit(EventType.EVENT_TYPE_ROOM_JOIN, {"roomId": "r1", "inviteeIdList": ["wx_zhang"],
                                                   "timestamp": 1_763_600_000})
    await bot.timer.settle()
    [joined] = [e for e in bot.events if isinstance(e, MemberJoined)]
    assert (joined.room_id, joined.member) == ("r1", Member("wx_zhang", "张三"))
    assert joined.ts == datetime.fromtimestamp(1_763_600_000, tz=UTC)


def failed(cause: BaseException, *, arrived: bool) -> SendFailed:
    error = SendFailed(cause, may_have_arrived=arrived)
    error.__cause__ = cause
    return error


async def test_a_send_that_may_have_arrived_is_uncertain_and_one_that_did_not_a_plain_failure(bot: Bot) -> None:
    bot.link.emit(EventType.EVENT_TYPE_LOGIN, {"contactId": "wx_bot"})
    await bot.timer.settle()
    bot.link.answers = [failed(GRPCError(Status.DEADLINE_EXCEEDED, "Deadline exceeded"), arrived=True),
                        failed(StreamTerminatedError("Connection lost"), arrived=True),
                        failed(GRPCError(Status.NOT_FOUND, 'unknown conversation "r9"'), arrived=False),
                        failed(ConnectionRefusedError(111, "Connection refused"), arrived=False)]
    out = Outgoing(text="@张三 已记录：草莓×2", room_id="r1", mentions=("wx_zhang",))
    for _ in range(2):
        # The outbound queue never sends these again blindly: the service's echo settles them.
        with pytest.raises(SendUncertain, match="may have arrived"):
            await bot.transport.send(out)
    for _ in range(2):
        with pytest.raises(SendError) as refused:
            await bot.transport.send(out)
        assert not isinstance(refused.value, SendUncertain)  # retried with backoff
    assert [r.text for r in bot.link.requests if isinstance(r, MessageSendTextRequest)] == [out.text] * 4


async def test_a_file_whose_text_went_out_is_in_doubt_when_the_file_is_refused(bot: Bot) -> None:
    bot.link.emit(EventType.EVENT_TYPE_LOGIN, {"contactId": "wx_bot"})
    await bot.timer.settle()
    bot.link.answers = ["m1", failed(GRPCError(Status.INVALID_ARGUMENT, "bad filebox"), arrived=False)]
    # Sending both again would say the text twice.
    with pytest.raises(SendUncertain):
        await bot.transport.send(Outgoing(text="您的订单表", to="wx_owner", file=Attachment("订单.xlsx", data=b"PK")))
    assert [type(r) for r in bot.link.requests] == [MessageSendTextRequest, MessageSendFileRequest]


def test_only_the_wechaty_package_knows_the_chat_service() -> None:
    root = Path(__file__).resolve().parents[2]
    package = root / "bot" / "transports" / "wechaty"
    product = [p for folder in ("bot", "handlers", "storage", "bench") for p in (root / folder).rglob("*.py")]
    knowing = set()
    for path in [*product, root / "bot.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in ("wechaty_grpc", "grpclib", "betterproto") for n in names):
                knowing.add(path)
    assert knowing and all(p.is_relative_to(package) for p in knowing), sorted(map(str, knowing))
