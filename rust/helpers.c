// SPDX-License-Identifier: GPL-2.0
/*
 * Thin C helpers for static inlines and macros that Rust cannot call, in the
 * manner of the kernel's rust/helpers/. No logic lives here: each helper is
 * the C expression it wraps.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/fsnotify.h>
#include <linux/lockdep.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>
#include <linux/umh.h>

#include "helpers.h"

/* The fields of rust/ffi/layout.rs, in the same order. */
static const unsigned long c_offsets[] = {
	offsetof(struct inode, i_private),
	offsetof(struct inode, i_fop),
	offsetof(struct inode, i_op),
	offsetof(struct inode, i_mode),
	offsetof(struct inode, i_ino),
	offsetof(struct inode, i_data),
	offsetof(struct inode, i_sb),
	offsetof(struct file, private_data),
	offsetof(struct dentry, d_inode),
	offsetof(struct dentry, d_sb),
	offsetof(struct dentry, d_name),
	offsetof(struct super_block, s_fs_info),
	offsetof(struct super_block, s_time_gran),
	offsetof(struct super_block, s_root),
	offsetof(struct super_block, s_op),
	offsetof(struct super_block, s_magic),
	offsetof(struct super_block, s_blocksize_bits),
	offsetof(struct super_block, s_blocksize),
	offsetof(struct fs_context, fs_private),
	offsetof(struct fs_context, s_fs_info),
	offsetof(struct fs_context, ops),
	offsetof(struct fs_context, fs_type),
	offsetof(struct fs_parameter, key),
	offsetof(struct fs_parameter, string),
};

u64 container_helper_c_offset(u32 i)
{
	return i < ARRAY_SIZE(c_offsets) ? c_offsets[i] : U64_MAX;
}

/* Runs in the new helper thread before it execs: records it. */
static int container_agent_init(struct subprocess_info *info, struct cred *new)
{
	WRITE_ONCE(*(unsigned long *)info->data, (unsigned long)current);
	return 0;
}

int container_helper_run_agent(char *path, char **argv, char **envp, unsigned long *running)
{
	struct subprocess_info *info;

	info = call_usermodehelper_setup(path, argv, envp, GFP_KERNEL, container_agent_init, NULL,
					 running);
	if (!info)
		return -ENOMEM;
	return call_usermodehelper_exec(info, UMH_WAIT_EXEC);
}

void container_helper_cond_resched(void)
{
	cond_resched();
}

const void *container_helper_task_group(const struct task_struct *task)
{
	return task->signal;
}

unsigned int container_helper_task_flags(const struct task_struct *task)
{
	return READ_ONCE(task->flags);
}

unsigned int container_helper_task_state(const struct task_struct *task)
{
	return READ_ONCE(task->__state);
}

void container_helper_for_each_thread(container_task_visit_t visit, void *data)
{
	struct task_struct *g, *t;

	rcu_read_lock();
	for_each_process_thread(g, t)
		visit(t, data);
	rcu_read_unlock();
}

void container_helper_for_each_thread_of(struct task_struct *leader,
					 container_task_visit_t visit, void *data)
{
	struct task_struct *t;

	rcu_read_lock();
	for_each_thread(leader, t)
		visit(t, data);
	rcu_read_unlock();
}

bool container_helper_may_move(const struct file *file,
			       struct task_struct *target)
{
	const struct cred *cred = file->f_cred, *tcred;
	bool ok;

	rcu_read_lock();
	tcred = __task_cred(target);
	ok = uid_eq(cred->euid, GLOBAL_ROOT_UID) ||
	     uid_eq(cred->euid, tcred->uid) ||
	     uid_eq(cred->euid, tcred->suid);
	rcu_read_unlock();
	return ok;
}

bool container_helper_opener_capable(const struct file *file, int cap)
{
	return file_ns_capable(file, &init_user_ns, cap);
}

void container_helper_fs_type_register_keys(struct file_system_type *fs)
{
	int i;

	lockdep_register_key(&fs->s_lock_key);
	lockdep_register_key(&fs->s_umount_key);
	lockdep_register_key(&fs->s_vfs_rename_key);
	for (i = 0; i < SB_FREEZE_LEVELS; i++)
		lockdep_register_key(&fs->s_writers_key[i]);
	lockdep_register_key(&fs->i_lock_key);
	lockdep_register_key(&fs->i_mutex_key);
	lockdep_register_key(&fs->invalidate_lock_key);
	lockdep_register_key(&fs->i_mutex_dir_key);
}

void container_helper_fs_type_unregister_keys(struct file_system_type *fs)
{
	int i;

	lockdep_unregister_key(&fs->i_mutex_dir_key);
	lockdep_unregister_key(&fs->invalidate_lock_key);
	lockdep_unregister_key(&fs->i_mutex_key);
	lockdep_unregister_key(&fs->i_lock_key);
	for (i = 0; i < SB_FREEZE_LEVELS; i++)
		lockdep_unregister_key(&fs->s_writers_key[i]);
	lockdep_unregister_key(&fs->s_vfs_rename_key);
	lockdep_unregister_key(&fs->s_umount_key);
	lockdep_unregister_key(&fs->s_lock_key);
}

void container_helper_sb_pin(struct super_block *sb)
{
	atomic_inc(&sb->s_active);
}

struct dentry *container_helper_dget(struct dentry *dentry)
{
	return dget(dentry);
}

void container_helper_inode_lock_child(struct inode *inode)
{
	inode_lock_nested(inode, I_MUTEX_CHILD);
}

void container_helper_inode_unlock(struct inode *inode)
{
	inode_unlock(inode);
}

void container_helper_notify_modify(struct inode **slot)
{
	struct inode *inode;

	rcu_read_lock();
	inode = READ_ONCE(*slot);
	if (inode)
		inode = igrab(inode);
	rcu_read_unlock();
	if (inode) {
		fsnotify_inode(inode, FS_MODIFY);
		iput(inode);
	}
}

void *container_helper_pde_data(const struct inode *inode)
{
	return pde_data(inode);
}

void container_helper_init_waitqueue(struct wait_queue_head *wq)
{
	init_waitqueue_head(wq);
}

void container_helper_poll_wait(struct file *file, struct wait_queue_head *wq,
				struct poll_table_struct *pt)
{
	poll_wait(file, wq, pt);
}

struct tp_search {
	const char *name;
	struct tracepoint *found;
};

static void tp_match(struct tracepoint *tp, void *priv)
{
	struct tp_search *s = priv;

	if (!strcmp(tp->name, s->name))
		s->found = tp;
}

struct tracepoint *container_helper_find_tracepoint(const char *name)
{
	struct tp_search s = { .name = name };

	for_each_kernel_tracepoint(tp_match, &s);
	return s.found;
}

void container_helper_tracepoint_sync(void)
{
	tracepoint_synchronize_unregister();
}

#ifdef CONFIG_FAULT_INJECTION
/* The fork path's bookkeeping allocation, as a standard fault attribute. */
static DECLARE_FAULT_ATTR(container_fail_fork);
/* Registering the exit probe, once the fork probe is registered. */
static DECLARE_FAULT_ATTR(container_fail_hooks);
#endif
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static struct dentry *container_fault_dir, *container_fault_hooks_dir;
#endif

void container_helper_fault_init(void)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	struct dentry *dir = fault_create_debugfs_attr("fail_container_fork", NULL,
						       &container_fail_fork);

	container_fault_dir = IS_ERR(dir) ? NULL : dir;
	dir = fault_create_debugfs_attr("fail_container_hooks", NULL, &container_fail_hooks);
	container_fault_hooks_dir = IS_ERR(dir) ? NULL : dir;
#endif
}

void container_helper_fault_exit(void)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	debugfs_remove_recursive(container_fault_hooks_dir);
	container_fault_hooks_dir = NULL;
	debugfs_remove_recursive(container_fault_dir);
	container_fault_dir = NULL;
#endif
}

bool container_helper_should_fail_hooks(void)
{
#ifdef CONFIG_FAULT_INJECTION
	return should_fail(&container_fail_hooks, 1);
#else
	return false;
#endif
}

bool container_helper_should_fail_fork(void)
{
#ifdef CONFIG_FAULT_INJECTION
	return should_fail(&container_fail_fork, 1);
#else
	return false;
#endif
}
