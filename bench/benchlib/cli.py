"""bench/run's command line, the run loop over repeats x cells x servers, and the exit status."""

import argparse
import datetime
import json
import os
import shutil
import signal
import time
from pathlib import Path

from .diagnostics import WARNINGS, Fatal, RunError, log, warn
from .environment import build, check_prerequisites, machine_facts, raise_fd_limit, setup
from .matrix import cell_label, for_scheme, matrix, summarize
from .micro import run_micro
from .plots import plots
from .processes import kill_all_children
from .report import Tables, write_atomic
from .servers import Runner, pinning, server_command
from .settings import HOST, IDLE_HOLD_S, ROOT, SCHEMES, servers_of


def parse_args():
    parser = argparse.ArgumentParser(description="Run sealed's benchmark matrix (see bench/README.md).")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 s cells, fewer cells, 1 repeat, results in bench/results/quick/")
    parser.add_argument("--no-build", action="store_true", help="use the binaries already in BUILD_DIR/bin")
    parser.add_argument("--build-dir", default="build-release",
                        help="build tree, relative to the repository root (default: build-release)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repeat the whole matrix N times and report medians (default 3, 1 with --quick)")
    parser.add_argument("--scheme", action="append", choices=sorted(SCHEMES), default=None,
                        help="the scheme(s) to measure, each against its Node peer (default: all)")
    parser.add_argument("--mode", action="append", choices=("echo", "handshake", "idle"), default=None,
                        help="only these cells, e.g. --mode idle for the memory figure alone (no micro benches; "
                             "results are named <date>[-scheme]-<modes>)")
    args = parser.parse_args()
    args.scheme = args.scheme or list(SCHEMES)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args




def progress_line(result, mode):
    if mode == "echo":
        return (f"{result['messages_per_s']:,.0f} msg/s, {result['mb_per_s']:.1f} MB/s, "
                f"p99 {result['latency_us'].get('p99')} µs")
    if mode == "handshake":
        return f"{result['handshakes_per_s']:,.0f} hs/s, p99 {result['latency_us'].get('p99')} µs"
    return f"{result['rss_per_conn_kib']:.2f} KiB/conn"


def main():
    args = parse_args()
    os.chdir(ROOT)
    started = time.monotonic()
    build_dir = Path(args.build_dir)
    if not build_dir.is_absolute():
        build_dir = ROOT / build_dir
    bin_dir = build_dir / "bin"
    date = datetime.date.today().isoformat()
    out_dir = ROOT / "bench/results" / ("quick" if args.quick else "")

    setup()
    if not args.no_build:
        build(str(build_dir))
    check_prerequisites(bin_dir)
    nofile = raise_fd_limit()
    server_pin, loadgen_pin, pin_note = pinning()
    if not server_pin:
        warn(pin_note)
    cells = matrix(args.quick)
    if args.mode:
        cells = [c for c in cells if c["mode"] in args.mode]
    idle_needed = max(c["connections"] for c in cells) + 100
    if nofile < idle_needed:
        warn(f"the open-file limit is {nofile}; the idle cell needs about {idle_needed}")

    out_dir.mkdir(parents=True, exist_ok=True)
    if args.quick:
        gitignore = out_dir / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# bench/run --quick output: smoke runs, never committed.\n*\n!.gitignore\n")

    runner = Runner(bin_dir, server_pin, loadgen_pin, args.quick)
    run_wide = len(WARNINGS)  # warnings so far concern every scheme; later ones their own scheme
    micro = None
    failed = False
    try:
        micro = {} if args.mode else run_micro(bin_dir, args.quick, loadgen_pin)
        for scheme in args.scheme:
            failed |= run_scheme(scheme, args, cells, runner, micro, build_dir, bin_dir, pin_note, nofile, out_dir, date,
                                 run_wide)
    finally:
        kill_all_children()
        shutil.rmtree(runner.workdir, ignore_errors=True)
    failed = failed or any("error" in b for b in (micro or {}).values())
    log(f"bench/run: done in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


def results_stem(date, scheme):
    """ECDH-GCM, the first scheme, keeps the plain <date> names; the others add their name."""
    return date if scheme == "ecdh_gcm" else f"{date}-{scheme}"


def run_scheme(scheme, args, cells, runner, micro, build_dir, bin_dir, pin_note, nofile, out_dir, date, run_wide):
    """The load matrix for one scheme (sealed vs its peer vs the ceiling); writes its results.
    True if some run failed."""
    started = time.monotonic()
    own_warnings = len(WARNINGS)
    spec = SCHEMES[scheme]
    servers = servers_of(spec)
    doc = {
        "date": date,
        "scheme": scheme,
        "scheme_title": spec["title"],
        "peer_title": spec["peer_title"],
        "about": spec.get("about", ""),
        "handshake_title": spec.get("handshake_title", "Handshakes (connect + key exchange + close)"),
        "started": datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "config": {"quick": args.quick, "repeat": args.repeat, "build_dir": str(build_dir),
                   "built": not args.no_build, "host": HOST, "idle_hold_s": IDLE_HOLD_S,
                   "servers": {n: [str(a) for a in server_command(n, bin_dir, scheme)[0]] for n in servers}},
        "machine": machine_facts(build_dir, pin_note, nofile),
        "micro": micro,
        "cells": [dict(cell, servers={n: {"runs": []} for n in servers}) for cell in for_scheme(cells, spec)],
    }
    about_scheme = []  # warnings about this scheme's run, whether or not another scheme said them already
    if doc["machine"]["cmake_build_type"] != "Release":
        about_scheme.append(f"`{build_dir}` is not a Release build (CMAKE_BUILD_TYPE: "
                            f"{doc['machine']['cmake_build_type'] or 'unknown'}): numbers are not representative")
    load = doc["machine"]["loadavg_start"][0]
    if load > 0.5:
        about_scheme.append(f"the machine was busy at the start (1-minute load average {load:.2f}): absolute "
                            "numbers are low and noisy; the ratios pair runs made back to back")
    for text in about_scheme:
        warn(text)

    stem = results_stem(date, scheme) + ("-" + "-".join(sorted(set(args.mode))) if args.mode else "")
    checkpoint = out_dir / f"{stem}.json.tmp"
    total = args.repeat * len(doc["cells"]) * len(servers)
    done = 0
    for r in range(args.repeat):
        for cell in doc["cells"]:
            for name in servers:
                done += 1
                t0 = time.monotonic()
                try:
                    record = runner.run(cell, name, scheme)
                    record.update(ok=True)
                    summary = progress_line(record["result"], cell["mode"])
                except RunError as error:
                    record = {"ok": False, "error": str(error)}
                    summary = f"FAILED: {error}"
                record.update(repeat=r, wall_s=round(time.monotonic() - t0, 2))
                cell["servers"][name]["runs"].append(record)
                log(f"[{scheme} {done}/{total}] repeat {r + 1} {cell['mode']} {cell_label(cell)} {name}: {summary} "
                    f"({record['wall_s']:.1f} s)")
            checkpoint.write_text(json.dumps(doc, indent=1, default=str))

    for cell in doc["cells"]:
        summarize(cell, args.repeat)
    doc["machine"]["loadavg_end"] = list(os.getloadavg())
    doc["wall_s"] = round(time.monotonic() - started, 1)
    doc["warnings"] = list(dict.fromkeys(WARNINGS[:run_wide] + about_scheme + WARNINGS[own_warnings:]))
    markdown = Tables(doc).render()
    write_atomic(out_dir / f"{stem}.json", json.dumps(doc, indent=1, default=str) + "\n")
    write_atomic(out_dir / f"{stem}.md", markdown)
    checkpoint.unlink(missing_ok=True)
    pngs = plots(doc, out_dir, stem)
    log("wrote " + ", ".join(str(p.relative_to(ROOT)) for p in
                            [out_dir / f"{stem}.json", out_dir / f"{stem}.md", *pngs]))
    print(markdown, end="")
    return any(not run.get("ok") for c in doc["cells"] for entry in c["servers"].values() for run in entry["runs"])


def on_sigterm(signum, frame):
    raise KeyboardInterrupt


def entry():
    """Runs main() and maps the outcome to bench/run's exit status (see bench/README.md)."""
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return main()
    except Fatal as error:
        log(f"bench/run: {error}")
        return 2
    except KeyboardInterrupt:
        kill_all_children()
        log("bench/run: interrupted; partial results (if any) are in bench/results/**/<date>.json.tmp")
        return 130
