"""The only code that talks to the Docker engine (through docker-py's low-level API)."""
