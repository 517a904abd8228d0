#!/usr/bin/env bash
# Throughput with 1 vs 2 call nodes (issue 7, figure 6): the standalone simulator, call nodes sharing one PostgreSQL
# journal, CallEnd load through the first node's gateway. Every process runs on this machine, so a second node adds
# capacity only where one node left CPU or journal capacity unused. Each step is bounded in time; everything started
# here is stopped on exit.
# Needs: a PostgreSQL server reachable with $CALLCLUSTER_BENCH_PG (default: the CI's local role), Release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BASE=${CALLCLUSTER_BENCH_PG:-"Host=127.0.0.1;Port=5432;Username=callcluster_test;Password=callcluster_test"}
COUNT=${COUNT:-5000}
work=$(mktemp -d /tmp/callcluster-scaling.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill -INT "$p" 2>/dev/null || true; done; sleep 2; for p in "${pids[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { for _ in $(seq 1 120); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done; echo "timeout waiting for '$2' in $1" >&2; tail -20 "$1" >&2; return 1; }
new_db() { local db="ccscale_$(date +%s%N | tail -c 9)"; PGPASSWORD=callcluster_test psql -h 127.0.0.1 -U callcluster_test -d callcluster_test -qc "CREATE DATABASE $db" >/dev/null; echo "$db"; }

timeout 300 dotnet build -c Release src/Apps/Node -v q >/dev/null
timeout 300 dotnet build -c Release src/Apps/Simulator -v q >/dev/null
timeout 300 dotnet build -c Release src/LoadGen -v q >/dev/null
NODE=src/Apps/Node/bin/Release/net10.0/callcluster-node.dll
SIM=src/Apps/Simulator/bin/Release/net10.0/callcluster-simulator.dll
LOADGEN=src/LoadGen/bin/Release/net10.0/CallCluster.LoadGen.dll

mi=$(free_port)
echo "callcluster.simulator { mi-port = $mi, answer-delay = 10ms }" > "$work/sim.conf"
dotnet "$SIM" --config "$work/sim.conf" > "$work/sim.log" 2>&1 & pids+=($!)
wait_for "$work/sim.log" "listening on udp:"

run() { # $1 = number of call nodes
  local n=$1 db seeds="" ports=() ws=() i
  db=$(new_db)
  for i in $(seq 1 "$n"); do ports+=("$(free_port)"); ws+=("$(free_port)"); done
  for i in $(seq 0 $((n - 1))); do seeds+="${seeds:+,}akka.tcp://callcluster@127.0.0.1:${ports[$i]}"; done
  local started=()
  for i in $(seq 0 $((n - 1))); do
    CALLCLUSTER_PG="$PG_BASE;Database=$db;Maximum Pool Size=40" CALLCLUSTER_MI="127.0.0.1:$mi" CALLCLUSTER_AKKA_PORT="${ports[$i]}" \
      CALLCLUSTER_SEEDS="$([ "$n" -gt 1 ] && echo "$seeds" || true)" CALLCLUSTER_WS_PORT="${ws[$i]}" CALLCLUSTER_ADMIN_PORT=0 \
      CALLCLUSTER_EVI_PORT=0 dotnet "$NODE" > "$work/node$n-$i.log" 2>&1 & pids+=($!); started+=($!)
  done
  for i in $(seq 0 $((n - 1))); do wait_for "$work/node$n-$i.log" "Call API listening on"; done
  sleep 3 # the EVI subscription singleton settles on the oldest node
  echo "== $n call node(s), CallEnd through ws port ${ws[0]}"
  timeout 180 dotnet "$LOADGEN" --url "ws://127.0.0.1:${ws[0]}/call-api" --connections 16 --in-flight 4 --count "$COUNT" \
    --warmup 2 --mix end=1 --mi "127.0.0.1:$mi" --json-only --max-seconds 90 | tail -1 | tee "$work/result$n.json"
  for p in "${started[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 5
}

run 1
run 2
python3 - "$work/result1.json" "$work/result2.json" <<'PY'
import json, sys
for n, path in ((1, sys.argv[1]), (2, sys.argv[2])):
    r = json.load(open(path))
    print(f"{n} call node(s): {r['commands_per_s']} CallEnd/s, accept p99 {r['accept_latency_ms']['p99']} ms, "
          f"errors {r['errors_total']}, never_ended {r['never_ended']}, wrong_pairing {r['wrong_pairing']}")
PY
