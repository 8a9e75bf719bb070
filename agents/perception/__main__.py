"""``python -m agents.perception``: serve the perception-summary agent."""

from agents.perception.cli import main

raise SystemExit(main())
