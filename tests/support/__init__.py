"""Helpers the unit and integration tests share; never shipped in the wheel.

Importable as ``tests.support`` (pytest puts the checkout on sys.path, see pyproject's
``pythonpath``; the Pulumi runs get it through PYTHONPATH from ``pulumi_env``).
"""
