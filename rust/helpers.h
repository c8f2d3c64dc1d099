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
struct file;
struct file_system_type;
struct inode;
struct super_block;
struct task_struct;

typedef void (*container_task_visit_t)(struct task_struct *task, void *data);

/*
 * Fields of struct task_struct, read in C: on Linux 6.12 the Rust bindings'
 * layout of task_struct disagrees with C's (e.g. offsetof(signal) is 1696
 * in Rust, 1712 in C), so Rust never reads its fields directly.
 */
/*
 * offsetof() of the I-th field listed in rust/ffi/layout.rs, as C lays it
 * out; U64_MAX past the end of the list.
 */
u64 container_helper_c_offset(u32 i);
/* task->signal: names TASK's thread group (compared, never dereferenced). */
/*
 * call_usermodehelper(UMH_WAIT_EXEC) that stores the helper's task_struct
 * address in *RUNNING before the helper execs (so that its exit can be
 * recognised).
 */
int container_helper_run_agent(char *path, char **argv, char **envp, unsigned long *running);
/* cond_resched(): a long walk in process context lets others run. */
void container_helper_cond_resched(void);
const void *container_helper_task_group(const struct task_struct *task);
/* READ_ONCE(task->flags). */
unsigned int container_helper_task_flags(const struct task_struct *task);
/* READ_ONCE(task->__state). */
unsigned int container_helper_task_state(const struct task_struct *task);

/* for_each_process_thread() under rcu_read_lock(); VISIT must not sleep. */
void container_helper_for_each_thread(container_task_visit_t visit, void *data);
/* for_each_thread(leader, t) under rcu_read_lock(); VISIT must not sleep. */
void container_helper_for_each_thread_of(struct task_struct *leader,
					 container_task_visit_t visit, void *data);
/*
 * cgroup v1's permission rule for moving TARGET (euid root, uid or suid),
 * with the credentials FILE was opened with (file->f_cred), not current's.
 */
bool container_helper_may_move(const struct file *file,
			       struct task_struct *target);
/* file_ns_capable(FILE, &init_user_ns, CAP): FILE's opener had CAP. */
bool container_helper_opener_capable(const struct file *file, int cap);
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

/*
 * fsnotify FS_MODIFY on the inode *SLOT points to, if igrab() can still
 * take it (RCU protects the load: inodes are freed after a grace period).
 */
void container_helper_notify_modify(struct inode **slot);

/* pde_data(): the data of a /proc entry. */
void *container_helper_pde_data(const struct inode *inode);

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

/*
 * Fault injection (see Documentation/fault-injection/):
 * /sys/kernel/debug/fail_container_fork makes the fork path's allocation
 * fail, /sys/kernel/debug/fail_container_hooks the registration of the exit
 * probe (after the fork probe's) at the first mount.
 */
void container_helper_fault_init(void);
void container_helper_fault_exit(void);
bool container_helper_should_fail_fork(void);
bool container_helper_should_fail_hooks(void);

/* Placement (rust/helpers_placement.c, used by rust/ffi/placement.rs). */
struct callback_head;
struct cpumask;
typedef void (*container_mpol_rebind_t)(struct task_struct *p, const void *nodes);
typedef void (*container_cpuset_cpus_t)(struct task_struct *p, struct cpumask *mask);
typedef void (*container_task_work_t)(struct callback_head *head);
typedef int (*container_cpuhp_t)(unsigned int cpu);
/* cpus_read_lock() / cpus_read_unlock(): no CPU comes or goes meanwhile. */
void container_helper_cpus_read_lock(void);
void container_helper_cpus_read_unlock(void);
unsigned int container_helper_nr_cpu_ids(void);
unsigned int container_helper_nr_node_ids(void);
/* cpu_active_mask / cpu_possible_mask / node_states[N_MEMORY] as u64 words. */
void container_helper_active_cpus(u64 *out, unsigned int nbits);
void container_helper_possible_cpus(u64 *out, unsigned int nbits);
void container_helper_memory_nodes(u64 *out, unsigned int nbits);
/* A cpumask from and to u64 words. */
void container_helper_cpumask_get(const struct cpumask *mask, u64 *out, unsigned int nbits);
void container_helper_cpumask_set(struct cpumask *mask, const u64 *bits, unsigned int nbits);
/* Allocate / free the scratch mask of the two helpers below (module load). */
int container_helper_placement_init(void);
void container_helper_placement_exit(void);
/* set_cpus_allowed_ptr() with a mask given as u64 words; may sleep, never allocates. */
int container_helper_set_cpus_allowed(struct task_struct *p, const u64 *bits, unsigned int nbits);
/* p->cpus_ptr / p->mems_allowed as u64 words. */
void container_helper_task_cpus(struct task_struct *p, u64 *out, unsigned int nbits);
void container_helper_task_mems(struct task_struct *p, u64 *out, unsigned int nbits);
/* CPUSET_CPUS(P) (cpuset_cpus_allowed) as u64 words; may sleep. */
void container_helper_cpuset_cpus(struct task_struct *p, u64 *out, unsigned int nbits,
				  container_cpuset_cpus_t cpuset_cpus);
/* Sets p->mems_allowed as cpuset.c does; REBIND is mpol_rebind_task or NULL. */
void container_helper_set_mems_allowed(struct task_struct *p, const u64 *bits, unsigned int nbits,
				       container_mpol_rebind_t rebind);
/* init_task_work() + task_work_add(P, HEAD, TWA_RESUME). */
int container_helper_task_work_add(struct task_struct *p, struct callback_head *head,
				   container_task_work_t func);
/* synchronize_rcu_tasks(): no task is still running code it was in before. */
void container_helper_synchronize_rcu_tasks(void);
/* msleep(). */
void container_helper_msleep(unsigned int ms);
/* __symbol_get(): a GPL symbol without a link dependency (NULL if absent). */
void *container_helper_symbol_get(const char *name);
/* static_key_slow_inc/dec() and static_key_count() on a struct static_key_false. */
void container_helper_static_key_inc(void *key);
void container_helper_static_key_dec(void *key);
int container_helper_static_key_count(void *key);
/* cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN) (returns the state) / remove. */
int container_helper_cpuhp_setup(container_cpuhp_t online, container_cpuhp_t offline);
void container_helper_cpuhp_remove(int state);

/* net_flow (rust/helpers_net.c, used by rust/ffi/net.rs). */
struct sk_buff;
struct sock;
/* The LOCAL_OUT hook's Rust half; returns a netfilter verdict. */
typedef unsigned int (*container_local_out_t)(void *priv, struct sk_buff *skb);
typedef void (*container_sock_visit_t)(struct sock *sk, void *data);
/* HOOK at NF_INET_LOCAL_OUT (IPv4, IPv6) in every network namespace. */
int container_helper_net_hooks_register(container_local_out_t hook, void *priv);
/* Unregisters it everywhere and waits for running hooks. */
void container_helper_net_hooks_unregister(void);
/*
 * Task context with softirqs and interrupts enabled (no BH-off section), of
 * a task that is neither a kernel thread nor exiting.
 */
bool container_helper_sender_context(void);
/*
 * skb->sk if it is a full socket (not a request or timewait one) that user
 * space created (not a kernel control socket, e.g. ICMP or neighbour
 * discovery), else NULL.
 */
struct sock *container_helper_skb_user_sk(struct sk_buff *skb);
void container_helper_skb_set_priority(struct sk_buff *skb, u32 priority);
u32 container_helper_sk_priority(const struct sock *sk);
void container_helper_sk_set_priority(struct sock *sk, u32 priority);
bool container_helper_sk_is_inet(const struct sock *sk);
/* P's file table's address, to compare only (0: none). */
unsigned long container_helper_files_id(struct task_struct *p);
/* VISIT every socket in P's file table (task and file table locks held). */
void container_helper_for_each_sock(struct task_struct *p, bool may_sleep,
				    container_sock_visit_t visit,
				    void *data);

#endif
