#!/usr/bin/env bash
# Mutation testing (dotnet-stryker, a local tool: .config/dotnet-tools.json) of two targets, each against its own
# unit tests only. Not part of CI (.ci/run): a full run takes tens of minutes on two cores.
#
#   tools/mutation.sh                 both targets
#   tools/mutation.sh protocol        src/Gateway/Protocol (Compat included) against tests/Gateway.Tests
#   tools/mutation.sh command-state   src/Node/Commands/CommandState.cs against CommandStateTests
#   tools/mutation.sh protocol -m '**/Protocol/SipUri.cs'    extra arguments go to stryker (focus while iterating)
#
# Environment: MUTATION_CONCURRENCY (default 1: test sessions at once), MUTATION_TIMEOUT (default 5400 s per target),
# MUTATION_BREAK (default 0: exit non-zero when a target scores below it).
# Prints one "mutation score <target>: N %" line per target; reports (html, json) land in StrykerOutput/<target>/.
#
# Scope (tools/mutation/*.json): each target runs only the unit-level tests of its code, no sockets, no actors, no
# timing: the protocol target ProtocolTests, WireFormatTests, ValidationRulesTests and Compat.OriginalDialectUnitTests
# of Gateway.Tests; the command-state target CommandStateTests and CommandStateEdgeTests of Node.Tests. Stryker starts
# a test host per mutant, so on a loaded 2-core machine the WebSocket tests (seconds each, covering almost every
# protocol mutant) made a full run take hours, and the CommandEntity actor tests (3 s expectations) fail under load,
# which Stryker would count as kills. To measure against all of Gateway.Tests except its two load tests anyway:
#   tools/mutation.sh protocol --test-case-filter \
#     'FullyQualifiedName!~Hundred_thousand_generated_frames&FullyQualifiedName!~Many_idle_connections'
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
concurrency=${MUTATION_CONCURRENCY:-1}
limit=${MUTATION_TIMEOUT:-5400}
break_at=${MUTATION_BREAK:-0}

targets=()
extra=()
for arg in "$@"; do
  case "$arg" in
    protocol|command-state) targets+=("$arg") ;;
    *) extra+=("$arg") ;;
  esac
done
[ "${#targets[@]}" -gt 0 ] || targets=(protocol command-state)

dotnet tool restore >/dev/null

project_dir() {
  case "$1" in
    protocol) echo src/Gateway ;;
    command-state) echo src/Node ;;
  esac
}

status=0
summary=()
for target in "${targets[@]}"; do
  out="$root/StrykerOutput/$target"
  log="$out/stryker.log"
  rm -rf "$out"
  mkdir -p "$out"
  echo "== $target: stryker (concurrency $concurrency, at most ${limit}s), log $log"
  set +e
  (cd "$(project_dir "$target")" && timeout --kill-after=30 "$limit" dotnet dotnet-stryker \
      --config-file "$root/tools/mutation/$target.json" --concurrency "$concurrency" --break-at "$break_at" \
      --output "$out" --skip-version-check ${extra[@]+"${extra[@]}"}) >"$log" 2>&1
  rc=$?
  set -e
  score=$(grep -Eo 'The final mutation score is [0-9.]+ ?%' "$log" | grep -Eo '[0-9.]+' | tail -n 1 || true)
  grep -E 'mutants (got status|created|will be tested)|Killed|Survived|Timeout|NoCoverage' "$log" | grep -v '^\s*$' | tail -n 12 || true
  if [ -z "$score" ]; then
    echo "mutation score $target: no score (stryker exit $rc; see $log)" >&2
    status=1
    summary+=("mutation score $target: none")
  else
    [ "$rc" -eq 0 ] || status=$rc
    summary+=("mutation score $target: $score %")
  fi
  report=$(find "$out" -name 'mutation-report.html' | head -n 1)
  [ -z "$report" ] || echo "report: $report"
done

printf '%s\n' "${summary[@]}"
exit "$status"
