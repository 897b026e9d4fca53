"""Settlement: the money each provider moved, imported into the ledger (``pull``), per-order
profit read from it, and the order and payout reconciliations."""
