"""cabin's A2A agents: the shared hosting layer and one package per agent."""

import os

# The A2A SDK wraps every handler and client call in an OpenTelemetry span, which costs about a tenth
# of a turn on a small machine. Off unless the operator asks for it (set it to "true"); it is read
# once, when the SDK is first imported.
os.environ.setdefault("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED", "false")

# The SDK's SQL task stores (and SQLAlchemy) load only when an agent asks for a SQLite store, and
# httpx's command-line client (rich, pygments, click) never: agents/hosting/optional.py.
from agents.hosting.optional import defer_optional_parts

defer_optional_parts()
