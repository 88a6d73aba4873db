"""Debian's ``redis-server`` on loopback, without persistence: the outputs are live state that the
worker rewrites every frame, so a restart starts empty on purpose."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import redis

from models.errors import ConfigurationError
from models.settings import Settings

from .process import ManagedProcess

__all__ = ["RedisServer", "redis_ready"]


def redis_ready(settings: Settings, timeout_s: float = 1.0) -> bool:
    password = settings.redis_password.get_secret_value() if settings.redis_password else None
    client = redis.Redis.from_url(settings.redis_url, password=password, socket_timeout=timeout_s)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


class RedisServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        url = urlsplit(settings.redis_url)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 6379
        self.home = settings.state_dir / "redis"
        self.log_dir = settings.state_dir / "logs"
        self.process = ManagedProcess("redis", settings.state_dir / "run", self.log_dir)

    def start(self) -> int:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ConfigurationError(
                "`redis-server` is not installed. Install it (Debian/Ubuntu: "
                "`apt-get install -y redis-server`), or run the stack with Docker instead: "
                "`docker compose up -d kafka redis`."
            )
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            binary,
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--dir",
            str(self.home),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(self.log_dir / "redis.log"),
        ]
        if self.settings.redis_password is not None:
            argv += ["--requirepass", self.settings.redis_password.get_secret_value()]
        return self.process.start(argv)
