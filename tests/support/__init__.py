"""Helpers the unit and integration tests share, one copy each, never shipped in the wheel:
the fake engine at the api level (``fake_engine``), the provider helpers (``providers``) and
the Echo provider of the Pulumi smoke tests (``_smoke``).

Importable as ``tests.support`` (pytest puts the checkout on sys.path, see pyproject's
``pythonpath``; the Pulumi runs get it through PYTHONPATH from ``pulumi_env``).
"""
