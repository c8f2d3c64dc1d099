/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C declarations the module needs that Linux 6.12's `kernel::bindings` lacks
 * (fs_context.h is not in its bindings_helper.h, so `struct fs_context` is
 * opaque there). `bindgen` turns only the allowlisted items
 * (see `bindgen_parameters`) into Rust; everything they refer to comes from
 * `kernel::bindings`, so each C type keeps one Rust identity.
 */

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/netfilter.h>
#include <linux/namei.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/tracepoint.h>

#include "helpers.h"

/* `bindgen` cannot evaluate these macros; export them as constants. */
const int CONTAINER_CONST_ENOPARAM = ENOPARAM;
const unsigned int CONTAINER_CONST_NF_ACCEPT = NF_ACCEPT;
