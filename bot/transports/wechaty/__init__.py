"""WeChat through a wechaty puppet service: the only package that knows the chat service.

- protocol.py: the pure mapping between puppet-service payloads and the project's models;
- client.py: the typed gRPC client (connect, event stream, reconnect with backoff, watchdog);
- transport.py: the bot's Transport (bot/transports/base.py) built on the two.
"""

from bot.transports.wechaty.transport import WechatyTransport

__all__ = ["WechatyTransport"]
