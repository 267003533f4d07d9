"""Connectors: one interface over the native CRM, the offline demo data and outside platforms."""
