"""HTTP in: webhooks, warehouse callbacks, health, the REST API and the seller console."""
