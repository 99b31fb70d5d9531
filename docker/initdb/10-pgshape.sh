#!/bin/bash
# Creates the production-like and the synthetic databases (run once by the postgres image).
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U postgres -c "CREATE DATABASE pgshape_prod" -c "CREATE DATABASE pgshape_synth"
{ echo "SET search_path TO public;"; cat /pgshape-sql/schema.sql /pgshape-sql/demo_data.sql;
  echo "SELECT pg_temp.pgshape_demo_fill(60000, '2025-10-22T00:00:00Z', 0.42);"; } |
  psql -q -v ON_ERROR_STOP=1 -U postgres -d pgshape_prod
