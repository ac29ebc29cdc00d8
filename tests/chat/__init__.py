"""The bot in its chats: members ordering, the owner's commands, identity, templates, the calendar."""
