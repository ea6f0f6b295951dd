/*
 * bench.c: tessera-bench: run the figures, print one table, write it as CSV.
 *
 *   tessera-bench [-o results.csv] [-s tessera-scanner] [-q] [figure ...]
 *
 * With no figure names every figure runs, in the order of the table below. -q (or
 * BENCH_QUICK=1) is a smoke run with tiny sizes: it checks that every figure works, its numbers
 * mean little. Sizes come from BENCH_* variables (docs/performance.md lists them).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "keys.h"
#include "xmalloc.h"

static const struct bench_fig *figs[] = {
	&fig_gate, &fig_scan, &fig_admit, &fig_seen, &fig_push, &fig_bootstrap, &fig_issue,
	&fig_growth, &fig_memory,
};

struct row {
	char    *figure;
	char    *unit;
	double   value;
	double   limit;
	double   ratio;
	char    *goal;
	int      met;
};

static struct row  *rows;
static size_t       nrows;
static char       **notes;
static size_t       nnotes;
static int          quick;
static char         self[PATH_MAX];
static const char  *scanner;

void
bench_row(const char *figure, const char *unit, double value, double limit, const char *goal,
    int met)
{
	struct row *r;

	rows = xreallocarray(rows, nrows + 1, sizeof *rows);
	r = &rows[nrows++];
	r->figure = xstrdup(figure);
	r->unit = xstrdup(unit);
	r->value = value;
	r->limit = limit;
	r->ratio = limit != 0 ? value / limit : 0;
	r->goal = xstrdup(goal);
	r->met = met;
	fprintf(stderr, "bench:   %s: %.4g %s (limit %.4g, ratio %.3f) %s\n", figure, value, unit,
	    limit, r->ratio, met ? "met" : "MISSED");
}

void
bench_note(const char *fmt, ...)
{
	va_list ap;
	char buf[1024], *s;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	s = xstrdup(buf);
	fprintf(stderr, "bench:   %s\n", s);
	notes = xreallocarray(notes, nnotes + 1, sizeof *notes);
	notes[nnotes++] = s;
}

long
bench_env(const char *name, long def, long q)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return quick ? q : def;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 0) {
		fprintf(stderr, "bench: %s=\"%s\": want a number; using %ld\n", name, v,
		    quick ? q : def);
		return quick ? q : def;
	}
	return n;
}

int
bench_quick(void)
{
	return quick;
}

const char *
bench_self(void)
{
	return self;
}

const char *
bench_scanner(void)
{
	return scanner;
}

/* A number for the table: enough digits to read, no exponent for everyday sizes. */
static void
fmt_num(double v, char *buf, size_t len)
{
	if (v == 0)
		snprintf(buf, len, "0");
	else if (v >= 1000)
		snprintf(buf, len, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, len, "%.1f", v);
	else if (v >= 0.01)
		snprintf(buf, len, "%.3f", v);
	else
		snprintf(buf, len, "%.2e", v);
}

static void
print_table(void)
{
	char value[32], limit[32];
	size_t i;

	printf("\n%-44s %14s %14s %8s  %-26s %s\n", "figure", "Tessera", "limit", "ratio", "goal",
	    "met");
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		char v[48], l[48];

		fmt_num(r->value, value, sizeof value);
		fmt_num(r->limit, limit, sizeof limit);
		snprintf(v, sizeof v, "%s %s", value, r->unit);
		snprintf(l, sizeof l, "%s %s", limit, r->unit);
		printf("%-44s %14s %14s %8.3f  %-26s %s\n", r->figure, v, l, r->ratio, r->goal,
		    r->met ? "yes" : "no");
	}
	if (nnotes > 0)
		printf("\n");
	for (i = 0; i < nnotes; i++)
		printf("  %s\n", notes[i]);
}

/* A CSV field: quoted when it holds a comma or a quote. */
static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int
write_csv(const char *path)
{
	char *tmp = xasprintf("%s.tmp", path), *fig;
	FILE *f;
	size_t i;

	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "bench: %s: cannot write\n", tmp);
		free(tmp);
		return -1;
	}
	fprintf(f, "figure,value,limit,ratio,goal,met\n");
	for (i = 0; i < nrows; i++) {
		fig = xasprintf("%s (%s)", rows[i].figure, rows[i].unit);
		csv_field(f, fig);
		fprintf(f, ",%.6g,%.6g,%.4f,", rows[i].value, rows[i].limit, rows[i].ratio);
		csv_field(f, rows[i].goal);
		fprintf(f, ",%s\n", rows[i].met ? "yes" : "no");
		free(fig);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "bench: %s: cannot write\n", path);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: tessera-bench [-q] [-o results.csv] [-s tessera-scanner] "
	    "[figure ...]\nfigures:\n");
	for (i = 0; i < nitems(figs); i++)
		fprintf(stderr, "  %-10s %s\n", figs[i]->name, figs[i]->summary);
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *csv = NULL, *q;
	double t0, t;
	size_t i, met;
	int c, j, failed = 0, any;
	ssize_t n;

	if (argc >= 2 && strcmp(argv[1], "--child") == 0)
		return memory_child(argc - 1, argv + 1);
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0)
		self[n] = '\0';
	else
		snprintf(self, sizeof self, "%s", argv[0]);
	q = getenv("BENCH_QUICK");
	quick = q != NULL && strcmp(q, "1") == 0;
	while ((c = getopt(argc, argv, "o:qs:h")) != -1) {
		switch (c) {
		case 'o':
			csv = optarg;
			break;
		case 'q':
			quick = 1;
			break;
		case 's':
			scanner = access(optarg, X_OK) == 0 ? optarg : NULL;
			break;
		default:
			usage();
		}
	}
	for (j = optind; j < argc; j++) {
		for (i = 0; i < nitems(figs) && strcmp(argv[j], figs[i]->name) != 0; i++)
			;
		if (i == nitems(figs)) {
			fprintf(stderr, "bench: no figure \"%s\"\n", argv[j]);
			usage();
		}
	}
	keys_init();
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = bench_now();
	for (i = 0; i < nitems(figs); i++) {
		any = optind == argc;
		for (j = optind; j < argc; j++)
			any |= strcmp(argv[j], figs[i]->name) == 0;
		if (!any)
			continue;
		fprintf(stderr, "bench: %s: %s\n", figs[i]->name, figs[i]->summary);
		t = bench_now();
		if (figs[i]->run() != 0) {
			bench_note("%s: did not run (see above)", figs[i]->name);
			failed++;
		}
		fprintf(stderr, "bench: %s: %.1f s\n", figs[i]->name, bench_now() - t);
	}
	print_table();
	for (i = 0, met = 0; i < nrows; i++)
		met += rows[i].met != 0;
	printf("\n%zu rows, %zu met, %.0f s%s\n", nrows, met, bench_now() - t0,
	    quick ? " (quick: sizes too small for the numbers to mean much)" : "");
	if (csv != NULL && write_csv(csv) != 0)
		failed++;
	for (i = 0; i < nrows; i++) {
		free(rows[i].figure);
		free(rows[i].unit);
		free(rows[i].goal);
	}
	free(rows);
	for (i = 0; i < nnotes; i++)
		free(notes[i]);
	free(notes);
	return failed ? 1 : 0;
}
