// SPDX-License-Identifier: Apache-2.0
/* runner/engine/container_select.c: which containers a run selects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/engine/container_select.h"
#include "runner/engine/containers.h"
#include "runner/engine/image_select.h"
#include "runner/engine/k8s_select.h"

#define IMAGE_ID "sha256:0123456789abcdef0123456789abcdef"

static char root[] = "/tmp/test-container-select-XXXXXX";

/* A container of runtime rt named name (a pod's when pod, in namespace
 * "prod", its container "app", labelled app=web). */
static struct container_info ctr(const char *rt, const char *name, bool pod)
{
	struct container_info ci = { 0 };

	snprintf(ci.runtime, sizeof(ci.runtime), "%s", rt);
	snprintf(ci.id, sizeof(ci.id), "%064d", 7);
	snprintf(ci.name, sizeof(ci.name), "%s", name);
	snprintf(ci.image_id, sizeof(ci.image_id), "%s", IMAGE_ID);
	if (pod) {
		strcpy(ci.pod.name, "web-1");
		strcpy(ci.pod.namespace, "prod");
		strcpy(ci.pod.container, "app");
		strcpy(ci.pod.labels, "app=web");
	}
	return ci;
}

static int setup(void **state)
{
	if (!mkdtemp(root))
		return -1;
	*state = containers_new_proc(root);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	containers_free(*state);
	return rmdir(root);
}

static void set_names(struct container_select *sel, const char *list)
{
	free(sel->names);
	sel->names = strdup(list);
	assert_non_null(sel->names);
}

/* Without a flag: every namespace, the host's too (nothing left out). */
static void match__nothing_selected__every_namespace(void **state)
{
	struct container_select sel = { 0 };
	struct container_info blank = { 0 }, web = ctr("podman", "web", false);

	assert_false(container_select_any(&sel));
	assert_true(container_select_match(&sel, *state, NULL));
	assert_true(container_select_match(&sel, *state, &blank));
	assert_true(container_select_match(&sel, *state, &web));
}

/*
 * Any one flag leaves the host out: a namespace gone (NULL) or that is
 * no container's (a blank entry: the host's, a process's own), whatever
 * a list that only leaves names out would say of its empty names.
 */
static void match__host__left_out_by_each_flag(void **state)
{
	struct container_select sel = { 0 };
	struct container_info blank = { 0 },
			      other = ctr("podman", "other", false);

	for (int flag = 0; flag < 4; flag++) {
		switch (flag) {
		case 0:
			set_names(&sel, "!web");
			break;
		case 1:
			assert_int_equal(k8s_select_add(&sel.pods,
							K8S_SELECT_NAMESPACE,
							"!kube-system", NULL),
					 0);
			break;
		case 2:
			assert_int_equal(
				image_select_add(&sel.images, IMAGE_SELECT_ID,
						 "!abcdef012345", NULL),
				0);
			break;
		default:
			sel.containers_only = true;
		}
		assert_true(container_select_any(&sel));
		assert_false(container_select_match(&sel, *state, NULL));
		assert_false(container_select_match(&sel, *state, &blank));
		assert_true(container_select_match(&sel, *state, &other));
		container_select_fini(&sel);
	}
}

/* -r: a container of a runtime not watched is the host's; one of no
 * runtime (containerd's, of a namespace not asked) is known whatever it
 * names. */
static void match__runtime_not_watched__left_out(void **state)
{
	struct container_select sel = { .containers_only = true };
	struct container_info pm = ctr("podman", "a", false),
			      dk = ctr("docker", "b", false),
			      none = ctr("", "", false);

	assert_int_equal(containers_set_runtimes(*state, "docker", NULL), 0);
	assert_false(container_select_match(&sel, *state, &pm));
	assert_true(container_select_match(&sel, *state, &dk));
	assert_true(container_select_match(&sel, *state, &none));
	assert_int_equal(containers_set_runtimes(*state, NULL, NULL), 0);
	assert_true(container_select_match(&sel, *state, &pm));
}

/* -c: by runtime name; a container without one is kept by a list that
 * only leaves names out (as ig's selector), never named by one. */
static void match__names(void **state)
{
	struct container_select sel = { 0 };
	struct container_info web = ctr("podman", "web", false),
			      db = ctr("podman", "db", false),
			      unnamed = ctr("", "", false);

	set_names(&sel, "web");
	assert_true(container_select_match(&sel, *state, &web));
	assert_false(container_select_match(&sel, *state, &db));
	assert_false(container_select_match(&sel, *state, &unnamed));
	set_names(&sel, "!web");
	assert_false(container_select_match(&sel, *state, &web));
	assert_true(container_select_match(&sel, *state, &db));
	assert_true(container_select_match(&sel, *state, &unnamed));
	container_select_fini(&sel);
}

/* --k8s-*: the container's pod and its name there; a container outside
 * pods has empty names and no labels. */
static void match__pods(void **state)
{
	struct container_select sel = { 0 };
	struct container_info in_pod = ctr("containerd", "app", true),
			      outside = ctr("podman", "web", false);
	static const struct {
		enum k8s_select_key key;
		const char *value;
		bool in_pod, outside;
	} cases[] = {
		{ K8S_SELECT_NAMESPACE, "prod", true, false },
		{ K8S_SELECT_NAMESPACE, "!prod", false, true },
		{ K8S_SELECT_PODNAME, "web-1", true, false },
		{ K8S_SELECT_CONTAINERNAME, "app", true, false },
		{ K8S_SELECT_CONTAINERNAME, "other", false, false },
		{ K8S_SELECT_LABELS, "app=web", true, false },
		{ K8S_SELECT_LABELS, "!app=web", false, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(k8s_select_add(&sel.pods, cases[i].key,
						cases[i].value, NULL),
				 0);
		assert_int_equal(container_select_match(&sel, *state, &in_pod),
				 cases[i].in_pod);
		assert_int_equal(container_select_match(&sel, *state, &outside),
				 cases[i].outside);
		container_select_fini(&sel);
	}
}

/* --containerimage-id and -digest: the container's image, as its runtime
 * told it. */
static void match__images(void **state)
{
	struct container_select sel = { 0 };
	struct container_info web = ctr("docker", "web", false),
			      unknown = ctr("cri-o", "x", false);

	unknown.image_id[0] = '\0';
	assert_int_equal(image_select_add(&sel.images, IMAGE_SELECT_ID,
					  "0123456789ab", NULL),
			 0);
	assert_true(container_select_match(&sel, *state, &web));
	assert_false(container_select_match(&sel, *state, &unknown));
	container_select_fini(&sel);
	/* --containerimage-digest: its digest, with or without sha256: */
	snprintf(web.image_digest, sizeof(web.image_digest), "sha256:%s",
		 "fedcba9876543210fedcba9876543210");
	assert_int_equal(image_select_add(&sel.images, IMAGE_SELECT_DIGEST,
					  "fedcba987654", NULL),
			 0);
	assert_true(container_select_match(&sel, *state, &web));
	assert_false(container_select_match(&sel, *state, &unknown));
	container_select_fini(&sel);
	assert_int_equal(image_select_add(&sel.images, IMAGE_SELECT_DIGEST,
					  "!sha256:fedcba987654", NULL),
			 0);
	assert_false(container_select_match(&sel, *state, &web));
	container_select_fini(&sel);
}

/* Flags given together: each must hold. */
static void match__flags_combined__each_must_hold(void **state)
{
	struct container_select sel = { .containers_only = true };
	struct container_info app = ctr("containerd", "app", true),
			      other_image = ctr("containerd", "app", true),
			      other_name = ctr("containerd", "app2", true),
			      outside = ctr("podman", "app", false);

	other_image.image_id[7] = 'f';
	set_names(&sel, "app,app2");
	assert_int_equal(k8s_select_add(&sel.pods, K8S_SELECT_NAMESPACE, "prod",
					NULL),
			 0);
	assert_int_equal(k8s_select_add(&sel.pods, K8S_SELECT_CONTAINERNAME,
					"app", NULL),
			 0);
	assert_int_equal(image_select_add(&sel.images, IMAGE_SELECT_ID,
					  IMAGE_ID, NULL),
			 0);
	assert_true(container_select_match(&sel, *state, &app));
	assert_false(container_select_match(&sel, *state, &other_image));
	/* its runtime name is app2, its name in the pod app */
	assert_true(container_select_match(&sel, *state, &other_name));
	assert_false(container_select_match(&sel, *state, &outside));
	set_names(&sel, "app2");
	assert_false(container_select_match(&sel, *state, &app));
	assert_true(container_select_match(&sel, *state, &other_name));
	container_select_fini(&sel);
	assert_false(container_select_any(&sel));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(match__nothing_selected__every_namespace),
		cmocka_unit_test(match__host__left_out_by_each_flag),
		cmocka_unit_test(match__runtime_not_watched__left_out),
		cmocka_unit_test(match__names),
		cmocka_unit_test(match__pods),
		cmocka_unit_test(match__images),
		cmocka_unit_test(match__flags_combined__each_must_hold),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
