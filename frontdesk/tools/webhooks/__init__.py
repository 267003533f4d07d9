"""Webhooks: outbound subscriptions fed by the event bus (`outbound`), inbound receivers (`inbound`)."""
