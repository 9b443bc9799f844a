"""Reusable test helpers: a real `bv-server` subprocess, its pytest fixtures, fake server data.

Import as ``tests.helpers`` (the suite runs with ``python -m pytest`` from the repository root).
"""
