/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which containers' images to show, as ig's --containerimage-id and
 * --containerimage-digest (its runtime-containerimage-* selector params)
 * choose them: each given list (name_list.h: comma alternatives, "!ITEM"
 * leaves ITEM out) must match.  As ig's selector compares them, every
 * item and the container's value are cut to IMAGE_SELECT_CUT characters
 * after any algorithm prefix ("sha256:").  A flag given again replaces
 * its list.  Events outside every container are left out once anything
 * is selected.
 */
#ifndef RUNNER_IMAGE_SELECT_H
#define RUNNER_IMAGE_SELECT_H

#include <stdbool.h>

#include "common/error.h"

#define IMAGE_SELECT_CUT 12

struct fieldset;
struct image_select;

enum image_select_key {
	IMAGE_SELECT_ID,
	IMAGE_SELECT_DIGEST,
};

/* Set what a flag selects (*s is made on first use), in place of what the
 * same flag set before; fails on an empty or malformed list (the error
 * does not name the flag). */
int image_select_add(struct image_select **s, enum image_select_key key,
		     const char *list, struct error **err);
void image_select_free(struct image_select *s);
/* Are a container's image id and digest (as its runtime tells them, ""
 * when unknown) selected? */
bool image_select_match(const struct image_select *s, const char *id,
			const char *digest);
/*
 * Is the container of event ev (by its mount namespace) selected?  The
 * answer is kept per mount namespace for as long as the containers of fs
 * stay the same (containers_version()): the fieldsets given must share
 * one containers object, which must know the images
 * (containers_want_images()).
 */
bool image_select_event(struct image_select *s, const struct fieldset *fs,
			const void *ev);

#endif
