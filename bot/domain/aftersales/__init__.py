"""When the goods are not what was sold: 缺货 (short delivery), 售后 (claims) and the refund ledger.

allocation.py holds the rules for who misses out (pure), refunds.py what each member is owed
(pure), shortage.py and claims.py the operations the commands run inside a message's transaction.
"""
