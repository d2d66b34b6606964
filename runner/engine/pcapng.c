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
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101 /* an IPv4 or IPv6 packet, no link layer */

#define MAX_IFACES 1024 /* network namespaces named; later ones share */
#define NAME_MAX_LEN 64
#define COMMENT_MAX 512
#define REST_MAX 65535

struct iface {
	__u64 netns;
	char name[NAME_MAX_LEN];
};

struct pcapng {
	const struct fieldset *fs;
	int ts, netns; /* fields, -1 if none */
	__u64 own_netns; /* the runner's: packets of a source without netns */
	int comment[6]; /* fields named in the comment, -1 if none */
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
	p->ts = first_of_kind(fs, FK_TIMESTAMP, NULL);
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
	free(p->text);
	free(p->ifaces);
	free(p);
}

size_t pcapng_max_event(const struct pcapng *p)
{
	(void)p;
	/* an interface block, then the packet block */
	return 28 + 2 * (4 + NAME_MAX_LEN + 4) + 8 + 40 + REST_MAX + 4 + 4 +
	       COMMENT_MAX + 4 + 8;
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

/* The interface of netns, its block written into out first when new. */
static __u32 iface_of(struct pcapng *p, __u64 netns, char *out, size_t *n)
{
	__u8 tsresol = 9; /* nanoseconds */
	char desc[64];
	struct iface *f;
	size_t b = 0;

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
	b += put32(out + b, BT_IDB);
	b += 4;
	b += put16(out + b,
		   p->fs->rest_ether ? LINKTYPE_ETHERNET : LINKTYPE_RAW);
	b += put16(out + b, 0);
	b += put32(out + b, 0); /* snap length: none */
	b += put_opt(out + b, OPT_IF_NAME, f->name, strlen(f->name));
	b += put_opt(out + b, OPT_IF_DESCRIPTION, desc, strlen(desc));
	b += put_opt(out + b, OPT_IF_TSRESOL, &tsresol, 1);
	b += put_opt(out + b, OPT_END, NULL, 0);
	*n += end_block(out, b);
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
	iface_of(p, p->own_netns, out + n, &n);
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
		if (i == 5 && iface < p->n_ifaces)
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
		ts = field_u64(&fs->f[p->ts], ev) + fs->boot_to_real_ns;
	iface = iface_of(p, netns, out, &n);
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
