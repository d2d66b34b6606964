// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/cleanup.h"
#include "oci/manifest.h"

#define D1 \
	"sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 \
	"sha256:2222222222222222222222222222222222222222222222222222222222222222"

static const char index_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\","
	"\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST "\",\"digest\":\"" D1
	"\",\"size\":10,\"platform\":{\"architecture\":\"arm64\","
	"\"os\":\"linux\"}},{\"mediaType\":\"" OCI_MT_MANIFEST
	"\",\"digest\":\"" D2 "\",\"size\":11,\"platform\":{"
	"\"architecture\":\"amd64\",\"os\":\"linux\"}}],"
	"\"annotations\":{\"a\":\"b\"}}";

static const char manifest_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST "\","
	"\"artifactType\":\"" OCI_ARTIFACT_GADGET "\",\"config\":{"
	"\"mediaType\":\"" OCI_MT_GADGET_CONFIG "\",\"digest\":\"" D1
	"\",\"size\":3},\"layers\":[{\"mediaType\":\"" OCI_MT_GADGET_PROGRAM
	"\",\"digest\":\"" D2 "\",\"size\":4}],\"annotations\":{"
	"\"" OCI_ANN_CREATED "\":\"2024-01-01T00:00:00Z\"}}";

static void index_parse__finds_arch(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_index struct oci_index *idx = NULL;
	cleanup_free char *archs = NULL;
	const struct oci_descriptor *d;

	(void)state;
	assert_int_equal(
		oci_index_parse(index_json, strlen(index_json), &idx, &err), 0);
	assert_int_equal(idx->n_manifests, 2);
	d = oci_index_find_arch(idx, "amd64");
	assert_non_null(d);
	assert_string_equal(d->digest, D2);
	assert_int_equal(d->size, 11);
	assert_null(oci_index_find_arch(idx, "s390x"));
	archs = oci_index_archs(idx);
	assert_string_equal(archs, "arm64, amd64");
	assert_string_equal(
		oci_kv_get(idx->annotations, idx->n_annotations, "a"), "b");
}

static void manifest_parse__gadget_fields(void **state)
{
	cleanup_error struct error *err = NULL;
	cleanup_manifest struct oci_manifest *m = NULL;

	(void)state;
	assert_int_equal(oci_manifest_parse(manifest_json,
					    strlen(manifest_json), &m, &err),
			 0);
	assert_string_equal(m->artifact_type, OCI_ARTIFACT_GADGET);
	assert_string_equal(m->config.media_type, OCI_MT_GADGET_CONFIG);
	assert_int_equal(m->n_layers, 1);
	assert_string_equal(m->layers[0].digest, D2);
}

static void doc_kind__by_media_type_or_shape(void **state)
{
	static const char shape_index[] =
		"{\"schemaVersion\":2,\"manifests\":[]}";
	static const char v1[] = "{\"schemaVersion\":1}";
	cleanup_free char *mt = NULL;

	(void)state;
	assert_int_equal(oci_doc_kind(index_json, strlen(index_json), NULL),
			 OCI_KIND_INDEX);
	assert_int_equal(oci_doc_kind(manifest_json, strlen(manifest_json),
				      &mt),
			 OCI_KIND_MANIFEST);
	assert_string_equal(mt, OCI_MT_MANIFEST);
	assert_int_equal(oci_doc_kind(shape_index, strlen(shape_index), NULL),
			 OCI_KIND_INDEX);
	assert_int_equal(oci_doc_kind(v1, strlen(v1), NULL), OCI_KIND_OTHER);
	assert_int_equal(oci_doc_kind("[1]", 3, NULL), OCI_KIND_OTHER);
}

/* Each case must fail with a message containing its needle. */
static void parse__invalid_documents__explained(void **state)
{
	static const struct {
		const char *json, *needle;
		int index;
	} cases[] = {
		{ "{", "invalid JSON", 1 },
		{ "{\"schemaVersion\":1,\"manifests\":[]}", "schemaVersion",
		  1 },
		{ "{\"schemaVersion\":2}", "\"manifests\" is not an array", 1 },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\","
		  "\"digest\":\"sha256:12\",\"size\":1}]}",
		  "manifests[0]", 1 },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\","
		  "\"digest\":\"" D1 "\",\"size\":-1}]}",
		  "negative", 1 },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST
		  "\",\"manifests\":[]}",
		  "unexpected mediaType", 1 },
		{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		  "\"digest\":\"" D1 "\",\"size\":1}}",
		  "\"layers\" is not an array", 0 },
		{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		  "\"digest\":\"md5:00\",\"size\":1},\"layers\":[]}",
		  "unsupported algorithm", 0 },
		{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\","
		  "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[],"
		  "\"annotations\":{\"a\":1}}",
		  "annotation \"a\"", 0 },
		{ "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}",
		  "duplicate", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_error struct error *err = NULL;
		struct oci_index *idx = NULL;
		struct oci_manifest *m = NULL;
		int rc;

		if (cases[i].index)
			rc = oci_index_parse(cases[i].json,
					     strlen(cases[i].json), &idx, &err);
		else
			rc = oci_manifest_parse(
				cases[i].json, strlen(cases[i].json), &m, &err);
		assert_int_equal(rc, -1);
		if (!strstr(error_msg(err), cases[i].needle))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i,
				 error_msg(err), cases[i].needle);
	}
}

static void seen_add__second_time__says_seen(void **state)
{
	cleanup_seen struct oci_seen s = { 0 };

	(void)state;
	assert_int_equal(oci_seen_add(&s, D1, NULL), 0);
	assert_int_equal(oci_seen_add(&s, D2, NULL), 0);
	assert_int_equal(oci_seen_add(&s, D1, NULL), 1);
	assert_int_equal(oci_seen_add(&s, D2, NULL), 1);
	assert_int_equal(strmap_count(&s.map), 2);
}

/* Past the table's growths, each digest is seen once and found again,
 * and one never added is not. */
static void seen_add__thousands__each_once(void **state)
{
	cleanup_seen struct oci_seen s = { 0 };
	char d[OCI_DIGEST_SIZE];
	unsigned int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "sha256:%064x", i * 7919);
		assert_int_equal(oci_seen_add(&s, d, NULL), 0);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "sha256:%064x", i * 7919);
		assert_true(oci_seen_has(&s, d));
		assert_int_equal(oci_seen_add(&s, d, NULL), 1);
	}
	assert_int_equal(strmap_count(&s.map), 5000);
	snprintf(d, sizeof(d), "sha256:%064x", 1);
	assert_false(oci_seen_has(&s, d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(index_parse__finds_arch),
		cmocka_unit_test(manifest_parse__gadget_fields),
		cmocka_unit_test(doc_kind__by_media_type_or_shape),
		cmocka_unit_test(parse__invalid_documents__explained),
		cmocka_unit_test(seen_add__second_time__says_seen),
		cmocka_unit_test(seen_add__thousands__each_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
