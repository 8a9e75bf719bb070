"""The perception agent's sentence templates (hassil YAML files, read by `agents/perception/grammar.py`)."""
