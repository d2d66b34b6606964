// SPDX-License-Identifier: Apache-2.0
/*
 * runner/engine/fields.c: the field list built from BTF (made here with
 * btf__add_*(), no kernel needed) and gadget.yaml, selection, and the text
 * of every kind of value.
 */
#include <jansson.h>

#include "tests/unit/fields_fx.h"

static void build__fixture__names_in_struct_order(void **state)
{
	static const char *const want[] = {
		"timestamp",
		"timestamp_raw",
		"netns_id",
		"proc",
		"proc.comm",
		"proc.pid",
		"proc.tid",
		"proc.mntns_id",
		"proc.creds",
		"proc.creds.uid",
		"proc.creds.user",
		"proc.creds.gid",
		"proc.creds.group",
		"proc.parent",
		"proc.parent.comm",
		"proc.parent.pid",
		"src",
		"src.addr",
		"src.version",
		"src.port",
		"src.proto",
		"src.proto_raw",
		"dst",
		"dst.addr",
		"dst.version",
		"dst.port",
		"dst.proto",
		"dst.proto_raw",
		"nameserver",
		"nameserver.addr",
		"nameserver.version",
		"addresses",
		"latency_ns",
		"latency_ns_raw",
		"id",
		"qtype",
		"qtype_raw",
		"pkt_type",
		"pkt_type_raw",
		"qr",
		"qr_raw",
		"rcode",
		"rcode_raw",
		"tc",
		"name",
		"delta",
		"flags_lo",
		"flags_hi",
		"pad",
		/* derived from proc.mntns_id (a gadget_mntns_id) */
		"runtime",
		"runtime.containerName",
		"runtime.containerId",
		"runtime.runtimeName",
		"runtime.containerImageName",
		/* from proc.mntns_id, else netns_id (gadget_netns_id) */
		"k8s",
		"k8s.node",
		"k8s.namespace",
		"k8s.podName",
		"k8s.containerName",
		"k8s.hostnetwork",
		"k8s.podLabels",
		"k8s.podUID",
	};
	struct fx *x = *state;

	assert_int_equal(x->fs->n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < x->fs->n; i++)
		assert_string_equal(x->fs->f[i].name, want[i]);
	assert_int_equal(fieldset_event_size(x->fs), sizeof(struct fx_event));
}

static void build__kinds__from_types_and_conventions(void **state)
{
	struct fx *x = *state;

	assert_int_equal(F(x, "timestamp")->kind, FK_TIMESTAMP);
	assert_int_equal(F(x, "timestamp_raw")->kind, FK_UINT);
	assert_int_equal(F(x, "proc")->kind, FK_STRUCT);
	assert_int_equal(F(x, "proc.comm")->kind, FK_STRING);
	assert_int_equal(F(x, "proc.creds.user")->kind, FK_USER);
	assert_int_equal(F(x, "proc.creds.group")->kind, FK_GROUP);
	assert_int_equal(F(x, "src")->kind, FK_L4EP);
	assert_int_equal(F(x, "src.addr")->kind, FK_IPADDR);
	assert_int_equal(F(x, "src.proto")->kind, FK_PROTO);
	assert_int_equal(F(x, "nameserver")->kind, FK_L3EP);
	assert_int_equal(F(x, "addresses")->kind, FK_L3EP_LIST);
	assert_int_equal(F(x, "latency_ns")->kind, FK_DURATION);
	assert_int_equal(F(x, "id")->kind, FK_HEX); /* columns.hex */
	assert_int_equal(F(x, "qtype")->kind, FK_ONEOF);
	assert_int_equal(F(x, "pkt_type")->kind, FK_ENUM);
	assert_int_equal(F(x, "pkt_type_raw")->kind, FK_UINT);
	assert_int_equal(F(x, "qr")->kind, FK_ONEOF);
	assert_int_equal(F(x, "qr_raw")->kind, FK_BOOL);
	assert_int_equal(F(x, "rcode")->kind, FK_ONEOF);
	assert_int_equal(F(x, "tc")->kind, FK_BOOL);
	assert_int_equal(F(x, "name")->kind, FK_STRING);
	assert_int_equal(F(x, "delta")->kind, FK_SINT);
	assert_int_equal(F(x, "flags_hi")->bit_size, 5);
	/* the X / X_raw pairs point at each other */
	assert_int_equal(F(x, "qr")->fmt_of, fieldset_lookup(x->fs, "qr_raw"));
	assert_int_equal(F(x, "qr_raw")->raw_of, fieldset_lookup(x->fs, "qr"));
	assert_int_equal(F(x, "rcode")->shown_if,
			 fieldset_lookup(x->fs, "qr_raw"));
}

static void build__annotations__applied(void **state)
{
	struct fx *x = *state;

	assert_string_equal(F(x, "src")->description, "Source endpoint");
	assert_int_equal(F(x, "src")->width, 24); /* template l4endpoint */
	assert_int_equal(F(x, "qr")->width, 2);
	assert_int_equal(F(x, "qr")->minwidth, 2);
	assert_false(F(x, "qr")->hidden);
	assert_true(F(x, "qr_raw")->hidden);
	/* X takes the annotations of X_raw, except hidden */
	assert_int_equal(F(x, "latency_ns")->width, 8);
	assert_string_equal(F(x, "latency_ns")->description,
			    "DNS request latency");
	assert_false(F(x, "latency_ns")->hidden);
	assert_true(F(x, "latency_ns_raw")->hidden);
	assert_int_equal(F(x, "name")->width, 12);
	assert_int_equal(F(x, "addresses")->ellipsis, ELLIPSIS_MIDDLE);
	assert_true(F(x, "flags_lo")->json_skip);
	assert_false(F(x, "flags_hi")->json_skip);
	/* ig's template descriptions where the metadata gives none */
	assert_string_equal(F(x, "proc.comm")->description, "Process name");
	assert_string_equal(F(x, "proc.pid")->description, "Process ID");
	/* type conventions: only comm and pid of a process are shown */
	assert_false(F(x, "proc.comm")->hidden);
	assert_false(F(x, "proc.pid")->hidden);
	assert_true(F(x, "proc.tid")->hidden);
	assert_true(F(x, "proc.creds.uid")->hidden);
	assert_true(F(x, "proc.parent.comm")->hidden);
	assert_true(F(x, "timestamp")->hidden);
	assert_true(F(x, "netns_id")->hidden);
	assert_int_equal(F(x, "proc.pid")->align, ALIGN_RIGHT);
	assert_int_equal(F(x, "proc.comm")->width, 16);
}

static void build__titles__last_component_then_shortest_unique(void **state)
{
	struct fx *x = *state;

	assert_string_equal(F(x, "proc.comm")->title, "COMM");
	assert_string_equal(F(x, "proc.parent.comm")->title, "PARENT.COMM");
	assert_string_equal(F(x, "proc.parent.pid")->title, "PARENT.PID");
	assert_string_equal(F(x, "src")->title, "SRC");
	assert_string_equal(F(x, "src.port")->title, "SRC.PORT");
	assert_string_equal(F(x, "latency_ns")->title, "LATENCY_NS");
}

/* A field set of the fixture's struct with the metadata yaml (freed:
 * the field set copies what it keeps). */
static struct fieldset *fs_of(struct fx *x, const char *yaml)
{
	struct gadget_metadata *md = md_of(yaml);
	struct fieldset *fs = NULL;
	struct error *err = NULL;

	assert_int_equal(fieldset_new(x->btf, x->id, md, "dns", &fs, &err), 0);
	metadata_free(md);
	return fs;
}

static void check_cols(struct fx *x, const char *const *want, size_t n)
{
	assert_int_equal(x->fs->n_cols, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(x->fs->f[x->fs->cols[i]].name, want[i]);
}

/* The fixture's default columns on a host (the default): the container
 * name leads, as `ig run` shows. */
static const char *const host_cols[] = {
	"runtime.containerName",
	"proc.comm",
	"proc.pid",
	"src",
	"dst",
	"addresses",
	"latency_ns",
	"qtype",
	"qr",
	"rcode",
	"name",
};

static void
build__default_columns__container_name_then_struct_order(void **state)
{
	struct fx *x = *state;

	check_cols(x, host_cols, sizeof(host_cols) / sizeof(host_cols[0]));
	assert_string_equal(F(x, "runtime.containerName")->title,
			    "RUNTIME.CONTAINERNAME");
}

/* columns.order moves a column after those of lower order, struct order
 * within each; --fields +X puts X where that order says. */
static void build__columns_order__sorts_default_columns(void **state)
{
	static const char *const want[] = {
		"runtime.containerName",
		"proc.comm",
		"proc.pid",
		"src",
		"dst",
		"qtype",
		"qr",
		"rcode",
		"name",
		"addresses",
		"latency_ns",
		"proc.tid",
	};
	struct fx *x = *state;
	/* the fixture's metadata, whose last field is addresses */
	static const char more[] = "          columns.order: \"1\"\n"
				   "      latency_ns:\n        annotations:\n"
				   "          columns.order: \"2\"\n"
				   "      proc.tid:\n        annotations:\n"
				   "          columns.order: \"3\"\n";
	char yaml[sizeof(fx_yaml) + sizeof(more)];
	struct fieldset *fs, *saved = x->fs;
	struct error *err = NULL;

	snprintf(yaml, sizeof(yaml), "%s%s", fx_yaml, more);
	fs = fs_of(x, yaml);
	assert_int_equal(fieldset_select(fs, "+tid", &err), 0);
	x->fs = fs;
	check_cols(x, want, sizeof(want) / sizeof(want[0]));
	x->fs = saved;
	fieldset_free(fs);
}

/* On a Kubernetes node the runtime.* view steps aside for k8s.*. */
static void build__kubernetes_env__no_runtime_columns(void **state)
{
	static const char *const want[] = {
		"k8s.node",    "k8s.namespace",
		"k8s.podName", "k8s.containerName",
		"proc.comm",   "proc.pid",
		"src",	       "dst",
		"addresses",   "latency_ns",
		"qtype",       "qr",
		"rcode",       "name",
	};
	struct fx *x = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	fieldset_set_env(x->fs, FIELDSET_KUBERNETES);
	check_cols(x, want, sizeof(want) / sizeof(want[0]));
	f = open_memstream(&buf, &len);
	fieldset_describe(x->fs, f);
	fclose(f);
	assert_non_null(strstr(buf, "  runtime.containerName        Name of "
				    "the container (hidden)\n"));
	free(buf);
	fieldset_set_env(x->fs, FIELDSET_HOST);
	check_cols(x, host_cols, sizeof(host_cols) / sizeof(host_cols[0]));
}

/* A field without a mount namespace id gets no runtime.* fields. */
static void build__no_mntns_id__no_runtime_fields(void **state)
{
	struct fx *x = *state;
	struct btf *btf = btf__new_empty();
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	int u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	int id = btf__add_struct(btf, "ev", 8);

	(void)x;
	btf__add_field(btf, "n", u64, 0, 0);
	assert_int_equal(fieldset_new(btf, id, NULL, "ds", &fs, &err), 0);
	assert_int_equal(fieldset_lookup(fs, "runtime.containerName"), -1);
	assert_int_equal(fs->n_cols, 1);
	assert_string_equal(fs->f[fs->cols[0]].name, "n");
	fieldset_free(fs);
	btf__free(btf);
}

static void select__plain_list__replaces_in_given_order(void **state)
{
	static const char *const want[] = { "name", "proc.pid", "src",
					    "proc.creds.uid" };
	struct fx *x = *state;
	struct error *err = NULL;

	assert_int_equal(fieldset_select(x->fs, "NAME, pid,src,Proc.Creds.UID",
					 &err),
			 0);
	check_cols(x, want, 4);
	assert_true(x->fs->explicit_selection);
	assert_true(F(x, "name")->selected);
	assert_false(F(x, "qr")->selected);
}

static void select__plus_minus__edit_default(void **state)
{
	/* an added runtime.* field goes by ig's order, before the rest */
	static const char *const want[] = {
		"runtime.containerName",
		"runtime.containerId",
		"proc.comm",
		"proc.tid",
		"src",
		"dst",
		"addresses",
		"latency_ns",
		"id",
		"qtype",
		"qr",
		"name",
	};
	struct fx *x = *state;
	struct error *err = NULL;

	assert_int_equal(fieldset_select(x->fs,
					 "+id,-rcode,-pid,+tid,+id,"
					 "+runtime.containerId",
					 &err),
			 0);
	check_cols(x, want, sizeof(want) / sizeof(want[0]));
}

static void select__struct__stands_for_its_columns(void **state)
{
	static const char *const want[] = {
		"proc.comm",	   "proc.pid",	       "proc.tid",
		"proc.mntns_id",   "proc.creds.uid",   "proc.creds.user",
		"proc.creds.gid",  "proc.creds.group", "proc.parent.comm",
		"proc.parent.pid",
	};
	struct fx *x = *state;
	struct error *err = NULL;

	assert_int_equal(fieldset_select(x->fs, "proc", &err), 0);
	check_cols(x, want, sizeof(want) / sizeof(want[0]));
}

static void select__alias__matches(void **state)
{
	struct fx *x = *state;
	struct fieldset *fs = fs_of(
		x, "datasources:\n  dns:\n    fields:\n      name:\n"
		   "        annotations:\n          columns.alias: qname\n");
	struct error *err = NULL;

	assert_int_equal(fieldset_select(fs, "QName,pid", &err), 0);
	assert_int_equal(fs->n_cols, 2);
	assert_string_equal(fs->f[fs->cols[0]].name, "name");
	assert_string_equal(fs->f[fs->cols[0]].title, "QNAME");
	fieldset_free(fs);
}

static void select__unknown_field__error_and_selection_kept(void **state)
{
	struct fx *x = *state;
	struct error *err = NULL;
	size_t before = x->fs->n_cols;

	assert_int_equal(fieldset_select(x->fs, "name,bogus", &err), -1);
	assert_string_equal(error_msg(err),
			    "--fields: unknown field \"bogus\"");
	assert_int_equal(x->fs->n_cols, before);
	error_free(err);
	err = NULL;
	assert_int_equal(fieldset_select(x->fs, "+nope", &err), -1);
	assert_string_equal(error_msg(err), "--fields: unknown field \"nope\"");
	error_free(err);
	/* named to add and to remove: which one was meant? (ig: an error) */
	for (size_t i = 0; i < 3; i++) {
		static const char *const specs[] = { "+pid,-pid", "-pid,+PID",
						     "pid,name,-proc.pid" };

		err = NULL;
		assert_int_equal(fieldset_select(x->fs, specs[i], &err), -1);
		assert_string_equal(error_msg(err),
				    i == 2 ? "--fields: \"proc.pid\" both "
					     "added and removed (-)" :
				    i == 1 ? "--fields: \"PID\" both added and "
					     "removed (-)" :
					     "--fields: \"pid\" both added and "
					     "removed (-)");
		assert_int_equal(x->fs->n_cols, before);
		error_free(err);
	}
}

static void knows__every_field_named__or_not(void **state)
{
	struct fx *x = *state;

	assert_true(fieldset_knows(x->fs, " name, +pid,-Proc.Creds.UID,"));
	assert_true(fieldset_knows(x->fs, ""));
	assert_false(fieldset_knows(x->fs, "name,bogus"));
	assert_false(fieldset_knows(x->fs, "-nope"));
	/* ig's "ds:field": a field of this data source ("dns") */
	assert_true(fieldset_knows(x->fs, "dns:name,pid"));
	assert_false(fieldset_knows(x->fs, "other:name"));
	assert_int_equal(fieldset_select(x->fs, "dns:name,pid", NULL), 0);
	assert_int_equal(x->fs->n_cols, 2);
	assert_string_equal(x->fs->f[x->fs->cols[0]].name, "name");
}

/* A second BTF for kinds the fixture lacks. */
static void build__enum64_signed_bool_float_ptr__handled(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fieldset *fs = NULL;
	struct render_ctx rc;
	struct error *err = NULL;
	int u64, s8, e64, es, boolean, cv, flt, ptr, arr16, st, u16;
	unsigned char ev[64] = { 0 };
	char buf[256];

	(void)state;
	u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	s8 = btf__add_int(btf, "signed char", 1, BTF_INT_SIGNED);
	u16 = btf__add_int(btf, "unsigned short", 2, 0);
	boolean = btf__add_int(btf, "bool", 1, 0);
	flt = btf__add_float(btf, "double", 8);
	e64 = btf__add_enum64(btf, "big", 8, false);
	btf__add_enum64_value(btf, "HUGE", 0x100000000ULL);
	btf__add_enum64_value(btf, "SMALL", 1);
	es = btf__add_enum(btf, "sgn", 2);
	btf__add_enum_value(btf, "MINUS_ONE", -1);
	btf__add_enum_value(btf, "ZERO", 0);
	cv = btf__add_const(btf, btf__add_volatile(btf, u64));
	ptr = btf__add_ptr(btf, u64);
	arr16 = btf__add_array(btf, u64, u16, 3);
	st = btf__add_struct(btf, "ev", 64);
	btf__add_field(btf, "kind_raw", e64, 0, 0);
	btf__add_field(btf, "sign", es, 64, 0);
	btf__add_field(btf, "small", s8, 80, 0);
	btf__add_field(btf, "flag", boolean, 88, 0);
	btf__add_field(btf, "cv", cv, 128, 0);
	btf__add_field(btf, "ratio", flt, 192, 0);
	btf__add_field(btf, "p", ptr, 256, 0);
	btf__add_field(btf, "ports", arr16, 320, 0);

	assert_int_equal(fieldset_new(btf, st, NULL, "x", &fs, &err), 0);
	render_ctx_init(&rc, fs);
	{
		__u64 big = 0x100000000ULL, cvv = 77, pv = 0xdeadbeef;
		__s16 minus = -1;
		double r = 0.5;
		__u16 ports[3] = { 53, 5353, 0 };

		memcpy(ev, &big, 8);
		memcpy(ev + 8, &minus, 2);
		ev[10] = 0xfe;
		ev[11] = 1;
		memcpy(ev + 16, &cvv, 8);
		memcpy(ev + 24, &r, 8);
		memcpy(ev + 32, &pv, 8);
		memcpy(ev + 40, ports, 6);
	}
#define T(name, want) FX_ASSERT_TEXT(&rc, fs, ev, buf, name, want)
	T("kind", "HUGE");
	T("kind_raw", "4294967296");
	T("sign", "MINUS_ONE");
	T("small", "-2");
	T("flag", "true");
	T("cv", "77");
	T("ratio", "0"); /* no columns.precision: 0 decimals, as ig */
	T("p", "00000000deadbeef");
	T("ports", "53,5353,0");
#undef T
	render_ctx_fini(&rc);
	fieldset_free(fs);
	btf__free(btf);
}

static void build_fails(struct fx *x, const char *yaml, const char *want)
{
	struct gadget_metadata *md = md_of(yaml);
	struct fieldset *fs = (struct fieldset *)1;
	struct error *err = NULL;

	assert_int_equal(fieldset_new(x->btf, x->id, md, "dns", &fs, &err), -1);
	assert_null(fs);
	assert_string_equal(error_msg(err), want);
	error_free(err);
	metadata_free(md);
}

#define FIELD_YAML(name, ann)                                  \
	"datasources:\n  dns:\n    fields:\n      " name ":\n" \
	"        annotations:\n          " ann "\n"

/* As in ig, gadget.yaml may name fields that something else adds (a WASM
 * module, an operator): they are skipped and reported, not an error. */
/* uid and gid names as ig's uidgidresolver names them: X for X_raw, else
 * uidgidresolver.target, else user (group) for uid (gid); the ids are
 * hidden from the default columns then. */
static void build__uid_gid_names__as_ig(void **state)
{
	static const char yaml[] = "datasources:\n  x:\n    fields:\n"
				   "      g:\n        annotations:\n"
				   "          uidgidresolver.target: owner\n";
	struct gadget_metadata *md = md_of(yaml);
	struct btf *btf = btf__new_empty();
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	int u32, uid, gid, st;

	(void)state;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	uid = btf__add_typedef(btf, "gadget_uid", u32);
	gid = btf__add_typedef(btf, "gadget_gid", u32);
	st = btf__add_struct(btf, "ev", 16);
	btf__add_field(btf, "tracee_uid_raw", uid, 0, 0);
	btf__add_field(btf, "g", gid, 32, 0);
	btf__add_field(btf, "uid", uid, 64, 0);
	btf__add_field(btf, "other", uid, 96, 0);
	assert_int_equal(fieldset_new(btf, st, md, "x", &fs, &err), 0);
#define G(name) (&fs->f[fieldset_lookup(fs, name)])
	assert_int_equal(fieldset_lookup(fs, "tracee_uid_raw_user"), -1);
	assert_int_equal(G("tracee_uid")->kind, FK_USER);
	assert_true(G("tracee_uid_raw")->hidden);
	assert_int_equal(G("owner")->kind, FK_GROUP);
	assert_true(G("g")->hidden);
	assert_int_equal(G("user")->kind, FK_USER);
	assert_true(G("uid")->hidden);
	assert_int_equal(G("other_user")->kind, FK_USER);
#undef G
	fieldset_free(fs);
	btf__free(btf);
	metadata_free(md);
}

/* A struct ev { __u32 n; } with data source x's annotations yaml (the
 * lines under "annotations:"), opened allowing env_vars. */
static int env_fieldset(const char *ann, const char *env_vars,
			struct fieldset **fs, struct error **err)
{
	char yaml[512];
	struct gadget_metadata *md;
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int st = btf__add_struct(btf, "ev", 4), r;

	btf__add_field(btf, "n", u32, 0, 0);
	snprintf(yaml, sizeof(yaml), "datasources:\n  x:\n    annotations:\n%s",
		 ann);
	md = md_of(yaml);
	r = fieldset_new_env(btf, st, md, "x", env_vars, fs, err);
	btf__free(btf);
	metadata_free(md);
	return r;
}

/* ig's env operator: env.fields.NAME: VAR adds a string field NAME after
 * the others, shown (width 16), with $VAR as it was when the fieldset
 * was made: escaped in columns, as it is for JSON and filters. */
static void build__env_field__value_read_once(void **state)
{
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	struct render_ctx rc;
	const struct field *f;
	char buf[64], ev[4] = { 0 };

	(void)state;
	setenv("RUNNER_UT_ENV", "a\tb", 1);
	assert_int_equal(env_fieldset("      env.fields.my.field: "
				      "RUNNER_UT_ENV\n",
				      "OTHER,RUNNER_UT_ENV", &fs, &err),
			 0);
	setenv("RUNNER_UT_ENV", "later", 1);
	assert_int_equal(fs->n, 2);
	f = &fs->f[1];
	assert_string_equal(f->name, "my.field");
	assert_string_equal(f->key, "my.field"); /* ig's name: no parent */
	assert_int_equal(f->parent, -1);
	assert_int_equal(f->kind, FK_ENV);
	assert_int_equal(f->width, 16);
	assert_true(f->json_string);
	assert_int_equal(fs->n_cols, 2);
	assert_int_equal(fs->cols[1], 1);
	render_ctx_init(&rc, fs);
	field_text(&rc, f, ev, buf);
	assert_string_equal(buf, "a\\tb");
	/* what -F and -E compare: the value itself */
	assert_string_equal(field_value_text(&rc, f, ev, buf, false), "a\tb");
	assert_false(field_text_empty(&rc, f, ev, buf));
	assert_int_equal(fieldset_value_type(fs, 1), FVT_STRING);
	render_ctx_fini(&rc);
	fieldset_free(fs);
	unsetenv("RUNNER_UT_ENV");
}

/* An unset variable is "", as Go's os.Getenv() gives it. */
static void build__env_field__unset_is_empty(void **state)
{
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	struct render_ctx rc;
	char buf[64], ev[4] = { 0 };

	(void)state;
	unsetenv("RUNNER_UT_UNSET");
	assert_int_equal(env_fieldset("      env.fields.e: RUNNER_UT_UNSET\n",
				      "RUNNER_UT_UNSET", &fs, &err),
			 0);
	render_ctx_init(&rc, fs);
	assert_true(field_text_empty(&rc, &fs->f[1], ev, buf));
	assert_int_equal(field_text(&rc, &fs->f[1], ev, buf), 0);
	render_ctx_fini(&rc);
	fieldset_free(fs);
}

/* The list splits at every comma as ig's strings.Split(): "" (the
 * default) and "A,,B" allow the variable "", nothing is trimmed; a
 * variable not in it fails, naming the annotation, the variable and the
 * list; NULL allows all (image build). */
static void build__env_vars__split_as_ig(void **state)
{
	static const char empty[] = "      env.fields.e: \"\"\n";
	static const char b[] = "      env.fields.e: B\n";
	struct fieldset *fs = NULL;
	struct error *err = NULL;

	(void)state;
	assert_int_equal(env_fieldset(empty, "", &fs, &err), 0);
	fieldset_free(fs);
	assert_int_equal(env_fieldset(empty, "A,,B", &fs, &err), 0);
	fieldset_free(fs);
	assert_int_equal(env_fieldset(b, "A,B", &fs, &err), 0);
	fieldset_free(fs);
	assert_int_equal(env_fieldset(b, NULL, &fs, &err), 0);
	fieldset_free(fs);
	assert_int_equal(env_fieldset(empty, "A,B", &fs, &err), -1);
	assert_null(fs);
	error_free(err);
	err = NULL;
	assert_int_equal(env_fieldset(b, "A, B", &fs, &err), -1);
	assert_string_equal(error_msg(err),
			    "data source x: env.fields.e: environment var "
			    "\"B\" not in allowed vars (--env-vars \"A, B\")");
	error_free(err);
	err = NULL;
	assert_int_equal(env_fieldset(b, "", &fs, &err), -1);
	error_free(err);
	err = NULL;
	assert_int_equal(env_fieldset(b, "BB,A", &fs, &err), -1);
	error_free(err);
}

/* A name the event has already, or none, is an error. */
static void build__env_field__name_taken_or_empty__error(void **state)
{
	struct fieldset *fs = NULL;
	struct error *err = NULL;

	(void)state;
	assert_int_equal(
		env_fieldset("      env.fields.n: V\n", "V", &fs, &err), -1);
	assert_string_equal(error_msg(err),
			    "data source x: env.fields.n: field n already "
			    "exists");
	error_free(err);
	err = NULL;
	assert_int_equal(env_fieldset("      env.fields.: V\n", "V", &fs, &err),
			 -1);
	assert_string_equal(error_msg(err),
			    "data source x: env.fields.: no field name");
	error_free(err);
}

/* ig's templates by type and by name: parent ids and names hidden from
 * the columns (gadget_ppid, gadget_ptid, gadget_pcomm), and `template:`
 * takes every name ig knows (syscall: width 18, at most 28). */
static void build__ig_templates__known_and_applied(void **state)
{
	static const char yaml[] = "datasources:\n  x:\n    fields:\n"
				   "      syscall:\n        annotations:\n"
				   "          template: syscall\n"
				   "      err:\n        annotations:\n"
				   "          template: errorString\n";
	struct gadget_metadata *md = md_of(yaml);
	struct btf *btf = btf__new_empty();
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	int u32, u64, pid, ppid, ptid, sc, pcomm, st;
	const struct field *f;

	(void)state;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	pid = btf__add_typedef(btf, "gadget_pid", u32);
	ppid = btf__add_typedef(btf, "gadget_ppid", u32);
	ptid = btf__add_typedef(btf, "gadget_ptid", u32);
	sc = btf__add_typedef(btf, "gadget_syscall", u64);
	pcomm = btf__add_array(
		btf, u32,
		btf__add_typedef(btf, "gadget_pcomm",
				 btf__add_int(btf, "char", 1, BTF_INT_SIGNED)),
		16);
	st = btf__add_struct(btf, "ev", 48);
	btf__add_field(btf, "pid", pid, 0, 0);
	btf__add_field(btf, "ppid", ppid, 32, 0);
	btf__add_field(btf, "ptid", ptid, 64, 0);
	btf__add_field(btf, "err", u32, 96, 0);
	btf__add_field(btf, "syscall_raw", sc, 128, 0);
	btf__add_field(btf, "pcomm", pcomm, 192, 0);
	assert_int_equal(fieldset_new(btf, st, md, "x", &fs, &err), 0);
#define G(name) (&fs->f[fieldset_lookup(fs, name)])
	assert_false(G("pid")->hidden);
	assert_true(G("ppid")->hidden);
	assert_int_equal(G("ppid")->minwidth, 7);
	assert_true(G("ptid")->hidden);
	assert_true(G("pcomm")->hidden);
	assert_int_equal(G("pcomm")->maxwidth, 16);
	f = G("syscall");
	assert_false(f->hidden);
	assert_int_equal(f->width, 18);
	assert_int_equal(f->maxwidth, 28);
	assert_int_equal(G("err")->width, 12);
#undef G
	fieldset_free(fs);
	btf__free(btf);
	metadata_free(md);
}

/* As ig: a member named __X is the gadget's own (padding, a map key's
 * part), no field; nor are the members of a struct so named. */
static void build__double_underscore_member__no_field(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	int in = btf__add_struct(btf, "in", 4);
	int id;

	(void)state;
	btf__add_field(btf, "x", u32, 0, 0);
	id = btf__add_struct(btf, "ev", 24);
	btf__add_field(btf, "inode", u64, 0, 0);
	btf__add_field(btf, "__pid_tgid", u64, 64, 0);
	btf__add_field(btf, "__in", in, 128, 0);
	btf__add_field(btf, "dev", u32, 160, 0);
	assert_int_equal(fieldset_new(btf, id, NULL, "ds", &fs, &err), 0);
	assert_int_equal(fieldset_lookup(fs, "__pid_tgid"), -1);
	assert_int_equal(fieldset_lookup(fs, "__in"), -1);
	assert_int_equal(fieldset_lookup(fs, "__in.x"), -1);
	assert_int_equal(fs->n_cols, 2);
	assert_string_equal(fs->f[fs->cols[0]].name, "inode");
	assert_string_equal(fs->f[fs->cols[1]].name, "dev");
	fieldset_free(fs);
	btf__free(btf);
}

/* fieldset_new() of struct id in btf fails with "data source ds: " msg. */
static void assert_build_fails(const struct btf *btf, int id, const char *msg)
{
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	char want[256];

	snprintf(want, sizeof(want), "data source ds: %s", msg);
	assert_int_equal(fieldset_new(btf, id, NULL, "ds", &fs, &err), -1);
	assert_null(fs);
	assert_string_equal(error_msg(err), want);
	error_free(err);
}

/* A BTF with "unsigned int" (*u32) and struct in (*in) of 4 bytes whose
 * members (x, 32 bits) the caller adds. */
static struct btf *btf_with_in(int *u32, int *in)
{
	struct btf *btf = btf__new_empty();

	*u32 = btf__add_int(btf, "unsigned int", 4, 0);
	*in = btf__add_struct(btf, "in", 4);
	return btf;
}

/* A member past its struct's size (a hostile gadget's BTF) would have the
 * fields read past the event: refused, in a nested struct too; bitfields
 * that end within their struct are fine. */
static void build__member_past_struct_end__error(void **state)
{
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	int u32, in, id;
	struct btf *btf = btf_with_in(&u32, &in);

	(void)state;
	btf__add_field(btf, "x", u32, 0, 29);
	btf__add_field(btf, "y", u32, 29, 3);
	id = btf__add_struct(btf, "ev", 8);
	btf__add_field(btf, "a", u32, 0, 0);
	btf__add_field(btf, "in", in, 32, 0);
	assert_int_equal(fieldset_new(btf, id, NULL, "ds", &fs, &err), 0);
	fieldset_free(fs);
	btf__add_field(btf, "b", u32, 48, 0); /* bytes 6-9 of 8 */
	assert_build_fails(btf, id,
			   "BTF: member b of ev lies outside its 8 bytes");
	btf__free(btf);

	btf = btf_with_in(&u32, &in);
	btf__add_field(btf, "x", u32, 0, 0);
	btf__add_field(btf, "y", u32, 8, 0); /* bytes 1-4 of 4 */
	id = btf__add_struct(btf, "ev", 8);
	btf__add_field(btf, "in", in, 0, 0);
	assert_build_fails(btf, id,
			   "BTF: member y of in lies outside its 4 bytes");
	btf__free(btf);

	/* a bitfield width counts for an integer only: a struct is read
	 * whole (bytes 4-7 of 6 here, not bits 32-34) */
	btf = btf_with_in(&u32, &in);
	btf__add_field(btf, "x", u32, 0, 0);
	id = btf__add_struct(btf, "ev", 6);
	btf__add_field(btf, "a", u32, 0, 0);
	assert_int_equal(btf__add_field(btf, "in", in, 32, 3), 0);
	assert_build_fails(btf, id,
			   "BTF: member in of ev lies outside its 6 bytes");
	btf__free(btf);
}

/* Member names with dots (a hostile gadget's BTF): a taken title steps
 * back to the component before, within the name even when it is empty. */
static void build__dotted_member_names__titles_within_the_name(void **state)
{
	struct btf *btf = btf__new_empty();
	struct fieldset *fs = NULL;
	struct error *err = NULL;
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int id = btf__add_struct(btf, "ev", 8);

	(void)state;
	btf__add_field(btf, "x", u32, 0, 0);
	btf__add_field(btf, ".x", u32, 32, 0);
	assert_int_equal(fieldset_new(btf, id, NULL, "ds", &fs, &err), 0);
	assert_string_equal(fs->f[0].title, "X");
	assert_string_equal(fs->f[1].title, ".X");
	fieldset_free(fs);
	btf__free(btf);
}

/* An enum bitfield wider than 64 bits is refused as an integer one is:
 * its value would be read from more bytes than a 64-bit value holds. */
static void build__enum_bitfield_wider_than_64__error(void **state)
{
	struct btf *btf = btf__new_empty();
	int e = btf__add_enum(btf, "e", 4);
	int id;

	(void)state;
	btf__add_enum_value(btf, "E_A", 1);
	id = btf__add_struct(btf, "ev", 16);
	assert_int_equal(btf__add_field(btf, "wide", e, 3, 65), 0);
	assert_build_fails(btf, id, "BTF: bitfield wide too wide");
	btf__free(btf);
}

/* A struct that holds itself as an anonymous member, or anonymous members
 * that fan out level by level (a hostile gadget's BTF): refused, not a
 * stack overflow or 2^24 members walked. */
static void build__anonymous_members_cycle_or_fan_out__error(void **state)
{
	struct btf *btf = btf__new_empty();
	int id = btf__add_struct(btf, "ev", 4), t;

	(void)state;
	btf__add_field(btf, NULL, id, 0, 0);
	assert_build_fails(btf, id, "BTF: structs nest too deep in ev");
	btf__free(btf);

	btf = btf__new_empty();
	t = btf__add_int(btf, "unsigned int", 4, 0);
	for (int level = 0; level < 24; level++) {
		int up = btf__add_struct(btf, "", 4);

		btf__add_field(btf, NULL, t, 0, 0);
		btf__add_field(btf, NULL, t, 0, 0);
		t = up;
	}
	assert_build_fails(btf, t, "BTF: more than 65536 members");
	btf__free(btf);
}

/* Atoi takes a sign, and "012" is 12 */
static void build__width_as_atoi_reads_it(void **state)
{
	struct fx *x = *state;
	struct fieldset *fs =
		fs_of(x, FIELD_YAML("name", "columns.width: +012"));

	assert_int_equal(fs->f[fieldset_lookup(fs, "name")].width, 12);
	fieldset_free(fs);
}

static void build__unknown_metadata_field__skipped_and_reported(void **state)
{
	struct fx *x = *state;
	struct fieldset *fs = fs_of(x, FIELD_YAML("nosuch", "description: x"));

	assert_string_equal(fieldset_unknown(fs, 0), "nosuch");
	assert_null(fieldset_unknown(fs, 1));
	fieldset_free(fs);
}

static void build__bad_metadata__errors(void **state)
{
	struct fx *x = *state;

	build_fails(x, FIELD_YAML("name", "columns.width: wide"),
		    "data source dns: field name: bad value \"wide\" of "
		    "annotation columns.width");
	/* as ig's strconv.Atoi: no space, no base prefix */
	build_fails(x, FIELD_YAML("name", "columns.width: \" 12\""),
		    "data source dns: field name: bad value \" 12\" of "
		    "annotation columns.width");
	build_fails(x, FIELD_YAML("name", "columns.minwidth: 0x10"),
		    "data source dns: field name: bad value \"0x10\" of "
		    "annotation columns.minwidth");
	build_fails(x, FIELD_YAML("name", "columns.alignment: center"),
		    "data source dns: field name: bad value \"center\" of "
		    "annotation columns.alignment");
	build_fails(x, FIELD_YAML("name", "columns.ellipsis: both"),
		    "data source dns: field name: bad value \"both\" of "
		    "annotation columns.ellipsis");
	build_fails(x, FIELD_YAML("name", "columns.hidden: maybe"),
		    "data source dns: field name: bad value \"maybe\" of "
		    "annotation columns.hidden");
	build_fails(x, FIELD_YAML("name", "columns.fixed: often"),
		    "data source dns: field name: bad value \"often\" of "
		    "annotation columns.fixed");
	build_fails(x, FIELD_YAML("name", "json.skip: 2"),
		    "data source dns: field name: bad value \"2\" of "
		    "annotation json.skip");
	build_fails(x, FIELD_YAML("name", "columns.hex: hex"),
		    "data source dns: field name: bad value \"hex\" of "
		    "annotation columns.hex");
	build_fails(x, FIELD_YAML("name", "columns.order: first"),
		    "data source dns: field name: bad value \"first\" of "
		    "annotation columns.order");
	build_fails(x, FIELD_YAML("name", "template: nosuch"),
		    "data source dns: field name: unknown template "
		    "\"nosuch\"");
	build_fails(x, FIELD_YAML("name", "columns.hex: \"true\""),
		    "data source dns: field name: columns.hex on a field "
		    "that is not an integer");
	build_fails(x, FIELD_YAML("rcode", "value.shown-if: nothere"),
		    "data source dns: field rcode_raw: value.shown-if names "
		    "unknown field \"nothere\"");
	build_fails(x,
		    "datasources:\n  dns:\n    fields:\n      rcode:\n"
		    "        annotations:\n          value.one-of: \"a, b\"\n"
		    "      rcode_raw:\n        annotations:\n"
		    "          value.shown-if: nothere\n",
		    "data source dns: field rcode: value.shown-if names "
		    "unknown field \"nothere\"");
}

static void build__metadata_names_x_or_x_raw__both_accepted(void **state)
{
	struct fx *x = *state;
	/* "other" is not in the struct: reported for this data source */
	struct fieldset *fs = fs_of(
		x, "datasources:\n  dns:\n    fields:\n"
		   "      pkt_type: {annotations: {description: a}}\n"
		   "      pkt_type_raw: {annotations: {description: b}}\n"
		   "      timestamp: {annotations: {columns.hidden: "
		   "\"false\"}}\n"
		   "      proc.creds.user: {annotations: {columns.hidden: "
		   "\"false\"}}\n"
		   "      other: {}\n"
		   "  other:\n    fields:\n      whatever: {}\n");

	assert_string_equal(fieldset_unknown(fs, 0), "other");
	assert_null(fieldset_unknown(fs, 1));
	fieldset_free(fs);
	fs = fs_of(x, "datasources:\n  dns:\n    fields:\n"
		      "      pkt_type: {annotations: {description: a}}\n"
		      "      pkt_type_raw: {annotations: {description: b}}\n"
		      "      timestamp: {annotations: {columns.hidden: "
		      "\"false\"}}\n"
		      "      proc.creds.user: {annotations: {columns.hidden: "
		      "\"false\"}}\n");
	assert_false(fs->f[fieldset_lookup(fs, "timestamp")].hidden);
	assert_false(fs->f[fieldset_lookup(fs, "proc.creds.user")].hidden);
	assert_string_equal(fs->f[fieldset_lookup(fs, "pkt_type")].description,
			    "a");
	assert_string_equal(
		fs->f[fieldset_lookup(fs, "pkt_type_raw")].description, "b");
	fieldset_free(fs);
}

static void build__no_metadata__defaults(void **state)
{
	struct fx *x = *state;
	struct fieldset *fs = NULL;
	struct error *err = NULL;

	assert_int_equal(fieldset_new(x->btf, x->id, NULL, "dns", &fs, &err),
			 0);
	/* no one-of: qr_raw stays a plain visible bool */
	assert_int_equal(fieldset_lookup(fs, "qr"), -1);
	assert_false(fs->f[fieldset_lookup(fs, "qr_raw")].hidden);
	assert_int_equal(fs->f[fieldset_lookup(fs, "id")].kind, FK_UINT);
	/* a width never hides the title */
	assert_int_equal(fs->f[fieldset_lookup(fs, "qr_raw")].width, 6);
	fieldset_free(fs);
}

static void build__not_a_struct__error(void **state)
{
	struct fx *x = *state;
	struct fieldset *fs = NULL;
	struct error *err = NULL;

	assert_int_equal(fieldset_new(x->btf, x->t.u32, NULL, "dns", &fs, &err),
			 -1);
	assert_non_null(strstr(error_msg(err), "is not a struct"));
	error_free(err);
}

static void describe__lists_fields_with_descriptions(void **state)
{
	struct fx *x = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fieldset_describe(x->fs, f);
	fclose(f);
	assert_non_null(strstr(buf, "  src                          Source "
				    "endpoint\n"));
	assert_non_null(strstr(buf, "  latency_ns_raw               DNS "
				    "request latency (hidden)\n"));
	assert_null(strstr(buf, "  proc "));
	free(buf);
}

/* --show-datasources: an endpoint's addr as ig's formatter adds it, a
 * string in a payload of its own (it had no kind: "Invalid", and the
 * offset and size of the event's addr_raw) */
static void ig_fields__endpoint_addr__a_derived_string(void **state)
{
	struct fx *x = *state;
	json_t *arr = json_array(), *addr = NULL, *f;
	size_t i;

	assert_int_equal(fieldset_ig_fields(x->fs, x->md, arr), 0);
	json_array_foreach (arr, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "fullName")),
			    "src.addr"))
			addr = f;
	assert_non_null(addr);
	assert_int_equal(json_integer_value(json_object_get(addr, "kind")),
			 12); /* ig's api.Kind_String */
	assert_true(json_integer_value(json_object_get(addr, "payloadIndex")) >
		    0);
	assert_null(json_object_get(addr, "offs"));
	assert_null(json_object_get(addr, "size"));
	assert_null(json_object_get(addr, "tags"));
	/* flags: has parent (8), hidden (4), not a static member (16) */
	assert_int_equal(json_integer_value(json_object_get(addr, "flags")),
			 12);
	assert_int_equal(fieldset_value_type(x->fs,
					     F(x, "src.addr") - x->fs->f),
			 FVT_STRING);
	json_decref(arr);
}

/* The field of arr named name, and its index there. */
static json_t *ig_field(json_t *arr, const char *name, size_t *at)
{
	json_t *f;
	size_t i;

	json_array_foreach (arr, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "fullName")),
			    name)) {
			*at = i;
			return f;
		}
	fail_msg("no field %s", name);
	return NULL;
}

/* --show-datasources: ig keeps the member addr_raw that its formatter
 * makes an endpoint's addr from, and its union's v6 and v4 (v6_raw, an
 * integer of 16 bytes, has no kind in ig), as fields no longer referenced
 * by name (flag 32), right before the addr; every index and parent is a
 * place in the array, after them as before them */
static void ig_fields__endpoint_addr_raw__as_ig_keeps_it(void **state)
{
	struct fx *x = *state;
	json_t *arr = json_array(), *f, *src, *raw, *v6, *v4;
	size_t i, at, src_at, raw_at;
	const struct field *a = F(x, "src.addr");

	assert_int_equal(fieldset_ig_fields(x->fs, x->md, arr), 0);
	src = ig_field(arr, "src", &src_at);
	raw = ig_field(arr, "src.addr_raw", &raw_at);
	v6 = ig_field(arr, "src.addr_raw.v6", &at);
	assert_int_equal(at, raw_at + 1);
	v4 = ig_field(arr, "src.addr_raw.v4", &at);
	assert_int_equal(at, raw_at + 2);
	ig_field(arr, "src.addr", &at);
	assert_int_equal(at, raw_at + 3);
	assert_non_null(src);
	assert_string_equal(json_string_value(json_object_get(raw, "name")),
			    "addr_raw");
	assert_int_equal(json_integer_value(json_object_get(raw, "offs")),
			 a->off);
	assert_int_equal(json_integer_value(json_object_get(raw, "size")), 16);
	assert_int_equal(json_integer_value(json_object_get(raw, "kind")),
			 14); /* Bytes */
	assert_int_equal(json_integer_value(json_object_get(v6, "kind")),
			 0x10000000 | 6); /* an array of Uint8 */
	assert_int_equal(json_integer_value(json_object_get(v4, "kind")),
			 8); /* Uint32 */
	assert_int_equal(json_integer_value(json_object_get(v4, "size")), 4);
	/* static member (16), has a parent (8), unreferenced (32) */
	assert_int_equal(json_integer_value(json_object_get(raw, "flags")), 56);
	assert_int_equal(json_integer_value(json_object_get(raw, "parent")),
			 src_at);
	assert_int_equal(json_integer_value(json_object_get(v6, "parent")),
			 raw_at);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(raw, "tags"), 0)),
			    "type:gadget_ip_addr_t");
	json_array_foreach (arr, i, f) {
		json_t *p = json_object_get(f, "parent");
		const char *name =
			json_string_value(json_object_get(f, "fullName"));

		assert_int_equal(
			json_integer_value(json_object_get(f, "index")), i);
		if (p) {
			const char *pn = json_string_value(json_object_get(
				json_array_get(arr, json_integer_value(p)),
				"fullName"));

			assert_non_null(pn);
			assert_memory_equal(name, pn, strlen(pn));
			assert_int_equal(name[strlen(pn)], '.');
		}
	}
	json_decref(arr);
}

/* --show-datasources: after an l4 endpoint's members, the hidden string
 * "endpoint" ig's formatter adds for its text ("ADDR:PORT"), tagged
 * "endpoint", that JSON leaves out (json.skip, ig's only annotation on it
 * (it sets them, not adds them to the defaults)), in a payload of its
 * own; an l3 endpoint (nameserver) has none */
static void ig_fields__l4_endpoint__hidden_endpoint_as_ig_adds_it(void **state)
{
	struct fx *x = *state;
	json_t *arr = json_array(), *ep, *f, *ann;
	const char *names[] = { "src", "dst" };
	char name[32];
	size_t at, p_at, last_at, i;

	assert_int_equal(fieldset_ig_fields(x->fs, x->md, arr), 0);
	for (size_t k = 0; k < 2; k++) {
		ig_field(arr, names[k], &p_at);
		snprintf(name, sizeof(name), "%s.proto_raw", names[k]);
		ig_field(arr, name, &last_at);
		snprintf(name, sizeof(name), "%s.endpoint", names[k]);
		ep = ig_field(arr, name, &at);
		assert_int_equal(at, last_at + 1);
		assert_string_equal(
			json_string_value(json_object_get(ep, "name")),
			"endpoint");
		assert_int_equal(
			json_integer_value(json_object_get(ep, "index")), at);
		assert_int_equal(
			json_integer_value(json_object_get(ep, "parent")),
			p_at);
		/* hidden (4), has a parent (8), not a static member (16) */
		assert_int_equal(
			json_integer_value(json_object_get(ep, "flags")), 12);
		assert_int_equal(
			json_integer_value(json_object_get(ep, "kind")),
			12); /* ig's api.Kind_String */
		assert_null(json_object_get(ep, "offs"));
		assert_null(json_object_get(ep, "size"));
		assert_int_equal(json_array_size(json_object_get(ep, "tags")),
				 1);
		assert_string_equal(json_string_value(json_array_get(
					    json_object_get(ep, "tags"), 0)),
				    "endpoint");
		ann = json_object_get(ep, "annotations");
		assert_int_equal(json_object_size(ann), 1);
		assert_string_equal(
			json_string_value(json_object_get(ann, "json.skip")),
			"true");
		assert_true(json_integer_value(
				    json_object_get(ep, "payloadIndex")) > 0);
		json_array_foreach (arr, i, f)
			if (f != ep)
				assert_int_not_equal(
					json_integer_value(json_object_get(
						f, "payloadIndex")),
					json_integer_value(json_object_get(
						ep, "payloadIndex")));
	}
	json_array_foreach (arr, i, f)
		assert_null(strstr(
			json_string_value(json_object_get(f, "fullName")),
			"nameserver.endpoint"));
	json_decref(arr);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(build__fixture__names_in_struct_order),
		T(build__kinds__from_types_and_conventions),
		T(build__annotations__applied),
		T(build__titles__last_component_then_shortest_unique),
		T(build__default_columns__container_name_then_struct_order),
		T(build__columns_order__sorts_default_columns),
		T(build__kubernetes_env__no_runtime_columns),
		T(build__no_mntns_id__no_runtime_fields),
		T(select__plain_list__replaces_in_given_order),
		T(select__plus_minus__edit_default),
		T(select__struct__stands_for_its_columns),
		T(select__alias__matches),
		T(select__unknown_field__error_and_selection_kept),
		T(knows__every_field_named__or_not),
		cmocka_unit_test(build__enum64_signed_bool_float_ptr__handled),
		cmocka_unit_test(build__double_underscore_member__no_field),
		cmocka_unit_test(build__ig_templates__known_and_applied),
		cmocka_unit_test(build__uid_gid_names__as_ig),
		cmocka_unit_test(build__env_field__value_read_once),
		cmocka_unit_test(build__env_field__unset_is_empty),
		cmocka_unit_test(build__env_vars__split_as_ig),
		cmocka_unit_test(build__env_field__name_taken_or_empty__error),
		cmocka_unit_test(build__member_past_struct_end__error),
		cmocka_unit_test(
			build__anonymous_members_cycle_or_fan_out__error),
		cmocka_unit_test(build__enum_bitfield_wider_than_64__error),
		cmocka_unit_test(
			build__dotted_member_names__titles_within_the_name),
		T(build__bad_metadata__errors),
		T(build__width_as_atoi_reads_it),
		T(build__unknown_metadata_field__skipped_and_reported),
		T(build__metadata_names_x_or_x_raw__both_accepted),
		T(build__no_metadata__defaults),
		T(build__not_a_struct__error),
		T(describe__lists_fields_with_descriptions),
		T(ig_fields__endpoint_addr__a_derived_string),
		T(ig_fields__endpoint_addr_raw__as_ig_keeps_it),
		T(ig_fields__l4_endpoint__hidden_endpoint_as_ig_adds_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
