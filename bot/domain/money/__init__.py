"""The owner's money with her members: what each owes (ledger.py), and what is owed back."""
