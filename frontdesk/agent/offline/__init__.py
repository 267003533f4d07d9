"""The `offline` model: a deterministic planner that needs no network and no weights.

It reads the user's words as a plan (`planner`): one tool call, or several — comparisons and
group-bys fetched in one round, writes chained on the ids earlier calls returned (`steps`) — and
writes the answer from the tool results (`writer`, `compose`): every number and name in its
answers comes from a tool result. Small talk and facts about the user need no tool (`talk`).
"""
