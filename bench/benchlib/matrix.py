"""The benchmark matrix: which cells run, how they are labelled, and the medians and paired
per-repeat ratios over repeats."""

import statistics

from .settings import IDLE_HOLD_S


def matrix(quick):
    if quick:
        # One cell per mode: every scheme's every mode runs, within CI's two minutes.
        duration, sizes, echo_conns, handshake_conns, idle_conns = 1, [1024], [50], [10], 500
    else:
        duration, sizes, echo_conns, handshake_conns, idle_conns = 5, [1024, 16384], [1, 100, 1000], [1, 50], 10000
    cells = [{"mode": "echo", "size": size, "connections": conns, "duration_s": duration}
             for size in sizes for conns in echo_conns]
    cells += [{"mode": "handshake", "size": 1024, "connections": conns, "duration_s": duration}
              for conns in handshake_conns]
    cells.append({"mode": "idle", "size": 1024, "connections": idle_conns, "duration_s": IDLE_HOLD_S})
    for cell in cells:
        cell["id"] = cell_id(cell)
    return cells


def for_scheme(cells, spec):
    """The cells as `spec` runs them: its own echo sizes and connections where it has them (pnet: a
    32-byte ping; libp2p: 10 subscribers), and at most its `idle_connections`."""
    cells = [dict(c, connections=min(c["connections"], spec["idle_connections"]), id=None)
             if c["mode"] == "idle" and "idle_connections" in spec else c for c in cells]
    for cell in cells:
        cell["id"] = cell["id"] or cell_id(cell)
    sizes = spec.get("echo_sizes")
    echo = [c for c in cells if c["mode"] == "echo"]
    if not sizes or not echo:
        return cells
    connections = spec.get("echo_connections") or list(dict.fromkeys(c["connections"] for c in echo))
    own = [{"mode": "echo", "size": size, "connections": conns, "duration_s": echo[0]["duration_s"]}
           for size in sizes for conns in connections]
    for cell in own:
        cell["id"] = cell_id(cell)
    return own + [c for c in cells if c["mode"] != "echo"]


def cell_id(cell):
    if cell["mode"] == "echo":
        return f"echo-{cell['size']}B-c{cell['connections']}"
    return f"{cell['mode']}-c{cell['connections']}"


def size_label(size):
    return f"{size // 1024} KiB" if size % 1024 == 0 else f"{size} B"


def cell_label(cell):
    if cell["mode"] == "echo":
        return f"{size_label(cell['size'])} x {cell['connections']}"
    if cell["mode"] == "handshake":
        return f"{cell['connections']} worker{'s' if cell['connections'] != 1 else ''}"
    return f"{cell['connections']} idle"


def flatten(result, prefix=""):
    flat = {}
    for key, value in result.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[prefix + key] = value
    return flat


RATIO_METRICS = {
    "echo": ("messages_per_s", "mb_per_s", "latency_us.p50", "latency_us.p99", "server_cpu_us_per_op"),
    "handshake": ("handshakes_per_s", "latency_us.p50", "latency_us.p99", "server_cpu_us_per_op"),
    "idle": ("rss_per_conn_kib",),
}


def summarize(cell, repeat):
    """Medians per server over the runs that succeeded; paired per-repeat ratios sealed/peer, sealed/ceiling."""
    for entry in cell["servers"].values():
        ok = [run for run in entry["runs"] if run.get("ok")]
        entry["ok_runs"] = len(ok)
        entry["errors_reported"] = sum(run["result"].get("errors", 0) for run in ok)
        entry["warnings"] = sum(1 for run in entry["runs"] if run.get("warning"))
        flats = [flatten(run["result"]) for run in ok]
        keys = sorted(set().union(*flats)) if flats else []
        entry["median"] = {k: statistics.median(f[k] for f in flats if k in f) for k in keys}
        entry["min"] = {k: min(f[k] for f in flats if k in f) for k in keys}
        entry["max"] = {k: max(f[k] for f in flats if k in f) for k in keys}
    ratios = {}
    for other in [n for n in ("peer", "ceiling") if n in cell["servers"]]:
        for metric in RATIO_METRICS[cell["mode"]]:
            pairs = []
            for r in range(repeat):
                a = run_of(cell, "sealed", r)
                b = run_of(cell, other, r)
                if a and b:
                    x, y = flatten(a["result"]).get(metric), flatten(b["result"]).get(metric)
                    if x is not None and y:
                        pairs.append(x / y)
            if pairs:
                ratios[f"sealed/{other}:{metric}"] = {"per_repeat": pairs, "median": statistics.median(pairs),
                                                      "min": min(pairs), "max": max(pairs)}
    cell["ratios"] = ratios


def run_of(cell, name, r):
    for run in cell["servers"][name]["runs"]:
        if run["repeat"] == r and run.get("ok"):
            return run
    return None
