/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the container kselftests. */
#ifndef CONTAINER_UTIL_H
#define CONTAINER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONTAINER_SUPER_MAGIC 0x636f6e74

/*
 * Timeouts detect hangs; they never judge speed. The guest is an emulated,
 * debug-instrumented machine that can be 50 times slower than the host, and
 * slower still when the host is busy: every limit is far beyond what a
 * working test needs. The kselftest harness's default per-test limit (30 s)
 * is raised here for every suite that includes this header after the
 * harness.
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#endif
/* Harness limit of a stress test (and of the tests whose size grows when
 * soaking): room for a soak (CONTAINER_SOAK) of an hour; in `make check`
 * (no soak), run_guest.sh's per-program limit (1800 s) comes first and
 * names the test. */
#define CT_STRESS_TIMEOUT 7200
/* How long ct_wait_until() waits for a condition before giving up. */
#define CT_WAIT_SECONDS 120

/* Evaluates COND every 10 ms until it is true or CT_WAIT_SECONDS pass;
 * the value is COND's last result. For asynchronous effects (exit, events)
 * that have no event to wait on. */
#define ct_wait_until(cond)							\
	({									\
		double __deadline = ct_now() + CT_WAIT_SECONDS;			\
		bool __ok;							\
		while (!(__ok = (cond)) && ct_now() < __deadline)		\
			usleep(10000);						\
		__ok;								\
	})

/* In a FIXTURE_SETUP: skip unless root and the module is (or can be)
 * loaded (kselftest rule: an unconfigured feature is a skip, not a fail). */
#define CT_REQUIRE_MODULE()							\
	do {									\
		if (geteuid())							\
			SKIP(return, "needs root");				\
		if (ct_load_module())						\
			SKIP(return, "container module not available");	\
	} while (0)

/* True if filesystem type "container" is registered (module loaded). */
bool ct_fs_registered(void);
/* Loads $CONTAINER_KO unless already loaded; 0 or -errno. */
int ct_load_module(void);
/* Unloads the module like rmmod (O_NONBLOCK); 0 or -errno. */
int ct_unload_module(void);
/* Makes a fresh empty directory under /tmp; the path is static storage. */
const char *ct_tmpdir(void);
/* mount -t container -o OPTS none DIR; 0 or -errno. */
int ct_mount(const char *dir, const char *opts);
/* Writes STR to PATH in one write(2); 0 or -errno. */
int ct_write(const char *path, const char *str);
/* Reads PATH into BUF (NUL terminated); bytes read or -errno. */
ssize_t ct_read(const char *path, char *buf, size_t size);
/* True if the NUL-terminated file contents of PATH contain NEEDLE. */
bool ct_file_contains(const char *path, const char *needle);

/* Moves this process back to DIR's root container, removes every container
 * below DIR (deepest first), then unmounts DIR until nothing is mounted
 * there. Best effort, for test cleanup. */
void ct_cleanup(const char *dir);
/* errno of mkdir(PATH) as -errno, or 0. */
int ct_mkdir(const char *path);
/* errno of rmdir(PATH) as -errno, or 0. */
int ct_rmdir(const char *path);
/* The line of /proc/mounts for mount point DIR, into BUF; 0 or -ENOENT. */
int ct_mount_line(const char *dir, char *buf, size_t size);
/* True if PATH exists. */
bool ct_exists(const char *path);

/* Number of lines of PATH that equal the decimal ID; -errno on error. */
int ct_count_id(const char *path, int id);
/* Number of lines of PATH; -errno on error. */
int ct_count_lines(const char *path);
/* Writes the decimal ID to PATH; 0 or -errno. */
int ct_write_id(const char *path, int id);
/* Reads a decimal number from PATH; -errno on error. */
long ct_read_long(const char *path);

/* True if PATH reads exactly WANT followed by a newline. */
bool ct_reads(const char *path, const char *want);
/* Waits up to CT_WAIT_SECONDS for PATH to read WANT (ct_reads). */
bool ct_eventually_reads(const char *path, const char *want);
/* The value of KEY in /proc/PID/status, without the tab, into BUF; 0 or
 * -errno (-ENOENT: no such key). */
int ct_status_field(pid_t pid, const char *key, char *buf, size_t size);

/* Monotonic clock, in seconds. */
double ct_now(void);
/*
 * How long a stress loop runs: DFLT seconds, or CONTAINER_SOAK seconds when
 * that is set (the soak knob, Documentation/testing.rst). Stress loops are
 * bounded by time, never by a count, so their verdict does not depend on
 * host speed.
 */
double ct_stress_seconds(double dflt);
/* True when CONTAINER_SOAK is set: run exhaustive sweeps, not samples. */
bool ct_soak(void);
/*
 * Seed of sampled tests: CONTAINER_SEED if set, else derived from the time
 * (different each run). Printed once ("# seed N") so a failure reproduces
 * with CONTAINER_SEED=N.
 */
unsigned int ct_seed(void);

/* Forks a child that sleeps until killed; its pid, or -1. */
pid_t ct_spawn_sleeper(void);
/* SIGKILLs and reaps PID. */
void ct_reap(pid_t pid);

#endif
