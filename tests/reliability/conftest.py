"""Fixtures for the reliability tests: real servers, real clients, loopback only."""

from __future__ import annotations

from tests.helpers.fixtures import bv_server, bv_server_factory, bv_server_pg  # noqa: F401
