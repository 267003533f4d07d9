"""frontdesk: a chat-first AI agent server — one agent, every door."""

__version__ = "0.1.0"
