"""Fulfilment: warehouse orders out (exactly once), intercepts, shipments, tracking back to the
channel.
"""
