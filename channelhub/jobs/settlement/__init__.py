"""Settlement: per-order profit from the money ledger, and the order and payout
reconciliations. The importers that fill the ledger live beside these (``finance pull``)."""
