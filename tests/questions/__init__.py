"""Members' questions and live hype (issue 14): matching tables, the group, sold-out news and 播报."""
