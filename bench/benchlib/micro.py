"""The Google Benchmark binaries (CPU only, no I/O); their JSON goes into the results as is."""

import json
import time

from .diagnostics import RunError, log, tail
from .processes import run_capture


def run_micro(bin_dir, quick, loadgen_pin):
    micro = {}
    for name in ("sealed_bench_crypto", "sealed_bench_handshakes"):
        cmd = [*loadgen_pin, bin_dir / name, "--benchmark_format=json"]
        if quick:
            cmd.append("--benchmark_min_time=0.05")
        log(f"micro: {name}")
        started = time.monotonic()
        try:
            status, out, err = run_capture(cmd, 60 if quick else 1200, name)
            if status != 0:
                raise RunError(f"{name} exited with status {status}; stderr: {tail(err)}")
            try:
                micro[name] = json.loads(out)
            except ValueError:
                raise RunError(f"{name} did not print JSON: {tail(out)}")
            log(f"  {len(micro[name].get('benchmarks', []))} benchmarks in {time.monotonic() - started:.1f} s")
        except RunError as error:
            log(f"  FAILED: {error}")
            micro[name] = {"error": str(error)}
    return micro
