// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/cleanup.h"
#include "common/grow.h"
#include "runner/engine/loaded.h"
#include "runner/engine/log.h"
#include "runner/engine/netns.h"
#include "runner/engine/tc.h"

#define TC_ACT_UNSPEC (-1)
/* held by a runner that adds or removes tc filters (see "whose clsact") */
#define TC_LOCK "/run/runner/tc.lock"

/* One interface of the runner's namespace and the filters put on it. */
struct tc_link {
	int ifindex;
	__u32 netns; /* written into cb[0]: the container's, or ours */
	bool own; /* one of the runner's namespace (tc_attach_own()) */
	struct bpf_tc_opts opts[TC_MAX_PROGS]; /* handle, priority, id */
	enum bpf_tc_attach_point point[TC_MAX_PROGS];
};

/* A container attached, by mount namespace: its network namespace. */
struct tc_user {
	__u64 mntns, netns;
};

struct tc_set {
	int arrays[TC_MAX_PROGS]; /* PROG_ARRAY of each program */
	bool ingress[TC_MAX_PROGS];
	size_t n_progs;
	int self_ns;
	int lock; /* TC_LOCK, between runners */
	__u64 self_ino;
	bool iface_only; /* ig's --iface: no container */
	struct tc_link *links;
	size_t n_links, cap_links;
	struct tc_user *users;
	size_t n_users, cap_users;
};

bool tc_section(const char *sec)
{
	return !strncmp(sec, "classifier", 10) || !strncmp(sec, "tc", 2);
}

int tc_new(struct bpf_object *obj, struct tc_set **out, struct error **err)
{
	struct tc_set *t = calloc(1, sizeof(*t));
	struct bpf_program *p;
	struct stat st;
	__u32 key = 0;

	if (!t)
		return error_set(err, ENOMEM, "tc");
	for (size_t i = 0; i < TC_MAX_PROGS; i++)
		t->arrays[i] = -1;
	t->lock = -1;
	t->self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (t->self_ns < 0 || fstat(t->self_ns, &st) < 0) {
		error_set(err, errno, "open /proc/self/ns/net");
		goto fail;
	}
	/* a read-only /run (deploy/'s pod mounts the host's so): no lock,
	 * as there would be no one to share it with there */
	if (mkdir("/run/runner", 0755) && errno != EEXIST && errno != EROFS) {
		error_set(err, errno, "mkdir /run/runner");
		goto fail;
	}
	t->lock =
		open(TC_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->lock < 0 && errno != EROFS && errno != ENOENT) {
		error_set(err, errno, "open " TC_LOCK);
		goto fail;
	}
	if (t->lock < 0)
		engine_log(ENGINE_LOG_INFO,
			   "tc: %s not writable: runners on one interface "
			   "do not wait for each other",
			   TC_LOCK);
	t->self_ino = st.st_ino;
	for_each_loaded_program (p, obj) {
		const char *sec = bpf_program__section_name(p);
		int fd, prog = bpf_program__fd(p);

		if (!tc_section(sec))
			continue;
		if (t->n_progs == TC_MAX_PROGS) {
			error_set(err, 0, "more than %d tc classifiers",
				  TC_MAX_PROGS);
			goto fail;
		}
		fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "tc_progs", 4, 4,
				    1, NULL);
		if (fd < 0) {
			error_set(err, -fd, "create program array");
			goto fail;
		}
		t->arrays[t->n_progs] = fd;
		t->ingress[t->n_progs++] = !strstr(sec, "egress");
		if (bpf_map_update_elem(fd, &key, &prog, BPF_ANY)) {
			error_set(err, errno, "fill program array");
			goto fail;
		}
	}
	*out = t;
	return 0;
fail:
	tc_free(t);
	return -1;
}

/* ---- rtnetlink ---- */

/* One message of an answer: 0 next, 1 the answer is complete, -1 errno. */
typedef int (*rtnl_fn)(struct nlmsghdr *m, void *ctx);

static int rtnl_send(int fd, struct nlmsghdr *h)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa,
		      sizeof(sa)) < 0 ?
		       -1 :
		       0;
}

/*
 * Send the request h on fd and give each message of the answer to fn
 * (NULL: an acknowledgement is all there is) until it is complete: 0, or
 * -1 and errno (the kernel's error).
 */
static int rtnl_ask(int fd, struct nlmsghdr *h, rtnl_fn fn, void *ctx)
{
	static char buf[32768] __attribute__((aligned(4)));

	if (rtnl_send(fd, h))
		return -1;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *m = (struct nlmsghdr *)buf;

		if (len <= 0) {
			errno = len ? errno : EIO;
			return -1;
		}
		for (; NLMSG_OK(m, len); m = NLMSG_NEXT(m, len)) {
			int rc;

			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(m);

				errno = -e->error;
				return e->error ? -1 : 0;
			}
			rc = fn ? fn(m, ctx) : 0;
			if (rc)
				return rc > 0 ? 0 : -1;
		}
	}
}

static int rtnl_open(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

/* ---- whose clsact ---- */

/*
 * A clsact qdisc a runner made carries a mark: a bpf filter named
 * MARK_NAME on its ingress, last (MARK_PRIO) and for an ethertype nobody
 * sends (MARK_PROTO), so that tc skips it on every packet; its program
 * would let the packet go on anyway.  The mark lives and dies with the
 * qdisc: a runner that leaves last removes a clsact another runner made
 * (none is left behind), and an interface gone or renumbered takes its
 * mark along.  The runners take TC_LOCK around the attaching and the
 * removing, so that none adds a filter to a qdisc another one is
 * removing.
 */
#define MARK_NAME "runner_clsact"
#define MARK_PRIO 0xffffU
#define MARK_PROTO ETH_P_802_EX1 /* local experimental ethertype 1 */
#define MARK_HANDLE 1

#define CLSACT_INGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define CLSACT_EGRESS TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)

/* A tc filter request (RTM_*TFILTER) and its attributes. */
struct tc_req {
	struct nlmsghdr h;
	struct tcmsg t;
	char attrs[128];
};

static void req_init(struct tc_req *r, int type, int flags, int ifindex,
		     __u32 parent)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(r->t));
	r->h.nlmsg_type = (__u16)type;
	r->h.nlmsg_flags = (__u16)(NLM_F_REQUEST | flags);
	r->t.tcm_family = AF_UNSPEC;
	r->t.tcm_ifindex = ifindex;
	r->t.tcm_parent = parent;
}

static struct rtattr *req_attr(struct tc_req *r, int type, const void *data,
			       size_t len)
{
	struct rtattr *a =
		(struct rtattr *)((char *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* A bpf filter's identity in r: where, handle, priority and protocol
 * (info), kind. */
static void req_filter(struct tc_req *r, int type, int flags, int ifindex,
		       __u32 parent, __u32 handle, __u32 info)
{
	req_init(r, type, flags | NLM_F_ACK, ifindex, parent);
	r->t.tcm_handle = handle;
	r->t.tcm_info = info;
	req_attr(r, TCA_KIND, "bpf", sizeof("bpf"));
}

/* The mark's identity in r. */
static void req_mark(struct tc_req *r, int type, int flags, int ifindex)
{
	req_filter(r, type, flags, ifindex, CLSACT_INGRESS, MARK_HANDLE,
		   TC_H_MAKE(MARK_PRIO << 16, htons(MARK_PROTO)));
}

/* Mark the clsact of ifindex as a runner's. */
static int mark_add(int fd, int ifindex)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = TC_ACT_UNSPEC },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	__u32 flags = TCA_BPF_FLAG_ACT_DIRECT;
	cleanup_close int prog = -1;
	struct rtattr *opts;
	struct tc_req r;
	__u32 prog_fd;

	prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, MARK_NAME, "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
	if (prog < 0) {
		errno = -prog;
		return -1;
	}
	prog_fd = (__u32)prog;
	req_mark(&r, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex);
	opts = req_attr(&r, TCA_OPTIONS, NULL, 0);
	req_attr(&r, TCA_BPF_FD, &prog_fd, sizeof(prog_fd));
	req_attr(&r, TCA_BPF_NAME, MARK_NAME, sizeof(MARK_NAME));
	req_attr(&r, TCA_BPF_FLAGS, &flags, sizeof(flags));
	opts->rta_len =
		(unsigned short)((char *)&r.h + r.h.nlmsg_len - (char *)opts);
	return rtnl_ask(fd, &r.h, NULL, NULL);
}

static int mark_del(int fd, int ifindex)
{
	struct tc_req r;

	req_mark(&r, RTM_DELTFILTER, 0, ifindex);
	return rtnl_ask(fd, &r.h, NULL, NULL);
}

/*
 * A runner that is gone without taking its filters off (SIGKILL, a
 * crash) leaves them on the clsact, where they would count as a live
 * runner's for ever (the clsact never removed) and run on every packet.
 * Its dispatchers tell it: each tail-calls through a program array that
 * only its runner holds open (tc_new() to tc_free(), after its filters
 * went), and the kernel empties a program array once no process holds
 * it any more (prog_array_map_clear(), at its last user reference), so
 * a dispatcher whose array is empty is a runner's that is gone, whatever
 * came of its pid.  The runners remove those they find on a clsact they
 * attach to or leave.
 */
#define GONE_MAX 16 /* removed per listing; the rest after another */

/* A filter of a runner gone: what names it to RTM_DELTFILTER. */
struct tc_gone {
	__u32 parent, handle, info, prog;
};

/* The filters on a clsact, by whose they are. */
struct clsact_use {
	int mark; /* a runner made it */
	int runners; /* filters of live runners (their dispatchers) */
	int others;
	__u32 parent; /* the side listed */
	struct tc_gone gone[GONE_MAX]; /* filters of runners gone */
	size_t n_gone;
	bool more_gone; /* past GONE_MAX */
};

/* Is program prog_id a dispatcher of a runner that is gone: its only map
 * a program array, empty?  In doubt, no. */
static bool dispatcher_orphaned(__u32 prog_id)
{
	cleanup_close int prog = bpf_prog_get_fd_by_id(prog_id);
	cleanup_close int map = -1;
	struct bpf_prog_info pi = { 0 };
	struct bpf_map_info mi = { 0 };
	__u32 len = sizeof(pi), map_id = 0, key = 0, value;

	pi.nr_map_ids = 1;
	pi.map_ids = (__u64)(unsigned long)&map_id;
	if (prog < 0 || bpf_obj_get_info_by_fd(prog, &pi, &len) ||
	    pi.nr_map_ids != 1)
		return false;
	map = bpf_map_get_fd_by_id(map_id);
	len = sizeof(mi);
	if (map < 0 || bpf_obj_get_info_by_fd(map, &mi, &len) ||
	    mi.type != BPF_MAP_TYPE_PROG_ARRAY)
		return false;
	return bpf_map_lookup_elem(map, &key, &value) && errno == ENOENT;
}

/* Is attribute a the string s (prefix: does it begin with s)? */
static bool attr_is(const struct rtattr *a, const char *s, bool prefix)
{
	size_t n = RTA_PAYLOAD(a), k = strlen(s) + !prefix;

	return n >= k && !memcmp(RTA_DATA(a), s, k);
}

/* A bpf filter's options: is it the mark, a runner's dispatcher; its
 * program's id. */
static void use_options(struct rtattr *b, int len, bool *mark, bool *runner,
			__u32 *id)
{
	for (; RTA_OK(b, len); b = RTA_NEXT(b, len)) {
		if (b->rta_type == TCA_BPF_NAME) {
			*mark = attr_is(b, MARK_NAME, false);
			/* libbpf names it "NAME:[ID]" */
			*runner = attr_is(b, NETNS_DISPATCHER ":", true);
		} else if (b->rta_type == TCA_BPF_ID &&
			   RTA_PAYLOAD(b) >= sizeof(*id)) {
			memcpy(id, RTA_DATA(b), sizeof(*id));
		}
	}
}

/* One filter of an RTM_GETTFILTER dump, into a struct clsact_use. */
static int use_filter(struct nlmsghdr *m, void *ctx)
{
	struct clsact_use *u = ctx;
	struct tcmsg *t = NLMSG_DATA(m);
	int len = (int)m->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*t));
	bool bpf = false, mark = false, runner = false;
	__u32 id = 0;

	/* a message without handle: the head of a priority's filters */
	if (m->nlmsg_type != RTM_NEWTFILTER || len < 0 || !t->tcm_handle)
		return 0;
	for (struct rtattr *a = TCA_RTA(t); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		int alen = (int)RTA_PAYLOAD(a);

		if (a->rta_type == TCA_KIND)
			bpf = attr_is(a, "bpf", false);
		else if (a->rta_type == TCA_OPTIONS)
			use_options(RTA_DATA(a), alen, &mark, &runner, &id);
	}
	if (bpf && mark) {
		u->mark++;
	} else if (bpf && runner && id && dispatcher_orphaned(id)) {
		if (u->n_gone < GONE_MAX)
			u->gone[u->n_gone++] =
				(struct tc_gone){ u->parent, t->tcm_handle,
						  t->tcm_info, id };
		else
			u->more_gone = true;
	} else if (bpf && runner) {
		u->runners++;
	} else {
		u->others++;
	}
	return 0;
}

static int clsact_uses(int fd, int ifindex, struct clsact_use *u)
{
	const __u32 parents[] = { CLSACT_INGRESS, CLSACT_EGRESS };
	struct tc_req r;

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < 2; i++) {
		u->parent = parents[i];
		req_init(&r, RTM_GETTFILTER, NLM_F_DUMP, ifindex, parents[i]);
		if (rtnl_ask(fd, &r.h, use_filter, u))
			return -1;
	}
	return 0;
}

/*
 * The filters on ifindex's clsact into u, once those of runners gone
 * are removed (told at -v).
 */
static int clsact_sweep(int fd, int ifindex, struct clsact_use *u)
{
	char name[IF_NAMESIZE] = "";

	do {
		if (clsact_uses(fd, ifindex, u))
			return -1;
		for (size_t i = 0; i < u->n_gone; i++) {
			const struct tc_gone *g = &u->gone[i];
			struct tc_req r;

			req_filter(&r, RTM_DELTFILTER, 0, ifindex, g->parent,
				   g->handle, g->info);
			/* ENOENT: removed meanwhile (a runner without the
			 * lock, where /run is read-only) */
			if (rtnl_ask(fd, &r.h, NULL, NULL) && errno != ENOENT)
				return -1;
			engine_log(
				ENGINE_LOG_INFO,
				"tc: %s %s: removed " NETNS_DISPATCHER
				":[%u], a filter of a runner that is gone",
				if_indextoname((unsigned int)ifindex, name) ?:
					"an interface",
				g->parent == CLSACT_INGRESS ? "ingress" :
							      "egress",
				g->prog);
		}
	} while (u->more_gone);
	return 0;
}

/* Make the clsact of ifindex, marked, unless it is there (then without
 * the filters of runners gone). */
static int clsact_take(int ifindex, struct error **err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	cleanup_close int fd = -1;
	struct clsact_use u;
	int rc = bpf_tc_hook_create(&hook);

	if (rc && rc != -EEXIST)
		return error_set(err, -rc, "clsact on interface %d", ifindex);
	fd = rtnl_open();
	if (rc == -EEXIST) {
		if (fd >= 0)
			clsact_sweep(fd, ifindex, &u);
		return 0;
	}
	if (fd >= 0 && !mark_add(fd, ifindex))
		return 0;
	rc = errno;
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
	return error_set(err, rc, "clsact on interface %d: mark it", ifindex);
}

/*
 * A runner's filters went from ifindex's clsact (and those of runners
 * gone): if a runner made it, remove it once no filter is left; leave it,
 * unmarked, to the other tools whose filters are left once no runner's
 * is.
 */
static void clsact_release(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	cleanup_close int fd = rtnl_open();
	struct clsact_use u;

	if (fd < 0 || clsact_sweep(fd, ifindex, &u) || !u.mark)
		return;
	if (!u.runners && !u.others)
		bpf_tc_hook_destroy(&hook);
	else if (!u.runners)
		mark_del(fd, ifindex);
}

/* Hold TC_LOCK (lock) or let it go. */
static void tc_lock(const struct tc_set *t, bool lock)
{
	while (t->lock >= 0 && flock(t->lock, lock ? LOCK_EX : LOCK_UN) &&
	       errno == EINTR)
		;
}

/* Take l's filters off (those still ours); true if one was there. */
static bool link_detach(struct tc_link *l)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex);
	bool found = false;

	for (size_t i = 0; i < TC_MAX_PROGS; i++) {
		struct bpf_tc_opts *o = &l->opts[i];
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = o->handle,
			    .priority = o->priority);

		if (!o->prog_id)
			continue;
		hook.attach_point = l->point[i];
		/* the interface may be gone, its number another's */
		if (!bpf_tc_query(&hook, &q) && q.prog_id == o->prog_id) {
			o->prog_fd = o->prog_id = o->flags = 0;
			bpf_tc_detach(&hook, o);
			found = true;
		}
		o->prog_id = 0;
	}
	return found;
}

/* Detach l, and its clsact if a runner made it and it is left empty
 * (only if a filter of ours was there: the interface is the same); l's
 * entry goes. */
static void link_drop(struct tc_set *t, struct tc_link *l)
{
	if (link_detach(l))
		clsact_release(l->ifindex);
	*l = t->links[--t->n_links];
}

static struct tc_link *link_find(struct tc_set *t, int ifindex)
{
	for (size_t i = 0; i < t->n_links; i++)
		if (t->links[i].ifindex == ifindex)
			return &t->links[i];
	return NULL;
}

/* The filters of l: every program, on the side its section names (the
 * other for a container's peer), behind a dispatcher for l->netns. */
static int link_fill(struct tc_set *t, struct tc_link *l, struct error **err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex);
	char name[IF_NAMESIZE] = "";

	for (size_t i = 0; i < t->n_progs; i++) {
		struct bpf_tc_opts *o = &l->opts[i];
		bool ingress = t->ingress[i] == l->own;
		int disp, rc;

		disp = netns_dispatcher_load(BPF_PROG_TYPE_SCHED_CLS,
					     t->arrays[i], l->netns,
					     TC_ACT_UNSPEC);
		if (disp < 0)
			return error_set(err, -disp, "load tc dispatcher");
		memset(o, 0, sizeof(*o));
		o->sz = sizeof(*o);
		o->prog_fd = disp;
		l->point[i] = hook.attach_point = ingress ? BPF_TC_INGRESS :
							    BPF_TC_EGRESS;
		rc = bpf_tc_attach(&hook, o);
		close(disp);
		if (rc) {
			o->prog_id = 0;
			return error_set(err, -rc, "attach tc on %s",
					 if_indextoname(l->ifindex, name) ?:
						 "an interface");
		}
	}
	return 0;
}

/*
 * Attach to interface ifindex for netns (own: the runner's namespace's).
 * An interface that a container has already is left to it; one of ours
 * that a container's peer turns out to be becomes the container's.
 */
static int link_attach(struct tc_set *t, int ifindex, __u64 netns, bool own,
		       struct error **err)
{
	struct tc_link *l = link_find(t, ifindex);

	if (l && (own || (!l->own && l->netns == (__u32)netns)))
		return 0;
	if (l) {
		link_detach(l);
	} else {
		if (t->n_links == TC_MAX_LINKS)
			return error_set(err, 0, "more than %d interfaces",
					 TC_MAX_LINKS);
		if (grow_array((void **)&t->links, &t->cap_links,
			       t->n_links + 1, sizeof(*t->links), 8))
			return error_set(err, ENOMEM, "tc");
		l = &t->links[t->n_links++];
		memset(l, 0, sizeof(*l));
		l->ifindex = ifindex;
	}
	l->own = own;
	l->netns = (__u32)netns;
	if (clsact_take(ifindex, err)) {
		*l = t->links[--t->n_links];
		return -1;
	}
	if (!link_fill(t, l, err))
		return 0;
	link_detach(l);
	clsact_release(ifindex);
	*l = t->links[--t->n_links];
	return -1;
}

int tc_attach_own(struct tc_set *t, const char *iface, struct error **err)
{
	struct if_nameindex one[2] = { { 0 } };
	struct if_nameindex *ifs = one;
	int rc = 0;

	if (iface) {
		t->iface_only = true;
		one[0].if_index = if_nametoindex(iface);
		if (!one[0].if_index)
			return error_set(err, errno, "--iface %s", iface);
	} else if (!(ifs = if_nameindex())) {
		return error_set(err, errno, "list interfaces");
	}
	tc_lock(t, true);
	for (struct if_nameindex *i = ifs; i->if_index && !rc; i++)
		rc = link_attach(t, (int)i->if_index, t->self_ino, true, err);
	tc_lock(t, false);
	if (ifs != one)
		if_freenameindex(ifs);
	return rc;
}

/* ---- the veth peers of a namespace (rtnetlink) ---- */

struct veth {
	int peer; /* its peer's ifindex, in peer_nsid's namespace */
	int peer_nsid; /* -1: the same namespace */
};

/* RTM_NEWNSID: struct rtgenmsg, then attributes */
#define NSID_HDR NLMSG_ALIGN(sizeof(struct rtgenmsg))
#define NSID_ATTRS(m) ((struct rtattr *)((char *)NLMSG_DATA(m) + NSID_HDR))

/* One up veth of an RTM_NEWLINK message, into v; false: not one. */
static bool link_veth(struct nlmsghdr *h, struct veth *v)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)IFLA_PAYLOAD(h);
	bool veth = false;

	v->peer = 0;
	v->peer_nsid = -1;
	if (!(ifi->ifi_flags & IFF_UP))
		return false;
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		int alen = (int)RTA_PAYLOAD(a);

		if (a->rta_type == IFLA_LINK && alen >= 4)
			v->peer = *(int *)RTA_DATA(a);
		else if (a->rta_type == IFLA_LINK_NETNSID && alen >= 4)
			v->peer_nsid = *(int *)RTA_DATA(a);
		else if (a->rta_type == IFLA_LINKINFO)
			for (struct rtattr *b = RTA_DATA(a); RTA_OK(b, alen);
			     b = RTA_NEXT(b, alen))
				if (b->rta_type == IFLA_INFO_KIND)
					veth = !strncmp(RTA_DATA(b), "veth",
							RTA_PAYLOAD(b));
	}
	return veth && v->peer > 0;
}

/* What rtnetlink answered: the up veths, a namespace id. */
struct rtnl_answer {
	struct veth *vs;
	size_t n, cap;
	int nsid;
};

/* An RTM_NEWLINK message's up veth into an->vs (grown), RTM_NEWNSID's
 * id into an->nsid (the whole answer). */
static int veth_msg(struct nlmsghdr *m, void *ctx)
{
	struct rtnl_answer *an = ctx;
	struct veth v;

	if (m->nlmsg_type == RTM_NEWNSID) {
		struct rtattr *a = NSID_ATTRS(m);
		int alen = (int)(m->nlmsg_len - NLMSG_LENGTH(NSID_HDR));

		for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen))
			if (a->rta_type == NETNSA_NSID)
				an->nsid = *(int *)RTA_DATA(a);
		return 1;
	}
	if (m->nlmsg_type != RTM_NEWLINK || !link_veth(m, &v))
		return 0;
	if (grow_array((void **)&an->vs, &an->cap, an->n + 1, sizeof(*an->vs),
		       4)) {
		errno = ENOMEM;
		return -1;
	}
	an->vs[an->n++] = v;
	return 0;
}

/*
 * The up veths of the current network namespace whose peers are in the
 * namespace of ns_fd (the runner's), into *vs.
 */
static int veth_peers(int ns_fd, struct veth **vs, size_t *n)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} dump = {
		.h = { .nlmsg_len = sizeof(dump),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
	};
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char pad[3];
		struct rtattr a;
		__u32 fd;
	} ask = {
		.h = { .nlmsg_len = sizeof(ask),
		       .nlmsg_type = RTM_GETNSID,
		       .nlmsg_flags = NLM_F_REQUEST,
		       .nlmsg_seq = 2 },
		.g = { .rtgen_family = AF_UNSPEC },
		.a = { .rta_len = RTA_LENGTH(sizeof(__u32)),
		       .rta_type = NETNSA_FD },
		.fd = (__u32)ns_fd,
	};
	cleanup_close int fd = rtnl_open();
	struct rtnl_answer an = { .nsid = -1 };
	size_t k = 0;

	/* the links first: listing them gives the peers' namespaces ids */
	if (fd < 0 || rtnl_ask(fd, &dump.h, veth_msg, &an) ||
	    rtnl_ask(fd, &ask.h, veth_msg, &an)) {
		free(an.vs);
		return -1;
	}
	for (size_t i = 0; i < an.n; i++)
		if (an.nsid >= 0 && an.vs[i].peer_nsid == an.nsid)
			an.vs[k++] = an.vs[i];
	*vs = an.vs;
	*n = k;
	return 0;
}

/* ---- containers ---- */

/* veth_peers() in a container's namespace (netns_call_in()). */
struct peers_in {
	int self_ns;
	struct veth *vs;
	size_t n;
};

static int peers_in(void *ctx, struct error **err)
{
	struct peers_in *p = ctx;

	if (veth_peers(p->self_ns, &p->vs, &p->n))
		return error_set(err, errno, "list its veths");
	return 0;
}

/* Attach to the host sides of the veths of pid's namespace netns. */
static int attach_container(struct tc_set *t, unsigned int pid, __u64 netns,
			    struct error **err)
{
	char path[64];
	struct peers_in p = { .self_ns = t->self_ns };
	cleanup_close int nsfd = -1;
	struct stat st;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	/* gone already, or its process has moved on */
	if (nsfd < 0 || fstat(nsfd, &st) < 0 || st.st_ino != netns)
		return 0;
	if (netns_call_in(nsfd, peers_in, &p, err)) {
		free(p.vs);
		return error_prefix(err, "network namespace %llu",
				    (unsigned long long)netns);
	}
	for (size_t i = 0; i < p.n && !rc; i++)
		rc = link_attach(t, p.vs[i].peer, netns, false, err);
	free(p.vs);
	return rc ? -1 : 0;
}

static bool netns_used(const struct tc_set *t, __u64 netns)
{
	for (size_t i = 0; i < t->n_users; i++)
		if (t->users[i].netns == netns)
			return true;
	return false;
}

/* User i went: detach its namespace's interfaces unless another uses them. */
static void user_gone(struct tc_set *t, size_t i)
{
	__u64 netns = t->users[i].netns;

	t->users[i] = t->users[--t->n_users];
	if (netns_used(t, netns))
		return;
	for (size_t k = t->n_links; k > 0; k--)
		if (!t->links[k - 1].own &&
		    t->links[k - 1].netns == (__u32)netns)
			link_drop(t, &t->links[k - 1]);
}

int tc_container(struct tc_set *t, __u64 mntns, unsigned int pid, __u64 netns,
		 struct error **err)
{
	size_t i;
	int rc;

	if (!t || t->iface_only)
		return 0;
	for (i = 0; i < t->n_users && t->users[i].mntns != mntns; i++)
		;
	/* gone, or a number told again for another network namespace: the
	 * kernel gives a freed number to the next namespace at once, and the
	 * tracker tells the new container, not the old one gone */
	if (i < t->n_users && (!pid || t->users[i].netns != netns)) {
		tc_lock(t, true);
		user_gone(t, i);
		tc_lock(t, false);
		i = t->n_users;
	}
	if (!pid || netns == t->self_ino)
		return 0; /* gone, or on the host's network */
	if (i == t->n_users) {
		if (grow_array((void **)&t->users, &t->cap_users,
			       t->n_users + 1, sizeof(*t->users), 8))
			return error_set(err, ENOMEM, "tc");
		/* its user first: what a failure left attached goes when it
		 * goes */
		t->users[t->n_users++] = (struct tc_user){ mntns, netns };
	}
	/* its peers listed even when another container uses netns (or it
	 * is told again), as ig lists each container's: a veth added there
	 * since, or another namespace given a number whose container is not
	 * told gone yet; those attached already are left as they are */
	tc_lock(t, true);
	rc = attach_container(t, pid, netns, err);
	tc_lock(t, false);
	return rc;
}

void tc_free(struct tc_set *t)
{
	if (!t)
		return;
	if (t->n_links) {
		tc_lock(t, true);
		while (t->n_links)
			link_drop(t, &t->links[t->n_links - 1]);
		tc_lock(t, false);
	}
	for (size_t i = 0; i < t->n_progs; i++)
		close(t->arrays[i]);
	if (t->self_ns >= 0)
		close(t->self_ns);
	if (t->lock >= 0)
		close(t->lock);
	free(t->links);
	free(t->users);
	free(t);
}
