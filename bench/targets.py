#!/usr/bin/env python3
"""Issue 12's targets against one bench/run-all.sh run: reads its raw outputs (the scenario lines of
run-benchmarks.sh, `<scenario> {json} key=value...`, and NodeBench's JSON lines) and prints one line per target:
measured, target, met or not. Nothing is asserted; a missing figure is printed as missing."""
import json
import os
import re
import sys


def scenarios(path):
    """scenario name -> (LoadGen's JSON, the node counters printed after it)."""
    rows = {}
    if not os.path.exists(path):
        return rows
    for line in open(path, encoding="utf-8"):
        match = re.match(r"^(\S+) (\{.*\})(.*)$", line.strip())
        if not match:
            continue
        try:
            data = json.loads(match.group(2))
        except json.JSONDecodeError:
            continue
        counters = dict(kv.split("=", 1) for kv in match.group(3).split() if "=" in kv)
        rows[match.group(1)] = (data, counters)
    return rows


def last_json(path):
    if not os.path.exists(path):
        return None
    lines = [line for line in open(path, encoding="utf-8") if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def per_command(counters, key):
    started = float(counters.get("commands_started", "0") or 0)
    return float(counters[key]) / started if started and key in counters else None


def line(label, value, target, ok):
    shown = "missing" if value is None else value
    result = "-" if value is None else ("met" if ok else "NOT met")
    print(f"{label:<52} {shown:>14}  target {target:<24} {result}")


def load_targets(label, rows):
    print(f"-- {label}")
    end = rows.get("callend_16x1")
    start = rows.get("callstart_16x16")
    cold = rows.get("callend_cold_16x1")
    if end:
        data, counters = end
        rate, p99 = data["commands_per_s"], data["accept_latency_ms"]["p99"]
        clean = data["errors_total"] == 0 and data["never_ended"] == 0
        line("CallEnd 16x1, cmds/s (0 errors, 0 unended)", f"{rate:,.0f}", ">= 25,000", rate >= 25000 and clean)
        line("CallEnd 16x1, p99 request->reply, ms", f"{p99:.1f}", "< 5", p99 < 5)
        trips = per_command(counters, "journal_write_requests")
        line("journal writes per CallEnd (round trips)", None if trips is None else f"{trips:.2f}", "<= 2", trips is not None and trips <= 2.005)
    if start:
        data, counters = start
        rate = data["commands_per_s"]
        line("CallStart 16x16, flows/s", f"{rate:,.0f}", ">= 3,000", rate >= 3000)
        trips = per_command(counters, "journal_write_requests")
        line("journal writes per CallStart (round trips)", None if trips is None else f"{trips:.2f}", "<= 4", trips is not None and trips <= 4.005)
    if end and cold:
        ratio = cold[0]["commands_per_s"] / end[0]["commands_per_s"] * 100
        line("cold start, % of steady (10 s after 20,000 new calls)", f"{ratio:.0f} %", ">= 80 %", ratio >= 80)


def main(out):
    load_targets("embedded default (SQLite)", scenarios(os.path.join(out, "sqlite.txt")))
    if os.path.exists(os.path.join(out, "postgres.txt")):
        load_targets("PostgreSQL journal", scenarios(os.path.join(out, "postgres.txt")))
    print("-- node internals")
    evi = last_json(os.path.join(out, "evi.txt"))
    if evi:
        burst = evi["hold_burst"]
        rate, drops = burst["routed_per_s"], burst["kernel_drops"]
        line("EVI burst routed/s, kernel drops", f"{rate:,.0f}, {drops}", ">= 100,000/s, 0 drops", rate >= 100000 and drops == 0)
    memory = last_json(os.path.join(out, "memory.txt"))
    if memory:
        size = memory["managed_bytes_per_dialog"]
        line("memory per idle dialog, B (100,000 live)", f"{size:,.0f}", "<= 2,048", size <= 2048 and memory["dialogs"] >= 100000)


if __name__ == "__main__":
    main(sys.argv[1])
