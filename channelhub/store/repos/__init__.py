"""Repositories: plain functions taking a Session. They flush but never commit: the caller
owns the transaction, so data and cursor (or decision and outbox message) commit together."""
