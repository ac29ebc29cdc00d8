"""The conversation around an order: questions to members, kept until answered (questions.py); the
merged 接龙 when copies fork, said only while the fork lasts (merged_list.py)."""
