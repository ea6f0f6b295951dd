/*
 * fig-memory.c: scanner memory with a 100,000-seat replica: the peak resident set of a process
 * that bootstraps a gate replica of a sold-out 100,000-seat event, of one that opens it and
 * decides scans (gate_check offline, as tessera-scanner check does), and of tessera-scanner check
 * itself when it was built. The limit column is the goal, 32 MB.
 *
 * Peak RSS comes from wait4()'s ru_maxrss, measured on a grandchild: Linux carries the high
 * water mark of the memory a process had before execve() (for a child of this big process, a
 * copy of its page tables) into ru_maxrss, so a small intermediate process (tessera-bench
 * --child rss PROG ...) starts the program to measure and reports its ru_maxrss.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "device.h"
#include "gate.h"
#include "xmalloc.h"

#define GOAL_MB       32.0
#define SCANNER_RUNS  5

/* tessera-bench --child rss PROG ARG...: run PROG, print its peak RSS in KB and exit status. */
static int
child_rss(char **argv)
{
	struct rusage ru;
	pid_t pid;
	int status, null;

	if ((pid = fork()) < 0)
		return 2;
	if (pid == 0) {
		if ((null = open("/dev/null", O_WRONLY)) >= 0)
			dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 2;
	printf("%ld %d\n", ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return 0;
}

/* tessera-bench --child bootstrap REPLICA EVENT */
static int
child_bootstrap(const char *replica, const char *event)
{
	struct device *d;
	char *cause = NULL;

	if (device_open(replica, &d, &cause) != 0 ||
	    device_bootstrap(d, (uint32_t)strtoul(event, NULL, 10), &cause) != 0) {
		fprintf(stderr, "bench: child: %s\n", cause);
		return 1;
	}
	device_close(d);
	return 0;
}

/* tessera-bench --child check REPLICA TICKETS: every line of TICKETS checked offline. */
static int
child_check(const char *replica, const char *tickets)
{
	struct device *d;
	struct gate_verdict v;
	FILE *f = NULL;
	char line[TICKET_TEXT_MAX + 8], *cause = NULL;
	int n = 0, admitted = 0;

	if ((f = fopen(tickets, "r")) == NULL)
		return 1;
	if (device_open(replica, &d, &cause) != 0) {
		fprintf(stderr, "bench: child: %s\n", cause);
		fclose(f);
		return 1;
	}
	device_set_offline(d, 1);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (gate_check(d, line, GATE_ENTRY, 1, &v, &cause) != 0) {
			fprintf(stderr, "bench: child: %s\n", cause);
			break;
		}
		n++;
		admitted += v.admit;
	}
	fclose(f);
	device_close(d);
	return n > 0 && admitted == n ? 0 : 1;
}

int
memory_child(int argc, char **argv)
{
	keys_init();
	if (argc >= 3 && strcmp(argv[1], "rss") == 0)
		return child_rss(argv + 2);
	if (argc == 4 && strcmp(argv[1], "bootstrap") == 0)
		return child_bootstrap(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return child_check(argv[2], argv[3]);
	if (argc == 2 && strcmp(argv[1], "idle") == 0)
		return 0;
	fprintf(stderr, "bench: unknown child\n");
	return 2;
}

/* Peak RSS in MB of the program argv (through a --child rss), or -1; *status its exit status. */
static double
peak_rss(char *const *argv, int *status)
{
	char *args[16];
	char buf[64];
	int fds[2], i, n = 0, st;
	long kb = -1;
	pid_t pid;
	ssize_t r;

	args[n++] = (char *)bench_self();
	args[n++] = (char *)"--child";
	args[n++] = (char *)"rss";
	for (i = 0; argv[i] != NULL && n < 15; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	if (pipe(fds) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(args[0], args);
		_exit(127);
	}
	close(fds[1]);
	r = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	if (sscanf(buf, "%ld %d", &kb, status) != 2)
		return -1;
	return (double)kb / 1024.0;
}

static int
memory_run(void)
{
	long nseats = bench_env("BENCH_MEM_SEATS", 100000, 3000);
	long checks = bench_env("BENCH_MEM_CHECKS", 300, 20), i;
	struct world *w;
	struct ident bo;
	struct device *d;
	FILE *f = NULL;
	char replica[160], tickets[160], more[160], event[16], fig[80], *t;
	double idle, boot, check, scan = -1, m;
	int status, rc = -1;

	if ((w = world_new("memory", (size_t)nseats)) == NULL)
		return -1;
	if (ident_new(w, ROLE_BOXOFFICE, "Box office", &bo) != 0)
		goto out_w;
	if (world_sell_out(w, bo.id) != 0)
		goto out;
	if ((d = world_device(w, ROLE_GATE, "North Gate", NULL, replica, sizeof replica)) == NULL)
		goto out;
	device_close(d);
	/* The check child scans the first file; tessera-scanner, one scan a run, the second. */
	snprintf(tickets, sizeof tickets, "%s/tickets.txt", w->dir);
	snprintf(more, sizeof more, "%s/more.txt", w->dir);
	for (i = 0; i < checks + SCANNER_RUNS; i++) {
		uint32_t seat = w->first_seat + (uint32_t)((size_t)i * 7919 % w->nseats);

		if ((i == 0 || i == checks) && (f = fopen(i == 0 ? tickets : more, "w")) == NULL)
			goto out;
		t = world_ticket(w, &bo, seat, seat);
		fprintf(f, "%s\n", t);
		free(t);
		if (i == checks - 1 || i == checks + SCANNER_RUNS - 1)
			fclose(f);
	}
	snprintf(event, sizeof event, "%" PRIu32, w->event);

	{
		char *a[] = { (char *)bench_self(), (char *)"--child", (char *)"idle", NULL };

		idle = peak_rss(a, &status);
	}
	{
		char *a[] = { (char *)bench_self(), (char *)"--child", (char *)"bootstrap", replica,
		    event, NULL };

		if ((boot = peak_rss(a, &status)) < 0 || status != 0) {
			fprintf(stderr, "bench: memory: the bootstrap child failed\n");
			goto out;
		}
	}
	{
		char *a[] = { (char *)bench_self(), (char *)"--child", (char *)"check", replica,
		    tickets, NULL };

		if ((check = peak_rss(a, &status)) < 0 || status != 0) {
			fprintf(stderr, "bench: memory: the check child failed\n");
			goto out;
		}
	}
	if (bench_scanner() != NULL && (f = fopen(more, "r")) != NULL) {
		/* A few separate runs (one scan each), as a script would; the highest peak. */
		char line[TICKET_TEXT_MAX + 8];

		while (fgets(line, sizeof line, f) != NULL) {
			char *a[] = { (char *)bench_scanner(), (char *)"check", (char *)"--replica",
			    replica, (char *)"--offline", line, NULL };

			line[strcspn(line, "\n")] = '\0';
			m = peak_rss(a, &status);
			if (m < 0 || status != 0) {
				fprintf(stderr, "bench: memory: tessera-scanner check exited %d\n",
				    status);
				scan = -1;
				break;
			}
			if (m > scan)
				scan = m;
		}
		fclose(f);
	}
	snprintf(fig, sizeof fig, "9 scanner peak RSS, %ldk-seat bootstrap", nseats / 1000);
	bench_row(fig, "MB", boot, GOAL_MB, "< 32 MB", boot < GOAL_MB);
	snprintf(fig, sizeof fig, "9 scanner peak RSS, %ldk-seat replica, %ld scans", nseats / 1000,
	    checks);
	bench_row(fig, "MB", check, GOAL_MB, "< 32 MB", check < GOAL_MB);
	if (scan >= 0) {
		snprintf(fig, sizeof fig, "9 tessera-scanner check peak RSS, %ldk seats",
		    nseats / 1000);
		bench_row(fig, "MB", scan, GOAL_MB, "< 32 MB", scan < GOAL_MB);
	} else
		bench_note("memory: tessera-scanner check not measured (%s)", bench_scanner() ==
		    NULL ? "not built" : "it failed");
	bench_note("memory: a sold-out event of %ld seats; this program doing nothing peaks at "
	    "%.1f MB (libraries)", nseats, idle);
	rc = 0;
out:
	ident_free(&bo);
out_w:
	world_free(w);
	return rc;
}

const struct bench_fig fig_memory = {
	"memory", "9: scanner memory with a 100,000-seat replica (peak RSS)", memory_run
};
