// SPDX-License-Identifier: Apache-2.0
/*
 * Image references (oci/ref.c): any string either fails with a message or
 * parses into a normalised reference; formatting that and parsing it again
 * must give the very same reference (a fixed point), whatever the default
 * prefix of the second parse.  The first input byte
 * picks the default prefix, the rest is the reference.
 */
#include "common/cleanup.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "fuzz.h"

static const char *const prefixes[] = {
	NULL,
	"localhost:5000/",
	"docker.io/library/",
	"registry.example:443/a/b/",
};

static void check_ref(const struct oci_ref *r, const char *input)
{
	FUZZ_CHECK(r->registry && *r->registry, "no registry for \"%s\"",
		   input);
	FUZZ_CHECK(r->repository && *r->repository, "no repository for \"%s\"",
		   input);
	FUZZ_CHECK(r->tag || r->digest, "neither tag nor digest for \"%s\"",
		   input);
	FUZZ_CHECK(!r->digest || oci_digest_valid(r->digest),
		   "bad digest \"%s\" kept from \"%s\"", r->digest, input);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_error struct error *err = NULL;
	cleanup_ref struct oci_ref *ref = NULL;
	cleanup_ref struct oci_ref *again = NULL;
	cleanup_free char *s = NULL;
	cleanup_free char *text = NULL;
	cleanup_free char *text2 = NULL;
	cleanup_free char *name = NULL;
	cleanup_free char *norm = NULL;
	const char *prefix;

	if (size < 1)
		return 0;
	prefix = prefixes[data[0] % (sizeof(prefixes) / sizeof(*prefixes))];
	s = fuzz_strndup(data + 1, size - 1);
	if (!s)
		return 0;
	if (oci_ref_parse(s, prefix, &ref, &err) < 0) {
		FUZZ_CHECK(err && err->msg && *err->msg,
			   "failure without a message for \"%s\"", s);
		FUZZ_CHECK(!ref, "failure left a reference for \"%s\"", s);
		return 0;
	}
	check_ref(ref, s);
	text = oci_ref_format(ref);
	name = oci_ref_name(ref);
	FUZZ_CHECK(text && name, "format failed for \"%s\"", s);
	FUZZ_CHECK(!strncmp(text, name, strlen(name)),
		   "name \"%s\" is not a prefix of \"%s\"", name, text);

	if (oci_ref_parse(text, prefix, &again, &err) < 0)
		FUZZ_CHECK(0, "\"%s\" -> \"%s\" does not parse: %s", s, text,
			   error_msg(err));
	check_ref(again, text);
	FUZZ_CHECK(fuzz_streq(ref->registry, again->registry) &&
			   fuzz_streq(ref->repository, again->repository) &&
			   fuzz_streq(ref->tag, again->tag) &&
			   fuzz_streq(ref->digest, again->digest),
		   "\"%s\" -> \"%s\" parses differently", s, text);
	text2 = oci_ref_format(again);
	FUZZ_CHECK(text2 && !strcmp(text, text2), "\"%s\" -> \"%s\" -> \"%s\"",
		   s, text, text2);

	/* a normalised reference is complete: another prefix changes nothing */
	oci_ref_free(again);
	again = NULL;
	free(text2);
	text2 = NULL;
	if (oci_ref_parse(text, "other.example/p/", &again, &err) < 0)
		FUZZ_CHECK(0, "\"%s\" does not parse with another prefix: %s",
			   text, error_msg(err));
	text2 = oci_ref_format(again);
	FUZZ_CHECK(text2 && !strcmp(text, text2),
		   "\"%s\" -> \"%s\" with another prefix", text, text2);

	if (oci_ref_normalize(s, prefix, &norm, &err) < 0)
		FUZZ_CHECK(0, "normalize fails where parse did for \"%s\"", s);
	FUZZ_CHECK(!strcmp(norm, text),
		   "normalize \"%s\" gives \"%s\", not \"%s\"", s, norm, text);
	return 0;
}
