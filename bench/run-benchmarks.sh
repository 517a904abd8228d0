#!/usr/bin/env bash
# Runs the CallCluster load scenarios against the embedded product on this machine and prints the figures.
#
#   bench/run-benchmarks.sh            # all scenarios
#   BENCH_SCALE=0.2 bench/run-benchmarks.sh   # shorter (counts and durations scaled)
#   BENCH_ONLY='callend_16' bench/run-benchmarks.sh   # only the scenarios whose name matches the regex
#   BENCH_PG='Host=...;Username=...' bench/run-benchmarks.sh   # journal on PostgreSQL instead of SQLite
#   BENCH_NODE_ARGS='--config /tmp/what-if.conf' bench/run-benchmarks.sh   # extra arguments for the product (what-if runs)
#
# Steps (each bounded in time): build Release (Apps/Embedded + LoadGen) → start `dotnet run -c Release --project src/Apps/Embedded`
# with a temp SQLite file and free WebSocket / simulator-MI ports → wait until the WebSocket accepts a command →
# run the scenarios with src/LoadGen → stop the product with SIGINT (CoordinatedShutdown), wait, SIGKILL if it hangs.
# A trap cleans up (product stopped, temp dir removed) on any exit. See bench/README.md for the figures.
set -euo pipefail
set -m # background jobs get their own process group and do not ignore SIGINT

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SCALE=${BENCH_SCALE:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/callcluster-bench.XXXXXX")
NODE_LOG="$WORK/node.log"
RESULTS="$WORK/results.jsonl"
NODE_PID=""
KEEP_WORK=0

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

stop_node() {
    [[ -n "$NODE_PID" ]] || return 0
    if kill -0 "$NODE_PID" 2>/dev/null; then
        log "stopping the product (SIGINT to process group $NODE_PID)"
        kill -INT -- "-$NODE_PID" 2>/dev/null || true
        for _ in $(seq 1 60); do
            kill -0 "$NODE_PID" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$NODE_PID" 2>/dev/null; then
            log "product still running after 30 s: SIGKILL"
            kill -KILL -- "-$NODE_PID" 2>/dev/null || true
        fi
    fi
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_node
    if [[ $rc -ne 0 || $KEEP_WORK -eq 1 ]]; then
        log "exit $rc; product log and results kept in $WORK"
        [[ -f "$NODE_LOG" ]] && { echo "--- last lines of the product log ---" >&2; tail -n 30 "$NODE_LOG" >&2 || true; }
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_udp_tcp_port() {
    python3 - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
EOF
}

scaled() { python3 -c "import sys; print(max(1, int(round(float(sys.argv[1]) * float(sys.argv[2])))))" "$1" "$SCALE"; }

# ---------------------------------------------------------------- 1. build
log "building Release (src/Apps/Embedded, src/LoadGen)"
timeout 600 dotnet build -c Release -nologo -v q src/Apps/Embedded/Apps.Embedded.csproj >"$WORK/build-node.log" 2>&1 \
    || { cat "$WORK/build-node.log" >&2; log "build of src/Apps/Embedded failed"; exit 1; }
timeout 300 dotnet build -c Release -nologo -v q src/LoadGen/LoadGen.csproj >"$WORK/build-loadgen.log" 2>&1 \
    || { cat "$WORK/build-loadgen.log" >&2; log "build of src/LoadGen failed"; exit 1; }
LOADGEN=(dotnet "$ROOT/src/LoadGen/bin/Release/net10.0/CallCluster.LoadGen.dll")

# ---------------------------------------------------------------- 2. start the product
WS_PORT=$(free_udp_tcp_port)
MI_PORT=$(free_udp_tcp_port)
while [[ "$MI_PORT" == "$WS_PORT" ]]; do MI_PORT=$(free_udp_tcp_port); done
ADMIN_PORT=$(free_udp_tcp_port)
while [[ "$ADMIN_PORT" == "$WS_PORT" || "$ADMIN_PORT" == "$MI_PORT" ]]; do ADMIN_PORT=$(free_udp_tcp_port); done
# BENCH_PG=<Npgsql connection string> runs the same scenarios with the journal on PostgreSQL instead of SQLite.
STORE_ENV=(CALLCLUSTER_DB="$WORK/bench.db")
STORE_NAME="SQLite $WORK/bench.db"
if [[ -n "${BENCH_PG:-}" ]]; then
    STORE_ENV=(CALLCLUSTER_PG="$BENCH_PG")
    STORE_NAME="PostgreSQL"
fi
URL="ws://127.0.0.1:$WS_PORT/call-api"
log "starting the product: WebSocket $URL, simulator MI 127.0.0.1:$MI_PORT, admin 127.0.0.1:$ADMIN_PORT, journal $STORE_NAME"
env -u CALLCLUSTER_MI -u CALLCLUSTER_PG -u CALLCLUSTER_SEEDS -u CALLCLUSTER_ROLES \
    "${STORE_ENV[@]}" CALLCLUSTER_WS_PORT="$WS_PORT" CALLCLUSTER_SIM_MI_PORT="$MI_PORT" \
    CALLCLUSTER_ADMIN_PORT="$ADMIN_PORT" CALLCLUSTER_WS_HOST=127.0.0.1 \
    dotnet run -c Release --no-build --project src/Apps/Embedded -- ${BENCH_NODE_ARGS:-} >"$NODE_LOG" 2>&1 </dev/null &
NODE_PID=$!

# ---------------------------------------------------------------- 3. wait until the WebSocket accepts a command
deadline=$((SECONDS + 120))
until (exec 3<>"/dev/tcp/127.0.0.1/$WS_PORT") 2>/dev/null; do
    kill -0 "$NODE_PID" 2>/dev/null || { log "the product exited during start-up"; exit 1; }
    (( SECONDS < deadline )) || { log "WebSocket port $WS_PORT not listening after 120 s"; exit 1; }
    sleep 0.5
done
log "port $WS_PORT is listening; probing with one CallEnd"
deadline=$((SECONDS + 60))
while :; do
    probe=$(timeout 30 "${LOADGEN[@]}" --url "$URL" --count 1 --mix end=1 --grace 10 --json-only 2>/dev/null || true)
    if [[ -n "$probe" ]] && [[ $(jq -r '.commands.accepted' <<<"$probe") -ge 1 ]]; then break; fi
    (( SECONDS < deadline )) || { log "no command accepted within 60 s; last probe: $probe"; exit 1; }
    sleep 1
done
log "the product accepts commands"
# The product's own process (dotnet run starts it as a child): the one listening on the admin port. Its CPU per command
# goes in the table (the embedded product: node, gateway and built-in simulator in one process).
NODE_APP_PID=$(ss -ltnpH "sport = :$ADMIN_PORT" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
CPU_ARGS=()
if [[ -n "$NODE_APP_PID" ]]; then CPU_ARGS=(--cpu-pid "$NODE_APP_PID"); else log "product process not found: no CPU figures"; fi

# ---------------------------------------------------------------- 4. scenarios
# name | loadgen arguments (the URL and --json-only are added)
SCENARIOS=(
    "callend_1x1|--connections 1 --in-flight 1 --count $(scaled 2000) --warmup 2 --mix end=1 --mi 127.0.0.1:$MI_PORT --max-seconds 90"
    "callend_16x1|--connections 16 --in-flight 1 --count $(scaled 20000) --warmup 2 --mix end=1 --mi 127.0.0.1:$MI_PORT --max-seconds 90"
    "callend_64x4|--connections 64 --in-flight 4 --count $(scaled 30000) --warmup 2 --mix end=1 --mi 127.0.0.1:$MI_PORT --max-seconds 90"
    "callend_16x1_srvid|--connections 16 --in-flight 1 --count $(scaled 20000) --warmup 2 --mix end=1 --server-cmd-ids --mi 127.0.0.1:$MI_PORT --max-seconds 90"
    "callend_cold_16x1|--connections 16 --in-flight 1 --duration $(scaled 10) --calls 20000 --settle 0 --mix end=1 --mi 127.0.0.1:$MI_PORT --max-seconds 90"
    "callstart_16x16|--connections 16 --in-flight 16 --duration $(scaled 10) --warmup 2 --grace 30 --mix start=1 --max-seconds 90"
    "mixed_16x2|--connections 16 --in-flight 2 --count $(scaled 1000) --warmup 2 --grace 30 --mix hold=2,transfer=1,end=1 --mi 127.0.0.1:$MI_PORT --max-seconds 90"
)

# Journal writes per command: the node's own counters (admin /metrics), read around each scenario. Warm-up and
# set-up commands are included, so this is an average over every command the scenario started.
# Journal rows per command (SQLite only): every row the scenario added to the journal table.
journal_rows() {
    [[ -z "${BENCH_PG:-}" ]] || { echo 0; return; }
    python3 - "$WORK/bench.db" <<'PY'
import sqlite3, sys
try:
    c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=10)
    print(c.execute("select count(*) from journal").fetchone()[0])
except Exception:
    print(0)
PY
}
metric_sum() { # metric name prefix (with labels) → sum of matching samples, 0 when absent
    curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" 2>/dev/null \
        | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { printf "%d\n", s + 0 }'
}

printf '\n%-18s %9s %8s %8s %8s %8s %8s %9s %9s %7s %7s %7s %8s %9s %9s %8s %8s %8s %6s  %s\n' scenario cmds/s acc_p50 acc_p95 acc_p99 acc_max flow_p50 flow_p99 sent errors never wrong writes/cmd trips/cmd reads/cmd rows/cmd node_ms lg_ms busy "errors_by_kind" >"$WORK/table.txt"
for entry in "${SCENARIOS[@]}"; do
    name=${entry%%|*}
    args=${entry#*|}
    if [[ -n "${BENCH_ONLY:-}" && ! "$name" =~ $BENCH_ONLY ]]; then continue; fi
    log "scenario $name: loadgen --url $URL $args"
    # shellcheck disable=SC2086  # args is a word list on purpose
    rc=0
    rows_before=$(journal_rows)
    writes_before=$(metric_sum 'callcluster_journal_writes_total{entity="command"}')
    trips_before=$(metric_sum 'callcluster_journal_write_requests_total{entity="command"}')
    started_before=$(metric_sum 'callcluster_commands_started_total')
    reads_before=$(metric_sum 'callcluster_journal_recovery_reads_total')
    queries_before=$(metric_sum 'callcluster_journal_recovery_queries_total')
    out=$(timeout 400 "${LOADGEN[@]}" --url "$URL" $args "${CPU_ARGS[@]}" --json-only) || rc=$?
    writes=$(( $(metric_sum 'callcluster_journal_writes_total{entity="command"}') - writes_before ))
    # Round trips: the write requests the journal received from command entities (Akka.Persistence sends what an
    # entity persisted while its previous request was in flight as one request).
    trips=$(( $(metric_sum 'callcluster_journal_write_requests_total{entity="command"}') - trips_before ))
    started=$(( $(metric_sum 'callcluster_commands_started_total') - started_before ))
    rows=$(( $(journal_rows) - rows_before ))
    # Recovery reads of starting entities and the batched queries that answered them (BatchedSqlWriteJournal).
    reads=$(( $(metric_sum 'callcluster_journal_recovery_reads_total') - reads_before ))
    queries=$(( $(metric_sum 'callcluster_journal_recovery_queries_total') - queries_before ))
    writes_per_cmd=$(python3 -c "import sys; w,c=int(sys.argv[1]),int(sys.argv[2]); print(f'{w/c:.2f}' if c else '-')" "$writes" "$started")
    trips_per_cmd=$(python3 -c "import sys; w,c=int(sys.argv[1]),int(sys.argv[2]); print(f'{w/c:.2f}' if c else '-')" "$trips" "$started")
    reads_per_cmd=$(python3 -c "import sys; w,c=int(sys.argv[1]),int(sys.argv[2]); print(f'{w/c:.2f}' if c else '-')" "$reads" "$started")
    rows_per_cmd=$(python3 -c "import sys; w,c=int(sys.argv[1]),int(sys.argv[2]); print(f'{w/c:.2f}' if c and w > 0 else '-')" "$rows" "$started")
    if [[ $rc -ne 0 || -z "$out" ]]; then
        log "scenario $name: load generator failed (exit $rc)"
        KEEP_WORK=1
        continue
    fi
    echo "$out" >>"$RESULTS"
    printf '%s %s journal_writes=%s journal_write_requests=%s journal_rows=%s commands_started=%s recovery_reads=%s recovery_queries=%s\n' "$name" "$out" \
        "$writes" "$trips" "$rows" "$started" "$reads" "$queries"
    jq -r --arg n "$name" --arg w "$writes_per_cmd" --arg t "$trips_per_cmd" --arg rd "$reads_per_cmd" --arg r "$rows_per_cmd" '[$n, .commands_per_s, .accept_latency_ms.p50, .accept_latency_ms.p95, .accept_latency_ms.p99,
            .accept_latency_ms.max, .flow_latency_ms.p50, .flow_latency_ms.p99, .commands.sent, .errors_total,
            .never_ended, .wrong_pairing, $w, $t, $rd, $r, (.cpu.server_ms_per_cmd // "-"), (.cpu.loadgen_ms_per_cmd // "-"),
            (.cpu.busy_cores // "-"), (.errors_by_kind | to_entries | map("\(.key)=\(.value)") | join(","))]
          | @tsv' <<<"$out" \
        | awk -F'\t' '{ printf "%-18s %9s %8s %8s %8s %8s %8s %9s %9s %7s %7s %7s %8s %9s %9s %8s %8s %8s %6s  %s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20 }' \
        >>"$WORK/table.txt"
done

echo
echo "journal: $STORE_NAME; latencies in ms; cmds/s = measured commands completed per second; never = never_ended; wrong = wrong_pairing;"
echo "writes/cmd = journal writes requested by command entities / commands started (node metrics; warm-up included);"
echo "trips/cmd = write requests the journal received from command entities / commands started: the round trips they waited for;"
echo "reads/cmd = recovery reads (highest sequence number) the journal made for starting entities / commands started: a"
echo "           command whose cmd_id the server generated (*_srvid) makes none (docs/persistence.md);"
echo "rows/cmd = journal rows added / commands started (SQLite only; every journal row, events of other entities included)"
echo "node_ms, lg_ms = CPU milliseconds per ended command of the product's process (node, gateway and built-in simulator) and"
echo "of the load generator, over the timed run; busy = cores the machine kept busy on average (of $(nproc))"
cat "$WORK/table.txt"
echo
if [[ -z "${BENCH_PG:-}" ]]; then
    # The write-ahead log restarts only when no read holds it: one that grows without bound means reads never pause.
    printf 'SQLite journal after the scenarios: database %s MB, write-ahead log %s MB\n' \
        "$(( $(stat -c %s "$WORK/bench.db" 2>/dev/null || echo 0) / 1048576 ))" \
        "$(( $(stat -c %s "$WORK/bench.db-wal" 2>/dev/null || echo 0) / 1048576 ))"
fi

# ---------------------------------------------------------------- 5. stop (the trap does it too)
stop_started=$SECONDS
stop_node
log "the product stopped in $(( SECONDS - stop_started )) s"
if grep -qiE 'unhandled exception|fatal' "$NODE_LOG"; then
    log "the product log mentions unhandled/fatal errors: see $NODE_LOG"
    KEEP_WORK=1
fi
