/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tc classifiers ("classifier/<ingress|egress>/<name>") where ig's tc
 * handler puts them.  A container's: on the host side of each of its veth
 * pairs (the peers in the runner's network namespace), the ingress
 * program on the peer's egress and the other way round (what leaves the
 * peer enters the container), through a dispatcher that writes the
 * container's network namespace inode into skb->cb[0], as for socket
 * filters, so that gadget_socket_lookup_with_direction() finds the
 * container's sockets.  Containers sharing a namespace (a pod's) share
 * its interfaces, listed again for each (a veth added since is
 * attached), detached when the last of them goes.  Besides, where ig
 * has nothing: the interfaces of the runner's own namespace (or --iface),
 * cb[0] its inode; a container's peer found there is the container's.
 * A clsact qdisc a runner makes carries its mark (a filter named
 * "runner_clsact" for an ethertype nobody sends); after taking its own
 * filters off, a runner removes a marked clsact on which no filter is
 * left, whichever runner made it, and takes the mark off one where only
 * other tools' filters are left; a clsact without the mark (another
 * tool's) stays.  The filters of a runner that is gone (SIGKILL: its
 * dispatchers' program arrays emptied by the kernel) are removed by the
 * next runner that attaches to or leaves their clsact.  Runners attach
 * and detach under a lock, /run/runner/tc.lock.
 */
#ifndef RUNNER_TC_H
#define RUNNER_TC_H

#include <stdbool.h>
#include <linux/types.h>

#include "common/error.h"

struct bpf_object;
struct tc_set;

/* classifiers in one gadget */
#define TC_MAX_PROGS 8
/* interfaces attached at once */
#define TC_MAX_LINKS 1024

/* Is the program in section sec a classifier that tc_new() takes? */
bool tc_section(const char *sec);
/* The loaded classifiers of obj, attached nowhere yet. */
int tc_new(struct bpf_object *obj, struct tc_set **out, struct error **err);
/* On interface iface of the runner's network namespace (NULL: every
 * one); with iface, tc_container() attaches nothing, as ig's --iface. */
int tc_attach_own(struct tc_set *t, const char *iface, struct error **err);
/*
 * The container of mount namespace mntns, whose first process pid is in
 * network namespace netns: attach to its interfaces (nothing for one in
 * the runner's namespace, ig's host network).  pid 0: it is gone (or no
 * longer selected): detach unless another container shares netns.
 */
int tc_container(struct tc_set *t, __u64 mntns, unsigned int pid, __u64 netns,
		 struct error **err);
/* Detach everything; accepts NULL. */
void tc_free(struct tc_set *t);

#endif
