/*
 * cli_status.c — migsafe status: applied, pending and changed migrations.
 *
 * Load the migration files, read the history table (never creating it),
 * compare checksums, report in text or JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "defaults.h"
#include "history.h"
#include "log.h"
#include "options.h"
#include "output.h"
#include "pipeline.h"
#include "report.h"
#include "target.h"

#define STATUS_SUMMARY "List applied, pending and changed migrations: the files compared with " \
	"the history table (checksums are git blob ids)."

/* A migration's state, and the summary key that counts it. */
static const char *const status_states[] = {"applied", "pending", "changed", "missing", "partial"};

/* The state of file m given its history row (NULL: never applied). */
static const char *
status_state(const Migration *m, const HistoryRow *row)
{
	if (row == NULL)
		return "pending";
	if (strcmp(row->checksum, m->checksum) != 0)
		return "changed";
	if (strcmp(row->status, HISTORY_APPLIED) != 0)
		return "partial";
	return "applied";
}

static cJSON *
status_entry(const char *version, const char *name, const char *path, const char *state,
			 const char *checksum, const HistoryRow *row)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "version", version);
	cJSON_AddStringToObject(o, "name", name);
	if (path)
		cJSON_AddStringToObject(o, "path", path);
	else
		cJSON_AddNullToObject(o, "path");
	cJSON_AddStringToObject(o, "state", state);
	if (checksum)
		cJSON_AddStringToObject(o, "checksum", checksum);
	else
		cJSON_AddNullToObject(o, "checksum");
	if (row) {
		cJSON_AddStringToObject(o, "applied_checksum", row->checksum);
		cJSON_AddStringToObject(o, "applied_at", row->applied_at ? row->applied_at : "");
		cJSON_AddNumberToObject(o, "attempts", row->attempts);
		cJSON_AddNumberToObject(o, "statements_done", row->statements_done);
	}
	return o;
}

/* The status document: one entry per file, then per history row without a file. */
static cJSON *
status_document(PgConn *conn, const MigrationList *l, const History *h)
{
	cJSON *doc = cJSON_CreateObject(), *migs = cJSON_CreateArray(), *summary = cJSON_CreateObject();
	cJSON *e;

	cJSON_AddStringToObject(doc, "migsafe_version", MIGSAFE_VERSION);
	cJSON_AddNumberToObject(doc, "report_version", REPORT_VERSION);
	cJSON_AddStringToObject(doc, "command", "status");
	cJSON_AddItemToObject(doc, "target", target_json(conn));
	cJSON_AddStringToObject(doc, "history_table", h->table ? h->table : "");
	for (size_t i = 0; i < l->count; i++) {
		const Migration *m = l->items[i];
		const HistoryRow *row = history_find(h, m->version);

		cJSON_AddItemToArray(migs, status_entry(m->version, m->name, m->path,
												status_state(m, row), m->checksum, row));
	}
	for (size_t k = 0; k < h->count; k++) {
		bool found = false;

		for (size_t i = 0; i < l->count && !found; i++)
			found = strcmp(l->items[i]->version, h->rows[k].version) == 0;
		if (!found)
			cJSON_AddItemToArray(migs, status_entry(h->rows[k].version, h->rows[k].name, NULL,
													"missing", NULL, &h->rows[k]));
	}
	cJSON_AddItemToObject(doc, "migrations", migs);
	for (size_t s = 0; s < sizeof status_states / sizeof status_states[0]; s++) {
		int n = 0;

		cJSON_ArrayForEach(e, migs)
			n += strcmp(cJSON_GetObjectItemCaseSensitive(e, "state")->valuestring, status_states[s]) == 0;
		cJSON_AddNumberToObject(summary, status_states[s], n);
	}
	cJSON_AddItemToObject(doc, "summary", summary);
	return doc;
}

/* Text: one line per migration, then the counts. */
static char *
status_render_text(const cJSON *doc)
{
	StrBuf sb = {0};
	const cJSON *e, *s;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "migrations")) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(e, "path");
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(e, "applied_at");

		strbuf_appendf(&sb, "%-8s %-16s %s", cJSON_GetObjectItemCaseSensitive(e, "state")->valuestring,
					   cJSON_GetObjectItemCaseSensitive(e, "version")->valuestring,
					   cJSON_IsString(path) ? path->valuestring :
					   cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring);
		if (cJSON_IsString(at))
			strbuf_appendf(&sb, "  (applied %s)", at->valuestring);
		strbuf_append(&sb, "\n");
	}
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "summary"))
		strbuf_appendf(&sb, "%s%d %s", s->prev && s != cJSON_GetObjectItemCaseSensitive(doc, "summary")->child ?
					   ", " : "", s->valueint, s->string);
	strbuf_append(&sb, "\n");
	return strbuf_detach(&sb);
}

int
cli_status(int argc, char **argv)
{
	Options opts;
	MigrationList migrations = {0};
	History history = {0};
	PgConn *conn = NULL;
	cJSON *doc = NULL;
	char *text = NULL;
	bool loaded, exists;
	int rc;

	options_init(&opts, CMD_STATUS, "status");
	rc = options_parse(&opts, argc, argv);
	if (rc >= 0) {
		if (rc == 0)
			options_usage(CMD_STATUS, "status", STATUS_SUMMARY);
		goto done;
	}
	loaded = pipeline_load(&opts, &migrations);
	conn = pgsql_connect(options_conninfo(&opts), "migsafe");
	if (conn == NULL) {
		rc = EXIT_DATABASE;
		goto done;
	}
	if (!history_load(conn, opts.history_table, &history, &exists)) {
		rc = EXIT_DATABASE;
		goto done;
	}
	if (!exists)
		log_info("no history table %s yet: every migration is pending", opts.history_table);

	doc = status_document(conn, &migrations, &history);
	if (strcmp(opts.format, "json") == 0)
		text = report_render_json(doc, &migrations);
	else if (strcmp(opts.format, "text") == 0)
		text = status_render_text(doc);
	else {
		log_error("status: --format %s is not available (text or json)", opts.format);
		rc = EXIT_USAGE;
		goto done;
	}
	rc = output_write(opts.output_path, text, strlen(text)) && loaded ? EXIT_OK : EXIT_USAGE;
	if (rc == EXIT_OK && opts.report_path) {
		free(text);
		text = report_render_json(doc, &migrations);
		rc = output_write(opts.report_path, text, strlen(text)) ? EXIT_OK : EXIT_USAGE;
	}

done:
	free(text);
	cJSON_Delete(doc);
	history_free(&history);
	pgsql_close(conn);
	migration_list_free(&migrations);
	options_free(&opts);
	return rc;
}
