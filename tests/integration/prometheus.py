"""A real Prometheus server for the tests (Debian's ``prometheus``), scraping given targets every
second and evaluating the project's alert rules every second, with their ``for:`` shortened."""

from __future__ import annotations

import json
import shutil
import socket
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.ops_files import rules_for_test

from .processes import LoggedProcess

__all__ = ["PrometheusServer", "free_port"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrometheusServer(LoggedProcess):
    stop_timeout_s = 20.0

    def __init__(
        self, workdir: Path, targets: list[str], *, gateway_targets: Sequence[str] = (), for_seconds: int = 0
    ) -> None:
        binary = shutil.which("prometheus")
        if binary is None:  # a failure, not a skip: CI installs it (scripts/bootstrap)
            raise AssertionError("Debian's prometheus is not installed: run scripts/bootstrap")
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "rules.yml").write_text(rules_for_test(for_seconds))
        # The job names are the ones the rules and the dashboard select (up{job="pitchside-worker"}),
        # as in deploy/prometheus/prometheus.yml.
        jobs = {"pitchside-worker": targets, "pitchside-gateway": list(gateway_targets)}
        (workdir / "prometheus.yml").write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(workdir / "rules.yml")],
                    "scrape_configs": [
                        {"job_name": job, "static_configs": [{"targets": found}]}
                        for job, found in jobs.items()
                        if found
                    ],
                }
            )
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            binary,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]
        super().__init__(args, workdir / "prometheus.log")
        self.wait_http_ready(f"{self.url}/-/ready", 60.0, "prometheus", poll_s=0.2)

    def _get(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as response:  # noqa: S310
            body = json.loads(response.read())
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector of ``expr`` now (an error if Prometheus refuses it)."""
        data = self._get("/api/v1/query", query=expr)
        result: list[dict[str, Any]] = data["result"] if data["resultType"] == "vector" else []
        return result

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def alerts(self, name: str, state: str = "firing") -> list[dict[str, str]]:
        """The labels of every alert ``name`` in ``state``."""
        return [
            a["labels"]
            for a in self._get("/api/v1/alerts")["alerts"]
            if a["labels"].get("alertname") == name and a["state"] == state
        ]

    def targets_up(self) -> int:
        return sum(1 for t in self._get("/api/v1/targets")["activeTargets"] if t["health"] == "up")
