/*
 * timefmt.c: ISO 8601 times in and out.
 *
 * UTC conversions use the proleptic Gregorian day count of Howard Hinnant's "chrono-compatible
 * low-level date algorithms", so they do not depend on timegm() or on the width of time_t.
 * Local times go through mktime() and localtime_r(), which read TZ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"
#include "xmalloc.h"

#define EXAMPLE "like 2026-11-23T19:30, 2026-11-23 19:30:00 or 2026-11-23T19:30+01:00"

/* Days since 1970-01-01 of the civil date y-m-d (m 1-12, d 1-31). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The civil date of z days since 1970-01-01. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return days[m - 1];
}

/* Exactly n decimal digits at *p into *out; advances *p. -1 if they are not there. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* s for a message: at most 40 bytes, control characters and quotes shown as '?'. */
static void
quoted(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '"') ? '?' : s[i];
	buf[i] = '\0';
	if (s[i] != '\0' && i >= 3)
		memcpy(buf + i - 3, "...", 3);
}

int
timefmt_parse(const char *s, int64_t *out, char **cause)
{
	const char *p = s;
	char q[44];
	int y, mo, d, h, mi, sec = 0, zone = 0, oh = 0, om = 0, sign = 1, colon;
	int64_t t;

	if (s == NULL)
		return set_cause(cause, "no time given: want a time " EXAMPLE);
	quoted(s, q, sizeof q);
	if (digits(&p, 4, &y) != 0 || *p++ != '-' || digits(&p, 2, &mo) != 0 || *p++ != '-' ||
	    digits(&p, 2, &d) != 0)
		return set_cause(cause, "\"%s\": want a date and time %s", q, EXAMPLE);
	if (*p == '\0')
		return set_cause(cause, "\"%s\": want a time of day too, %s", q, EXAMPLE);
	if (*p != 'T' && *p != 't' && *p != ' ')
		return set_cause(cause, "\"%s\": want a date and time %s", q, EXAMPLE);
	p++;
	if (digits(&p, 2, &h) != 0 || *p++ != ':' || digits(&p, 2, &mi) != 0)
		return set_cause(cause, "\"%s\": want a date and time %s", q, EXAMPLE);
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec) != 0)
			return set_cause(cause, "\"%s\": want two digits of seconds after the "
			    "minutes", q);
	}
	if (*p == 'Z' || *p == 'z') {
		zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		zone = 1;
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) != 0)
			return set_cause(cause, "\"%s\": want a zone offset like +01:00, +0100 or "
			    "-05", q);
		colon = *p == ':';
		if (colon)
			p++;
		if ((colon || *p != '\0') && digits(&p, 2, &om) != 0)
			return set_cause(cause, "\"%s\": want a zone offset like +01:00, +0100 or "
			    "-05", q);
	}
	if (*p != '\0')
		return set_cause(cause, "\"%s\": unexpected text after the time; want a time %s",
		    q, EXAMPLE);

	if (y < 1970)
		return set_cause(cause, "\"%s\": year %d is out of range (1970-9999)", q, y);
	if (mo < 1 || mo > 12)
		return set_cause(cause, "\"%s\": month %d is out of range (1-12)", q, mo);
	if (d < 1 || d > days_in_month(y, mo))
		return set_cause(cause, "\"%s\": day %d is out of range (%04d-%02d has %d days)",
		    q, d, y, mo, days_in_month(y, mo));
	if (h > 23)
		return set_cause(cause, "\"%s\": hour %d is out of range (0-23)", q, h);
	if (mi > 59)
		return set_cause(cause, "\"%s\": minute %d is out of range (0-59)", q, mi);
	if (sec > 59)
		return set_cause(cause, "\"%s\": second %d is out of range (0-59)", q, sec);
	if (oh > 23 || om > 59)
		return set_cause(cause, "\"%s\": zone offset %02d:%02d is out of range (up to "
		    "23:59)", q, oh, om);

	if (zone) {
		t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
		t -= sign * (oh * 3600 + om * 60);
	} else {
		struct tm tm;
		time_t lt;

		memset(&tm, 0, sizeof tm);
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		tzset();
		lt = mktime(&tm);
		/* mktime moves a time that a clock change skipped; such a time does not exist. */
		if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
		    tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != sec)
			return set_cause(cause, "\"%s\": that local time does not exist (the "
			    "clocks change then); give a zone offset", q);
		t = (int64_t)lt;
	}
	*out = t;
	return 0;
}

void
timefmt_iso(int64_t t, char *buf, size_t len)
{
	int64_t days, secs, y;
	int m, d;

	if (len == 0)
		return;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
	    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

void
timefmt_local(int64_t t, const char *fmt, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;
	size_t n;

	if (len == 0)
		return;
	if (fmt == NULL)
		fmt = TIMEFMT_LOCAL;
	tzset();
	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL) {
		timefmt_iso(t, buf, len);
		return;
	}
	/* The format is the caller's, as with strftime itself. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(buf, len, fmt, &tm);
#pragma GCC diagnostic pop
	/* strftime gives 0 for an empty result too; the UTC form is as good then. */
	if (n == 0)
		timefmt_iso(t, buf, len);
}
