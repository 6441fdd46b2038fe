#!/usr/bin/env bash
# Runs the benchmark matrix of BENCHMARKS.md: every scenario on SQLite (one process) and
# PostgreSQL (one and three processes), each repeated, on fresh servers and databases.
#
#   bench/run.sh                      # full matrix, 3 repeats of 10 s
#   REPEAT=5 DURATION=20 bench/run.sh
#   SCENARIOS="heartbeat validate" BACKENDS=sqlite bench/run.sh
#   SIZE=1 bench/run.sh               # also the 1,000,000-session size benchmark
#
# Results: one line per run and a SUMMARY line per configuration on stdout and in
# bench/results/<time>.txt, every run as a JSON line in bench/results/<time>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."

REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-64}
# Two generator threads: with one, the generator itself caps the lighter scenarios.
CLIENT_THREADS=${CLIENT_THREADS:-2}
SCENARIOS=${SCENARIOS:-"health acquire heartbeat release validate mixed"}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PG_PROCESSES=${PG_PROCESSES:-"1 3"}
PG_URL=${CODITECT_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release -p coditect-license -p coditect-bench
BENCH=target/release/coditect-bench

mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/$stamp.txt
json=bench/results/$stamp.jsonl
{
  echo "# $(date -u) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
       "$(free -g | awk '/Mem:/ {print $2}') GiB; git $(git rev-parse --short HEAD)"
  echo "# REPEAT=$REPEAT DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS CLIENT_THREADS=$CLIENT_THREADS"
} | tee "$out"

common=(--repeat "$REPEAT" --duration "$DURATION" --warmup "$WARMUP"
        --connections "$CONNECTIONS" --client-threads "$CLIENT_THREADS" --json-out "$json")
for backend in $BACKENDS; do
  if [ "$backend" = sqlite ]; then procs_list=1; else procs_list=$PG_PROCESSES; fi
  for procs in $procs_list; do
    for scenario in $SCENARIOS; do
      echo "== $scenario $backend processes=$procs (load $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$out"
      args=(run --scenario "$scenario" --processes "$procs" "${common[@]}")
      [ "$backend" = postgres ] && args+=(--pg-url "$PG_URL")
      "$BENCH" "${args[@]}" | tee -a "$out"
    done
  done
done

if [ "${SIZE:-0}" = 1 ]; then
  echo "== size sqlite" | tee -a "$out"
  "$BENCH" size --client-threads "$CLIENT_THREADS" | tee -a "$out"
fi
echo "results: $out $json"
