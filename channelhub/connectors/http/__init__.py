"""The HTTP machinery every connector shares: client, rate limits, retries, auth, redaction."""
