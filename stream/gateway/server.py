"""Running the gateway: uvicorn serving :func:`~stream.gateway.app.create_app` on the settings' port."""

from __future__ import annotations

import uvicorn

from models.settings import Settings

from .app import create_app

__all__ = ["run_gateway"]


def run_gateway(settings: Settings) -> None:
    """Serve until interrupted (one process, one event loop; run more behind a load balancer)."""
    config = uvicorn.Config(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_level=settings.log_level if settings.log_level != "warn" else "warning",
        ws="websockets-sansio",
        # Graphics engines hold sockets for a whole match; pings find the dead ones.
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        proxy_headers=True,
    )
    uvicorn.Server(config).run()
