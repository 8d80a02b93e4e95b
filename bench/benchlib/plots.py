"""PNG bar charts of the medians, drawn with gnuplot (skipped with a note if it is missing)."""

import shutil
import subprocess
import tempfile
from pathlib import Path

from .diagnostics import log, tail
from .matrix import cell_label
from .settings import SERVER_TITLES, SERVERS


def plots(doc, out_dir, stem):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        log("note: gnuplot not found; no plots (apt-get install gnuplot-nox)")
        return []
    has_cairo = subprocess.run([gnuplot, "-e", "set terminal pngcairo"], capture_output=True,
                               timeout=30).returncode == 0
    terminal = 'pngcairo size 1100,600 font "sans,10"' if has_cairo else "png size 1100,600"
    suffix = " (quick smoke run)" if doc["config"]["quick"] else ""
    median_of = f"median of {doc['config']['repeat']}" if doc["config"]["repeat"] > 1 else "1 run"
    specs = [
        ("msgs", "echo", "messages_per_s", "messages/s",
         f"Echo round trips, {doc.get('scheme_title', 'ECDH-GCM')} — messages/s ({median_of}){suffix}", "size x connections"),
        ("handshakes", "handshake", "handshakes_per_s", "handshakes/s",
         f"{doc.get('scheme_title', 'ECDH-GCM')}: {doc.get('handshake_title', 'handshakes (connect + key exchange + close)').lower()} "
         f"per second ({median_of}){suffix}", "concurrent workers"),
        ("idle-memory", "idle", "rss_per_conn_kib", "KiB per connection",
         f"{doc.get('scheme_title', 'ECDH-GCM')}: server memory per idle connection ({median_of}){suffix}", "idle connections"),
    ]
    written = []
    with tempfile.TemporaryDirectory(prefix="sealed-plot-") as tmp:
        for slug, mode, metric, ylabel, title, xlabel in specs:
            cells = [c for c in doc["cells"] if c["mode"] == mode]
            if not cells:
                continue
            data = Path(tmp) / f"{slug}.dat"
            rows = []
            for c in cells:
                values = [c["servers"][n]["median"].get(metric) if c["servers"].get(n, {}).get("ok_runs") else None
                          for n in SERVERS]
                ratio = c["ratios"].get(f"sealed/peer:{metric}")
                label = f"sealed/peer {ratio['median']:.2f}" if ratio else "sealed/peer n/a"
                top = max([v for v in values if v is not None] or [0])
                rows.append(" ".join([f'"{cell_label(c)}"', *("NaN" if v is None else repr(float(v)) for v in values),
                                      f'"{label}"', repr(float(top))]))
            data.write_text("\n".join(rows) + "\n")
            png = out_dir / f"{stem}-{slug}.png"
            tmp_png = Path(tmp) / png.name
            script = f"""
set terminal {terminal}
set output '{tmp_png}'
set title "{title}"
set ylabel "{ylabel}"
set xlabel "{xlabel}"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xrange [-0.6:{len(cells) - 0.4}]
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set grid ytics
set key top left
set xtics nomirror
plot '{data}' using 2:xtic(1) title '{SERVER_TITLES["sealed"]}' lc rgb '#1f77b4', \\
     '' using 3 title '{SERVER_TITLES["peer"]}' lc rgb '#ff7f0e', \\
     '' using 4 title '{SERVER_TITLES["ceiling"]}' lc rgb '#9a9a9a', \\
     '' using ($0):($6):5 with labels offset 0,1 notitle
"""
            try:
                result = subprocess.run([gnuplot], input=script, capture_output=True, text=True, timeout=60)
            except subprocess.TimeoutExpired:
                log(f"warning: gnuplot timed out on {png.name}")
                continue
            if result.returncode != 0 or not tmp_png.exists():
                log(f"warning: gnuplot failed on {png.name}: {tail(result.stderr)}")
                continue
            shutil.move(str(tmp_png), png)
            written.append(png)
    return written
