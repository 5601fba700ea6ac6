"""`make soak`: the whole reliability suite, and its figures written into docs/reliability.md.

    python -m bench.soak [--quick] [--no-load] [--doc docs/reliability.md]

Runs every fault of bench/faults.py at its full size, the sustained load of bench/load.py, the
hostile-input and access tests (pytest, counting what they tried), then rewrites the part of
the document between `<!-- soak:begin -->` and `<!-- soak:end -->` from what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench import faults, load

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "test-artifacts" / "hostile-input.jsonl"
ACCESS_TESTS = ["tests/integration/test_access.py", "tests/integration/test_auth.py", "tests/reliability/test_security.py",
                "tests/e2e/test_drilldown.py::test_free_text_from_events_is_shown_as_text_and_runs_nothing"]
BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"


def pytest_run(paths: list[str]) -> dict:
    """Runs tests, → {passed, failed} as pytest's last line says."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ})
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|error)", last)}
    return {"passed": counts.get("passed", 0), "failed": counts.get("failed", 0) + counts.get("error", 0)}


def hostile_input() -> tuple[list[dict], dict]:
    HOSTILE.unlink(missing_ok=True)
    result = pytest_run(sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "reliability").glob("test_hostile*.py")))
    lines = [json.loads(line) for line in HOSTILE.read_text().splitlines()] if HOSTILE.exists() else []
    return lines, result


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {date.today().isoformat()}"


def fault_table(rows: list[dict]) -> list[str]:
    head = ["| fault | what was done | times | events in | applied | lost | counted twice | bad inputs → dead-letter "
            "| time to recover (median / max) | other |", "|---|---|---|---|---|---|---|---|---|---|"]
    common = set(faults.row("", "", 0, faults.Sent(), _Empty(), []).keys())
    for r in rows:
        other = ", ".join(f"{k} {v}" for k, v in r.items() if k not in common)
        recover = f"{r['recover_s_median']} / {r['recover_s_max']} s" if r["recover_s_median"] is not None else "—"
        head.append(f"| {r['fault']} | {r['what']} | {r['times']} | {r['events_in']:,} | {r['applied']:,} | **{r['lost']}** "
                    f"| **{r['duplicates_counted']}** | {r['bad_in']} → {r['bad_dead_lettered']} | {recover} | "
                    f"{other or '—'}; state = whole log: {'yes' if r['state_matches'] else '**no**'} |")
    return head


class _Empty:
    """A verdict of nothing, to learn the common columns of a row."""
    events_in = applied = lost = written_twice = counted_twice = bad_in = bad_dead_lettered = 0
    state_matches = ok = True


def hostile_table(lines: list[dict], result: dict) -> list[str]:
    """One row per test function (its parametrized cases summed)."""
    by_test: dict[str, dict] = {}
    for line in lines:
        name = line.get("test", "?").split("::")[-1].split("[")[0]
        row = by_test.setdefault(name, {"inputs": 0, "statuses": {}, "applied": 0})
        row["inputs"] += line.get("inputs", 0)
        row["applied"] += line.get("valid_events_applied", 0) or 0
        for status, n in (line.get("statuses") or {}).items():
            row["statuses"][status] = row["statuses"].get(status, 0) + n
    rows = ["| test | inputs tried | answers (HTTP status × count) | valid events applied |", "|---|---|---|---|"]
    for name, row in by_test.items():
        answers = ", ".join(f"{s}×{n}" for s, n in sorted(row["statuses"].items())) or "— (log entries)"
        rows.append(f"| {name} | {row['inputs']:,} | {answers} | {row['applied']:,} |")
    total = sum(row["inputs"] for row in by_test.values())
    rows.append(f"\n**{total:,} inputs** in all; tests: {result['passed']} passed, {result['failed']} failed; "
                "no answer was a 5xx (each test fails on one).")
    return rows


def load_table(figures: dict | None) -> list[str]:
    if figures is None:
        return ["(not run: `--no-load`)"]
    latency = figures["publish_to_wall_ms"]
    return ["| figure | measured |", "|---|---|",
            f"| events sent, seconds, rate | {figures['events_sent']:,} in {figures['seconds']} s: **{figures['events_per_s']:,}/s** |",
            f"| answers | {figures['answers']} |",
            f"| walls connected | {figures['walls']} |",
            f"| publish → wall (markers seen {figures['marker_sightings']:,} of {figures['sightings_expected']:,}) | "
            f"p50 **{latency['p50']} ms**, p99 **{latency['p99']} ms**, max {latency['max']} ms |",
            f"| consumer lag (log entries, every 5 s; goal p99 ≤ 3,000, a second of events) | median "
            f"{figures['lag_entries']['median']}, p99 **{figures['lag_entries']['p99']}**, max {figures['lag_entries']['max']} |",
            f"| service memory (VmRSS every 30 s, MB) | {' → '.join(str(m) for m in figures['rss_mb'])} |",
            f"| the same state alone (the service restarted on it: loaded and caught up), MB | "
            f"{figures['state_alone_mb']} ({figures['events_applied']:,} events applied) |",
            f"| memory growth ÷ the state's own growth (goal ≤ 1.2) | **{figures['rss_growth_over_state_growth']}** |"]


def write_doc(doc: Path, parts: dict[str, list[str]]) -> None:
    text = doc.read_text()
    body = [f"Measured on {machine()} by `make soak`.", ""]
    for title, lines in parts.items():
        body += [f"### {title}", "", *lines, ""]
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    doc.write_text(text[:start] + "\n" + "\n".join(body) + text[end:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="faults at the test suite's size, 1 minute of load")
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "reliability.md")
    args = parser.parse_args()
    size = faults.SIZES["quick" if args.quick else "full"]
    rows = faults.run(list(faults.FAULTS), size)
    figures = None
    if not args.no_load:
        with tempfile.TemporaryDirectory(prefix="soak-load-") as tmp:
            figures = load.run(1 if args.quick else load.MINUTES, load.RATE, load.WALLS, Path(tmp))
        print(json.dumps(figures), flush=True)
    hostile, hostile_result = hostile_input()
    access = pytest_run(ACCESS_TESTS)
    write_doc(args.doc, {"Faults": fault_table(rows), "Hostile input": hostile_table(hostile, hostile_result),
                         "Access": [f"The access matrix, login limits, session fixation, CSRF, open redirects, path "
                                    f"climbing, secrets in logs and answers, free text in pages: {access['passed']} "
                                    f"tests passed, {access['failed']} failed ({', '.join(ACCESS_TESTS)})."],
                         "Load": load_table(figures)})
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
