"""Child processes: each in its own process group, always reaped (also on failure or interrupt);
plus small readers for files, command output and /proc."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .diagnostics import Fatal, RunError, log, tail
from .settings import ROOT

CHILDREN = set()


def spawn(cmd, **kwargs):
    """Every child gets its own process group, so we can end it and anything it started."""
    process = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, start_new_session=True, **kwargs)
    CHILDREN.add(process)
    return process


def kill_group(process, sig=signal.SIGKILL):
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reap(process, timeout=5.0):
    """SIGKILLs what is left of the child's group and waits for it."""
    if process.poll() is None:
        kill_group(process)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    CHILDREN.discard(process)


def kill_all_children():
    for process in list(CHILDREN):
        kill_group(process, signal.SIGTERM)
    deadline = time.monotonic() + 3
    for process in list(CHILDREN):
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        reap(process)


def run_capture(cmd, timeout, what):
    """Runs cmd to completion; returns (status, stdout, stderr). Raises RunError on timeout."""
    process = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        try:
            out, err = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            out, err = "", ""
        raise RunError(f"{what} timed out after {timeout:.0f} s; stderr: {tail(err)}")
    finally:
        reap(process)
    return process.returncode, out, err


def run_streamed(cmd, timeout, what):
    """Runs cmd with its output on our stderr (stdout stays for the final table)."""
    log("$ " + " ".join(str(c) for c in cmd))
    process = spawn(cmd, stdout=sys.stderr, stderr=sys.stderr, stdin=subprocess.DEVNULL)
    try:
        status = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fatal(f"{what} timed out after {timeout:.0f} s")
    finally:
        reap(process)
    if status != 0:
        raise Fatal(f"{what} failed with exit status {status}")


def read_file(path, default=""):
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return default


def command_output(cmd, timeout=10):
    try:
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        return result.stdout.strip() if result.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def proc_status(pid):
    """VmRSS/VmHWM (KiB) and user+system CPU seconds of a live process, from /proc."""
    facts = {}
    for line in read_file(f"/proc/{pid}/status").splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            facts[key] = int(value.split()[0])
    stat = read_file(f"/proc/{pid}/stat")
    if stat:
        fields = stat.rsplit(")", 1)[1].split()
        facts["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return facts
