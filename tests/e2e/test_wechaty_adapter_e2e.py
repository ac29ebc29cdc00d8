"""WechatyTransport alone against a real puppet service over gRPC.

Proves the adapter's half of the boundary: what WeChat says arrives as the
project's own events, what the bot says reaches the group with its mentions,
and a lost connection or a bad token costs one log line and a retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest

from bot.models import Event, MemberJoined, Message, MessageKind, Outgoing, RoomSeen
from bot.transports.base import SendError
from bot.transports.wechaty import WechatyTransport
from tests.e2e.conftest import PuppetService, require_python_deps

pytestmark = pytest.mark.e2e

EVENT_TIMEOUT = 15.0
LOGGER = "bot.transports.wechaty"


class Running:
    """A transport running in the test's loop, its events in a queue."""

    def __init__(self, transport: WechatyTransport) -> None:
        self.transport = transport
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def on_event(self, event: Event) -> None:
        await self.events.put(event)

    async def next(self, predicate: Callable[[Event], bool] = lambda e: True, within: float = EVENT_TIMEOUT) -> Event:
        """The next event matching `predicate`; the ones before it are dropped."""
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching event within {within:.0f} s")
            event = await asyncio.wait_for(self.events.get(), remaining)
            if predicate(event):
                return event

    async def message(self, text: str) -> Message:
        event = await self.next(lambda e: isinstance(e, Message) and e.text == text)
        assert isinstance(event, Message)
        return event


@contextlib.asynccontextmanager
async def running(transport: WechatyTransport) -> AsyncIterator[Running]:
    r = Running(transport)
    r.task = asyncio.create_task(transport.run(r.on_event))
    try:
        yield r
    finally:
        started = time.monotonic()
        await transport.stop()
        await asyncio.wait_for(r.task, 10)
        assert time.monotonic() - started < 5, "stop() should make run() return promptly"


def make_transport(svc: PuppetService) -> WechatyTransport:
    # Short backoff: a reconnect in these tests should take well under a second.
    return WechatyTransport(
        token=svc.token, endpoint=svc.endpoint, backoff_initial=0.2, backoff_cap=1.0, rpc_timeout=5.0
    )


@pytest.fixture(autouse=True)
def _deps() -> None:
    require_python_deps()


async def test_a_member_speaks_and_the_bot_answers_with_a_mention(puppet_service: PuppetService) -> None:
    svc = puppet_service
    async with running(make_transport(svc)) as bot:
        seen = await bot.next(lambda e: isinstance(e, RoomSeen))
        assert isinstance(seen, RoomSeen)
        assert seen.room.id == "r1"
        assert seen.room.topic == "阳光花园水果团购群"
        assert seen.room.owner_id == "wx_owner"
        assert {(m.id, m.name) for m in seen.room.members} == {
            ("wx_owner", "王姐"),
            ("wx_zhang", "张三"),
            ("wx_li", "李四"),
            ("wx_wang", "王五"),
        }

        msg_id = await svc.asay("wx_zhang", "你好")
        msg = await bot.message("你好")
        assert msg.id == msg_id
        assert (msg.sender.id, msg.sender.name) == ("wx_zhang", "张三")
        assert msg.room_id == "r1"
        assert msg.kind is MessageKind.TEXT
        assert msg.mentions == () and not msg.mentions_bot
        assert msg.ts.utcoffset() == timedelta(0)
        assert abs(time.time() - msg.ts.timestamp()) < 60

        await bot.transport.send(Outgoing(room_id="r1", text="@张三 收到", mentions=("wx_zhang",)))
        sent = await svc.await_sent(lambda s: s.text == "@张三 收到", what="the reply")
        assert sent.room == "r1" and sent.to is None
        assert sent.mentions == ("wx_zhang",)

        # The service echoes the bot's own words back as a message; the
        # transport must not hand them to the bot.
        await svc.asay("wx_li", "after the reply")
        nxt = await bot.next(lambda e: isinstance(e, Message))
        assert isinstance(nxt, Message) and nxt.text == "after the reply"


async def test_kinds_mentions_private_chat_and_joins(puppet_service: PuppetService) -> None:
    svc = puppet_service
    async with running(make_transport(svc)) as bot:
        await bot.next(lambda e: isinstance(e, RoomSeen))

        await svc.asay("wx_li", "@团购助手\u2005在吗", mentions=("wx_bot",))
        mentioned = await bot.message("@团购助手\u2005在吗")
        assert mentioned.mentions == ("wx_bot",) and mentioned.mentions_bot

        await svc.asay("wx_li", "@张三 你好", mentions=("wx_zhang",))
        other = await bot.message("@张三 你好")
        assert other.mentions == ("wx_zhang",) and not other.mentions_bot

        await svc.asay("wx_wang", "私聊：我要草莓", room=None)
        private = await bot.message("私聊：我要草莓")
        assert private.room_id is None and private.sender.id == "wx_wang"

        xml = (
            "<msg><appmsg><title>#接龙\n周六水果团\n\n1. 王五 砂糖橘1箱</title><type>53</type>"
            "<extinfo><solitaire_info><![CDATA[<solitaire><content><i><u>wx_wang</u></i></content>"
            "</solitaire>]]></solitaire_info></extinfo></appmsg></msg>"
        )
        await svc.asay("wx_wang", xml, kind="group_note")
        native = await bot.message(xml)
        assert native.kind is MessageKind.SOLITAIRE

        await svc.asay("wx_wang", "#接龙\n周六水果团\n\n1. 王五 砂糖橘1箱", kind="group_note")
        assert (await bot.message("#接龙\n周六水果团\n\n1. 王五 砂糖橘1箱")).kind is MessageKind.SOLITAIRE

        await svc.asay("wx_zhang", "[转账]", kind="transfer")
        assert (await bot.message("[转账]")).kind is MessageKind.TRANSFER
        await svc.asay("wx_zhang", "[红包]", kind="red_envelope")
        assert (await bot.message("[红包]")).kind is MessageKind.RED_PACKET

        await svc.ajoin("wx_zhao", "赵六")
        joined = await bot.next(lambda e: isinstance(e, MemberJoined))
        assert isinstance(joined, MemberJoined)
        assert joined.room_id == "r1"
        assert (joined.member.id, joined.member.name) == ("wx_zhao", "赵六")
        assert joined.ts.utcoffset() == timedelta(0)

        await bot.transport.send(Outgoing(to="wx_wang", text="收到，已记录"))
        sent = await svc.await_sent(lambda s: s.text == "收到，已记录")
        assert sent.to == "wx_wang" and sent.room is None and sent.mentions == ()

        with pytest.raises(SendError):
            await bot.transport.send(Outgoing(room_id="no-such-room", text="x"))


async def test_a_renamed_group_is_seen_again_and_a_login_qr_is_logged(
    puppet_service: PuppetService, caplog: pytest.LogCaptureFixture
) -> None:
    svc = puppet_service
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with running(make_transport(svc)) as bot:
        await bot.next(lambda e: isinstance(e, RoomSeen))
        await asyncio.to_thread(svc.topic, "阳光花园水果团购2群")
        renamed = await bot.next(lambda e: isinstance(e, RoomSeen))
        assert isinstance(renamed, RoomSeen)
        assert (renamed.room.id, renamed.room.topic) == ("r1", "阳光花园水果团购2群")
        assert len(renamed.room.members) == 4

        await asyncio.to_thread(svc.scan, "https://login.weixin.qq.com/l/e2e==")
        link = "https://wechaty.js.org/qrcode/https%3A%2F%2Flogin.weixin.qq.com%2Fl%2Fe2e%3D%3D"

        def logged() -> bool:
            return any(link in r.getMessage() for r in caplog.records if r.name == LOGGER)

        deadline = time.monotonic() + EVENT_TIMEOUT
        while not logged():
            assert time.monotonic() < deadline, "the QR link was not logged"
            await asyncio.sleep(0.05)


async def test_a_failing_handler_costs_one_event_not_the_connection(
    puppet_service: PuppetService, caplog: pytest.LogCaptureFixture
) -> None:
    svc = puppet_service
    transport = make_transport(svc)
    delivered: asyncio.Queue[Message] = asyncio.Queue()

    async def on_event(event: Event) -> None:
        if isinstance(event, Message):
            if event.text == "boom":
                raise RuntimeError("handler bug")
            await delivered.put(event)

    task = asyncio.create_task(transport.run(on_event))
    try:
        await asyncio.to_thread(svc.wait_for_clients, 1, EVENT_TIMEOUT)
        await svc.asay("wx_zhang", "boom")
        await svc.asay("wx_zhang", "still here")
        msg = await asyncio.wait_for(delivered.get(), EVENT_TIMEOUT)
        assert msg.text == "still here"
    finally:
        await transport.stop()
        await asyncio.wait_for(task, 10)
    assert any("failed to handle Message" in r.getMessage() for r in caplog.records if r.name == LOGGER)


async def test_reconnects_after_the_service_drops_the_connection(
    puppet_service: PuppetService, caplog: pytest.LogCaptureFixture
) -> None:
    svc = puppet_service
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with running(make_transport(svc)) as bot:
        await bot.next(lambda e: isinstance(e, RoomSeen))
        await svc.arestart_grpc()
        await asyncio.to_thread(svc.wait_for_clients, 1, EVENT_TIMEOUT)

        await svc.asay("wx_zhang", "重连后的消息")
        assert (await bot.message("重连后的消息")).sender.id == "wx_zhang"
        await bot.transport.send(Outgoing(room_id="r1", text="重连后回复"))
        await svc.await_sent(lambda s: s.text == "重连后回复")

    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    assert any("dropped" in r.getMessage() or "closed the event stream" in r.getMessage() for r in warnings)
    assert any("reconnected" in r.getMessage() for r in warnings)
    # Nothing new about the room, so no second RoomSeen after the reconnect.
    leftover: list[Event] = []
    while not bot.events.empty():
        leftover.append(bot.events.get_nowait())
    assert not any(isinstance(e, RoomSeen) for e in leftover)


async def test_a_wrong_token_is_one_clear_line_then_quiet_retries(
    puppet_service: PuppetService, caplog: pytest.LogCaptureFixture
) -> None:
    svc = puppet_service
    caplog.set_level(logging.INFO, logger=LOGGER)
    transport = WechatyTransport(
        token="not-the-token", endpoint=svc.endpoint, backoff_initial=0.1, backoff_cap=0.4, rpc_timeout=5.0
    )
    async with running(transport) as bot:
        await wait_for_records(caplog, 3)
        assert bot.events.empty()
        with pytest.raises(SendError):
            await transport.send(Outgoing(room_id="r1", text="x"))

    records = [r for r in caplog.records if r.name == LOGGER]
    loud = [r for r in records if r.levelno >= logging.WARNING]
    assert len(loud) == 1, [r.getMessage() for r in loud]
    assert loud[0].levelno == logging.ERROR
    assert "rejected the token" in loud[0].getMessage()
    assert all("not-the-token" not in r.getMessage() for r in records)
    assert len([r for r in records if "retrying" in r.getMessage()]) >= 3


async def test_an_unreachable_service_is_retried_with_growing_delays(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on `port` now.
    transport = WechatyTransport(
        token="t", endpoint=f"127.0.0.1:{port}", backoff_initial=0.05, backoff_cap=0.4, rpc_timeout=2.0
    )
    async with running(transport):
        await wait_for_records(caplog, 4)

    retries = [r.getMessage() for r in caplog.records if r.name == LOGGER and "retrying" in r.getMessage()]
    assert "cannot reach the puppet service" in retries[0]
    delays = [float(m.rsplit("retrying in ", 1)[1].split()[0]) for m in retries]
    assert delays[:4] == [0.05, 0.1, 0.2, 0.4]
    loud = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    assert len(loud) == 1


async def wait_for_records(caplog: pytest.LogCaptureFixture, count: int, within: float = EVENT_TIMEOUT) -> None:
    deadline = time.monotonic() + within
    while len([r for r in caplog.records if r.name == LOGGER and "retrying" in r.getMessage()]) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {count} retries logged within {within:.0f} s")
        await asyncio.sleep(0.05)
