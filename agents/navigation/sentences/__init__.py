"""The navigation agent's sentence templates (hassil YAML files, read by `agents/navigation/grammar.py`)."""
