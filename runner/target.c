/*
 * target.c — the report's description of the database worked on.
 */
#include "target.h"

cJSON *
target_json(PgConn *conn)
{
	cJSON *o = cJSON_CreateObject();
	PgResult *r = pgsql_query(conn, "SHOW server_version", 0, NULL, NULL);

	cJSON_AddStringToObject(o, "database", pgsql_database(conn));
	cJSON_AddStringToObject(o, "server_version", r && pgresult_get(r, 0, 0) ? pgresult_get(r, 0, 0) : "");
	cJSON_AddStringToObject(o, "conninfo", pgsql_conninfo_masked(conn));
	pgresult_free(r);
	return o;
}
