"""The servers under test: their commands, CPU pinning, and one server x cell run (fresh server,
load generator, stop) with the load generator's JSON checked and derived numbers added."""

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .diagnostics import RunError, tail, warn
from .processes import proc_status, reap, read_file, run_capture, spawn
from .settings import (HOST, IDLE_HOLD_S, QUICK_BUDGET_S, SCHEMES, SERVER_START_TIMEOUT_S,
                       SERVER_STOP_TIMEOUT_S)


def pinning():
    """(server prefix, loadgen prefix, note). Unpinned with a note if taskset or the CPUs are missing."""
    if not shutil.which("taskset"):
        return [], [], "not pinned: taskset not found (util-linux)"
    allowed = os.sched_getaffinity(0)
    if not {0, 1} <= allowed:
        return [], [], f"not pinned: CPUs 0 and 1 are not both available (allowed: {sorted(allowed)})"
    return ["taskset", "-c", "0"], ["taskset", "-c", "1"], "server on CPU 0, load generator on CPU 1"


NO_RATE_LIMIT = ["--rate-limit-burst", "0", "--rate-limit-per-second", "0"]
_rate_limit_flags = {}


def rate_limit_flags(binary):
    """The examples rate-limit each connection by default (100 burst, 50/s); the Node peer does not.
    A benchmark of the limiter is no benchmark, so it is switched off where the binary has the flags."""
    if binary not in _rate_limit_flags:
        try:
            help_text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            help_text = ""
        _rate_limit_flags[binary] = NO_RATE_LIMIT if "--rate-limit-per-second" in help_text else []
        if not _rate_limit_flags[binary]:
            warn(f"`{Path(binary).name}` has no --rate-limit-per-second flag (stale build?): its default "
                 "per-connection rate limit applies, so its echo numbers measure the limiter")
    return _rate_limit_flags[binary]


def max_connections():
    """As many as the open-file limit holds: a server refuses a max_connections its hard limit
    cannot hold (it keeps 64 descriptors for itself), and the idle cells need 10 000."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return str(20000 if hard == resource.RLIM_INFINITY else min(20000, hard - 64))


def server_command(name, bin_dir, scheme, workdir="{workdir}"):
    """(argv, url path, loadgen scheme)."""
    spec = SCHEMES[scheme]

    def expand(flags):
        return [str(flag).replace("{workdir}", str(workdir)) for flag in flags]

    if name == "sealed":
        binary = bin_dir / spec["binary"]
        return ([binary, "--listen", f"{HOST}:0", "--log-level", "warn", "--threads", "1",
                 "--max-connections", max_connections(), *expand(spec["flags"]), *rate_limit_flags(binary)], spec["path"], scheme)
    if name == "peer":
        return (["node", spec["peer"], "--listen", f"{HOST}:0", *expand(spec.get("peer_flags", []))], spec["path"],
                scheme)
    binary = bin_dir / "echo_server"
    return ([binary, "--listen", f"{HOST}:0", "--log-level", "warn", "--threads", "1",
             "--max-connections", max_connections(), *expand(spec.get("ceiling_flags", [])), *rate_limit_flags(binary)],
            spec.get("ceiling_path", "/ws"), "plaintext")


def loadgen_timeout(cell):
    """Generous: connection set-up happens before the timed part and scales with connections."""
    if cell["mode"] == "idle":
        return IDLE_HOLD_S + 30 + cell["connections"] / 100
    return cell["duration_s"] * 2 + 30 + cell["connections"] / 50


REQUIRED = {
    "echo": ("messages", "messages_per_s", "mb_per_s", "latency_us"),
    "handshake": ("handshakes", "handshakes_per_s", "latency_us"),
    "idle": ("server_rss_kb", "server_rss_before_kb"),
}


def parse_loadgen(stdout, cell, scheme):
    result = None
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                result = json.loads(line)
                break
            except ValueError:
                continue
    if result is None:
        try:
            result = json.loads(stdout)
        except ValueError:
            raise RunError(f"no JSON object on the load generator's stdout: {tail(stdout)}")
    if not isinstance(result, dict):
        raise RunError(f"load generator printed {type(result).__name__}, not an object")
    missing = [k for k in ("scheme", "mode", "connections", "errors", *REQUIRED[cell["mode"]]) if k not in result]
    if missing:
        raise RunError(f"load generator JSON lacks {', '.join(missing)}")
    if result["mode"] != cell["mode"] or result["scheme"] != scheme:
        raise RunError(f"load generator ran {result['scheme']}/{result['mode']}, not {scheme}/{cell['mode']}")
    # Derived numbers, so the tables and the medians use the same definitions.
    mode = cell["mode"]
    cpu = result.get("server_cpu_s")
    if mode == "echo":
        if not result["messages"]:
            raise RunError(f"no round trip completed (errors: {result['errors']})")
        if cpu:
            result["server_cpu_us_per_op"] = cpu * 1e6 / result["messages"]
    elif mode == "handshake":
        if not result["handshakes"]:
            raise RunError(f"no handshake completed (errors: {result['errors']})")
        if cpu:
            result["server_cpu_us_per_op"] = cpu * 1e6 / result["handshakes"]
    else:
        if not result["server_rss_kb"]:
            raise RunError("no server RSS reading (was --server-pid honoured?)")
        connections = result["connections"] or cell["connections"]
        result["rss_per_conn_kib"] = (result["server_rss_kb"] - result["server_rss_before_kb"]) / connections
    return result


class Runner:
    def __init__(self, bin_dir, server_pin, loadgen_pin, quick):
        self.bin_dir = bin_dir
        self.server_pin = server_pin
        self.loadgen_pin = loadgen_pin
        self.deadline = time.monotonic() + QUICK_BUDGET_S if quick else None
        self.workdir = Path(tempfile.mkdtemp(prefix="sealed-bench-"))

    def remaining(self):
        return None if self.deadline is None else self.deadline - time.monotonic()

    def start_server(self, name, scheme):
        url_scheme = SCHEMES[scheme].get("url_scheme", "ws")
        argv, path, scheme = server_command(name, self.bin_dir, scheme, self.workdir)
        out_path, err_path = self.workdir / f"{name}.out", self.workdir / f"{name}.err"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            process = spawn([*self.server_pin, *argv], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            first = read_file(out_path).split("\n", 1)
            if len(first) == 2:  # a complete first line
                match = re.match(r"listening on (\S+):(\d+)\s*$", first[0])
                if not match:
                    reap(process)
                    raise RunError(f"{name} server's first line is not 'listening on HOST:PORT': {first[0]!r}")
                return process, f"{url_scheme}://{HOST}:{match.group(2)}{path}", scheme, err_path
            if process.poll() is not None:
                status = process.returncode
                reap(process)
                raise RunError(f"{name} server exited with status {status} before listening; "
                               f"stderr: {tail(read_file(err_path))}")
            if time.monotonic() > deadline:
                reap(process)
                raise RunError(f"{name} server did not print 'listening on' within {SERVER_START_TIMEOUT_S:.0f} s")
            time.sleep(0.02)

    def stop_server(self, process):
        """SIGTERM, then SIGKILL; returns (exit status, warning or None)."""
        if process.poll() is not None:
            reap(process)
            return process.returncode, None
        try:
            os.kill(process.pid, signal.SIGTERM)
            status = process.wait(timeout=SERVER_STOP_TIMEOUT_S)
            warning = None if status == 0 else f"server exited with status {status} on SIGTERM"
        except subprocess.TimeoutExpired:
            status, warning = None, f"server ignored SIGTERM for {SERVER_STOP_TIMEOUT_S:.0f} s; killed"
        reap(process)
        return status, warning

    def run(self, cell, name, scheme):
        """One server x cell of `scheme`: fresh server, load generator, stop. Returns the run record."""
        remaining = self.remaining()
        if remaining is not None and remaining < 3:
            raise RunError(f"skipped: the --quick time budget ({QUICK_BUDGET_S:.0f} s) is used up")
        server, url, scheme, err_path = self.start_server(name, scheme)
        record = {"server_pid": server.pid, "url": url}
        try:
            cmd = [*self.loadgen_pin, self.bin_dir / "sealed_loadgen", "--scheme", scheme, "--url", url,
                   "--mode", cell["mode"], "--connections", cell["connections"], "--size", cell["size"],
                   "--duration", cell["duration_s"], "--server-pid", server.pid,
                   *SCHEMES.get(scheme, {}).get("loadgen_flags", [])]
            timeout = loadgen_timeout(cell)
            remaining = self.remaining()
            if remaining is not None:
                timeout = max(3.0, min(timeout, remaining))
            status, out, err = run_capture(cmd, timeout, "load generator")
            if server.poll() is not None:
                raise RunError(f"{name} server died during the run (status {server.returncode}); "
                               f"stderr: {tail(read_file(err_path))}")
            record["server_status_at_end"] = proc_status(server.pid)
            if status != 0:
                raise RunError(f"load generator exited with status {status}; stderr: {tail(err)}")
            record["result"] = parse_loadgen(out, cell, scheme)
            if err.strip():
                record["loadgen_stderr"] = tail(err, lines=20, chars=2000)
        finally:
            status, warning = self.stop_server(server)
            record["server_exit"] = status
            if warning:
                record["warning"] = warning
            server_err = read_file(err_path).strip()
            if server_err:
                record["server_stderr"] = tail(server_err, lines=20, chars=2000)
            if "rate limit exceeded" in server_err:
                limited = "the server rate-limited the load generator: this run measured the limiter"
                record["warning"] = f"{record['warning']}; {limited}" if warning else limited
        return record
