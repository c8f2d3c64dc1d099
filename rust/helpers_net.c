// SPDX-License-Identifier: GPL-2.0
/*
 * Thin C glue for the net_flow subsystem (rust/ffi/net.rs): the netfilter
 * hook registration, whose struct nf_hook_ops layout and hook prototype
 * differ between kernel versions, registered in every network namespace
 * through pernet operations; and the socket and sk_buff accessors that are
 * inlines or need READ_ONCE()/WRITE_ONCE(). No policy lives here: the hook
 * calls back into Rust, which decides.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/sched/task.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "helpers.h"

/*
 * One registration at a time (the Rust side holds it as a singleton): the
 * pernet init and exit callbacks get no private pointer, so the ops live
 * here.
 */
static container_local_out_t container_local_out;

static unsigned int container_nf_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return container_local_out(priv, skb);
}

static struct nf_hook_ops container_nf_ops = {
	.hook		= container_nf_hook,
	.pf		= NFPROTO_INET,		/* IPv4 and IPv6 */
	.hooknum	= NF_INET_LOCAL_OUT,
	/* Before the mangle table: an administrator's rule can still override. */
	.priority	= NF_IP_PRI_MANGLE - 1,
};

static int __net_init container_net_init(struct net *net)
{
	return nf_register_net_hook(net, &container_nf_ops);
}

static void __net_exit container_net_exit(struct net *net)
{
	nf_unregister_net_hook(net, &container_nf_ops);
}

static struct pernet_operations container_net_ops = {
	.init = container_net_init,
	.exit = container_net_exit,
};

int container_helper_net_hooks_register(container_local_out_t hook, void *priv)
{
	container_local_out = hook;
	container_nf_ops.priv = priv;
	return register_pernet_subsys(&container_net_ops);
}

void container_helper_net_hooks_unregister(void)
{
	unregister_pernet_subsys(&container_net_ops);
	/* Hooks run under RCU and may still use PRIV (see nf_hook_entries_free()). */
	synchronize_net();
}

bool container_helper_sender_context(void)
{
	return !in_interrupt() && !irqs_disabled() &&
	       !(current->flags & (PF_KTHREAD | PF_EXITING));
}

struct sock *container_helper_skb_user_sk(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;

	return sk && sk_fullsock(sk) && !sk->sk_kern_sock ? sk : NULL;
}

void container_helper_skb_set_priority(struct sk_buff *skb, u32 priority)
{
	skb->priority = priority;
}

u32 container_helper_sk_priority(const struct sock *sk)
{
	return READ_ONCE(sk->sk_priority);
}

void container_helper_sk_set_priority(struct sock *sk, u32 priority)
{
	WRITE_ONCE(sk->sk_priority, priority);
}

bool container_helper_sk_is_inet(const struct sock *sk)
{
	return sk->sk_family == AF_INET || sk->sk_family == AF_INET6;
}

/* Descriptors visited per hold of the file table lock (as net_cls does). */
#define CONTAINER_SOCK_BATCH 1000

struct sock_walk {
	container_sock_visit_t visit;
	void *data;
	unsigned int left;
};

/* Returns the next descriptor to visit (non-zero) once the batch is done. */
static int container_sock_cb(const void *v, struct file *file, unsigned int fd)
{
	struct sock_walk *w = (struct sock_walk *)v;
	struct socket *sock = sock_from_file(file);

	if (sock && sock->sk)
		w->visit(sock->sk, w->data);
	if (--w->left == 0)
		return fd + 1;
	return 0;
}

unsigned long container_helper_files_id(struct task_struct *p)
{
	unsigned long id;

	task_lock(p);
	id = (unsigned long)p->files;
	task_unlock(p);
	return id;
}

/*
 * VISIT runs under the task and file table spinlocks, which are dropped
 * after every CONTAINER_SOCK_BATCH descriptors (and the CPU yielded, if
 * MAY_SLEEP), so a task with many files holds them only briefly.
 */
void container_helper_for_each_sock(struct task_struct *p, bool may_sleep,
				    container_sock_visit_t visit, void *data)
{
	struct sock_walk w = { .visit = visit, .data = data };
	unsigned int fd = 0;

	for (;;) {
		w.left = CONTAINER_SOCK_BATCH;
		task_lock(p);
		fd = p->files ? iterate_fd(p->files, fd, container_sock_cb, &w) : 0;
		task_unlock(p);
		if (!fd)
			break;
		if (may_sleep)
			cond_resched();
	}
}
