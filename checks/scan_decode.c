/*
 * scan_decode.c — PostgreSQL's scanner tokens, read from libpg_query's
 * protobuf output into one flat array.
 *
 * pg_query_scan hands its tokens over as a protobuf ScanResult. protobuf-c's
 * generic unpack walks its descriptors for every field of every token and
 * allocates a message per token, which cost more than PostgreSQL's scanner
 * spent finding them; a check of a big project reads hundreds of thousands
 * of tokens. The message is simple (a repeated ScanToken of four integer
 * fields), so the wire format is read here directly. Field numbers are not
 * written down here: they are looked up in libpg_query's own descriptors.
 * tests/unit/test_scan_decode.c and fuzz/fuzz_sqlparse.c compare the result
 * with protobuf-c's unpack.
 */
#include "scan_decode.h"

#include <stdlib.h>

#include <pg_query/pg_query.pb-c.h>

#include "util.h"

/* Protobuf wire types. */
enum {
	WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LENGTH = 2, WIRE_FIXED32 = 5
};

/* The field numbers this decoder reads, from libpg_query's descriptors. */
typedef struct FieldIds {
	uint32_t tokens, start, end, token;
} FieldIds;

typedef struct Reader {
	const uint8_t *p;
	const uint8_t *end;
} Reader;

static uint32_t
field_id(const ProtobufCMessageDescriptor *desc, const char *name)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(desc, name);

	return f ? f->id : 0;       /* 0 is no valid field number: nothing matches it */
}

static FieldIds
field_ids(void)
{
	FieldIds ids = {
		.tokens = field_id(&pg_query__scan_result__descriptor, "tokens"),
		.start = field_id(&pg_query__scan_token__descriptor, "start"),
		.end = field_id(&pg_query__scan_token__descriptor, "end"),
		.token = field_id(&pg_query__scan_token__descriptor, "token"),
	};

	return ids;
}

/* A base-128 varint of at most ten bytes, as protobuf-c accepts. */
static bool
read_varint(Reader *r, uint64_t *v)
{
	uint64_t x = 0;

	if (r->p < r->end && *r->p < 0x80) {
		*v = *r->p++;            /* most keys and offsets' low fields: one byte */
		return true;
	}
	for (unsigned shift = 0; shift < 70; shift += 7) {
		uint8_t b;

		if (r->p == r->end)
			return false;
		b = *r->p++;
		if (shift < 64)
			x |= (uint64_t) (b & 0x7F) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return true;
		}
	}
	return false;
}

/* A field's key: its number and wire type. */
static bool
read_key(Reader *r, uint32_t *id, unsigned *wire)
{
	uint64_t key;

	if (!read_varint(r, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
		return false;
	*id = (uint32_t) (key >> 3);
	*wire = (unsigned) (key & 7);
	return true;
}

/* The bytes of a length-delimited field, as a reader of their own. */
static bool
read_length(Reader *r, Reader *sub)
{
	uint64_t n;

	if (!read_varint(r, &n) || n > (uint64_t) (r->end - r->p))
		return false;
	sub->p = r->p;
	sub->end = r->p + n;
	r->p += n;
	return true;
}

/* Steps over a field this decoder does not read. */
static bool
skip_field(Reader *r, unsigned wire)
{
	uint64_t v;
	Reader sub;

	switch (wire) {
	case WIRE_VARINT:
		return read_varint(r, &v);
	case WIRE_FIXED64:
		if (r->end - r->p < 8)
			return false;
		r->p += 8;
		return true;
	case WIRE_FIXED32:
		if (r->end - r->p < 4)
			return false;
		r->p += 4;
		return true;
	case WIRE_LENGTH:
		return read_length(r, &sub);
	default:
		return false;            /* groups: not in libpg_query's messages */
	}
}

/* One ScanToken message; absent fields are 0, a repeated field's last value wins. */
static bool
read_token(Reader *r, const FieldIds *ids, SqlToken *t)
{
	int32_t start = 0, end = 0, kind = 0;

	while (r->p < r->end) {
		uint32_t id;
		unsigned wire;
		uint64_t v;

		if (!read_key(r, &id, &wire))
			return false;
		if (id != ids->start && id != ids->end && id != ids->token) {
			if (!skip_field(r, wire))
				return false;
			continue;
		}
		if (wire != WIRE_VARINT || !read_varint(r, &v))
			return false;
		if (id == ids->start)
			start = (int32_t) (uint32_t) v;
		else if (id == ids->end)
			end = (int32_t) (uint32_t) v;
		else
			kind = (int32_t) (uint32_t) v;
	}
	t->start = (size_t) start;
	t->end = (size_t) end;
	t->kind = kind;
	return true;
}

bool
scan_decode(const uint8_t *buf, size_t len, SqlToken **tokens, size_t *count)
{
	FieldIds ids = field_ids();  /* four lookups per message: nothing shared between threads */
	Reader r = {buf, buf + len};
	/* each token but one at offset 0 takes at least 8 bytes: this is grown only for odd input */
	size_t n = 0, cap = len / 8 + 1;
	SqlToken *out = xmalloc(cap * sizeof *out);

	while (r.p < r.end) {
		uint32_t id;
		unsigned wire;
		Reader sub;

		if (!read_key(&r, &id, &wire))
			goto fail;
		if (id != ids.tokens) {
			if (!skip_field(&r, wire))
				goto fail;
			continue;
		}
		if (wire != WIRE_LENGTH || !read_length(&r, &sub))
			goto fail;
		if (n == cap) {
			cap *= 2;
			out = xrealloc(out, cap * sizeof *out);
		}
		if (!read_token(&sub, &ids, &out[n]))
			goto fail;
		n++;
	}
	*tokens = out;
	*count = n;
	return true;

fail:
	free(out);
	return false;
}
