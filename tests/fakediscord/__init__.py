"""A local Discord stand-in (REST and gateway, API v10) for testing the real bot process; see server.py."""

from .server import FakeDiscord, Frame, Request

__all__ = ["FakeDiscord", "Frame", "Request"]
