// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* One interface of the runner's namespace and the filters put on it. */
struct tc_link {
	int ifindex;
	__u32 netns; /* written into cb[0]: the container's, or ours */
	bool own; /* one of the runner's namespace (tc_attach_own()) */
	bool created; /* the clsact qdisc is ours */
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
	t->self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (t->self_ns < 0 || fstat(t->self_ns, &st) < 0) {
		error_set(err, errno, "open /proc/self/ns/net");
		goto fail;
	}
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

/* Detach l, and its clsact if it is ours; l's entry goes. */
static void link_drop(struct tc_set *t, struct tc_link *l)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = l->ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (link_detach(l) && l->created)
		bpf_tc_hook_destroy(&hook);
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
 * that a container's peer turns out to be becomes the container's (one
 * whose filters are gone is another interface of that number: its
 * clsact is not ours).
 */
static int link_attach(struct tc_set *t, int ifindex, __u64 netns, bool own,
		       struct error **err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	struct tc_link *l = link_find(t, ifindex);
	bool ours = false;
	int rc;

	if (l && (own || (!l->own && l->netns == (__u32)netns)))
		return 0;
	if (l) {
		ours = link_detach(l) && l->created;
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
	rc = bpf_tc_hook_create(&hook);
	l->created = !rc || ours;
	l->own = own;
	l->netns = (__u32)netns;
	if (rc && rc != -EEXIST) {
		*l = t->links[--t->n_links];
		return error_set(err, -rc, "clsact on interface %d", ifindex);
	}
	if (!link_fill(t, l, err))
		return 0;
	link_drop(t, l);
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
	for (struct if_nameindex *i = ifs; i->if_index && !rc; i++)
		rc = link_attach(t, (int)i->if_index, t->self_ino, true, err);
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

static int rtnl_send(int fd, struct nlmsghdr *h)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	return sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa,
		      sizeof(sa)) < 0 ?
		       -1 :
		       0;
}

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

/*
 * rtnetlink's answer to the request h on fd: each RTM_NEWLINK message's
 * up veth into an->vs (grown), RTM_NEWNSID's id into an->nsid.
 */
static int rtnl_ask(int fd, struct nlmsghdr *h, struct rtnl_answer *an)
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
			struct veth v;

			if (m->nlmsg_type == NLMSG_DONE)
				return 0;
			if (m->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(m);

				errno = -e->error;
				return e->error ? -1 : 0;
			}
			if (m->nlmsg_type == RTM_NEWNSID) {
				struct rtattr *a = NSID_ATTRS(m);
				int alen = (int)(m->nlmsg_len -
						 NLMSG_LENGTH(NSID_HDR));

				for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen))
					if (a->rta_type == NETNSA_NSID)
						an->nsid = *(int *)RTA_DATA(a);
				return 0;
			}
			if (m->nlmsg_type != RTM_NEWLINK || !link_veth(m, &v))
				continue;
			if (grow_array((void **)&an->vs, &an->cap, an->n + 1,
				       sizeof(*an->vs), 4)) {
				errno = ENOMEM;
				return -1;
			}
			an->vs[an->n++] = v;
		}
	}
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
	cleanup_close int fd =
		socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct rtnl_answer an = { .nsid = -1 };
	size_t k = 0;

	/* the links first: listing them gives the peers' namespaces ids */
	if (fd < 0 || rtnl_ask(fd, &dump.h, &an) || rtnl_ask(fd, &ask.h, &an)) {
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
	bool used;
	size_t i;

	if (!t || t->iface_only)
		return 0;
	for (i = 0; i < t->n_users && t->users[i].mntns != mntns; i++)
		;
	if (!pid) {
		if (i < t->n_users)
			user_gone(t, i);
		return 0;
	}
	if (i < t->n_users || netns == t->self_ino)
		return 0; /* known, or on the host's network */
	if (grow_array((void **)&t->users, &t->cap_users, t->n_users + 1,
		       sizeof(*t->users), 8))
		return error_set(err, ENOMEM, "tc");
	/* its user first: what a failure left attached goes when it goes */
	used = netns_used(t, netns);
	t->users[t->n_users++] = (struct tc_user){ mntns, netns };
	return used ? 0 : attach_container(t, pid, netns, err);
}

void tc_free(struct tc_set *t)
{
	if (!t)
		return;
	while (t->n_links)
		link_drop(t, &t->links[t->n_links - 1]);
	for (size_t i = 0; i < t->n_progs; i++)
		close(t->arrays[i]);
	if (t->self_ns >= 0)
		close(t->self_ns);
	free(t->links);
	free(t->users);
	free(t);
}
