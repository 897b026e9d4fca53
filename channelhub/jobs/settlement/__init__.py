"""Settlement: the money each provider moved, imported into the ledger and read back."""
