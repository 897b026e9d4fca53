"""The domain: canonical models and the rules (pairing, review, split/merge, allocation,
reservations, the stock formula, reconciliation).

Pure Python. No HTTP, no SQL, no clock or randomness a caller cannot inject, and no import
of any other channelhub package.
"""
