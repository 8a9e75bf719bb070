"""cabin's A2A agents: the shared hosting layer and one package per agent."""
