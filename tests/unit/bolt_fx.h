/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small bbolt database made by hand for tests: two meta pages and one
 * leaf page of top-level buckets, each holding inline buckets of
 * key/value pairs (as podman's ctr/<id>/config and pod/<id>/config).
 */
#ifndef TESTS_UNIT_BOLT_FX_H
#define TESTS_UNIT_BOLT_FX_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BOLT_FX_PAGE 4096

struct bolt_fx_kv {
	const char *key;
	const void *val;
	size_t len;
	int bucket;
};

static inline void bolt_fx_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A leaf page of items (sorted by key) at out; its length. */
static inline size_t bolt_fx_leaf(uint8_t *out, uint64_t id,
				  const struct bolt_fx_kv *kv, int n)
{
	size_t data = 16 + 16 * (size_t)n;

	bolt_fx_put(out, id, 8);
	bolt_fx_put(out + 8, 0x02, 2);
	bolt_fx_put(out + 10, (uint64_t)n, 2);
	bolt_fx_put(out + 12, 0, 4);
	for (int i = 0; i < n; i++) {
		uint8_t *e = out + 16 + 16 * i;
		size_t kl = strlen(kv[i].key);

		bolt_fx_put(e, kv[i].bucket ? 1 : 0, 4);
		bolt_fx_put(e + 4, data - (size_t)(16 + 16 * i), 4);
		bolt_fx_put(e + 8, kl, 4);
		bolt_fx_put(e + 12, kv[i].len, 4);
		memcpy(out + data, kv[i].key, kl);
		memcpy(out + data + kl, kv[i].val, kv[i].len);
		data += kl + kv[i].len;
	}
	return data;
}

/* An inline bucket's value (header and page) of items; its length. */
static inline size_t bolt_fx_inline(uint8_t *out, const struct bolt_fx_kv *kv,
				    int n)
{
	memset(out, 0, 16);
	return 16 + bolt_fx_leaf(out + 16, 0, kv, n);
}

static inline void bolt_fx_meta(uint8_t *page, uint64_t id, uint64_t txid)
{
	uint8_t *m = page + 16;
	uint64_t h = 0xcbf29ce484222325ULL;

	bolt_fx_put(page, id, 8);
	bolt_fx_put(page + 8, 0x04, 2);
	bolt_fx_put(m, 0xED0CDAED, 4);
	bolt_fx_put(m + 4, 2, 4);
	bolt_fx_put(m + 8, BOLT_FX_PAGE, 4);
	bolt_fx_put(m + 16, 2, 8); /* the root bucket: page 2 */
	bolt_fx_put(m + 32, 3, 8);
	bolt_fx_put(m + 40, 4, 8);
	bolt_fx_put(m + 48, txid, 8);
	for (int i = 0; i < 56; i++)
		h = (h ^ m[i]) * 0x100000001b3ULL;
	bolt_fx_put(m + 56, h, 8);
}

/*
 * podman's database with container ctr (config ctr_cfg) and pod pod
 * (config pod_cfg): 3 pages, malloc'd; *size its length.
 */
static inline uint8_t *bolt_fx_podman(const char *ctr, const char *ctr_cfg,
				      const char *pod, const char *pod_cfg,
				      size_t *size)
{
	uint8_t *db = calloc(3, BOLT_FX_PAGE), c1[1024], c2[1024], p1[1024],
		p2[1024];
	struct bolt_fx_kv cc = { "config", ctr_cfg, strlen(ctr_cfg), 0 };
	struct bolt_fx_kv pc = { "config", pod_cfg, strlen(pod_cfg), 0 };
	size_t c1l = bolt_fx_inline(c1, &cc, 1),
	       p1l = bolt_fx_inline(p1, &pc, 1);
	struct bolt_fx_kv cb = { ctr, c1, c1l, 1 }, pb = { pod, p1, p1l, 1 };
	size_t c2l = bolt_fx_inline(c2, &cb, 1),
	       p2l = bolt_fx_inline(p2, &pb, 1);
	struct bolt_fx_kv top[2] = { { "ctr", c2, c2l, 1 },
				     { "pod", p2, p2l, 1 } };

	if (!db)
		return NULL;
	bolt_fx_meta(db, 0, 1);
	bolt_fx_meta(db + BOLT_FX_PAGE, 1, 2);
	bolt_fx_leaf(db + 2 * BOLT_FX_PAGE, 2, top, 2);
	*size = 3 * BOLT_FX_PAGE;
	return db;
}

#endif
