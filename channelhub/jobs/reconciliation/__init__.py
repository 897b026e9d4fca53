"""Reconciliation: each side gathered and compared, discrepancies stored, safe repairs applied."""
