"""The test suite: unit tests (no engine), integration tests (the real swarm), and the
helpers they share (``tests.support``)."""
