"""A single-node Apache Kafka broker in KRaft mode, run from jars that Maven fetches from Maven
Central into a cache shared by every checkout on the machine."""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]

from models.errors import ConfigurationError
from models.settings import Settings

from .process import ManagedProcess

__all__ = ["KafkaBroker", "kafka_ready", "port_open"]

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "kafka"
MIN_JAVA = 17  # Kafka 4 brokers need Java 17 or newer


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


async def _metadata(bootstrap: str, timeout_s: float) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


def kafka_ready(bootstrap: str, timeout_s: float = 3.0) -> bool:
    """True when the broker answers a metadata request (not merely when its port is open)."""
    host, _, port = bootstrap.rpartition(":")
    if not port_open(host, int(port)):
        return False
    return asyncio.run(_metadata(bootstrap, timeout_s))


def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)  # noqa: S603
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


class KafkaBroker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.state_dir / "kafka"
        self.log_dir = settings.state_dir / "logs"
        self.libs = settings.cache_dir / f"kafka-{settings.kafka_version}" / "libs"
        self.process = ManagedProcess("kafka", settings.state_dir / "run", self.log_dir)

    # --- prerequisites --------------------------------------------------------------------------

    def _tool(self, name: str, package: str) -> str:
        path = shutil.which(name)
        if path is None:
            raise ConfigurationError(
                f"`{name}` is not installed. Install it (Debian/Ubuntu: `apt-get install -y {package}`), "
                "or run the stack with Docker instead: `docker compose up -d kafka redis`."
            )
        return path

    def java(self) -> str:
        java = self._tool("java", "openjdk-17-jre-headless")
        major = _java_major(java)
        if major < MIN_JAVA:
            raise ConfigurationError(
                f"Kafka {self.settings.kafka_version} needs Java {MIN_JAVA}+, found Java {major} at {java}. "
                "Install openjdk-17-jre-headless (or newer), or use `docker compose up -d kafka redis`."
            )
        return java

    def fetched(self) -> bool:
        return (self.libs / ".complete").is_file()

    def fetch(self) -> Path:
        """Fetch the broker's jars with Maven once; later calls reuse the cache."""
        if self.fetched():
            return self.libs
        mvn = self._tool("mvn", "maven")
        pom = DEPLOY_DIR / "pom.xml"
        if not pom.is_file():
            raise ConfigurationError(f"{pom} is missing: run the local stack from a pitchside checkout.")
        self.libs.mkdir(parents=True, exist_ok=True)
        cmd = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={self.libs}",
            "-DincludeScope=runtime",
            f"-Dkafka.version={self.settings.kafka_version}",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise ConfigurationError(
                f"Maven could not fetch Kafka {self.settings.kafka_version}:\n{done.stdout[-2000:]}"
                f"{done.stderr[-2000:]}"
            )
        (self.libs / ".complete").write_text(self.settings.kafka_version)
        return self.libs

    # --- configuration ----------------------------------------------------------------------------

    def _server_properties(self) -> Path:
        s = self.settings
        host, port, cport = s.kafka_host, s.kafka_port, s.kafka_controller_port
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{host}:{cport}",
            "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
            "advertised.listeners": f"PLAINTEXT://{host}:{port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.home / "data"),
            "num.partitions": str(s.topic_partitions),
            # One node: every internal topic has a single replica.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Local use: a consumer group forms at once instead of waiting 3 s for more members.
            "group.initial.rebalance.delay.ms": "0",
            "message.max.bytes": str(max(s.max_message_bytes * 2, 1_048_588)),
        }
        self.home.mkdir(parents=True, exist_ok=True)
        path = self.home / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    def _jvm_args(self) -> list[str]:
        return [
            f"-Xmx{self.settings.kafka_heap}",
            f"-Xms{self.settings.kafka_heap}",
            f"-Dkafka.logs.dir={self.log_dir}",
            f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.properties'}",
            "-cp",
            f"{self.libs}/*",
        ]

    def _format(self, java: str, props: Path) -> None:
        if (self.home / "data" / "meta.properties").is_file():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        cmd = [
            java,
            *self._jvm_args(),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(props),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise ConfigurationError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> int:
        java = self.java()
        self.fetch()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        props = self._server_properties()
        self._format(java, props)
        return self.process.start([java, *self._jvm_args(), "kafka.Kafka", str(props)])

    def reset(self) -> None:
        """Delete the broker's data (topics, offsets); the next start formats fresh storage."""
        shutil.rmtree(self.home / "data", ignore_errors=True)
