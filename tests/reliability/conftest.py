"""Fixtures for the reliability tests: real servers, real clients, loopback only."""

from __future__ import annotations

from tests.helpers.fixtures import bv_server  # noqa: F401
