#!/usr/bin/env bash
# Rolling restart under load, measured with the load generator (issue 13 item 5): the standalone simulator, two call
# nodes sharing one PostgreSQL journal, one gateway-only process. src/LoadGen runs CallStart and CallEnd through the
# gateway while each call node in turn gets SIGTERM (graceful leave), exits, and is started again on the same ports;
# the next one goes once the first has rejoined and settled. Prints the load generator's counts: every accepted command
# should end ok (0 failed, 0 rejected, 0 never ended). Each step is bounded in time; everything started here is stopped
# on exit.
# Needs: a PostgreSQL server reachable with $CALLCLUSTER_BENCH_PG (default: the CI's local role), Release builds.
# Knobs: DURATION (s of measured load, default 70), CONNECTIONS (6), IN_FLIGHT (1), MIX (start=1,end=1), SETTLE (s after
# a node is back before the next goes, default 12).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BASE=${CALLCLUSTER_BENCH_PG:-"Host=127.0.0.1;Port=5432;Username=callcluster_test;Password=callcluster_test"}
DURATION=${DURATION:-70}
CONNECTIONS=${CONNECTIONS:-6}
IN_FLIGHT=${IN_FLIGHT:-1}
MIX=${MIX:-start=1,end=1}
SETTLE=${SETTLE:-12}
work=$(mktemp -d /tmp/callcluster-rolling.XXXXXX)
declare -A pid
cleanup() {
  for p in "${pid[@]:-}"; do kill -INT "$p" 2>/dev/null || true; done; sleep 2
  for p in "${pid[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { for _ in $(seq 1 240); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done; echo "timeout waiting for '$2' in $1" >&2; tail -20 "$1" >&2; return 1; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

timeout 300 dotnet build -c Release src/Apps/Node -v q >/dev/null
timeout 300 dotnet build -c Release src/Apps/Gateway -v q >/dev/null
timeout 300 dotnet build -c Release src/Apps/Simulator -v q >/dev/null
timeout 300 dotnet build -c Release src/LoadGen -v q >/dev/null
NODE=src/Apps/Node/bin/Release/net10.0/callcluster-node.dll
GATEWAY=src/Apps/Gateway/bin/Release/net10.0/callcluster-gateway.dll
SIM=src/Apps/Simulator/bin/Release/net10.0/callcluster-simulator.dll
LOADGEN=src/LoadGen/bin/Release/net10.0/CallCluster.LoadGen.dll

db="ccroll_$(date +%s%N | tail -c 9)"
PGPASSWORD=callcluster_test psql -h 127.0.0.1 -U callcluster_test -d callcluster_test -qc "CREATE DATABASE $db" >/dev/null
PG="$PG_BASE;Database=$db;Maximum Pool Size=40"

mi=$(free_port)
echo "callcluster.simulator { mi-port = $mi, answer-delay = 10ms }" > "$work/sim.conf"
dotnet "$SIM" --config "$work/sim.conf" > "$work/sim.log" 2>&1 & pid[sim]=$!
wait_for "$work/sim.log" "listening on udp:"

declare -A akka admin evi
for n in a b; do akka[$n]=$(free_port); admin[$n]=$(free_port); evi[$n]=$(free_port); done
seeds="akka.tcp://callcluster@127.0.0.1:${akka[a]},akka.tcp://callcluster@127.0.0.1:${akka[b]}"
start_node() { # $1 = a|b; the same ports and settings every time
  CALLCLUSTER_ROLES=call-node CALLCLUSTER_PG="$PG" CALLCLUSTER_MI="127.0.0.1:$mi" CALLCLUSTER_AKKA_PORT="${akka[$1]}" \
    CALLCLUSTER_SEEDS="$seeds" CALLCLUSTER_ADMIN_PORT="${admin[$1]}" CALLCLUSTER_EVI_PORT="${evi[$1]}" \
    dotnet "$NODE" >> "$work/node-$1.log" 2>&1 & pid[$1]=$!
}
start_node a
wait_for "$work/node-a.log" "EVI listener on"
start_node b
wait_for "$work/node-b.log" "EVI listener on"
ws=$(free_port)
CALLCLUSTER_PG="$PG" CALLCLUSTER_AKKA_PORT="$(free_port)" CALLCLUSTER_SEEDS="$seeds" CALLCLUSTER_WS_PORT="$ws" \
  CALLCLUSTER_ADMIN_PORT="$(free_port)" dotnet "$GATEWAY" > "$work/gateway.log" 2>&1 & pid[gateway]=$!
wait_for "$work/gateway.log" "Call API listening on"
sleep 3 # the EVI subscription singleton settles on the oldest node

echo "== load: $CONNECTIONS connections x $IN_FLIGHT in flight, mix $MIX, ${DURATION}s, through ws://127.0.0.1:$ws/call-api"
timeout $((DURATION + 120)) dotnet "$LOADGEN" --url "ws://127.0.0.1:$ws/call-api" --connections "$CONNECTIONS" \
  --in-flight "$IN_FLIGHT" --duration "$DURATION" --warmup 2 --grace 60 --mix "$MIX" --mi "127.0.0.1:$mi" --json-only \
  --max-seconds $((DURATION + 30)) > "$work/load.json" 2> "$work/load.err" &
loadgen=$!

sleep 10 # steady load before the first restart
for n in a b; do
  t0=$(now)
  kill -TERM "${pid[$n]}"
  timeout 90 tail --pid="${pid[$n]}" -f /dev/null
  exited=$(since "$t0")
  lines=$(wc -l < "$work/node-$n.log")
  start_node "$n"
  for _ in $(seq 1 240); do tail -n +"$((lines + 1))" "$work/node-$n.log" | grep -q "EVI listener on" && break; sleep 0.5; done
  echo "node $n: SIGTERM -> exit ${exited}s, -> running again (rejoined, listening) $(since "$t0")s"
  sleep "$SETTLE"
done

wait "$loadgen" || true
tail -1 "$work/load.json" > "$work/result.json"
python3 - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["commands"]
print(f"sent {c['sent']}, accepted {c['accepted']}, rejected {c['rejected']}, ended ok {c['ended_ok']}, "
      f"ended failed {c['ended_failed']}, never ended {r['never_ended']}, never replied {r['never_replied']}, "
      f"errors {r['errors_total']} {r.get('errors_by_kind', {})}, wrong pairing {r['wrong_pairing']}; "
      f"{r['commands_per_s']} commands/s, flow p50/p99 {r['flow_latency_ms'].get('p50')}/{r['flow_latency_ms'].get('p99')} ms")
PY
python3 - "$work" <<'PY'
import glob, re, sys
text = "".join(open(f, errors="replace").read() for f in glob.glob(sys.argv[1] + "/node-*.log"))
dropped = sum(int(n) for n in re.findall(r"Dropping \[(\d+)\] buffered messages", text))
resent = sum(int(n) for n in re.findall(r"Sent again (\d+) message\(s\) that sharding lost", text))
print(f"hand-off: {dropped} dropped by sharding; {resent} sent again (drops, and messages to stopped entities or handing-off shards)")
PY
