"""The pickup-day web page: one more adapter beside the transports (aiohttp, in the bot's own event loop).

It calls the same domain operations as the chat commands through `App.act`, so a tick is
/核销 and the remind button is /提醒取货: one rule, one place, one writer.
"""
