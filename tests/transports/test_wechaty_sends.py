"""What a failed send means: certainly not sent (retried) or perhaps arrived (never sent blindly again).

Each gRPC status a puppet service may answer is mapped, and the mapping is applied
to grpclib's own stream calls against an in-process service
(`grpclib.testing.ChannelFor`). The transport's use of it is in
test_wechaty_adapter.py, the watchdog's in test_wechaty_client.py, and the whole
bot against a real puppet service whose sends hang past the deadline in
tests/e2e/test_wechat_e2e.py.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest
from grpclib.client import Channel
from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError
from grpclib.server import Stream
from grpclib.testing import ChannelFor
from wechaty_grpc.wechaty.puppet import MessageSendTextRequest, MessageSendTextResponse

from bot.transports.wechaty.client import SendFailed, may_have_arrived, send_on

# Every status, and whether a send answered with it may have reached WeChat. Only the statuses
# that refuse a request as a whole say it did not go out.
STATUSES: dict[Status, bool] = {
    Status.OK: True,  # never an error in practice; a service that raises it has said nothing certain
    Status.CANCELLED: True,  # the call was cancelled on its way, maybe after the service acted
    Status.UNKNOWN: True,  # whatever the service's own code threw, possibly after sending
    Status.INVALID_ARGUMENT: False,
    Status.DEADLINE_EXCEEDED: True,  # the service's timer: the message may still be on its way
    Status.NOT_FOUND: False,
    Status.ALREADY_EXISTS: False,
    Status.PERMISSION_DENIED: False,
    Status.RESOURCE_EXHAUSTED: False,  # throttled: refused
    Status.FAILED_PRECONDITION: False,
    Status.ABORTED: True,
    Status.OUT_OF_RANGE: False,
    Status.UNIMPLEMENTED: False,
    Status.INTERNAL: True,
    Status.UNAVAILABLE: True,  # proxies answer it for a backend lost mid-call
    Status.DATA_LOSS: True,
    Status.UNAUTHENTICATED: False,
}


def test_every_status_is_in_the_table() -> None:
    assert set(STATUSES) == set(Status)


@pytest.mark.parametrize(("status", "arrived"), list(STATUSES.items()), ids=[s.name for s in STATUSES])
def test_a_status_after_the_request_left(status: Status, arrived: bool) -> None:
    assert may_have_arrived(GRPCError(status, "whatever"), written=True) is arrived


@pytest.mark.parametrize("status", list(Status), ids=[s.name for s in Status])
def test_nothing_failing_before_the_request_left_can_have_arrived(status: Status) -> None:
    assert may_have_arrived(GRPCError(status), written=False) is False


@pytest.mark.parametrize("message", ["操作过于频繁，请稍后再试", "Error: not logged in", "账号未登录", "Too many requests"])
def test_an_unknown_status_saying_the_service_refused_is_not_sent(message: str) -> None:
    assert may_have_arrived(GRPCError(Status.UNKNOWN, message), written=True) is False


@pytest.mark.parametrize(
    "exc",
    [TimeoutError("Deadline exceeded"), StreamTerminatedError("Connection lost"), ProtocolError("reset"),
     ConnectionResetError(104, "Connection reset by peer"), asyncio.CancelledError(), RuntimeError("boom")],
    ids=lambda e: type(e).__name__,
)
def test_a_timeout_or_a_reset_after_the_request_left_may_have_arrived(exc: BaseException) -> None:
    assert may_have_arrived(exc, written=True) is True
    assert may_have_arrived(exc, written=False) is False


# -- the stream calls, against an in-process service -------------------------------------------

Answer = Callable[[Stream[MessageSendTextRequest, MessageSendTextResponse]], Awaitable[None]]


class Puppet:
    """MessageSendText only: records each request it reads, then answers with `answer`."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.received: list[str] = []

    async def send_text(self, stream: Stream[MessageSendTextRequest, MessageSendTextResponse]) -> None:
        request = await stream.recv_message()
        assert request is not None
        self.received.append(request.text)
        await self.answer(stream)

    def __mapping__(self) -> Mapping[str, Handler]:
        return {"/wechaty.Puppet/MessageSendText": Handler(self.send_text, Cardinality.UNARY_UNARY,
                                                          MessageSendTextRequest, MessageSendTextResponse)}


TEXT = MessageSendTextRequest(conversation_id="r1", text="@张三 已记录：草莓×2")


async def send_to(puppet: Puppet) -> str:
    async with ChannelFor([puppet]) as channel:
        return await send_on(channel, TEXT, metadata=None, rpc_timeout=5)


async def test_an_answered_send_gives_the_message_id() -> None:
    async def answer(stream: Stream[Any, Any]) -> None:
        await stream.send_message(MessageSendTextResponse(id="m1"))

    puppet = Puppet(answer)
    assert await send_to(puppet) == "m1"
    assert puppet.received == ["@张三 已记录：草莓×2"]


@pytest.mark.parametrize("status", [Status.DEADLINE_EXCEEDED, Status.UNAVAILABLE, Status.UNAUTHENTICATED,
                                    Status.NOT_FOUND])
async def test_a_status_from_the_service_is_mapped(status: Status) -> None:
    async def answer(stream: Stream[Any, Any]) -> None:
        raise GRPCError(status, "from the service")

    puppet = Puppet(answer)
    with pytest.raises(SendFailed) as failed:
        await send_to(puppet)
    assert failed.value.may_have_arrived is STATUSES[status]
    assert isinstance(failed.value.__cause__, GRPCError) and failed.value.__cause__.status is status
    assert puppet.received == [TEXT.text]  # the service had it in hand either way


async def test_a_service_that_throws_after_reading_the_request_leaves_it_in_doubt() -> None:
    async def answer(stream: Stream[Any, Any]) -> None:
        raise RuntimeError("the account's connection to WeChat broke")  # grpclib answers UNKNOWN

    with pytest.raises(SendFailed) as failed:
        await send_to(Puppet(answer))
    assert failed.value.may_have_arrived


async def test_a_refused_connection_sent_nothing() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = Channel("127.0.0.1", port)
    try:
        with pytest.raises(SendFailed) as failed:
            await send_on(channel, TEXT, metadata=None, rpc_timeout=5)
    finally:
        channel.close()
    assert not failed.value.may_have_arrived
    assert isinstance(failed.value.__cause__, ConnectionRefusedError)
