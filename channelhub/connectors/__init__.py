"""The I/O layer: one package per platform plus the shared machinery every connector uses
(HTTP client, auth refresh, rate limiting, retries, pagination, redaction).

A connector imports ``core`` and ``mappings``; it never imports ``store``.
"""
