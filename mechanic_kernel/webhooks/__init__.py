"""Mechanic webhooks: URLs that turn any HTTP request into an event."""
