"""When the goods are not what was sold: /缺货 and /补货 (shortage.py), 售后 claims and /售后
(claims.py), /退款 (refunds.py)."""
