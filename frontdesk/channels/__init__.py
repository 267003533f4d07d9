"""One module per door, converting platform payloads to `InboundMessage` and `AgentEvent`s back."""
