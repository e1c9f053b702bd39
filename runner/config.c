/*
 * config.c — migsafe.json. Every key maps to a command-line option and goes
 * through the same parser (options_set), so values mean the same in both
 * places; "rules" and "exclude" are the two keys with no option.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "rules.h"

typedef enum ConfigType {
	CONFIG_STRING,       /* a JSON string */
	CONFIG_NUMBER,       /* a JSON integer */
	CONFIG_DURATION      /* "100ms", or a number of milliseconds */
} ConfigType;

/* A configuration key and the command-line option it sets. */
typedef struct ConfigKey {
	const char *key;
	const char *option;
	ConfigType type;
} ConfigKey;

static const ConfigKey config_keys[] = {
	{"pg_version", "pg-version", CONFIG_NUMBER},
	{"schema", "schema", CONFIG_STRING},
	{"applied_by", "applied-by", CONFIG_STRING},
	{"fail_on", "fail-on", CONFIG_STRING},
	{"layout", "layout", CONFIG_STRING},
	{"history_table", "history-table", CONFIG_STRING},
	{"lock_timeout", "lock-timeout", CONFIG_DURATION},
	{"statement_timeout", "statement-timeout", CONFIG_DURATION},
	{"max_attempts", "max-attempts", CONFIG_NUMBER},
	{"max_wait", "max-wait", CONFIG_DURATION},
	{"runner_wait", "runner-wait", CONFIG_DURATION},
	{"max_queued", "max-queued", CONFIG_NUMBER},
	{"max_queue_wait", "max-queue-wait", CONFIG_DURATION},
	{"small_table_rows", "small-table-rows", CONFIG_NUMBER},
	{"small_table_bytes", "small-table-bytes", CONFIG_NUMBER},
	{"on_blockers", "on-blockers", CONFIG_STRING},
	{"blocker_min_age", "blocker-min-age", CONFIG_DURATION},
	{"blocker_wait", "blocker-wait", CONFIG_DURATION},
	{"cancel_after", "cancel-after", CONFIG_DURATION},
	{"terminate_grace", "terminate-grace", CONFIG_DURATION},
};

#define N_CONFIG_KEYS (sizeof config_keys / sizeof config_keys[0])

/* The key table entry for key, or NULL. */
static const ConfigKey *
config_key_find(const char *key)
{
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
		if (strcmp(config_keys[i].key, key) == 0)
			return &config_keys[i];
	return NULL;
}

/* The value of item as the option's text, or NULL when its JSON type is wrong. */
static char *
config_value_text(const ConfigKey *k, const cJSON *item)
{
	/* The range test comes first: casting 1e300 to long long is undefined (fuzz_config). */
	bool integral = cJSON_IsNumber(item) && item->valuedouble > -9e18 && item->valuedouble < 9e18 &&
		item->valuedouble == (double) (long long) item->valuedouble;

	if (cJSON_IsString(item) && (k->type == CONFIG_STRING || k->type == CONFIG_DURATION))
		return xstrdup(item->valuestring);
	if (integral && (k->type == CONFIG_NUMBER || k->type == CONFIG_DURATION))
		return xasprintf("%lld", (long long) item->valuedouble);
	return NULL;
}

/* Applies one option key through options_set; false (logged) when invalid. */
static bool
config_apply_option(Options *opts, const ConfigKey *k, const cJSON *item, const char *name)
{
	char *text = config_value_text(k, item);
	bool ok;

	if (text == NULL) {
		log_error("%s: \"%s\" must be %s", name, k->key,
				  k->type == CONFIG_STRING ? "a string" :
				  k->type == CONFIG_NUMBER ? "an integer" :
				  "a duration such as \"100ms\" or a number of milliseconds");
		return false;
	}
	strlist_add(&opts->config_strings, text);
	free(text);
	ok = options_set(opts, k->option,
					 opts->config_strings.items[opts->config_strings.count - 1]);
	if (!ok)
		log_error("%s: invalid value for \"%s\" (see migsafe %s --help, option --%s)", name,
				  k->key, opts->command_name, k->option);
	return ok;
}

/*
 * "rules": {"rule-id": "off" | "on" | "error" | "warning" | "info", ...}.
 * Every id must be a rule migsafe knows.
 */
static bool
config_apply_rules(Options *opts, const cJSON *rules, const char *name)
{
	const cJSON *item;
	bool ok = true;

	if (!cJSON_IsObject(rules)) {
		log_error("%s: \"rules\" must be an object of rule id to \"off\", \"on\" or a severity",
				  name);
		return false;
	}
	cJSON_ArrayForEach(item, rules) {
		const char *v = cJSON_IsString(item) ? item->valuestring : NULL;
		Severity sev;

		if (rules_find(item->string) == NULL) {
			log_error("%s: unknown rule \"%s\" in \"rules\" (docs/rules.md lists them)", name,
					  item->string);
			ok = false;
		} else if (v && strcmp(v, "off") == 0) {
			strlist_add_unique(&opts->disable_rules, item->string);
		} else if (v && strcmp(v, "on") == 0) {
			strlist_add_unique(&opts->enable_rules, item->string);
		} else if (v && severity_parse(v, &sev)) {
			char *e = xasprintf("%s=%s", item->string, severity_name(sev));

			strlist_add_unique(&opts->enable_rules, item->string);
			strlist_add(&opts->rule_severities, e);
			free(e);
		} else {
			log_error("%s: rule \"%s\" must be \"off\", \"on\", \"error\", \"warning\" or "
					  "\"info\"", name, item->string);
			ok = false;
		}
	}
	return ok;
}

/* "exclude": ["glob", ...]: migrations whose path matches are not loaded. */
static bool
config_apply_exclude(Options *opts, const cJSON *list, const char *name)
{
	const cJSON *item;

	if (!cJSON_IsArray(list)) {
		log_error("%s: \"exclude\" must be an array of path patterns", name);
		return false;
	}
	cJSON_ArrayForEach(item, list) {
		if (!cJSON_IsString(item) || item->valuestring[0] == '\0') {
			log_error("%s: \"exclude\" entries must be non-empty strings", name);
			return false;
		}
		strlist_add(&opts->exclude_paths, item->valuestring);
	}
	return true;
}

bool
config_apply_text(Options *opts, const char *text, size_t len, const char *name)
{
	cJSON *doc = cJSON_ParseWithLength(text, len);
	const cJSON *item;
	bool ok = true;

	if (doc == NULL) {
		const char *at = cJSON_GetErrorPtr();

		log_error("%s: not valid JSON (near byte %ld)", name,
				  at && at >= text && at <= text + len ? (long) (at - text) : 0L);
		return false;
	}
	if (!cJSON_IsObject(doc)) {
		log_error("%s: the configuration must be a JSON object", name);
		cJSON_Delete(doc);
		return false;
	}
	cJSON_ArrayForEach(item, doc) {
		const ConfigKey *k = config_key_find(item->string);

		if (strcmp(item->string, "rules") == 0)
			ok = config_apply_rules(opts, item, name) && ok;
		else if (strcmp(item->string, "exclude") == 0)
			ok = config_apply_exclude(opts, item, name) && ok;
		else if (k)
			ok = config_apply_option(opts, k, item, name) && ok;
		else {
			log_error("%s: unknown key \"%s\" (docs/config.md lists the keys)", name,
					  item->string);
			ok = false;
		}
	}
	cJSON_Delete(doc);
	return ok;
}

/* Reads all of path; NULL (errno set) when it cannot. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	StrBuf sb = {0};
	char buf[8192];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		strbuf_append_n(&sb, buf, n);
	if (ferror(f)) {
		fclose(f);
		strbuf_free(&sb);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	if (sb.data == NULL)
		strbuf_append(&sb, "");
	*len = sb.len;
	return strbuf_detach(&sb);
}

bool
config_apply_file(Options *opts, const char *path)
{
	const char *p = path ? path : CONFIG_DEFAULT_FILE;
	size_t len = 0;
	char *text = read_file(p, &len);
	bool ok;

	if (text == NULL) {
		if (path == NULL && errno == ENOENT)
			return true;
		log_error("%s: cannot read the configuration: %s", p, strerror(errno));
		return false;
	}
	ok = config_apply_text(opts, text, len, p);
	free(text);
	return ok;
}
