/*
 * report_stream.c — the check report written one migration at a time.
 *
 * The JSON is the same document report_document builds, byte for byte: each
 * migration and the summary are printed at the depth they have inside the
 * whole document.
 */
#include "report_stream.h"

#include <stdlib.h>
#include <string.h>

#include "gitrepo.h"
#include "jsonprint.h"
#include "log.h"
#include "output.h"

struct ReportStream {
	const char *command;
	bool json;               /* --format json: written as it goes */
	const ReportStreamer *streamer; /* another format written as it goes */
	ReportRenderer kept;     /* a format rendered at the end from the kept migrations */
	OutputFile *out;         /* --format's destination */
	OutputFile *report;      /* --report: the JSON as well; NULL when not asked */
	MigrationList migrations; /* the kept migrations */
	ReportCounts counts;
	bool any;                /* a migration was written (JSON array separator) */
	bool any_item;           /* the streamer wrote an item */
	StrBuf buf;              /* what is written next */
};

/* Writes JSON to the outputs that take it. */
static bool
json_write(ReportStream *rs, const char *data, size_t len)
{
	bool ok = true;

	if (rs->json)
		ok = output_append(rs->out, data, len);
	if (rs->report)
		ok = output_append(rs->report, data, len) && ok;
	return ok;
}

/* The document up to the opening of the "migrations" array. */
static bool
json_begin(ReportStream *rs, const char *git_path)
{
	cJSON *head = cJSON_CreateObject();
	bool ok;

	cJSON_AddStringToObject(head, "migsafe_version", MIGSAFE_VERSION);
	cJSON_AddNumberToObject(head, "report_version", REPORT_VERSION);
	cJSON_AddStringToObject(head, "command", rs->command);
	cJSON_AddItemToObject(head, "git", gitrepo_report_json(git_path));
	jsonprint_append(&rs->buf, head, 0);
	rs->buf.len -= 2;                    /* without the closing "\n}" */
	strbuf_append(&rs->buf, ",\n\t\"migrations\":\t[");
	ok = json_write(rs, rs->buf.data, rs->buf.len);
	cJSON_Delete(head);
	return ok;
}

/* One element of the "migrations" array. */
static bool
json_migration(ReportStream *rs, const Migration *m)
{
	cJSON *item = report_migration_json(m);
	bool ok;

	rs->buf.len = 0;
	strbuf_append(&rs->buf, rs->any ? ", " : "");
	jsonprint_append(&rs->buf, item, 2);
	cJSON_Delete(item);
	ok = json_write(rs, rs->buf.data, rs->buf.len);
	rs->any = true;
	return ok;
}

/* Closes the array and adds the summary. */
static bool
json_end(ReportStream *rs)
{
	cJSON *summary = report_summary_json(&rs->counts);
	bool ok;

	rs->buf.len = 0;
	strbuf_append(&rs->buf, "],\n\t\"summary\":\t");
	jsonprint_append(&rs->buf, summary, 1);
	strbuf_append(&rs->buf, "\n}\n");
	cJSON_Delete(summary);
	ok = json_write(rs, rs->buf.data, rs->buf.len);
	return ok;
}

/* Commits *f when everything so far went well, else discards it; false if it failed. */
static bool
output_finish(OutputFile **f, bool ok)
{
	if (*f == NULL)
		return ok;
	if (ok)
		ok = output_commit(*f);
	else
		output_discard(*f);
	*f = NULL;
	return ok;
}

ReportStream *
report_stream_open(const Options *opts, const char *command, const char *git_path)
{
	ReportStream *rs;
	ReportRenderer render = report_renderer(opts->format);

	if (render == NULL) {
		log_error("%s: --format %s is not available for this command", opts->command_name,
				  opts->format);
		return NULL;
	}
	rs = xcalloc(1, sizeof *rs);
	rs->command = command;
	rs->json = render == report_render_json;
	rs->streamer = report_streamer(opts->format);
	rs->kept = rs->json || rs->streamer ? NULL : render;
	report_text_allow_color(opts->output_path == NULL || strcmp(opts->output_path, "-") == 0);
	rs->out = output_open(opts->output_path);
	if (rs->out && opts->report_path)
		rs->report = output_open(opts->report_path);
	if (rs->out == NULL || (opts->report_path && rs->report == NULL) ||
		((rs->json || rs->report) && !json_begin(rs, git_path))) {
		report_stream_free(rs);
		return NULL;
	}
	if (rs->streamer && rs->streamer->begin) {
		rs->buf.len = 0;
		rs->streamer->begin(&rs->buf);
		output_append(rs->out, rs->buf.data, rs->buf.len);
	}
	return rs;
}

bool
report_stream_add(ReportStream *rs, Migration *m)
{
	bool ok = true;

	if (m->context_only) {               /* --since: context, not reported */
		migration_free(m);
		return true;
	}
	report_counts_add(&rs->counts, m);
	if (rs->json || rs->report)
		ok = json_migration(rs, m);
	if (rs->kept) {
		migration_list_add(&rs->migrations, m);
		return ok;
	}
	if (rs->streamer) {
		rs->buf.len = 0;
		rs->any_item = rs->streamer->migration(&rs->buf, m, rs->any_item) || rs->any_item;
		ok = output_append(rs->out, rs->buf.data, rs->buf.len) && ok;
	}
	migration_free(m);
	return ok;
}

bool
report_stream_finish(ReportStream *rs)
{
	bool ok = true;

	if (rs->json || rs->report)
		ok = json_end(rs);
	if (rs->kept) {
		/* markdown reads the model; its document needs no migrations */
		MigrationList none = {0};
		cJSON *doc = report_document(rs->command, &none);
		char *text = rs->kept(doc, &rs->migrations);

		ok = output_append(rs->out, text, strlen(text)) && ok;
		free(text);
		cJSON_Delete(doc);
	} else if (rs->streamer) {
		rs->buf.len = 0;
		rs->streamer->end(&rs->buf, &rs->counts);
		ok = output_append(rs->out, rs->buf.data, rs->buf.len) && ok;
	}
	ok = output_finish(&rs->out, ok);
	return output_finish(&rs->report, ok);
}

const ReportCounts *
report_stream_counts(const ReportStream *rs)
{
	return &rs->counts;
}

void
report_stream_free(ReportStream *rs)
{
	if (rs == NULL)
		return;
	output_discard(rs->out);
	output_discard(rs->report);
	for (size_t i = 0; i < rs->migrations.count; i++)
		migration_free(rs->migrations.items[i]);
	free(rs->migrations.items);
	strbuf_free(&rs->buf);
	free(rs);
}
