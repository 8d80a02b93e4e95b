"""The Markdown report of one results document, and atomic writes for the result files."""

import os

from .matrix import cell_label, size_label
from .settings import IDLE_HOLD_S


def write_atomic(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def fmt(value, digits=None):
    if value is None:
        return "—"
    if digits is not None:
        return f"{value:,.{digits}f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


class Tables:
    """Markdown for one results document; collects footnotes for partial or erroring cells."""

    def __init__(self, doc):
        self.doc = doc
        self.cells = doc["cells"]
        self.repeat = doc["config"]["repeat"]
        self.notes = []

    def value(self, cell, name, metric, digits=None):
        entry = cell["servers"].get(name)
        if entry is None:
            return "—"
        if entry["ok_runs"] == 0:
            return "fail"
        text = fmt(entry["median"].get(metric), digits)
        marks = ""
        if entry["ok_runs"] < self.repeat:
            marks += f" ({entry['ok_runs']}/{self.repeat})"
        if entry["errors_reported"]:
            marks += " †"
        if entry["warnings"]:
            marks += " ‡"
        return text + marks

    def ratio(self, cell, other, metric, bold=False):
        ratio = cell["ratios"].get(f"sealed/{other}:{metric}")
        if not ratio:
            return "—"
        text = f"{ratio['median']:.2f}"
        if bold:
            text = f"**{text}**"
        if len(ratio["per_repeat"]) > 1:
            text += f" ({ratio['min']:.2f}–{ratio['max']:.2f})"
        if cell["servers"]["sealed"]["warnings"] or cell["servers"][other]["warnings"]:
            text += " ‡"
        return text

    @staticmethod
    def table(header, rows, left=1):
        """Markdown table; the first `left` columns are labels, the rest numbers (right-aligned)."""
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join("---" if i < left else "--:" for i in range(len(header))) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)

    def render(self):
        doc, machine, config = self.doc, self.doc["machine"], self.doc["config"]
        title = doc.get("scheme_title", "ECDH-GCM")
        out = [f"# sealed benchmarks — {title} — {doc['date']}{' (quick smoke run)' if config['quick'] else ''}", ""]
        if config["quick"]:
            out += ["**Quick smoke run** (1 s cells, 1 repeat): it checks that the bench runs. Do not compare "
                    "these numbers; run `bench/run` for results.", ""]
        build_type = machine.get("cmake_build_type") or "unknown build type"
        commit = (machine.get("git_commit") or "unknown")[:12]
        if machine.get("git_dirty"):
            commit += " + uncommitted changes"
        load_end = machine.get("loadavg_end") or [None]
        out += [self.table(["", ""], [
            ["machine", f"{machine.get('cpu_model')}, {machine.get('nproc')} CPUs, kernel {machine.get('kernel')}, "
                        f"{machine.get('os')}"],
            ["load average (1 min) at start / end", f"{fmt(machine['loadavg_start'][0])} / {fmt(load_end[0])}"],
            ["commit", commit],
            ["build", f"`{machine.get('build_dir')}` ({build_type})"],
            ["peer", f"Node {machine.get('node_version')}, ws {machine.get('ws_version')} "
                     f"({doc.get('peer_title', 'ws + node:crypto')})"],
            ["pinning", machine.get("pinning")],
            ["repeats", f"{self.repeat}; per cell {' → '.join(self.cells[0]['servers']) if self.cells else ''} back to "
                        "back, fresh server each; medians"],
            ["wall time", f"{doc['wall_s']:.0f} s"],
        ], left=2), ""]
        if doc.get("about"):
            out += [doc["about"], ""]
        if doc.get("warnings"):
            out += ["**Warnings:**", "", *(f"- {w}" for w in doc["warnings"]), ""]
        out += ["Ratios are sealed ÷ peer (or ÷ ceiling) of two runs from the same repeat, median over repeats, "
                "(min–max) when repeated. Absolute numbers drift with the machine's load; the ratios are the "
                "headline. *ceiling* is the plaintext echo server: the same runtime without encryption.", ""]
        echo = [c for c in self.cells if c["mode"] == "echo"]
        if echo:
            out += [f"## Echo round trips, {title}", "",
                    "Each connection sends a message and waits for the echo. Higher is better; sealed/peer > 1 "
                    "means sealed is faster.", ""]
            out.append(self.table(
                ["size", "conns", "sealed msgs/s", "peer msgs/s", "sealed/peer", "ceiling msgs/s", "sealed/ceiling",
                 "sealed MB/s", "peer MB/s", "ceiling MB/s"],
                [[size_label(c["size"]), str(c["connections"]),
                  self.value(c, "sealed", "messages_per_s"), self.value(c, "peer", "messages_per_s"),
                  self.ratio(c, "peer", "messages_per_s", bold=True), self.value(c, "ceiling", "messages_per_s"),
                  self.ratio(c, "ceiling", "messages_per_s"),
                  self.value(c, "sealed", "mb_per_s", 1), self.value(c, "peer", "mb_per_s", 1),
                  self.value(c, "ceiling", "mb_per_s", 1)] for c in echo], left=2))
            out += ["", "### Echo latency (µs per round trip)", "",
                    "Lower is better; sealed/peer < 1 means sealed answers sooner.", ""]
            out.append(self.table(
                ["size", "conns", "sealed p50", "peer p50", "sealed p99", "peer p99", "p99 sealed/peer",
                 "ceiling p50", "ceiling p99"],
                [[size_label(c["size"]), str(c["connections"]),
                  self.value(c, "sealed", "latency_us.p50"), self.value(c, "peer", "latency_us.p50"),
                  self.value(c, "sealed", "latency_us.p99"), self.value(c, "peer", "latency_us.p99"),
                  self.ratio(c, "peer", "latency_us.p99", bold=True),
                  self.value(c, "ceiling", "latency_us.p50"), self.value(c, "ceiling", "latency_us.p99")]
                 for c in echo], left=2))
            out.append("")
        handshake = [c for c in self.cells if c["mode"] == "handshake"]
        if handshake:
            out += [f"## {self.doc.get('handshake_title', 'Handshakes (connect + key exchange + close)')}", "",
                    "Workers connect, complete the handshake and close, repeatedly. Higher is better.", ""]
            out.append(self.table(
                ["workers", "sealed hs/s", "peer hs/s", "sealed/peer", "ceiling hs/s", "sealed p50 / p99 µs",
                 "peer p50 / p99 µs"],
                [[str(c["connections"]),
                  self.value(c, "sealed", "handshakes_per_s"), self.value(c, "peer", "handshakes_per_s"),
                  self.ratio(c, "peer", "handshakes_per_s", bold=True), self.value(c, "ceiling", "handshakes_per_s"),
                  self.value(c, "sealed", "latency_us.p50") + " / " + self.value(c, "sealed", "latency_us.p99"),
                  self.value(c, "peer", "latency_us.p50") + " / " + self.value(c, "peer", "latency_us.p99")]
                 for c in handshake]))
            out.append("")
        idle = [c for c in self.cells if c["mode"] == "idle"]
        if idle:
            out += ["## Memory per idle connection", "",
                    f"Server RSS with the connections open (held {IDLE_HOLD_S} s) minus RSS before, ÷ connections, "
                    "in KiB. Lower is better.", ""]
            out.append(self.table(
                ["conns", "sealed KiB/conn", "peer KiB/conn", "sealed/peer", "ceiling KiB/conn"],
                [[str(c["connections"]), self.value(c, "sealed", "rss_per_conn_kib", 2),
                  self.value(c, "peer", "rss_per_conn_kib", 2), self.ratio(c, "peer", "rss_per_conn_kib", bold=True),
                  self.value(c, "ceiling", "rss_per_conn_kib", 2)] for c in idle]))
            out.append("")
        busy = echo + handshake
        if busy:
            out += ["## Server CPU per operation (µs per round trip or handshake)", "",
                    "Server CPU time (user + system) ÷ operations. Lower is better; less sensitive to the "
                    "load generator than the rates.", ""]
            out.append(self.table(
                ["cell", "sealed", "peer", "sealed/peer", "ceiling"],
                [[f"{c['mode']} {cell_label(c)}", self.value(c, "sealed", "server_cpu_us_per_op", 1),
                  self.value(c, "peer", "server_cpu_us_per_op", 1),
                  self.ratio(c, "peer", "server_cpu_us_per_op", bold=True),
                  self.value(c, "ceiling", "server_cpu_us_per_op", 1)] for c in busy]))
            out.append("")
        out += self.micro_table()
        out += self.problems()
        return "\n".join(out).rstrip() + "\n"

    def micro_table(self):
        if not self.doc["micro"]:  # a run of some modes only (--mode)
            return []
        bench = self.doc["micro"].get("sealed_bench_handshakes", {})
        out = ["## Micro benchmarks (`sealed_bench_handshakes`: CPU only, no I/O)", ""]
        if "error" in bench:
            return out + [f"Failed: {bench['error']}", ""]
        rows = []
        for b in bench.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration" or not b["name"].startswith(("handshake/", "request/", "seal_open/")):
                continue
            scale = {"ns": 1e-3, "us": 1, "ms": 1e3, "s": 1e6}.get(b.get("time_unit", "ns"), 1e-3)
            # seal_open rows are throughput; handshakes and requests are a rate even with bytes set.
            per_byte = b["name"].startswith("seal_open/") or "items_per_second" not in b
            if per_byte and "bytes_per_second" in b:
                rate = f"{b['bytes_per_second'] / 1e6:,.1f} MB/s"
            elif "items_per_second" in b:
                rate = f"{b['items_per_second']:,.0f} /s"
            else:
                rate = "—"
            rows.append([f"`{b['name']}`", fmt(b["real_time"] * scale), rate])
        if not rows:
            return out + ["No handshake or seal_open results.", ""]
        out.append(self.table(["benchmark", "µs per op", "throughput"], rows))
        out += ["", "`seal_open/<scheme>/<bytes>`: one message sealed and opened. `request/envelope/<bytes>`: one "
                "envelope request sealed, opened, answered and the answer opened (the envelope has no handshake). "
                "All Google Benchmark output (with `sealed_bench_crypto`) is in the JSON.", ""]
        return out

    def problems(self):
        lines = []
        for cell in self.cells:
            for name, entry in cell["servers"].items():
                for run in entry["runs"]:
                    where = f"{cell['mode']} {cell_label(cell)}, {name}, repeat {run['repeat'] + 1}"
                    if not run.get("ok"):
                        lines.append(f"- **failed** {where}: {run.get('error')}")
                    elif run["result"].get("errors"):
                        first = run["result"].get("first_error")
                        lines.append(f"- † {where}: the load generator counted {run['result']['errors']} errors"
                                     + (f" (first: {first})" if first else ""))
                    if run.get("warning"):
                        lines.append(f"- warning {where}: {run['warning']}")
        for name, bench in self.doc["micro"].items():
            if "error" in bench:
                lines.append(f"- **failed** {name}: {bench['error']}")
        if not lines:
            return []
        return ["## Failures and warnings", "",
                "(k/n) after a number: only k of n repeats succeeded; †: some repeat counted errors; "
                "‡: some repeat has a warning below.", "",
                *lines, ""]
