"""The only code that talks to the Docker engine (through docker-py's low-level API).

``engine`` names every call; ``connection`` says where the engine is, ``services``,
``objects`` and ``tasks`` hold the calls, ``classify`` turns failures into typed
exceptions once, and ``http`` is the one door to docker-py's private helpers.
"""
