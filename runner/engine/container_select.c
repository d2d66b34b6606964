// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>

#include "runner/engine/container_select.h"
#include "runner/engine/containers.h"
#include "runner/engine/image_select.h"
#include "runner/engine/k8s_select.h"
#include "runner/engine/name_list.h"

void container_select_fini(struct container_select *sel)
{
	free(sel->names);
	k8s_select_free(sel->pods);
	image_select_free(sel->images);
	*sel = (struct container_select){ 0 };
}

bool container_select_any(const struct container_select *sel)
{
	return sel->names || sel->pods || sel->images || sel->containers_only;
}

bool container_select_is_container(const struct containers *c,
				   const struct container_info *ci)
{
	/* no id: the host's, as containers_lookup() tells an event's
	 * namespace */
	return ci && ci->id[0] && containers_runtime_wanted(c, ci);
}

bool container_select_match(const struct container_select *sel,
			    const struct containers *c,
			    const struct container_info *ci)
{
	if (!container_select_any(sel))
		return true;
	if (!container_select_is_container(c, ci))
		return false;
	/* a container without a name (containerd's, of a namespace ig's
	 * client does not ask) is one: "!a" keeps it, as ig's selector */
	return (!sel->names || name_list_match(sel->names, ci->name)) &&
	       k8s_select_match(sel->pods, &ci->pod, ci->pod.container) &&
	       image_select_match(sel->images, ci->image_id, ci->image_digest);
}
