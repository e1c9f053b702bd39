#!/bin/sh
# deploy-migrate.sh — apply migrations at deploy time and act on migsafe's
# exit code (docs/exit-codes.md):
#
#   0  applied, or nothing pending        -> success
#   1  a migration failed (rolled back),  -> fail the deploy: fix the migration
#      or findings at or above --fail-on
#   2  usage or input error               -> fail the deploy: fix the input
#      (bad option, unreadable file, an applied migration's file changed)
#   3  gave up waiting for locks          -> retry later: the database was busy,
#      (retry budget spent, blockers,        not broken, and nothing of the
#      another runner holding the lock)      migration that gave up was applied
#   4  connection or database error       -> fail the deploy: check the database
#   other (130/143: interrupted)          -> fail with that code
#
# Usage: ci/deploy-migrate.sh [extra migsafe apply options...]
#
# Environment (all optional):
#   MIGRATIONS_DIR   migrations directory (default: migrations)
#   MIGSAFE          the migsafe binary (default: migsafe on PATH)
#   MIGSAFE_REPORT   where the JSON report of the last run goes
#                    (default: migsafe-apply-report.json)
#   RETRIES          how many times exit 3 is retried (default: 3)
#   RETRY_DELAY      seconds to wait before each retry (default: 300)
#   DATABASE_URL     the target, as migsafe reads it (or pass --db)
#
# The script exits with migsafe's final code, so a scheduler can tell a busy
# database (3: try the deploy again later) from a broken migration (1, 2, 4).
set -u

migrations_dir=${MIGRATIONS_DIR:-migrations}
migsafe=${MIGSAFE:-migsafe}
report=${MIGSAFE_REPORT:-migsafe-apply-report.json}
retries=${RETRIES:-3}
delay=${RETRY_DELAY:-300}

attempt=1
while :; do
	echo "deploy-migrate: attempt $attempt: $migsafe apply --report $report $* $migrations_dir" >&2
	"$migsafe" apply --report "$report" "$@" "$migrations_dir"
	rc=$?
	case $rc in
	0)
		echo "deploy-migrate: migrations applied" >&2
		exit 0
		;;
	3)
		if [ "$attempt" -gt "$retries" ]; then
			echo "deploy-migrate: still busy after $attempt attempts; nothing of the waiting" \
				"migration was applied: schedule the deploy again later (exit 3)" >&2
			exit 3
		fi
		echo "deploy-migrate: gave up waiting for locks (exit 3); retrying in ${delay}s" >&2
		sleep "$delay"
		attempt=$((attempt + 1))
		;;
	1)
		echo "deploy-migrate: a migration failed and was rolled back, or findings stopped" \
			"the run (exit 1): fix the migration, see $report" >&2
		exit 1
		;;
	2)
		echo "deploy-migrate: usage or input error (exit 2): fix the command or the files" >&2
		exit 2
		;;
	4)
		echo "deploy-migrate: connection or database error (exit 4): check the database" \
			"and the credentials" >&2
		exit 4
		;;
	*)
		echo "deploy-migrate: migsafe ended with exit $rc" >&2
		exit "$rc"
		;;
	esac
done
