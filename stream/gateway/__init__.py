"""The gateway: HTTP, WebSocket and Server-Sent Events for graphics engines that do not speak Redis,
with resume (``since=``) from the capped per-match streams the workers write. Separate from the
workers; scaled on its own (it keeps no state beyond its connected clients)."""

from .app import create_app
from .server import run_gateway

__all__ = ["create_app", "run_gateway"]
