"""The `offline` model: a deterministic planner that needs no network and no weights.

It reads the user's words, picks a tool and its arguments (`planner`), and writes the answer from
the tool results (`writer`) — every number and name in its answers comes from a tool result.
"""
