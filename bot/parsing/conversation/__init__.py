"""The conversation around an order, read as text (pure): a member's reply to a question she was
asked (answers.py), and whose an order is by its words (whose.py). The questions themselves are
the reader's (bot/parsing/asking.py); the state of a conversation is the domain's
(bot/domain/asking.py)."""
