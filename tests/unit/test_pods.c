// SPDX-License-Identifier: Apache-2.0
/* runner/engine/pods.c and k8s_select.c against a fake /proc and fake
 * runtime state, laid out as containerd, CRI-O, cri-dockerd and podman
 * lay theirs out, and a fake containerd that answers late
 * (tests/unit/containerd_fx.h, with the clock it moves).  name_list_match
 * is wrapped (-Wl,--wrap) to count the selections matched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/fileutil.h"
#include "metadata/metadata.h"
#include "runner/engine/bpf/containers.h"
#include "runner/engine/containers.h"
#include "runner/engine/fields.h"
#include "runner/engine/k8s_select.h"
#include "runner/engine/log.h"
#include "runner/engine/pod_labels.h"
#include "runner/engine/pods.h"
#include "tests/unit/bolt_fx.h"
#include "tests/unit/containerd_fx.h"
#include "tests/unit/fixture_event.h"

bool __real_name_list_match(const char *list, const char *name);
bool __wrap_name_list_match(const char *list, const char *name);

static int list_matches;

bool __wrap_name_list_match(const char *list, const char *name)
{
	list_matches++;
	return __real_name_list_match(list, name);
}

#define SB "5b00000000000000000000000000000000000000000000000000000000000001"
#define APP "a000000000000000000000000000000000000000000000000000000000000002"
#define APP2 "a000000000000000000000000000000000000000000000000000000000000003"
#define ONESHOT \
	"0e00000000000000000000000000000000000000000000000000000000000004"
#define CRIO_SB \
	"c5b0000000000000000000000000000000000000000000000000000000000005"
#define CRIO_APP \
	"c0a0000000000000000000000000000000000000000000000000000000000006"
#define DK_SB "d5b0000000000000000000000000000000000000000000000000000000000007"
#define DK_APP \
	"d0a0000000000000000000000000000000000000000000000000000000000008"
#define PM_APP \
	"90a0000000000000000000000000000000000000000000000000000000000009"
#define PM_POD \
	"90d0000000000000000000000000000000000000000000000000000000000011"
#define PM_OTHER \
	"90e0000000000000000000000000000000000000000000000000000000000012"
#define HOSTNET \
	"4e00000000000000000000000000000000000000000000000000000000000010"
#define APP3 "a000000000000000000000000000000000000000000000000000000000000013"
#define UID "0f1e2d3c-0000-4000-8000-000000000001"
#define TASKS "/state/io.containerd.runtime.v2.task/k8s.io"
/* the containerd that the pods' shim names (-address) */
#define K8S_SOCK "/run/k8s-test/containerd.sock"

/* cri-dockerd's config.v2.json of DK_APP, its Config.Image image (JSON) */
#define DK_APP_CONFIG(image)                                        \
	"{\"Name\":\"/k8s_api_backend-7_prod_u-dk_0\",\"Config\":{" \
	"\"Image\":\"" image "\",\"Labels\":{"                      \
	"\"io.kubernetes.pod.name\":\"backend-7\","                 \
	"\"io.kubernetes.pod.namespace\":\"prod\","                 \
	"\"io.kubernetes.pod.uid\":\"u-dk\","                       \
	"\"io.kubernetes.container.name\":\"api\","                 \
	"\"io.kubernetes.docker.type\":\"container\","              \
	"\"io.kubernetes.sandbox.id\":\"" DK_SB "\"}}}"

static char root[] = "/tmp/test-pods-XXXXXX";

static void put(const char *rel, const char *text, size_t len)
{
	char path[1024], dir[1024];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755, NULL), 0);
	assert_int_equal(write_file_atomic(path, text, len, 0644, NULL), 0);
}

#define PUT(rel, text) put(rel, text, strlen(text))

static void link_to(const char *rel, const char *target)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static __u64 inode_of(const char *rel)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* A process pid, child of ppid, in network namespace file net. */
static void proc(int pid, int ppid, const char *net)
{
	char rel[64], text[128];

	snprintf(text, sizeof(text), "%d (x) S %d 1 1 0\n", pid, ppid);
	snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
	PUT(rel, text);
	snprintf(rel, sizeof(rel), "proc/%d/ns/net", pid);
	if (!strcmp(net, "host")) {
		char target[1024], path[1024];

		PUT(rel, "");
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		unlink(path);
		snprintf(target, sizeof(target), "%s/proc/1/ns/net", root);
		link_to(rel, target);
	} else {
		PUT(rel, "");
		if (strcmp(net, rel)) {
			/* share net with another process: the same file */
			char a[1024], b[1024];

			snprintf(a, sizeof(a), "%s/%s", root, rel);
			snprintf(b, sizeof(b), "%s/%s", root, net);
			unlink(a);
			assert_int_equal(link(b, a), 0);
		}
	}
}

static void cri_spec(const char *id, const char *type, const char *ctr)
{
	char rel[256], text[2048];

	snprintf(text, sizeof(text),
		 "{\"annotations\":{"
		 "\"io.kubernetes.cri.container-type\":\"%s\","
		 "\"io.kubernetes.cri.sandbox-id\":\"" SB "\","
		 "\"io.kubernetes.cri.sandbox-name\":\"mypod\","
		 "\"io.kubernetes.cri.sandbox-namespace\":\"demo\","
		 "\"io.kubernetes.cri.sandbox-uid\":\"" UID "\"%s%s%s},"
		 "\"linux\":{\"namespaces\":[{\"type\":\"network\"}]}}",
		 type, ctr ? ",\"io.kubernetes.cri.container-name\":\"" : "",
		 ctr ? ctr : "", ctr ? "\"" : "");
	snprintf(rel, sizeof(rel), TASKS "/%s/config.json", id);
	PUT(rel, text);
}

static int setup(void **state)
{
	static const char shim[] = "/usr/bin/containerd-shim-runc-v2\0"
				   "-namespace\0k8s.io\0-address\0" K8S_SOCK
				   "\0";
	static const char conmon[] = "/usr/bin/conmon\0-c\0" CRIO_APP
				     "\0-b\0/crio/" CRIO_APP "/userdata\0";
	static const char pconmon[] = "/usr/bin/conmon\0-b\0/podman/" PM_APP
				      "/userdata\0";
	static const char pconmon2[] = "/usr/bin/conmon\0-b\0/pmstore/"
				       "overlay-containers/" PM_OTHER
				       "/userdata\0";
	static const char dshim[] = "containerd-shim-runc-v2\0-namespace\0"
				    "moby\0";

	(void)state;
	if (!mkdtemp(root))
		return -1;
	PUT("proc/1/ns/net", "");
	/* containerd: one shim (pid 10) for the pod, in the sandbox's bundle */
	put("proc/10/cmdline", shim, sizeof(shim));
	link_to("proc/10/cwd", TASKS "/" SB);
	cri_spec(SB, "sandbox", NULL);
	cri_spec(APP, "container", "app");
	cri_spec(APP2, "container", "sidecar");
	cri_spec(ONESHOT, "container", "job");
	proc(100, 10, "proc/100/ns/net");
	proc(101, 10, "proc/100/ns/net");
	proc(102, 10, "proc/100/ns/net");
	/* CRI-O: conmon names the bundle; pod labels on the sandbox */
	put("proc/20/cmdline", conmon, sizeof(conmon));
	PUT("crio/" CRIO_APP "/userdata/config.json",
	    "{\"annotations\":{\"io.kubernetes.pod.name\":\"web-0\","
	    "\"io.kubernetes.pod.namespace\":\"shop\","
	    "\"io.kubernetes.pod.uid\":\"u-crio\","
	    "\"io.kubernetes.container.name\":\"nginx\","
	    "\"io.kubernetes.cri-o.ContainerType\":\"container\","
	    "\"io.kubernetes.cri-o.SandboxID\":\"" CRIO_SB "\"}}");
	PUT("crio/" CRIO_SB "/userdata/config.json",
	    "{\"annotations\":{\"io.kubernetes.pod.name\":\"web-0\","
	    "\"io.kubernetes.cri-o.ContainerType\":\"sandbox\","
	    "\"io.kubernetes.cri-o.Labels\":\"{\\\"tier\\\":\\\"front\\\","
	    "\\\"app\\\":\\\"web\\\",\\\"io.kubernetes.pod.name\\\":"
	    "\\\"web-0\\\"}\"}}");
	proc(200, 20, "proc/200/ns/net");
	/* docker through cri-dockerd, another data root */
	put("proc/30/cmdline", dshim, sizeof(dshim));
	link_to("proc/30/cwd", "/dexec/moby/" DK_APP);
	PUT("dexec/moby/" DK_APP "/config.json",
	    "{\"mounts\":[{\"destination\":\"/etc/hostname\",\"source\":"
	    "\"/ddata/containers/" DK_SB "/hostname\"}]}");
	PUT("ddata/containers/" DK_APP "/config.v2.json",
	    DK_APP_CONFIG("registry/api:1"));
	PUT("ddata/containers/" DK_SB "/config.v2.json",
	    "{\"Name\":\"/k8s_POD_backend-7_prod_u-dk_0\",\"Config\":{"
	    "\"Labels\":{\"io.kubernetes.pod.name\":\"backend-7\","
	    "\"io.kubernetes.docker.type\":\"podsandbox\","
	    "\"annotation.kubernetes.io/config.seen\":\"x\","
	    "\"app\":\"backend\",\"note\":\"a\\u001b[31mb\","
	    /* the image's: docker merges them into the container's */
	    "\"org.opencontainers.image.title\":\"pause\","
	    "\"maintainer\":\"A B <a@b.example>\","
	    "\"io.cri-containerd.kind\":\"sandbox\","
	    "\"Example.com/team\":\"dns\",\"-x\":\"y\",\"x\":\"-y\","
	    "\"example.com/team\":\"dns\"}}}");
	proc(300, 30, "proc/300/ns/net");
	/* podman kube play */
	put("proc/40/cmdline", pconmon, sizeof(pconmon));
	PUT("podman/" PM_APP "/userdata/config.json",
	    "{\"process\":{\"env\":[\"PATH=/bin\",\"HOSTNAME=mypod\"]},"
	    "\"annotations\":{\"io.container.manager\":\"libpod\","
	    "\"io.kubernetes.cri-o.ContainerType\":\"container\","
	    "\"io.kubernetes.cri-o.SandboxID\":\"" SB "\"}}");
	proc(400, 40, "proc/400/ns/net");
	/* its pod's labels: in podman's database (next to the folder of
	 * bundles), the pod's config, named by the container's */
	{
		size_t len;
		uint8_t *db = bolt_fx_podman(
			PM_APP, "{\"pod\":\"" PM_POD "\",\"labels\":{}}",
			PM_POD,
			"{\"labels\":{\"app\":\"kube\",\"tier\":\"front\","
			"\"note\":\"not a label value\"}}",
			&len);

		assert_non_null(db);
		put("libpod/bolt_state.db", (const char *)db, len);
		free(db);
	}
	/* podman with another storage root (--root, storage.conf) */
	put("proc/60/cmdline", pconmon2, sizeof(pconmon2));
	PUT("pmstore/overlay-containers/" PM_OTHER "/userdata/config.json",
	    "{\"annotations\":{\"io.container.manager\":\"libpod\"}}");
	PUT("pmstore/overlay-containers/containers.json",
	    "[{\"id\":\"" PM_APP "\",\"names\":[\"not-this\"]},"
	    "{\"id\":\"" PM_OTHER "\",\"names\":[\"elsewhere\"],"
	    "\"metadata\":\"{\\\"image-name\\\":"
	    "\\\"localhost/bb:other\\\"}\"}]");
	proc(600, 60, "proc/600/ns/net");
	/* a hostNetwork pod's container */
	cri_spec(HOSTNET, "container", "agent");
	proc(500, 10, "host");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static struct container_info info(const char *id, const char *name)
{
	struct container_info ci;

	memset(&ci, 0, sizeof(ci));
	snprintf(ci.id, sizeof(ci.id), "%s", id);
	snprintf(ci.name, sizeof(ci.name), "%s", name);
	return ci;
}

/* Container id (name as its runtime told, runtime "" if none) of process
 * pid as a pods of its own identifies it. */
static struct container_info identified(unsigned int pid, const char *id,
					const char *name, const char *runtime)
{
	struct pods *p = pods_new(root);
	struct container_info ci = info(id, name);

	assert_non_null(p);
	snprintf(ci.runtime, sizeof(ci.runtime), "%s", runtime);
	pods_identify(p, pid, &ci, false);
	pods_free(p);
	return ci;
}

struct said {
	int lines;
	char last[512];
};

static void on_log(void *ctx, enum engine_log_level level, bool libbpf,
		   const char *fmt, va_list ap)
{
	struct said *s = ctx;

	(void)level;
	(void)libbpf;
	s->lines++;
	vsnprintf(s->last, sizeof(s->last), fmt, ap);
}

static void containerd__shared_shim__sandbox_and_app_named(void **state)
{
	struct pods *p = pods_new(root);
	struct container_info sb = info(SB, ""), app = info(APP, "");
	struct said said = { 0 };
	char want[512];

	(void)state;
	engine_log_set(on_log, &said);
	pods_identify(p, 100, &sb, false);
	assert_string_equal(sb.pod.name, "mypod");
	assert_string_equal(sb.pod.namespace, "demo");
	assert_string_equal(sb.pod.uid, UID);
	assert_string_equal(sb.pod.container, "");
	assert_true(sb.pod.sandbox);
	assert_false(sb.pod.hostnetwork);
	assert_int_equal(sb.pod.netns, inode_of("proc/100/ns/net"));
	/* the shim's folder is the sandbox's: the app's bundle is next to it */
	pods_identify(p, 101, &app, false);
	assert_string_equal(app.pod.name, "mypod");
	assert_string_equal(app.pod.container, "app");
	assert_false(app.pod.sandbox);
	assert_int_equal(app.pod.netns, sb.pod.netns);
	/* the pod's labels are asked from containerd at the socket the shim
	 * names: none here, said once, the labels left empty */
	snprintf(want, sizeof(want),
		 "k8s.podLabels of containerd's pods stay empty: connect "
		 "%s" K8S_SOCK ": No such file or directory",
		 root);
	assert_int_equal(said.lines, 1);
	assert_string_equal(said.last, want);
	assert_string_equal(app.pod.labels, "");
	engine_log_set(NULL, NULL);
	pods_free(p);
}

/*
 * containerd too busy to answer when the pod's containers are found: one
 * wait (the first call; the others are told to come back, not made),
 * then each container asked again by pods_retry(), not before the
 * socket's back-off has passed, gets its image and its pod's labels.
 */
static void containerd__busy__asked_again_per_container(void **state)
{
	static const enum fx_conn script[] = {
		FX_SILENT, FX_ANSWER, FX_ANSWER, FX_ANSWER, FX_ANSWER, FX_ANSWER
	};
	static const char *const kv[] = { "app", "web", "tier", "front" };
	struct pods *p = pods_new(root);
	struct container_info sb = info(SB, ""), app = info(APP, "");
	struct said said = { 0 };
	struct fx_containerd *fx;

	(void)state;
	/* containerd's own: their images are asked too */
	snprintf(sb.runtime, sizeof(sb.runtime), "containerd");
	snprintf(app.runtime, sizeof(app.runtime), "containerd");
	engine_log_set(on_log, &said);
	fx = fx_at_root(root, K8S_SOCK, script, 6, kv, 2);
	pods_identify(p, 100, &sb, false);
	assert_string_equal(sb.pod.name, "mypod");
	assert_string_equal(sb.pod.labels, "");
	assert_int_equal(sb.later, PODS_LATER_IMAGE | PODS_LATER_LABELS);
	assert_int_equal(sb.timeouts, 1);
	assert_int_equal(said.lines, 1);
	pods_identify(p, 101, &app, false);
	assert_string_equal(app.pod.labels, "");
	assert_int_equal(app.later, PODS_LATER_IMAGE | PODS_LATER_LABELS);
	assert_int_equal(app.timeouts, 0);
	/* not asked again before the back-off is over */
	assert_false(pods_retry(p, &app));
	assert_int_equal(app.later, PODS_LATER_IMAGE | PODS_LATER_LABELS);
	fx_clock_ahead_ms = POD_LABELS_BUSY_MS;
	assert_true(pods_retry(p, &app));
	assert_string_equal(app.pod.labels, "app=web,tier=front");
	assert_string_equal(app.image, "img");
	assert_int_equal(app.later, 0);
	assert_false(pods_retry(p, &app)); /* nothing left to ask */
	assert_true(pods_retry(p, &sb));
	assert_string_equal(sb.pod.labels, "app=web,tier=front");
	assert_int_equal(sb.later, 0);
	fx_stop(fx);
	fx_free(fx);
	engine_log_set(NULL, NULL);
	pods_free(p);
	fx_clock_ahead_ms = 0;
}

/*
 * A container whose calls time out PODS_TIMEOUTS_MAX times is left as it
 * is: not asked again.
 */
static void containerd__never_answers__given_up_after_timeouts(void **state)
{
	static const enum fx_conn script[] = { FX_SILENT, FX_SILENT, FX_SILENT,
					       FX_SILENT, FX_SILENT };
	struct pods *p = pods_new(root);
	struct container_info sb = info(SB, "");
	struct said said = { 0 };
	struct fx_containerd *fx;
	int tries = 0;

	(void)state;
	engine_log_set(on_log, &said);
	fx = fx_at_root(root, K8S_SOCK, script, 5, NULL, 0);
	pods_identify(p, 100, &sb, false);
	while (sb.later) {
		fx_clock_ahead_ms += POD_LABELS_ABSENT_MS;
		pods_retry(p, &sb);
		assert_true(++tries < PODS_TIMEOUTS_MAX);
	}
	assert_int_equal(sb.timeouts, PODS_TIMEOUTS_MAX);
	assert_string_equal(sb.pod.labels, "");
	fx_stop(fx);
	assert_int_equal(fx->accepted, PODS_TIMEOUTS_MAX);
	fx_free(fx);
	engine_log_set(NULL, NULL);
	pods_free(p);
	fx_clock_ahead_ms = 0;
}

static void containerd__process_gone__found_in_learned_folder(void **state)
{
	struct pods *p = pods_new(root);
	struct container_info sb = info(SB, ""), job = info(ONESHOT, "");

	(void)state;
	pods_identify(p, 0, &job, false);
	assert_string_equal(job.pod.name, ""); /* folder not known yet */
	pods_identify(p, 100, &sb, false);
	pods_identify(p, 0, &job, false);
	assert_string_equal(job.pod.name, "mypod");
	assert_string_equal(job.pod.container, "job");
	assert_int_equal(job.pod.netns, 0);
	pods_free(p);
}

static void crio__conmon_bundle__labels_from_sandbox(void **state)
{
	struct container_info c = identified(200, CRIO_APP, "", "");

	(void)state;
	assert_string_equal(c.pod.name, "web-0");
	assert_string_equal(c.pod.namespace, "shop");
	assert_string_equal(c.pod.uid, "u-crio");
	assert_string_equal(c.pod.container, "nginx");
	assert_string_equal(c.pod.labels, "app=web,tier=front");
}

static void docker__other_data_root__labels_name_image(void **state)
{
	struct container_info c = identified(300, DK_APP, "", "");

	(void)state;
	assert_string_equal(c.name, "k8s_api_backend-7_prod_u-dk_0");
	assert_string_equal(c.image, "registry/api:1");
	assert_string_equal(c.pod.name, "backend-7");
	assert_string_equal(c.pod.namespace, "prod");
	assert_string_equal(c.pod.uid, "u-dk");
	assert_string_equal(c.pod.container, "api");
	/* the sandbox's labels, without the kubelet's and annotations */
	/* any docker user sets labels: one that is no valid Kubernetes
	 * label (here with a terminal escape) is no pod label */
	assert_string_equal(c.pod.labels, "app=backend,example.com/team=dns");
}

/* Config.Image is whatever its docker user wrote (found by fuzz_pods):
 * its control bytes become '?' as in every other name told. */
static void docker__image_with_control_bytes__tamed(void **state)
{
	struct container_info c;

	(void)state;
	PUT("ddata/containers/" DK_APP "/config.v2.json",
	    DK_APP_CONFIG("registry/a\\u001b[31mpi\\u007f:1@sha256:0"));
	c = identified(300, DK_APP, "", "");
	PUT("ddata/containers/" DK_APP "/config.v2.json",
	    DK_APP_CONFIG("registry/api:1"));
	assert_string_equal(c.image, "registry/a?[31mpi?:1");
}

static void podman__kube_play__pod_from_hostname(void **state)
{
	struct container_info c = identified(400, PM_APP, "mypod-app", "");

	(void)state;
	assert_string_equal(c.pod.name, "mypod");
	assert_string_equal(c.pod.container, "app");
	assert_string_equal(c.pod.labels, "app=kube,tier=front");
}

static void podman__other_storage_root__name_and_image(void **state)
{
	struct container_info c = identified(600, PM_OTHER, "", "podman");

	(void)state;
	assert_string_equal(c.name, "elsewhere");
	assert_string_equal(c.image, "localhost/bb:other");
	assert_string_equal(c.pod.name, "");
}

/* pods_extra() tells the bundle and sandbox pods_identify() found: it
 * neither looks for the bundle nor reads its config.json again. */
static void extra__bundle_and_sandbox__as_identified(void **state)
{
	struct pods *p = pods_new(root);
	struct container_info c = info(APP3, "");
	struct container_extra x;
	char path[1024];

	(void)state;
	memset(&x, 0, sizeof(x));
	cri_spec(APP3, "container", "third");
	pods_identify(p, 101, &c, false);
	assert_string_equal(c.pod.container, "third");
	snprintf(path, sizeof(path), "%s" TASKS "/%s/config.json", root, APP3);
	assert_int_equal(unlink(path), 0);
	pods_extra(p, 101, &c, &x);
	assert_string_equal(x.bundle, TASKS "/" APP3);
	assert_string_equal(x.sandbox_id, SB);
	pods_free(p);
}

static void hostnetwork__host_netns__not_indexed(void **state)
{
	struct pods *p = pods_new(root);
	struct container_info c = info(HOSTNET, "");
	(void)state;
	pods_identify(p, 500, &c, false);
	assert_string_equal(c.pod.container, "agent");
	assert_true(c.pod.hostnetwork);
	pods_index_add(p, &c);
	assert_null(pods_by_netns(p, inode_of("proc/1/ns/net")));
	pods_free(p);
}

static void index__sandbox_and_apps__the_pod(void **state)
{
	struct pods *p = pods_new(root);
	struct container_info sb = info(SB, ""), app = info(APP, ""),
			      side = info(APP2, "");

	(void)state;
	pods_identify(p, 100, &sb, false);
	pods_identify(p, 101, &app, false);
	pods_identify(p, 102, &side, false);
	pods_index_add(p, &app);
	assert_ptr_equal(pods_by_netns(p, sb.pod.netns), &app.pod);
	pods_index_add(p, &sb); /* the sandbox names the pod */
	pods_index_add(p, &side);
	assert_ptr_equal(pods_by_netns(p, sb.pod.netns), &sb.pod);
	assert_null(pods_by_netns(p, 12345));
	pods_index_reset(p);
	assert_null(pods_by_netns(p, sb.pod.netns));
	pods_free(p);
}

static void node__named_then_hostname(void **state)
{
	struct pods *p;
	char host[256] = "";

	(void)state;
	p = pods_new(root);
	pods_set_node(p, "node-7");
	assert_string_equal(pods_node(p), "node-7");
	pods_set_node(p, NULL);
	gethostname(host, sizeof(host) - 1);
	assert_string_equal(pods_node(p), host);
	pods_set_node(p, "");
	assert_string_equal(pods_node(p), host);
	pods_free(p);
}

static void select__lists_and_labels__all_must_match(void **state)
{
	struct k8s_select *s = NULL;
	struct pod_info pod = { 0 };
	struct error *err = NULL;

	(void)state;
	snprintf(pod.name, sizeof(pod.name), "mypod");
	snprintf(pod.namespace, sizeof(pod.namespace), "demo");
	snprintf(pod.labels, sizeof(pod.labels), "app=web,tier=front");
	assert_true(k8s_select_match(NULL, NULL, ""));
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_NAMESPACE,
					"kube-system,demo", &err),
			 0);
	assert_true(k8s_select_match(s, &pod, "app"));
	assert_false(k8s_select_match(s, NULL, ""));
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_LABELS,
					"tier=front,app=web", &err),
			 0);
	assert_true(k8s_select_match(s, &pod, "app"));
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_LABELS, "app=we", &err),
			 0);
	assert_false(k8s_select_match(s, &pod, "app"));
	k8s_select_free(s);
	s = NULL;
	assert_int_equal(
		k8s_select_add(&s, K8S_SELECT_CONTAINERNAME, "app", &err), 0);
	assert_false(k8s_select_match(s, &pod, "sidecar"));
	assert_true(k8s_select_match(s, &pod, NULL)); /* the pod as a whole */
	assert_int_not_equal(
		k8s_select_add(&s, K8S_SELECT_LABELS, "nokey", &err), 0);
	assert_non_null(strstr(error_msg(err), "want key=value"));
	error_free(err);
	err = NULL;
	assert_int_not_equal(
		k8s_select_add(&s, K8S_SELECT_PODNAME, "a,,b", &err), 0);
	error_free(err);
	k8s_select_free(s);
}

/* ig's matchFilterString: "!NAME" leaves out, the others keep. */
static void select__exclusions_and_lists__as_ig(void **state)
{
	struct k8s_select *s = NULL;
	struct pod_info pod = { 0 }, sys = { 0 }, none = { 0 };
	struct error *err = NULL;

	(void)state;
	snprintf(pod.name, sizeof(pod.name), "mypod");
	snprintf(pod.namespace, sizeof(pod.namespace), "demo");
	snprintf(pod.labels, sizeof(pod.labels), "app=web,tier=front");
	snprintf(sys.name, sizeof(sys.name), "coredns");
	snprintf(sys.namespace, sizeof(sys.namespace), "kube-system");
	snprintf(sys.labels, sizeof(sys.labels), "app=dns");
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_NAMESPACE,
					"!kube-system", &err),
			 0);
	assert_true(k8s_select_match(s, &pod, "app"));
	assert_false(k8s_select_match(s, &sys, "coredns"));
	/* a container outside pods has empty names: only "!" keeps it */
	assert_true(k8s_select_match(s, &none, ""));
	assert_false(k8s_select_match(s, NULL, "")); /* the host */
	/* the flag again: its list replaces the first, as in ig */
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_NAMESPACE,
					"kube-system,demo,!demo", &err),
			 0);
	assert_false(k8s_select_match(s, &pod, "app"));
	assert_true(k8s_select_match(s, &sys, "coredns"));
	assert_false(k8s_select_match(s, &none, ""));
	k8s_select_free(s);
	s = NULL;

	assert_int_equal(k8s_select_add(&s, K8S_SELECT_PODNAME, "!mypod", &err),
			 0);
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_CONTAINERNAME,
					"!sidecar", &err),
			 0);
	assert_false(k8s_select_match(s, &pod, "app"));
	assert_true(k8s_select_match(s, &sys, "coredns"));
	assert_false(k8s_select_match(s, &sys, "sidecar"));
	assert_true(k8s_select_match(s, &sys, NULL)); /* the pod as a whole */
	k8s_select_free(s);
	s = NULL;

	/* "!key=value": not that label; "key=!value": the key, another
	 * value; "key=": the key, any value */
	assert_int_equal(
		k8s_select_add(&s, K8S_SELECT_LABELS, "!app=web", &err), 0);
	assert_false(k8s_select_match(s, &pod, "app"));
	assert_true(k8s_select_match(s, &sys, "coredns"));
	assert_true(k8s_select_match(s, &none, ""));
	assert_int_equal(
		k8s_select_add(&s, K8S_SELECT_LABELS, "app=!web", &err), 0);
	assert_false(k8s_select_match(s, &pod, "app"));
	assert_true(k8s_select_match(s, &sys, "coredns"));
	assert_false(k8s_select_match(s, &none, ""));
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_LABELS, "tier=", &err),
			 0);
	assert_true(k8s_select_match(s, &pod, "app"));
	assert_false(k8s_select_match(s, &sys, "coredns"));
	/* one pair per key, the last, as in ig's map */
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_LABELS,
					"app=dns,app=web", &err),
			 0);
	assert_true(k8s_select_match(s, &pod, "app"));
	assert_false(k8s_select_match(s, &sys, "coredns"));
	assert_int_not_equal(
		k8s_select_add(&s, K8S_SELECT_LABELS, "a=b=c", &err), 0);
	assert_non_null(strstr(error_msg(err), "want key=value"));
	error_free(err);
	err = NULL;
	assert_int_not_equal(k8s_select_add(&s, K8S_SELECT_LABELS, "!=x", &err),
			     0);
	error_free(err);
	err = NULL;
	assert_int_not_equal(
		k8s_select_add(&s, K8S_SELECT_NAMESPACE, "demo,!", &err), 0);
	assert_non_null(strstr(error_msg(err), "empty name"));
	error_free(err);
	k8s_select_free(s);
}

/* The exec hook's note of mntns: docker container id, its process pid
 * (0: none). */
static void note_docker_pid(struct containers *c, __u64 mntns, const char *id,
			    unsigned int pid)
{
	struct containers_note n = { .mntns = mntns, .pid = pid, .depth = 2 };

	snprintf(n.names[0], sizeof(n.names[0]), "docker-%s.scope", id);
	strcpy(n.names[1], "system.slice");
	assert_int_equal(containers_handle_note(c, &n), 0);
}

static void note_docker(struct containers *c, __u64 mntns, const char *id)
{
	note_docker_pid(c, mntns, id, 0);
}

/* Docker's pod shop/web-0 (labelled app=web): its container web (DK_APP)
 * and sandbox. */
static void put_web_pod(void)
{
	PUT("var/lib/docker/containers/" DK_APP "/config.v2.json",
	    "{\"Name\":\"/k8s_web_web-0_shop_u1_0\",\"Config\":{"
	    "\"Labels\":{\"io.kubernetes.pod.name\":\"web-0\","
	    "\"io.kubernetes.pod.namespace\":\"shop\","
	    "\"io.kubernetes.container.name\":\"web\","
	    "\"io.kubernetes.docker.type\":\"container\","
	    "\"io.kubernetes.sandbox.id\":\"" DK_SB "\"}}}");
	PUT("var/lib/docker/containers/" DK_SB "/config.v2.json",
	    "{\"Name\":\"/k8s_POD_web-0_shop_u1_0\",\"Config\":{"
	    "\"Labels\":{\"io.kubernetes.pod.name\":\"web-0\","
	    "\"io.kubernetes.docker.type\":\"podsandbox\","
	    "\"app\":\"web\"}}}");
}

/* What an event selection test made. */
static void free_event_fixture(struct k8s_select *s, struct fieldset *fs,
			       struct gadget_metadata *md, struct containers *c,
			       struct btf *btf)
{
	k8s_select_free(s);
	fieldset_free(fs);
	metadata_free(md);
	containers_free(c);
	btf__free(btf);
}

/*
 * The selection of an event's pod, as runner run asks it for every event:
 * made once for its namespaces, kept until the containers change (here a
 * new container in the same mount namespace, outside pods).
 */
static void select_event__kept_until_containers_change(void **state)
{
	const __u64 in_pod = 4026532901ULL, host = 4026531841ULL;
	struct gadget_metadata *md = NULL;
	struct k8s_select *s = NULL;
	struct fieldset *fs = NULL;
	struct containers *c = containers_new(root);
	struct btf *btf = btf__new_empty();
	struct error *err = NULL;
	struct fx_event ev = { 0 };
	struct fx_types t;
	int id = fx_build(btf, &t);

	(void)state;
	put_web_pod();
	if (metadata_parse(fx_yaml, strlen(fx_yaml), "t.yaml", &md, &err) ||
	    fieldset_new(btf, id, md, "dns", &fs, &err))
		fail_msg("%s", error_msg(err));
	fieldset_set_containers(fs, c);
	note_docker(c, in_pod, DK_APP);
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_NAMESPACE, "shop", &err),
			 0);
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_LABELS, "app=web", &err),
			 0);

	/* the host's namespace, looked up in /proc once (which adds it) */
	ev.proc.mntns_id = host;
	assert_false(k8s_select_event(s, fs, &ev));
	list_matches = 0;
	ev.proc.mntns_id = in_pod;
	assert_true(k8s_select_event(s, fs, &ev));
	assert_int_equal(list_matches, 2); /* namespace, label */
	assert_true(k8s_select_event(s, fs, &ev));
	ev.proc.mntns_id = host;
	assert_false(k8s_select_event(s, fs, &ev));
	ev.proc.mntns_id = in_pod;
	assert_true(k8s_select_event(s, fs, &ev));
	assert_int_equal(list_matches, 2);

	/* another container in that namespace, in no pod */
	note_docker(
		c, in_pod,
		"e0e0000000000000000000000000000000000000000000000000000000000013");
	assert_false(k8s_select_event(s, fs, &ev));
	free_event_fixture(s, fs, md, c, btf);
}

/*
 * --k8s-* on events asks what the kernel's filter by mount namespace (and
 * ig's) asks: the pod of the event's container, not its network
 * namespace's.  A host process and a container outside pods in a pod's
 * network namespace are not that pod's (their k8s.* fields may show it,
 * as ig's enrichment by network namespace does for the host's).
 */
static void select_event__own_pod_not_the_network_namespace(void **state)
{
	const __u64 in_pod = 4026532911ULL, outside = 4026532912ULL,
		    host = 4026531841ULL;
	struct gadget_metadata *md = NULL;
	struct k8s_select *s = NULL;
	struct fieldset *fs = NULL;
	struct containers *c;
	struct btf *btf = btf__new_empty();
	struct error *err = NULL;
	struct fx_event ev = { 0 };
	struct fx_types t;
	struct stat st;
	char path[128];
	int id = fx_build(btf, &t);

	(void)state;
	put_web_pod();
	/* the pod's network namespace, as /proc/4242/ns/net tells it */
	PUT("proc/4242/ns/net", "");
	snprintf(path, sizeof(path), "%s/proc/4242/ns/net", root);
	assert_int_equal(stat(path, &st), 0);
	c = containers_new(root);
	if (metadata_parse(fx_yaml, strlen(fx_yaml), "t.yaml", &md, &err) ||
	    fieldset_new(btf, id, md, "dns", &fs, &err))
		fail_msg("%s", error_msg(err));
	fieldset_set_containers(fs, c);
	note_docker_pid(c, in_pod, DK_APP, 4242);
	note_docker(
		c, outside,
		"e0e0000000000000000000000000000000000000000000000000000000000014");
	assert_non_null(containers_pod_of_netns(c, st.st_ino));
	assert_int_equal(k8s_select_add(&s, K8S_SELECT_PODNAME, "web-0", &err),
			 0);

	ev.netns_id = st.st_ino;
	ev.proc.mntns_id = in_pod;
	assert_true(k8s_select_event(s, fs, &ev));
	ev.proc.mntns_id = outside;
	assert_false(k8s_select_event(s, fs, &ev));
	ev.proc.mntns_id = host;
	assert_false(k8s_select_event(s, fs, &ev));
	free_event_fixture(s, fs, md, c, btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			containerd__shared_shim__sandbox_and_app_named),
		cmocka_unit_test(
			containerd__process_gone__found_in_learned_folder),
		cmocka_unit_test_teardown(
			containerd__busy__asked_again_per_container,
			fx_teardown),
		cmocka_unit_test_teardown(
			containerd__never_answers__given_up_after_timeouts,
			fx_teardown),
		cmocka_unit_test(crio__conmon_bundle__labels_from_sandbox),
		cmocka_unit_test(docker__other_data_root__labels_name_image),
		cmocka_unit_test(docker__image_with_control_bytes__tamed),
		cmocka_unit_test(podman__kube_play__pod_from_hostname),
		cmocka_unit_test(podman__other_storage_root__name_and_image),
		cmocka_unit_test(extra__bundle_and_sandbox__as_identified),
		cmocka_unit_test(hostnetwork__host_netns__not_indexed),
		cmocka_unit_test(index__sandbox_and_apps__the_pod),
		cmocka_unit_test(node__named_then_hostname),
		cmocka_unit_test(select__lists_and_labels__all_must_match),
		cmocka_unit_test(select__exclusions_and_lists__as_ig),
		cmocka_unit_test(select_event__kept_until_containers_change),
		cmocka_unit_test(
			select_event__own_pod_not_the_network_namespace),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
