"""The reader: a member's message read whole, by spans, with coverage (see README "How members order").

spans.py finds the spans (product mentions, quantities, numbers that are never quantities);
assembly.py puts them together and says exactly what is left over; asking.py turns a
leftover into one question she answers in a word; lexicon.py holds the small reviewed
tables (synonyms, emoji, English units); homophones.py hears 丽枝 as 荔枝.
"""
