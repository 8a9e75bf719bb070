"""The orchestrator: where a person's words enter cabin, are routed to agents, and come back as a turn."""

# `agents` sets the A2A SDK's telemetry default, which the SDK reads once, when it is first imported;
# the orchestrator's own modules import the SDK, so `agents` comes first.
import agents as _agents  # noqa: F401
