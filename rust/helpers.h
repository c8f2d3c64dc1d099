/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin C helpers for static inlines and macros that Rust cannot call, in the
 * manner of the kernel's rust/helpers/. Declared here so that bindgen
 * generates their Rust declarations (no hand-written FFI).
 */
#ifndef CONTAINER_HELPERS_H
#define CONTAINER_HELPERS_H

#include <linux/types.h>

struct dentry;
struct file_system_type;
struct inode;
struct super_block;
struct task_struct;

typedef void (*container_task_visit_t)(struct task_struct *task, void *data);

/* for_each_process_thread() under rcu_read_lock(); VISIT must not sleep. */
void container_helper_for_each_thread(container_task_visit_t visit, void *data);
/* for_each_thread(leader, t) under rcu_read_lock(); VISIT must not sleep. */
void container_helper_for_each_thread_of(struct task_struct *leader,
					 container_task_visit_t visit, void *data);
/* cgroup v1's permission rule for moving TARGET (euid root, uid or suid). */
bool container_helper_may_move(struct task_struct *target);
/* atomic_inc(&sb->s_active): a container pins its hierarchy's superblock. */
void container_helper_sb_pin(struct super_block *sb);
/*
 * lockdep_register_key() / lockdep_unregister_key() on every lock class key
 * of a dynamically allocated file_system_type (their set varies by version).
 */
void container_helper_fs_type_register_keys(struct file_system_type *fs);
void container_helper_fs_type_unregister_keys(struct file_system_type *fs);
/* dget(): the VFS pins a directory that exists until rmdir. */
struct dentry *container_helper_dget(struct dentry *dentry);
/* inode_lock_nested(inode, I_MUTEX_CHILD) and inode_unlock(). */
void container_helper_inode_lock_child(struct inode *inode);
void container_helper_inode_unlock(struct inode *inode);

/* pde_data(): the data of a /proc entry. */
void *container_helper_pde_data(const struct inode *inode);

struct file;
struct poll_table_struct;
struct wait_queue_head;
/* init_waitqueue_head() (its lock class key is static in the helper). */
void container_helper_init_waitqueue(struct wait_queue_head *wq);
/* poll_wait(). */
void container_helper_poll_wait(struct file *file, struct wait_queue_head *wq,
				struct poll_table_struct *pt);

struct tracepoint;
/* The kernel tracepoint called NAME, or NULL (for_each_kernel_tracepoint). */
struct tracepoint *container_helper_find_tracepoint(const char *name);
/* tracepoint_synchronize_unregister(). */
void container_helper_tracepoint_sync(void);

#endif
