// SPDX-License-Identifier: Apache-2.0
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "common/thread.h"
#include "runner/engine/btf_min.h"
#include "runner/engine/btf_vmlinux.h"
#include "runner/engine/loaded.h"

/* This thread's cut-down BTF while armed (size 0: not armed), and that
 * BTF parsed ahead (btf_vmlinux_arm_ahead()) for libbpf to take, or NULL. */
static __thread struct btf_min_raw armed;
static __thread struct btf *armed_parsed;

struct btf_vmlinux_ahead {
	pthread_t thread;
	bool running;
	char *needs;
	struct btf_min_raw raw;
	struct btf *parsed; /* NULL: failed (err), or taken */
	struct error *err;
};

typedef struct btf *(*load_fn)(void);

static struct btf *libbpf_load(void)
{
	static load_fn real;
	load_fn f = __atomic_load_n(&real, __ATOMIC_ACQUIRE);

	if (!f) {
		/* the next definition after the runner's own: libbpf's */
		f = (load_fn)dlsym(RTLD_NEXT, "btf__load_vmlinux_btf");
		if (!f) {
			errno = ENOSYS;
			return NULL;
		}
		__atomic_store_n(&real, f, __ATOMIC_RELEASE);
	}
	return f();
}

struct btf *btf__load_vmlinux_btf(void)
{
	if (armed_parsed) { /* libbpf frees it after the load */
		struct btf *btf = armed_parsed;

		armed_parsed = NULL;
		return btf;
	}
	if (armed.size) {
		struct btf *btf = btf__new(armed.data, armed.size);

		if (!libbpf_get_error(btf))
			return btf;
	}
	return libbpf_load();
}

/* Sections whose programs libbpf 1.1 gives a kernel type id by name, the
 * name after the '/' with prefix put before it. */
static const struct {
	const char *sec;
	char kind;
	const char *prefix;
} by_name[] = {
	{ "tp_btf/", 'T', "btf_trace_" }, { "iter/", 'F', "bpf_iter_" },
	{ "iter.s/", 'F', "bpf_iter_" },  { "fentry/", 'F', "" },
	{ "fentry.s/", 'F', "" },	  { "fexit/", 'F', "" },
	{ "fexit.s/", 'F', "" },	  { "fmod_ret/", 'F', "" },
	{ "fmod_ret.s/", 'F', "" },	  { "lsm/", 'F', "bpf_lsm_" },
	{ "lsm.s/", 'F', "bpf_lsm_" },
};

/* Other sections libbpf finds a kernel type id for: not served. */
static const char *const other_btf[] = { "tp_btf",   "iter",	  "fentry",
					 "fexit",    "fmod_ret",  "lsm",
					 "freplace", "struct_ops" };

static int need(FILE *f, char kind, const char *prefix, const char *name)
{
	/* a flavor (name___x): libbpf versions differ in what they look up */
	if (!*name || strstr(name, "___"))
		return -1;
	fprintf(f, "%c %s%s\n", kind, prefix, name);
	return 0;
}

static int program_needs(struct bpf_object *obj, FILE *f)
{
	struct bpf_program *prog;
	size_t i;

	for_each_loaded_program (prog, obj) {
		const char *sec = bpf_program__section_name(prog);

		for (i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++)
			if (!strncmp(sec, by_name[i].sec,
				     strlen(by_name[i].sec)))
				break;
		if (i < sizeof(by_name) / sizeof(by_name[0])) {
			if (need(f, by_name[i].kind, by_name[i].prefix,
				 sec + strlen(by_name[i].sec)))
				return -1;
			continue;
		}
		for (i = 0; i < sizeof(other_btf) / sizeof(other_btf[0]); i++)
			if (!strncmp(sec, other_btf[i], strlen(other_btf[i])))
				return -1;
	}
	return 0;
}

/* kfuncs and typed variables (extern ... __ksym): the kernel's by name,
 * read from the object's BTF as compiled (libbpf puts dummies in .ksyms). */
static int ksym_needs(const struct btf *btf, FILE *f)
{
	const struct btf_type *sec, *t, *vt;
	__s32 id;
	__u16 i;

	id = btf__find_by_name_kind(btf, ".ksyms", BTF_KIND_DATASEC);
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	for (i = 0; i < btf_vlen(sec); i++) {
		const struct btf_var_secinfo *v = &btf_var_secinfos(sec)[i];
		const char *name;

		t = btf__type_by_id(btf, v->type);
		if (!t)
			return -1;
		name = btf__name_by_offset(btf, t->name_off);
		if (btf_is_func(t)) {
			if (need(f, 'F', "", name))
				return -1;
			continue;
		}
		if (!btf_is_var(t))
			return -1;
		vt = btf__type_by_id(btf, t->type);
		while (vt && (btf_is_mod(vt) || btf_is_typedef(vt)))
			vt = btf__type_by_id(btf, vt->type);
		/* void: an address from kallsyms, no BTF */
		if (vt && !btf_is_void(vt) && need(f, 'V', "", name))
			return -1;
	}
	return 0;
}

char *btf_vmlinux_needs(struct bpf_object *obj, const void *elf, size_t len,
			struct error **err)
{
	struct btf *btf = btf_min_object_btf(elf, len);
	char *needs = NULL;
	size_t size = 0;
	FILE *f;
	int rc;

	if (!btf) {
		error_set(err, errno, "eBPF object's BTF");
		return NULL;
	}
	f = open_memstream(&needs, &size);
	if (!f) {
		btf__free(btf);
		error_set(err, errno, "kernel BTF needs");
		return NULL;
	}
	rc = program_needs(obj, f) || ksym_needs(btf, f);
	btf__free(btf);
	if (fclose(f) || !needs) {
		error_set(err, ENOMEM, "kernel BTF needs");
		rc = -1;
	} else if (rc) {
		error_set(err, 0, "a program or extern not served");
	}
	if (rc) {
		free(needs);
		return NULL;
	}
	return needs;
}

int btf_vmlinux_arm(const char *needs, struct error **err)
{
	btf_vmlinux_disarm();
	if (!*needs)
		return 0;
	return btf_min_attach_raw(needs, &armed, err);
}

void btf_vmlinux_disarm(void)
{
	btf__free(armed_parsed);
	armed_parsed = NULL;
	btf_min_raw_release(&armed);
}

static void *read_ahead(void *arg)
{
	struct btf_vmlinux_ahead *a = arg;
	struct btf *btf;

	if (btf_min_attach_raw(a->needs, &a->raw, &a->err))
		return NULL;
	btf = btf__new(a->raw.data, a->raw.size);
	if (libbpf_get_error(btf))
		error_set(&a->err, errno, "parse the kernel's BTF cut down");
	else
		a->parsed = btf;
	return NULL;
}

struct btf_vmlinux_ahead *btf_vmlinux_ahead_start(const char *needs)
{
	struct btf_vmlinux_ahead *a;

	if (!*needs)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->needs = strdup(needs);
	if (!a->needs || thread_start(&a->thread, read_ahead, a)) {
		free(a->needs);
		free(a);
		return NULL;
	}
	a->running = true;
	return a;
}

int btf_vmlinux_arm_ahead(const char *needs, struct btf_vmlinux_ahead *a,
			  struct error **err)
{
	if (!a)
		return btf_vmlinux_arm(needs, err);
	thread_join_once(a->thread, &a->running);
	if (!a->parsed || strcmp(a->needs, needs))
		return btf_vmlinux_arm(needs, err);
	btf_vmlinux_disarm();
	armed = a->raw;
	memset(&a->raw, 0, sizeof(a->raw));
	armed_parsed = a->parsed;
	a->parsed = NULL;
	return 0;
}

void btf_vmlinux_ahead_free(struct btf_vmlinux_ahead *a)
{
	if (!a)
		return;
	thread_join_once(a->thread, &a->running);
	btf__free(a->parsed);
	btf_min_raw_release(&a->raw);
	error_free(a->err);
	free(a->needs);
	free(a);
}
