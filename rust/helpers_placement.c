// SPDX-License-Identifier: GPL-2.0
/*
 * Thin C glue for the cpuset and memset subsystems (rust/ffi/placement.rs):
 * cpumask and nodemask macros and inlines, the task mask updates that must
 * follow cpuset.c's locking, task work, symbol_get() for the optional
 * kernel hooks of scripts/patches/0001, and CPU hotplug registration. No
 * policy lives here.
 */
#include <linux/bitmap.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/task_work.h>
#include <linux/seqlock.h>

#include "helpers.h"

unsigned int container_helper_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

unsigned int container_helper_nr_node_ids(void)
{
	return nr_node_ids;
}

void container_helper_active_cpus(u64 *out, unsigned int nbits)
{
	bitmap_to_arr64(out, cpumask_bits(cpu_active_mask), min(nbits, nr_cpumask_bits));
}

void container_helper_possible_cpus(u64 *out, unsigned int nbits)
{
	bitmap_to_arr64(out, cpumask_bits(cpu_possible_mask), min(nbits, nr_cpumask_bits));
}

void container_helper_cpus_read_lock(void)
{
	cpus_read_lock();
}

void container_helper_cpus_read_unlock(void)
{
	cpus_read_unlock();
}

void container_helper_memory_nodes(u64 *out, unsigned int nbits)
{
	bitmap_to_arr64(out, nodes_addr(node_states[N_MEMORY]),
			min_t(unsigned int, nbits, MAX_NUMNODES));
}

void container_helper_cpumask_get(const struct cpumask *mask, u64 *out, unsigned int nbits)
{
	bitmap_to_arr64(out, cpumask_bits(mask), min(nbits, nr_cpumask_bits));
}

void container_helper_cpumask_set(struct cpumask *mask, const u64 *bits, unsigned int nbits)
{
	cpumask_clear(mask);
	bitmap_from_arr64(cpumask_bits(mask), bits, min(nbits, nr_cpumask_bits));
}

/*
 * The scratch mask of the two helpers below, allocated at load so that
 * confining a task never fails for want of memory (cpumask_var_t is
 * allocated with CONFIG_CPUMASK_OFFSTACK), and the mutex that guards it
 * (set_cpus_allowed_ptr() may sleep).
 */
static cpumask_var_t container_scratch;
static DEFINE_MUTEX(container_scratch_lock);

int container_helper_placement_init(void)
{
	return zalloc_cpumask_var(&container_scratch, GFP_KERNEL) ? 0 : -ENOMEM;
}

void container_helper_placement_exit(void)
{
	free_cpumask_var(container_scratch);
}

int container_helper_set_cpus_allowed(struct task_struct *p, const u64 *bits, unsigned int nbits)
{
	int ret;

	mutex_lock(&container_scratch_lock);
	cpumask_clear(container_scratch);
	bitmap_from_arr64(cpumask_bits(container_scratch), bits, min(nbits, nr_cpumask_bits));
	ret = set_cpus_allowed_ptr(p, container_scratch);
	mutex_unlock(&container_scratch_lock);
	return ret;
}

void container_helper_task_cpus(struct task_struct *p, u64 *out, unsigned int nbits)
{
	bitmap_to_arr64(out, cpumask_bits(p->cpus_ptr), min(nbits, nr_cpumask_bits));
}

void container_helper_task_mems(struct task_struct *p, u64 *out, unsigned int nbits)
{
	bitmap_to_arr64(out, nodes_addr(p->mems_allowed), min_t(unsigned int, nbits, MAX_NUMNODES));
}

void container_helper_cpuset_cpus(struct task_struct *p, u64 *out, unsigned int nbits,
				  container_cpuset_cpus_t cpuset_cpus)
{
	mutex_lock(&container_scratch_lock);
	cpumask_clear(container_scratch);
	cpuset_cpus(p, container_scratch);
	bitmap_to_arr64(out, cpumask_bits(container_scratch), min(nbits, nr_cpumask_bits));
	mutex_unlock(&container_scratch_lock);
}

/* cpuset_change_task_nodemask() (kernel/cgroup/cpuset.c), with REBIND optional. */
void container_helper_set_mems_allowed(struct task_struct *p, const u64 *bits, unsigned int nbits,
				       container_mpol_rebind_t rebind)
{
	nodemask_t nodes = NODE_MASK_NONE;

	bitmap_from_arr64(nodes_addr(nodes), bits, min_t(unsigned int, nbits, MAX_NUMNODES));
	task_lock(p);
	local_irq_disable();
	write_seqcount_begin(&p->mems_allowed_seq);
	nodes_or(p->mems_allowed, p->mems_allowed, nodes);
	if (rebind)
		rebind(p, &nodes);
	p->mems_allowed = nodes;
	write_seqcount_end(&p->mems_allowed_seq);
	local_irq_enable();
	task_unlock(p);
}

int container_helper_task_work_add(struct task_struct *p, struct callback_head *head,
				   container_task_work_t func)
{
	init_task_work(head, func);
	return task_work_add(p, head, TWA_RESUME);
}

void container_helper_synchronize_rcu_tasks(void)
{
	synchronize_rcu_tasks();
}

void container_helper_msleep(unsigned int ms)
{
	msleep(ms);
}

void *container_helper_symbol_get(const char *name)
{
	return __symbol_get(name);
}

void container_helper_static_key_inc(void *key)
{
	static_key_slow_inc(&((struct static_key_false *)key)->key);
}

void container_helper_static_key_dec(void *key)
{
	static_key_slow_dec(&((struct static_key_false *)key)->key);
}

int container_helper_static_key_count(void *key)
{
	return static_key_count(&((struct static_key_false *)key)->key);
}

int container_helper_cpuhp_setup(container_cpuhp_t online, container_cpuhp_t offline)
{
	return cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "container:online", online, offline);
}

void container_helper_cpuhp_remove(int state)
{
	cpuhp_remove_state_nocalls(state);
}
