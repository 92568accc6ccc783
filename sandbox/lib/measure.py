"""The numbers of tests and benchmarks: percentiles, medians over rounds, and
how a figure is written in a report."""

import statistics


def percentile(values, q):
    """The Q quantile (0..1) of VALUES: the nearest of the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def percentiles(values):
    """n, p50/p90/p99/max and mean of a list (its unit in, the same out)."""
    if not values:
        return {}
    return {"n": len(values), "p50": percentile(values, 0.5), "p90": percentile(values, 0.9),
            "p99": percentile(values, 0.99), "max": max(values),
            "mean": statistics.fmean(values)}


def median_of(rounds, *path):
    """The median over ROUNDS (a list of nested dicts) of the value at PATH;
    rounds without one (None) do not count, and with none it is None."""
    values = []
    for result in rounds:
        for key in path:
            result = result[key]
        if result is not None:
            values.append(result)
    return statistics.median(values) if values else None


def fmt(value):
    """A figure as reports write it."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)
