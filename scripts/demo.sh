#!/usr/bin/env bash
# demo.sh LOADER OUTDIR [FIXTURE]: the whole guide end to end on the embedded default.
#
#   production-like source → migrate → sample → scan-pii → fit → migrate --target →
#   generate (tiny) → stat-tests → validate (GO/NO-GO, plots, HTML)
#
# FIXTURE picks the production: "demo" (default, `make demo`): sql/demo_data.sql, 60k
# messages in a 30-day window; "real" (`make demo-real`): sql/demo_real_data.sql, a
# year of team chat with heavy senders, single-sender threads, lifetimes from minutes
# to weeks, bursty sessions and bimodal lengths, sampled with a 365-day window.
#
# Run through `make demo` or `make demo-real`, which pick or start a PostgreSQL server
# (DATABASE_URL). It creates two databases on that server, pgshape_demo_prod (the
# stand-in for a production replica) and pgshape_demo_synth (the synthetic target;
# pgshape_demo_real_prod and pgshape_demo_real_synth for "real"), and writes every file
# it makes under OUTDIR. Every step runs; the exit status is validate's (0 on GO, 1 on
# NO-GO), else stat-tests' (1 on FAIL).
set -euo pipefail

loader=$(realpath "$1")
out=$2
fixture=${3:-demo}
here=$(cd "$(dirname "$0")/.." && pwd)
as_of=2025-10-22T00:00:00Z
case "$fixture" in
  demo)
    db_prefix=pgshape_demo
    tag=demo-20251022
    window_days=30
    fill_file=$here/sql/demo_data.sql
    fill_call="SELECT pg_temp.pgshape_demo_fill(60000, '$as_of', 0.42);"
    fill_what="the reference schema and 60k messages drawn from known parameters"
    ;;
  real)
    db_prefix=pgshape_demo_real
    tag=demo-real-20251022
    window_days=365
    fill_file=$here/sql/demo_real_data.sql
    fill_call="SELECT pg_temp.pgshape_real_fill('$as_of', 0.42);"
    fill_what="the reference schema and a year of team chat (≈155k messages) drawn from known parameters"
    ;;
  *)
    echo "demo: fixture \"$fixture\" is not one: pass demo (the default) or real" >&2
    exit 2
    ;;
esac
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.html
rm -rf "$out/plots"

# url_for DB: the connection string of database DB on the same server.
url_for() {
  if [ -n "${DATABASE_URL:-}" ]; then
    if [[ "$DATABASE_URL" =~ ^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$ ]]; then
      echo "${BASH_REMATCH[1]}/$1${BASH_REMATCH[4]}"
    else
      echo "demo: DATABASE_URL must be a postgres:// URL for the demo" >&2
      exit 2
    fi
  else
    echo "postgres:///$1"
  fi
}
admin_url=${DATABASE_URL:-postgres:///postgres}
prod=$(url_for ${db_prefix}_prod)
synth=$(url_for ${db_prefix}_synth)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "0. A production-like source: $fill_what"
for db in ${db_prefix}_prod ${db_prefix}_synth; do
  psql -q -X -v ON_ERROR_STOP=1 "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
start=$(date +%s)
{ echo "SET search_path TO public;"; cat "$here/sql/schema.sql" "$fill_file"; echo "$fill_call"; } |
  psql -q -X -v ON_ERROR_STOP=1 "$prod" >/dev/null
echo "demo production filled in $(( $(date +%s) - start )) s"

step "Phase A, inside the boundary: install the shape layer, sample, scan"
"$loader" migrate --database-url "$prod"
# The salt comes from a secrets manager in real life; here a random one, never shown.
ANONYMIZATION_SALT=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ANONYMIZATION_SALT
"$loader" sample --database-url "$prod" --output "$out/shape-metrics-$tag.json" --window-days "$window_days" --as-of "$as_of"
unset ANONYMIZATION_SALT
"$loader" scan-pii --input "$out/shape-metrics-$tag.json"

step "Step 3 summary (the guide's jq)"
if command -v jq >/dev/null 2>&1; then
  jq '{
    extracted_at,
    sample_window_days,
    privacy_level,
    total_users: .users.total_count,
    total_conversations: .conversations.total_count,
    total_messages: .messages.total_count,
    media_ratio: .messages.media_ratio,
    read_rate: .read_receipts.read_rate
  }' "$out/shape-metrics-$tag.json"
else
  echo "(jq is not installed: the summary is the same fields of $out/shape-metrics-$tag.json)"
fi

step "Phase B, outside: fit"
"$loader" fit "$out/shape-metrics-$tag.json" --report "$out/calibration-report-$tag.json" \
  --spec "$out/distribution-spec-$tag.json"

step "Phase B: generate the tiny band into a synthetic target"
"$loader" migrate --target --database-url "$synth"
"$loader" generate --band tiny --seed "$tag" --config "$out/distribution-spec-$tag.json" \
  --database-url "$synth" --report-dir "$out"

step "Phase B: statistical tests on the generator's report"
stat_rc=0
"$loader" stat-tests "$out/report_tiny_$tag.json" "$out/shape-metrics-$tag.json" || stat_rc=$?

step "Phase B: validate what landed (the same shape SQL, run on the target)"
rc=0
"$loader" validate --baseline "$out/shape-metrics-$tag.json" --database-url "$synth" \
  --output "$out/validation-$tag.json" --plots "$out/plots" || rc=$?

echo
echo "Files in $out:"
ls -1 "$out"
if [ "$stat_rc" -ne 0 ]; then echo "demo: stat-tests reported FAIL (exit $stat_rc); see above"; fi
if [ "$rc" -ne 0 ]; then exit "$rc"; fi
exit "$stat_rc"
