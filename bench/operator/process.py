"""The operator as the deployment runs it: `frontier operator` in its own process, and its footprint.

Running it as a subprocess (not a thread of the bench) keeps the emulator, the bench's
client and the pre-populating worker out of its memory and CPU figures, which are
read from /proc: VmRSS (now), VmHWM (peak resident set) and utime+stime.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

BIN = Path(sys.executable).parent
ENTRIES = {
    # kopf's own CLI over the operator's module: the same handlers, startup and settings.
    "kopf": [str(BIN / "kopf"), "run", "-m", "frontier.operator.main", "--standalone", "-A"],
    # The deployment's command (the Helm chart's default when peering is off).
    "frontier": [str(BIN / "frontier"), "operator", "--all-namespaces", "--standalone"],
    # The operator with a proposed fix under test (bench/operator/timer_lanes.py).
    "timer-lanes": [
        str(BIN / "kopf"),
        "run",
        "-m",
        "bench.operator.timer_lanes",
        "--standalone",
        "-A",
    ],
}
ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Footprint:
    rss_mb: float
    hwm_mb: float
    cpu_seconds: float


def _die_with_parent() -> None:
    """Linux: the operator gets SIGTERM if the bench dies, so none is left behind."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class OperatorProcess:
    """The operator, standalone and cluster-wide, against a kubeconfig and a store."""

    def __init__(
        self,
        entry: str,
        kubeconfig: Path,
        dsn: str,
        log: Path,
        reconcile_seconds: float,
        timer_lanes: int = 2,
        src: Path | None = None,
    ) -> None:
        # The operator's code: this checkout's src/ (or `src`, another checkout's), ahead of
        # whatever the virtualenv's editable install points at; the root for timer_lanes.
        self.src = (src or ROOT / "src").resolve()
        env = {
            **os.environ,
            "PYTHONPATH": f"{self.src}{os.pathsep}{ROOT}",
            "BENCH_TIMER_LANES": str(timer_lanes),
            "KUBECONFIG": str(kubeconfig),
            "FRONTIER_DB": dsn,
            "FRONTIER_RECONCILE_SECONDS": str(reconcile_seconds),
            "FRONTIER_METRICS_PORT": "0",  # any free port: other runs may hold 9090
        }
        self.command = ENTRIES[entry]
        self.log_path = log
        self._log: IO[bytes] = log.open("wb")
        self.proc = subprocess.Popen(
            self.command,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )

    def footprint(self) -> Footprint:
        """Memory and CPU so far; raises if the operator has died (with its log's tail)."""
        self.check()
        fields: dict[str, float] = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024  # kB -> MB
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        after_name = stat.rsplit(")", 1)[1].split()
        utime, stime = int(after_name[11]), int(after_name[12])  # fields 14 and 15
        return Footprint(fields["VmRSS"], fields["VmHWM"], (utime + stime) / CLOCK_TICKS)

    def check(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the operator exited with {self.proc.returncode}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
