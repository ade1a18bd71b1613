/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * get_user_phyrs() - pin user memory straight into a phyr list
 *
 * The pin_user_pages*() family for struct phyr_list: the same FOLL_PIN
 * semantics, one range per physically contiguous run instead of one page
 * pointer per page.  Implemented in mm/gup_phyr.c; users select
 * CONFIG_GUP_PHYR.  See Documentation/core-api/phyr.rst.
 */
#ifndef _LINUX_GUP_PHYR_H
#define _LINUX_GUP_PHYR_H

#include <linux/compiler.h>
#include <linux/phyr.h>
#include <linux/types.h>

struct mm_struct;

int __must_check get_user_phyrs(unsigned long start, size_t len,
				unsigned int gup_flags, struct phyr_list *pl);
int __must_check get_user_phyrs_remote(struct mm_struct *mm,
				       unsigned long start, size_t len,
				       unsigned int gup_flags,
				       struct phyr_list *pl);
void unpin_user_phyrs(struct phyr_list *pl);
void unpin_user_phyrs_dirty_lock(struct phyr_list *pl, bool make_dirty);

#endif /* _LINUX_GUP_PHYR_H */
