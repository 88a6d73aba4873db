"""The processes ``benchmarks.capacity`` measures: how a consumer under test is started and stopped,
and what it (and everything else on the machine) costs in CPU and memory, read from /proc."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from models.settings import Settings

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 120.0  # a fresh pitchside worker creates topics and joins its group first
STALL_TIMEOUT_S = 30.0  # no new output this long: the run is over, complete or not

_CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def log(line: str) -> None:
    print(f"[capacity] {line}", file=sys.stderr, flush=True)


# --- starting and stopping ---------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """The environment without any PITCHSIDE_* of the caller's, so only ours reach a worker."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PITCHSIDE_")}


@dataclass(frozen=True)
class Run:
    """One consumer process to start: its id is its consumer group, app id and Redis prefix."""

    variant: str
    run_id: str
    run_dir: Path
    topic: str


def pitchside_env(settings: Settings, run: Run) -> dict[str, str]:
    overrides = {
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "KAFKA_CONTROLLER_PORT": str(settings.kafka_controller_port),
        "REDIS_URL": settings.redis_url,
        "TOPIC_TRACKING": run.topic,
        "STATE_DIR": str(run.run_dir),
        # Seeded from the repo's baseline on first use: in our temp directory, not the checkout's.
        "REGISTRY_DIR": str(settings.state_dir / "registry"),
        "APP_ID": run.run_id,
        "REDIS_PREFIX": run.run_id,
        "WORKER_WEB_PORT": "0",
        "METRICS_PORT": "0",
        "LOG_LEVEL": "info",
    }
    return clean_env() | {f"PITCHSIDE_{k}": v for k, v in overrides.items()}


def command(settings: Settings, run: Run) -> tuple[list[str], dict[str, str]]:
    if run.variant == "pitchside":
        return [sys.executable, "-m", "stream", "worker"], pitchside_env(settings, run)
    bare = "faust" if run.variant == "bare_faust" else "aiokafka"
    argv = [sys.executable, "-m", "benchmarks.bare_faust", bare, "--kafka", settings.kafka_bootstrap]
    argv += ["--redis", settings.redis_url, "--topic", run.topic, "--group", run.run_id]
    argv += ["--prefix", run.run_id, "--datadir", str(run.run_dir / "faust")]
    return argv, clean_env()


def start(settings: Settings, run: Run) -> subprocess.Popen[bytes]:
    run.run_dir.mkdir(parents=True, exist_ok=True)
    argv, env = command(settings, run)
    with (run.run_dir / "process.log").open("wb") as out:
        return subprocess.Popen(argv, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def log_tail(run: Run, lines: int = 15) -> str:
    path = run.run_dir / "process.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


# --- measuring ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of the process (all its threads), from /proc (psutil is not installed)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces; it ends at ")"
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICK


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def machine_jiffies() -> tuple[int, int, int]:
    """(busy, steal, total) clock ticks of all cores since boot, from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle, iowait, steal = ticks[3], ticks[4], ticks[7]
    return sum(ticks) - idle - iowait, steal, sum(ticks)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """Who used the two cores between two readings: the named processes and this one (producing
    and receiving) in percent of one core, and the whole machine in percent of all its cores."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._pids = pids
        self._began = time.perf_counter()
        self._start = self._read()
        self._machine = machine_jiffies()

    def _read(self) -> dict[str, float | None]:
        readings = {name: cpu_seconds(pid) if pid else None for name, pid in self._pids.items()}
        return readings | {"bench": own_cpu_seconds()}

    def percents(self) -> dict[str, float | None]:
        wall = max(time.perf_counter() - self._began, 1e-9)
        end, busy, steal, total = self._read(), *machine_jiffies()
        processes: dict[str, float | None] = {}
        for name, before in self._start.items():
            after = end[name]
            used = None if before is None or after is None else 100.0 * (after - before) / wall
            processes[f"{name}_cpu_pct"] = used
        ticks = max(total - self._machine[2], 1)
        busy_ticks = busy - self._machine[0]
        # Whatever else ran meanwhile (someone's tests, another stack), in percent of one core: when
        # it is large, the figures were taken on a busy machine and are low.
        others = 100.0 * busy_ticks / _CLOCK_TICK / wall - sum(v for v in processes.values() if v)
        return {k: None if v is None else round(v, 1) for k, v in processes.items()} | {
            "others_cpu_pct": round(max(others, 0.0), 1),
            "machine_busy_pct": round(100.0 * busy_ticks / ticks, 1),
            "machine_steal_pct": round(100.0 * (steal - self._machine[1]) / ticks, 1),
        }
