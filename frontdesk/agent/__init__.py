"""The agent: model adapters, department prompts, the LangGraph graph and the turn runner."""
