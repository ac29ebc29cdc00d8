"""The conversation around an order: questions to members, kept until answered (questions.py)."""
