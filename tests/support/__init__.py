"""Helpers the tests share, one copy each: the fake engine (``fake_engine``) and the
provider helpers (``providers``)."""
