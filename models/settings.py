"""The one settings object, read from ``PITCHSIDE_*`` environment variables.

Built once at an entry point (CLI command, test fixture) and passed down; no module reads the
environment on its own. It sits in ``models`` because both ``stream`` and ``training`` import that
package, and ``features`` must stay free of I/O.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "default_data_dir"]

_REPO_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """``../shared/data`` beside the checkout when it exists, else the bundled sample's folder."""
    shared = _REPO_ROOT.parent / "shared" / "data"
    if shared.is_dir():
        return shared
    return _REPO_ROOT / "stream" / "sample"


class Settings(BaseSettings):
    """Every knob of pitchside. Each field maps to ``PITCHSIDE_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="PITCHSIDE_", frozen=True, extra="ignore")

    # --- Kafka -------------------------------------------------------------------------------
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="host:port of the Kafka broker")
    topic_tracking: str = "pitchside.tracking"
    topic_events: str = "pitchside.events"
    topic_deadletter: str = "pitchside.deadletter"
    topic_partitions: int = Field(4, ge=1, le=1024, description="partitions of the input topics")
    app_id: str = Field("pitchside", description="Faust app id = Kafka consumer group")
    commit_interval_s: float = Field(0.5, gt=0, le=60, description="Kafka offset commit interval, seconds")
    # A worker that dies is noticed when its session expires: the group then gives its partitions to
    # the others. Kafka's 60 s default took a minute off air; heartbeats every session/5.
    session_timeout_s: float = Field(
        10.0, ge=6, le=300, description="consumer group session timeout: how soon a dead worker's work moves"
    )
    max_message_bytes: int = Field(1_048_576, ge=1024, description="larger inputs are dead-lettered")

    # --- Redis -------------------------------------------------------------------------------
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_password: SecretStr | None = None
    redis_prefix: str = Field("pitchside", pattern=r"^[A-Za-z0-9_.-]+$")
    latest_ttl_s: int = Field(6 * 3600, ge=1, description="expiry of latest-state keys, seconds")
    publish_queue_max: int = Field(20_000, ge=1, description="outputs buffered before back-pressure")
    publish_batch_max: int = Field(1_000, ge=1, description="outputs per Redis pipeline at most")
    stream_maxlen: int = Field(
        10_000, ge=100, description="outputs kept per match and kind on its Redis stream, for resuming"
    )
    batch_max: int = Field(256, ge=1, le=10_000, description="input messages an agent takes at once")
    batch_within_ms: float = Field(
        4.0, gt=0, le=1000, description="an agent takes what has arrived after this long, if fewer"
    )

    # --- Worker --------------------------------------------------------------------------------
    # Off by default: nothing here uses Faust's web views, and two local workers would fight for the port.
    worker_web_port: int = Field(0, ge=0, le=65535, description="Faust web port; 0 disables it")
    log_level: Literal["debug", "info", "warn", "error"] = "info"
    metrics_port: int = Field(0, ge=0, le=65535, description="Prometheus /metrics port of a worker; 0: off")
    metrics_host: str = Field(
        "127.0.0.1", description="address the metrics port binds (0.0.0.0 in containers)"
    )
    lag_interval_s: float = Field(
        5.0, gt=0, le=600, description="how often a worker asks the broker for end offsets (lag)"
    )
    match_idle_s: float = Field(
        1200.0, gt=0, description="a match unheard of this long counts as over (no silence gauge)"
    )

    # --- Gateway (pitchside gateway: HTTP, WebSocket and SSE for graphics engines) --------------
    gateway_host: str = Field("127.0.0.1", description="address the gateway binds (0.0.0.0 in containers)")
    gateway_port: int = Field(8080, ge=0, le=65535, description="port of the gateway")
    # Comma-separated in the environment. None configured: the gateway is open (logged as a warning).
    gateway_tokens: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        (), description="bearer tokens the gateway accepts, comma-separated; none: no auth"
    )
    gateway_cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="origins allowed by CORS, comma-separated ('*' for any); none: no CORS"
    )
    gateway_client_queue_max: int = Field(
        1_000, ge=1, le=1_000_000, description="messages queued for one client before it is dropped"
    )
    gateway_close_timeout_s: float = Field(
        5.0, gt=0, le=60, description="how long a dropped client's close frame may wait to be sent"
    )

    # --- Live features -------------------------------------------------------------------------
    stats_hz: float = Field(
        2.0, gt=0, le=25, description="player/team stats per match per second of match time"
    )
    shot_frame_max_age_ms: int = Field(
        500, ge=0, le=10_000, description="a shot uses the tracking frame nearest its time if within this"
    )
    frame_history_ms: int = Field(
        3_000, ge=0, le=60_000, description="tracking frames kept per match for shots"
    )
    roster_max: int = Field(96, ge=23, le=1024, description="player slots per match; more ids are dropped")
    checkpoint_interval_s: float = Field(
        1.0,
        gt=0,
        le=600,
        description="each changed match's state checkpointed this often (wall clock; a crash replays it)",
    )

    # --- Local stack -------------------------------------------------------------------------
    state_dir: Path = Field(_REPO_ROOT / ".pitchside", description="stack data, logs and pid files")
    cache_dir: Path = Field(Path.home() / ".cache" / "pitchside", description="Kafka jars, reused")
    kafka_version: str = "4.3.1"
    kafka_controller_port: int = Field(9093, ge=1, le=65535)
    kafka_heap: str = "512m"

    # --- Data --------------------------------------------------------------------------------
    data_dir: Path = Field(default_factory=default_data_dir)

    # --- Models ------------------------------------------------------------------------------
    registry_dir: Path = Field(
        _REPO_ROOT / ".pitchside" / "registry",
        description="model registry: versions, approvals and the production alias workers poll",
    )
    baseline_registry_dir: Path = Field(
        _REPO_ROOT / "models" / "baseline",
        description="registry shipped in the repo; copied into registry_dir for names it lacks",
    )
    model_poll_s: float = Field(
        2.0, gt=0, le=3600, description="how often workers check the production alias"
    )
    drift_window: int = Field(
        500, ge=10, le=100_000, description="live inputs per model compared with the training baseline"
    )
    drift_min_inputs: int = Field(
        100, ge=1, description="inputs in the window before drift is reported (fewer: too noisy)"
    )
    drift_report_s: float = Field(
        10.0, gt=0, le=3600, description="how often a worker writes its drift window to Redis"
    )
    drift_idle_s: float = Field(
        1800.0, gt=0, description="a drift window without new inputs this long is not reported"
    )

    @field_validator("kafka_bootstrap")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"expected host:port, got {value!r}")
        return value

    @field_validator("gateway_tokens", "gateway_cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("gateway_tokens")
    @classmethod
    def _token_length(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        for index, token in enumerate(value):
            if len(token.get_secret_value()) < 16:
                raise ValueError(f"token #{index + 1} is shorter than 16 characters")
        return value

    @property
    def kafka_host(self) -> str:
        return self.kafka_bootstrap.rpartition(":")[0]

    @property
    def kafka_port(self) -> int:
        return int(self.kafka_bootstrap.rpartition(":")[2])
