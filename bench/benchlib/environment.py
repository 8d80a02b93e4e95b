"""Before the matrix runs: the build, the prerequisites, the open-file limit and the facts about
the machine and build that go into the results."""

import json
import os
import platform
import re
import resource
import shutil

from .diagnostics import Fatal, log
from .processes import command_output, read_file, run_streamed
from .settings import PEER_MODULES, SCHEMES, TARGETS


def setup():
    """The same installer scripts/test and scripts/demo use: Debian packages and the Node peers'
    npm packages, whatever is missing (idempotent, quick when nothing is)."""
    run_streamed(["scripts/setup"], 1800, "scripts/setup")


def build(build_dir):
    configure = ["cmake", "-S", ".", "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                 "-DSEALED_BUILD_BENCH=ON", "-DSEALED_BUILD_TESTS=OFF", "-DSEALED_BUILD_EXAMPLES=ON"]
    if shutil.which("ccache"):
        configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    else:
        log("note: ccache not found; building without it")
    for tool in ("cmake", "ninja"):
        if not shutil.which(tool):
            raise Fatal(f"{tool} not found (Debian 12: apt-get install cmake ninja-build)")
    run_streamed(configure, 600, "cmake configure")
    run_streamed(["cmake", "--build", build_dir, "--target", *TARGETS], 3600, "cmake --build")


def check_prerequisites(bin_dir):
    missing = []
    for target in TARGETS:
        path = bin_dir / target
        if not (path.is_file() and os.access(path, os.X_OK)):
            missing.append(f"{path} (build target {target})")
    if not shutil.which("node"):
        missing.append("node (Debian 12: apt-get install nodejs)")
    for spec in SCHEMES.values():
        if not spec["peer"].is_file():
            missing.append(str(spec["peer"]))
    if not PEER_MODULES.is_dir():
        missing.append(f"{PEER_MODULES} (npm packages for the Node peer: scripts/setup installs them)")
    if missing:
        raise Fatal("missing:\n  " + "\n  ".join(missing))


def raise_fd_limit():
    """Children inherit the limit: 10000 idle connections need 10000+ descriptors on each side."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cmake_cache(build_dir):
    cache = {}
    for line in read_file(build_dir / "CMakeCache.txt").splitlines():
        match = re.match(r"^(CMAKE_BUILD_TYPE|CMAKE_CXX_COMPILER|CMAKE_CXX_COMPILER_LAUNCHER):\w+=(.*)$", line)
        if match:
            cache[match.group(1)] = match.group(2)
    return cache


def machine_facts(build_dir, pin_note, nofile):
    cpuinfo = read_file("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
    os_release = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', read_file("/etc/os-release"), re.M)
    meminfo = re.search(r"^MemTotal:\s*(\d+)", read_file("/proc/meminfo"), re.M)
    cache = cmake_cache(build_dir)
    compiler = cache.get("CMAKE_CXX_COMPILER")
    ws_version = None
    try:
        ws_version = json.loads(read_file(PEER_MODULES / "package.json", "{}")).get("version")
    except ValueError:
        pass
    commit = command_output(["git", "rev-parse", "HEAD"])
    dirty = command_output(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "cpu_model": model.group(1).strip() if model else None,
        "nproc": os.cpu_count(),
        "cpus_allowed": sorted(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "os": os_release.group(1) if os_release else None,
        "mem_total_kb": int(meminfo.group(1)) if meminfo else None,
        "loadavg_start": list(os.getloadavg()),
        "git_commit": commit,
        "git_dirty": bool(dirty) if dirty is not None else None,
        "node_version": command_output(["node", "--version"]),
        "ws_version": ws_version,
        "python_version": platform.python_version(),
        "build_dir": str(build_dir),
        "cmake_build_type": cache.get("CMAKE_BUILD_TYPE"),
        "cxx_compiler": (command_output([compiler, "--version"]) or compiler or "").splitlines()[0] if compiler else None,
        "pinning": pin_note,
        "nofile_limit": nofile,
        "tcp_tw_reuse": read_file("/proc/sys/net/ipv4/tcp_tw_reuse").strip() or None,
        "ip_local_port_range": read_file("/proc/sys/net/ipv4/ip_local_port_range").split() or None,
    }
