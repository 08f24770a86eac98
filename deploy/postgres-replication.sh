#!/bin/sh
# Runs once, when the postgres container initialises its data directory: allows replication
# connections (the optional postgres-replica service, profile "replica") from the compose network with
# the owner role's password. wal_level=replica is PostgreSQL's default.
set -e
echo "host replication ${POSTGRES_USER} samenet scram-sha-256" >> "$PGDATA/pg_hba.conf"
