// SPDX-License-Identifier: Apache-2.0
/*
 * pcap-ng writer (draft-ietf-opsawg-pcapng): host byte order, as the
 * section header's byte-order magic tells readers.  Blocks are built in
 * the output's buffer; nothing is allocated per event.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner/engine/fields_internal.h"
#include "runner/engine/pcapng.h"

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 0x00000001
#define BT_EPB 0x00000006
#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9
#define OPT_IF_OS 12
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101 /* an IPv4 or IPv6 packet, no link layer */

#define MAX_IFACES 1024 /* interfaces made; later packets share the last */
#define NAME_MAX_LEN 64
#define DESC_MAX 1024 /* an interface's description: vars past it left out */
#define COMMENT_MAX 512
#define REST_MAX 65535

/* How the packet time's field reads. */
enum ts_unit {
	TS_NONE, /* no field: 0 */
	TS_BOOT, /* a timestamp as the kernel gave it: boot-time ns */
	TS_WALL, /* the X_raw of a timestamp: wall-clock ns */
	TS_USEC, /* another 64-bit integer: Unix µs, as ig reads it */
};

struct iface {
	__u64 netns;
	__u64 hash; /* of the key */
	char *key; /* keyed interfaces: the key's bytes */
	size_t key_len;
	char name[NAME_MAX_LEN];
};

struct pcapng {
	const struct fieldset *fs;
	int ts, netns; /* fields, -1 if none */
	enum ts_unit ts_unit;
	__u64 own_netns; /* the runner's: packets of a source without netns */
	int comment[6]; /* fields named in the comment, -1 if none */
	/* ig's interface key: the fields annotated pcap.interface-key, then
	 * those annotated pcap.interface-var (which describe it), in field
	 * order; none: one interface per network namespace */
	int *keys;
	size_t n_keys, first_var;
	char *key; /* this packet's key */
	struct iface *ifaces;
	size_t n_ifaces;
	char *text;
	size_t text_size;
};

/* Comment parts: label and field name. */
static const char *const comment_fields[][2] = {
	{ "comm", "proc.comm" },
	{ "pid", "proc.pid" },
	{ "container", "runtime.containerName" },
	{ "namespace", "k8s.namespace" },
	{ "pod", "k8s.podName" },
	{ "netns", NULL }, /* the netns field */
};

static int first_of_kind(const struct fieldset *fs, enum field_kind k,
			 const char *gtype)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct field *f = &fs->f[i];

		if (f->parent != -1)
			continue;
		if (gtype ? (f->gtype && !strcmp(f->gtype, gtype)) :
			    f->kind == k)
			return i;
	}
	return -1;
}

/* The packet time's field: pcap.timestamp's (ig's tcpdump names its
 * formatted timestamp), else the first timestamp. */
static int time_field(struct pcapng *p, struct error **err)
{
	const struct fieldset *fs = p->fs;
	const struct field *f;

	if (!fs->pcap_ts) {
		p->ts = first_of_kind(fs, FK_TIMESTAMP, NULL);
		p->ts_unit = p->ts >= 0 ? TS_BOOT : TS_NONE;
		return 0;
	}
	p->ts = fieldset_lookup(fs, fs->pcap_ts);
	if (p->ts < 0)
		return error_set(err, 0, "pcap-ng: pcap.timestamp: no field %s",
				 fs->pcap_ts);
	f = &fs->f[p->ts];
	if (f->kind == FK_TIMESTAMP && !f->bit_size && f->count == 1) {
		p->ts_unit = TS_BOOT;
	} else if (f->kind == FK_UINT && f->size == 8 && f->count == 1 &&
		   !f->bit_size) {
		p->ts_unit = f->raw_of >= 0 && fs->f[f->raw_of].kind ==
						       FK_TIMESTAMP ?
				     TS_WALL :
				     TS_USEC;
	} else {
		return error_set(err, 0,
				 "pcap-ng: pcap.timestamp: field %s is neither "
				 "a timestamp nor a 64-bit unsigned integer",
				 f->name);
	}
	return 0;
}

/* ig's interface key and variables (pkg/operators/cli): the key fields
 * first, then the variables, which must be strings. */
static int key_fields(struct pcapng *p, struct error **err)
{
	const struct fieldset *fs = p->fs;
	size_t key_size = 0;

	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			p->first_var = p->n_keys;
		for (size_t i = 0; i < fs->n; i++) {
			const struct field *f = &fs->f[i];

			if (pass ? !f->if_var : !f->if_key)
				continue;
			if (pass && fieldset_value_type(fs, i) != FVT_STRING)
				return error_set(
					err, 0,
					"pcap-ng: field \"%s\" cannot be used "
					"as interface variable (pcap."
					"interface-var): only string fields "
					"can",
					f->name);
			if (!p->keys)
				p->keys = calloc(2 * fs->n, sizeof(*p->keys));
			if (!p->keys)
				return error_set(err, ENOMEM, "pcap-ng");
			p->keys[p->n_keys++] = (int)i;
			key_size += f->max_text + 1;
		}
	}
	if (p->n_keys && !(p->key = malloc(key_size + 1)))
		return error_set(err, ENOMEM, "pcap-ng");
	return 0;
}

int pcapng_new(const struct fieldset *fs, struct pcapng **out,
	       struct error **err)
{
	struct pcapng *p;
	struct stat st;

	*out = NULL;
	if (fs->rest_len < 0)
		return error_set(err, 0,
				 "pcap-ng: the data source carries no packets "
				 "(no ebpf.rest.len annotation)");
	p = calloc(1, sizeof(*p));
	if (!p)
		return error_set(err, ENOMEM, "pcap-ng");
	p->fs = fs;
	if (time_field(p, err) < 0 || key_fields(p, err) < 0) {
		pcapng_free(p);
		return -1;
	}
	p->netns = first_of_kind(fs, 0, "gadget_netns_id");
	if (!stat("/proc/self/ns/net", &st))
		p->own_netns = st.st_ino;
	for (size_t i = 0; i < 6; i++)
		p->comment[i] =
			comment_fields[i][1] ?
				fieldset_lookup(fs, comment_fields[i][1]) :
				p->netns;
	p->text_size = fieldset_text_size(fs);
	p->text = malloc(p->text_size);
	p->ifaces = calloc(MAX_IFACES, sizeof(*p->ifaces));
	if (!p->text || !p->ifaces) {
		pcapng_free(p);
		return error_set(err, ENOMEM, "pcap-ng");
	}
	*out = p;
	return 0;
}

void pcapng_free(struct pcapng *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->ifaces && i < p->n_ifaces; i++)
		free(p->ifaces[i].key);
	free(p->text);
	free(p->ifaces);
	free(p->keys);
	free(p->key);
	free(p);
}

size_t pcapng_max_event(const struct pcapng *p)
{
	(void)p;
	/* an interface block (name, description, OS, resolution), then the
	 * packet block */
	return 28 + 4 + NAME_MAX_LEN + 4 + DESC_MAX + 3 * 8 + 40 + REST_MAX +
	       4 + 4 + COMMENT_MAX + 4 + 8;
}

static size_t put32(char *out, __u32 v)
{
	memcpy(out, &v, 4);
	return 4;
}

static size_t put16(char *out, __u16 v)
{
	memcpy(out, &v, 2);
	return 2;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* An option: code, length, value padded to 4 bytes. */
static size_t put_opt(char *out, __u16 code, const void *v, size_t len)
{
	size_t n = put16(out, code);

	n += put16(out + n, len);
	if (len)
		memcpy(out + n, v, len);
	memset(out + n + len, 0, pad4(len) - len);
	return n + pad4(len);
}

/* Finish a block begun at out: its length at both ends. */
static size_t end_block(char *out, size_t n)
{
	n += 4;
	put32(out + 4, n);
	put32(out + n - 4, n);
	return n;
}

/* The name of the network namespace with inode id: its name under
 * /run/netns (ip netns), "host" for the first process's, or netns-<id>. */
static void netns_name(__u64 id, char *name, size_t size)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	char path[300];

	if (!stat("/proc/1/ns/net", &st) && st.st_ino == id) {
		snprintf(name, size, "host");
		return;
	}
	dir = opendir("/run/netns");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", d->d_name);
		if (!stat(path, &st) && st.st_ino == id) {
			snprintf(name, size, "%.*s", (int)size - 1, d->d_name);
			closedir(dir);
			return;
		}
	}
	if (dir)
		closedir(dir);
	snprintf(name, size, "netns-%llu", (unsigned long long)id);
}

/* An interface block for f, with its description, into out. */
static size_t iface_block(struct pcapng *p, const struct iface *f,
			  const char *desc, size_t desc_len, char *out)
{
	static const char os[] = "linux";
	__u8 tsresol = 9; /* nanoseconds */
	size_t b = 0;

	b += put32(out + b, BT_IDB);
	b += 4;
	b += put16(out + b,
		   p->fs->rest_ether ? LINKTYPE_ETHERNET : LINKTYPE_RAW);
	b += put16(out + b, 0);
	b += put32(out + b, 0); /* snap length: none */
	b += put_opt(out + b, OPT_IF_NAME, f->name, strlen(f->name));
	if (desc_len)
		b += put_opt(out + b, OPT_IF_DESCRIPTION, desc, desc_len);
	b += put_opt(out + b, OPT_IF_TSRESOL, &tsresol, 1);
	b += put_opt(out + b, OPT_IF_OS, os, sizeof(os) - 1);
	b += put_opt(out + b, OPT_END, NULL, 0);
	return end_block(out, b);
}

/* The interface of netns, its block written into out first when new. */
static __u32 netns_iface(struct pcapng *p, __u64 netns, char *out, size_t *n)
{
	char desc[64];
	struct iface *f;

	for (size_t i = 0; i < p->n_ifaces; i++)
		if (p->ifaces[i].netns == netns)
			return i;
	if (p->n_ifaces == MAX_IFACES)
		return MAX_IFACES - 1;
	f = &p->ifaces[p->n_ifaces];
	f->netns = netns;
	netns_name(netns, f->name, sizeof(f->name));
	snprintf(desc, sizeof(desc), "network namespace %llu",
		 (unsigned long long)netns);
	*n += iface_block(p, f, desc, strlen(desc), out);
	return p->n_ifaces++;
}

/* Go's url.QueryEscape() of s (len bytes) into out (3 * len bytes). */
static size_t query_escape(const char *s, size_t len, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			out[n++] = (char)c;
		} else if (c == ' ') {
			out[n++] = '+';
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	return n;
}

/* The description ig gives the interface of ev: "var=value" of each
 * interface variable (the value escaped as a URL's query), joined by
 * ";"; the variables past DESC_MAX left out. */
static size_t iface_desc(struct pcapng *p, struct render_ctx *rc,
			 const void *ev, char *desc)
{
	size_t n = 0;

	for (size_t i = p->first_var; i < p->n_keys; i++) {
		const struct field *f = &p->fs->f[p->keys[i]];
		const char *t = field_value_text(rc, f, ev, p->text, false);
		size_t vl = strlen(f->if_var), tl = strlen(t);

		if (n + 1 + vl + 1 + 3 * tl > DESC_MAX)
			break;
		if (i > p->first_var)
			desc[n++] = ';';
		memcpy(desc + n, f->if_var, vl);
		n += vl;
		desc[n++] = '=';
		n += query_escape(t, tl, desc + n);
	}
	return n;
}

/* The interface of ev by its key fields, its block written into out
 * first when new: ig's "virtual" interface, described by the variables. */
static __u32 keyed_iface(struct pcapng *p, struct render_ctx *rc,
			 const void *ev, char *out, size_t *n)
{
	__u64 hash = 0xcbf29ce484222325ULL; /* FNV-1a */
	char desc[DESC_MAX];
	size_t len = 0;
	struct iface *f;

	for (size_t i = 0; i < p->n_keys; i++) {
		const struct field *kf = &p->fs->f[p->keys[i]];
		const char *t = field_value_text(rc, kf, ev, p->text, false);
		size_t tl = strlen(t) + 1; /* with its NUL: a separator */

		memcpy(p->key + len, t, tl);
		len += tl;
	}
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)p->key[i]) * 0x100000001b3ULL;
	/* interface 0 is the runner's network namespace's (the header's) */
	for (size_t i = 1; i < p->n_ifaces; i++)
		if (p->ifaces[i].hash == hash && p->ifaces[i].key_len == len &&
		    !memcmp(p->ifaces[i].key, p->key, len))
			return i;
	if (p->n_ifaces == MAX_IFACES)
		return MAX_IFACES - 1;
	f = &p->ifaces[p->n_ifaces];
	f->key = malloc(len);
	if (!f->key) /* no memory for a new interface: the last one */
		return p->n_ifaces - 1;
	memcpy(f->key, p->key, len);
	f->key_len = len;
	f->hash = hash;
	snprintf(f->name, sizeof(f->name), "virtual");
	*n += iface_block(p, f, desc, iface_desc(p, rc, ev, desc), out);
	return p->n_ifaces++;
}

size_t pcapng_header(struct pcapng *p, char *out)
{
	static const char appl[] = "runner";
	__u64 section_len = UINT64_MAX; /* unknown */
	size_t n = 0;

	n += put32(out + n, BT_SHB);
	n += 4;
	n += put32(out + n, 0x1A2B3C4D);
	n += put16(out + n, 1);
	n += put16(out + n, 0);
	memcpy(out + n, &section_len, 8);
	n += 8;
	n += put_opt(out + n, OPT_SHB_USERAPPL, appl, strlen(appl));
	n += put_opt(out + n, OPT_END, NULL, 0);
	n = end_block(out, n);
	/* readers (libpcap) want an interface even when no packet comes */
	netns_iface(p, p->own_netns, out + n, &n);
	return n;
}

/* "comm=dig pid=12 container=c netns=4026531840(name)", empty parts
 * left out. */
static size_t comment(struct pcapng *p, struct render_ctx *rc, const void *ev,
		      __u32 iface, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < 6; i++) {
		const struct field *f;
		size_t tl;

		if (p->comment[i] < 0)
			continue;
		f = &p->fs->f[p->comment[i]];
		tl = field_text(rc, f, ev, p->text);
		if (!tl || (tl == 1 && p->text[0] == '0' && i == 1))
			continue;
		if (n + tl + 80 > COMMENT_MAX)
			break;
		n += snprintf(out + n, COMMENT_MAX - n, "%s%s=%.*s",
			      n ? " " : "", comment_fields[i][0], (int)tl,
			      p->text);
		if (i == 5 && !p->n_keys && iface < p->n_ifaces)
			n += snprintf(out + n, COMMENT_MAX - n, "(%s)",
				      p->ifaces[iface].name);
	}
	return n;
}

/* The length of the IP packet at pkt (len bytes of it) as its header
 * says, 0 if unknown: a packet cut short keeps its whole length. */
static __u64 ip_len(const unsigned char *pkt, __u64 len)
{
	if (len >= 4 && pkt[0] >> 4 == 4)
		return pkt[2] << 8 | pkt[3];
	if (len >= 6 && pkt[0] >> 4 == 6) {
		__u64 payload = pkt[4] << 8 | pkt[5];

		return payload ? 40 + payload : 0; /* 0: a jumbogram */
	}
	return 0;
}

size_t pcapng_event(struct pcapng *p, struct render_ctx *rc, const void *ev,
		    size_t size, char *out)
{
	const struct fieldset *fs = p->fs;
	__u64 len = field_u64(&fs->f[fs->rest_len], ev), ts = 0;
	__u64 netns = p->own_netns;
	__u64 wire = 0;
	char note[COMMENT_MAX];
	size_t n = 0, b, cl;
	__u32 iface;

	if (size < fs->event_size)
		return 0;
	if (len > size - fs->event_size)
		len = size - fs->event_size;
	if (len > REST_MAX)
		len = REST_MAX;
	if (!len) /* no packet (e.g. a report about one) */
		return 0;
	if (fs->wire_len >= 0)
		wire = field_u64(&fs->f[fs->wire_len], ev);
	else if (!fs->rest_ether)
		wire = ip_len((const unsigned char *)ev + fs->event_size, len);
	if (wire < len || wire > UINT32_MAX)
		wire = len;
	if (p->netns >= 0)
		netns = field_u64(&fs->f[p->netns], ev);
	if (p->ts >= 0)
		ts = field_u64(&fs->f[p->ts], ev);
	if (p->ts_unit == TS_BOOT)
		ts += fs->boot_to_real_ns;
	else if (p->ts_unit == TS_USEC)
		ts *= 1000;
	iface = p->n_keys ? keyed_iface(p, rc, ev, out, &n) :
			    netns_iface(p, netns, out, &n);
	cl = comment(p, rc, ev, iface, note);

	b = n;
	n += put32(out + n, BT_EPB);
	n += 4;
	n += put32(out + n, iface);
	n += put32(out + n, ts >> 32);
	n += put32(out + n, ts & 0xFFFFFFFF);
	n += put32(out + n, len);
	n += put32(out + n, wire);
	memcpy(out + n, (const char *)ev + fs->event_size, len);
	memset(out + n + len, 0, pad4(len) - len);
	n += pad4(len);
	if (cl)
		n += put_opt(out + n, OPT_COMMENT, note, cl);
	n += put_opt(out + n, OPT_END, NULL, 0);
	return b + end_block(out + b, n - b);
}
