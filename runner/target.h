/*
 * target.h — the "target" object of database reports: which database on
 * which server, and the connection string with its password masked.
 */
#ifndef MIGSAFE_TARGET_H
#define MIGSAFE_TARGET_H

#include <cjson/cJSON.h>

#include "pgsql.h"

/* {"database", "server_version", "conninfo"}; the caller owns it. */
cJSON *target_json(PgConn *conn);

#endif
