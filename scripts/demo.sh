#!/usr/bin/env bash
# demo.sh LOADER OUTDIR: the whole guide end to end on the embedded default.
#
#   production-like source → migrate → sample → scan-pii → fit → migrate --target →
#   generate (tiny) → validate (GO/NO-GO, plots, HTML) → stat-tests
#
# Run through `make demo`, which picks or starts a PostgreSQL server (DATABASE_URL).
# It creates two databases on that server, pgshape_demo_prod (the stand-in for a
# production replica) and pgshape_demo_synth (the synthetic target), and writes every
# file it makes under OUTDIR.
set -euo pipefail

loader=$(realpath "$1")
out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.html
rm -rf "$out/plots"

as_of=2025-10-22T00:00:00Z
tag=demo-20251022

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
prod=$(url_for pgshape_demo_prod)
synth=$(url_for pgshape_demo_synth)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "0. A production-like source: the reference schema and 60k messages drawn from known parameters"
for db in pgshape_demo_prod pgshape_demo_synth; do
  psql -q -X -v ON_ERROR_STOP=1 "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
start=$(date +%s)
{ echo "SET search_path TO public;"; cat "$here/sql/schema.sql" "$here/sql/demo_data.sql";
  echo "SELECT pg_temp.pgshape_demo_fill(60000, '$as_of', 0.42);"; } |
  psql -q -X -v ON_ERROR_STOP=1 "$prod" >/dev/null
echo "demo production filled in $(( $(date +%s) - start )) s"

step "Phase A, inside the boundary: install the shape layer, sample, scan"
"$loader" migrate --database-url "$prod"
# The salt comes from a secrets manager in real life; here a random one, never shown.
ANONYMIZATION_SALT=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ANONYMIZATION_SALT
"$loader" sample --database-url "$prod" --output "$out/shape-metrics-$tag.json" --window-days 30 --as-of "$as_of"
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
"$loader" stat-tests "$out/report_tiny_$tag.json" "$out/shape-metrics-$tag.json"

step "Phase B: validate what landed (the same shape SQL, run on the target)"
"$loader" validate --baseline "$out/shape-metrics-$tag.json" --database-url "$synth" \
  --output "$out/validation-$tag.json" --plots "$out/plots"

echo
echo "Files in $out:"
ls -1 "$out"
