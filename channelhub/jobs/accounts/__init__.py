"""Accounts and their connectors: building one from its stored row, setup, checks, API usage."""
