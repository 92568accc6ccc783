"""SVG plots for the benchmark report (no plotting library needed)."""

from xml.sax.saxutils import escape

from measure import median_of  # sandbox/lib (stdlib only too)

COLOURS = {"stock": "#d62728", "ours": "#1f77b4"}
W, H, PAD = 560, 320, 55


def _chart(title, xlabel, ylabel, series, xlog=False):
    """series: {name: [(x, y), ...]} -> SVG text."""
    import math

    points = [p for values in series.values() for p in values]
    xs = [math.log10(x) if xlog else x for x, _ in points]
    ys = [y for _, y in points]
    x0, x1 = min(xs), max(xs) or 1
    y1 = max(ys) * 1.1 or 1
    if x1 == x0:
        x1 = x0 + 1

    def sx(x):
        x = math.log10(x) if xlog else x
        return PAD + (x - x0) / (x1 - x0) * (W - 2 * PAD)

    def sy(y):
        return H - PAD + -y / y1 * (H - 2 * PAD)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
           f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="black"/>',
           f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="black"/>',
           f'<text x="{W / 2}" y="{H - 15}" text-anchor="middle">{escape(xlabel)}</text>',
           f'<text x="15" y="{H / 2}" transform="rotate(-90 15 {H / 2})" '
           f'text-anchor="middle">{escape(ylabel)}</text>']
    for i in range(5):
        y = y1 * i / 4
        out.append(f'<text x="{PAD - 5}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.3g}</text>')
    for x in sorted({x for x, _ in points})[:12] if not xlog or len(points) < 40 else []:
        out.append(f'<text x="{sx(x):.1f}" y="{H - PAD + 15}" text-anchor="middle">{x:g}</text>')
    for n, (name, values) in enumerate(series.items()):
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(values))
        colour = COLOURS.get(name, "#555")
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        out.append(f'<text x="{W - PAD - 60}" y="{PAD + 15 * n}" fill="{colour}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _cdf(samples):
    ordered = sorted(samples)
    return [(v, (i + 1) / len(ordered)) for i, v in enumerate(ordered)]


def write_all(out, raw, summary):
    fan = raw["fanout"]
    apps = sorted(fan)

    for key, sub, name, label in (("to_last_ms", "p50", "fanout", "time to last recipient p50 (ms)"),
                                  ("asterisk_cpu_ms_per_broadcast", None, "fanout-cpu",
                                   "Asterisk CPU per broadcast (ms)")):
        series = {t: [(n, median_of(fan[n][t], key, *([sub] if sub else []))) for n in apps]
                  for t in ("stock", "ours")}
        (out / f"{name}.svg").write_text(_chart(f"Fan-out: {label}", "connected applications",
                                                label, series))
    for key, name, title in (("round_trip", "roundtrip", "claim -> StasisStart (ms), CDF"),
                             ("stalled", "stalled", "live apps' CallBroadcast delay with a "
                                                    "stalled app (ms), CDF")):
        series = {}
        for target in ("stock", "ours"):
            samples = [s for r in raw[key][target] for s in r["samples_ms"]]
            series[target] = _cdf(samples)
        (out / f"{name}.svg").write_text(_chart(title, "milliseconds", "fraction of calls",
                                                series))
