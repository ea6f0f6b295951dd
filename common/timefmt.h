/* timefmt.h: times as operators type and read them: ISO 8601 in, ISO 8601 (UTC) and local time out. */
#ifndef TESSERA_TIMEFMT_H
#define TESSERA_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

#define TIMEFMT_ISO_MAX   32            /* enough for any timefmt_iso() output and its NUL */
#define TIMEFMT_LOCAL     "%Y-%m-%d %H:%M"   /* timefmt_local()'s format when fmt is NULL */

/*
 * Parse an ISO 8601 date and time into Unix seconds. Accepted:
 *
 *   2026-11-23T19:30     2026-11-23T19:30:00     2026-11-23 19:30     (a space for the T)
 *
 * each optionally followed by a zone: "Z", "+01:00", "+0100", "+01", "-05:00", "-0500", "-05".
 * Without a zone the time is local (the TZ environment variable; mktime with tm_isdst = -1, so a
 * time in the hour that a clock change repeats is one of the two), and a local time that does
 * not exist (skipped by a clock change) is refused. Fields must be in range: year 1970 to 9999,
 * month 1-12, a day that the month has, hour 0-23, minute and second 0-59, zone up to 23:59.
 * On success returns 0 and sets *out; on failure returns -1, sets *cause (when cause is not
 * NULL) to a newly allocated message that quotes s and says what was expected, and leaves *out
 * alone.
 */
int timefmt_parse(const char *s, int64_t *out, char **cause) WARN_UNUSED;

/*
 * t in UTC as "2026-11-23T19:30:00Z" into buf (always NUL-terminated, truncated to len - 1
 * bytes; TIMEFMT_ISO_MAX is always enough). Works for any int64_t; does nothing if len is 0.
 */
void timefmt_iso(int64_t t, char *buf, size_t len);

/*
 * t in local time (the TZ environment variable) with strftime format fmt (NULL: TIMEFMT_LOCAL)
 * into buf, always NUL-terminated. When the result does not fit, or t is beyond what the
 * system's local time can show, buf gets timefmt_iso()'s UTC form instead (truncated to fit).
 * Does nothing if len is 0.
 */
void timefmt_local(int64_t t, const char *fmt, char *buf, size_t len);

#endif
