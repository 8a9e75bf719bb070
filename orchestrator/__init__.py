"""The orchestrator: where a person's words enter cabin, are routed to agents, and come back as a turn."""
