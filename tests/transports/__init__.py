"""The chat services: the WeChat puppet protocol mapping, its client and transport."""
