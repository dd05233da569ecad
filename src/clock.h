/* SPDX-License-Identifier: MIT */
/*
 * clock.h: the one clock every timeout reads. Monotonic milliseconds, plus
 * an offset read from the file named by $AUTOMATOR_TEST_CLOCK (a decimal
 * number of milliseconds) so integration tests can move time forward
 * without sleeping. Wall-clock time for records comes from clock_wall().
 */
#ifndef AU_CLOCK_H
#define AU_CLOCK_H

long long clock_now_ms(void);
/* Unix time in seconds (wall clock, also offset by the test clock). */
long long clock_wall(void);
/* "2026-11-22T03:04:05Z" for t (unix seconds); newly allocated. */
char *clock_iso(long long t);
/* The unix seconds of an ISO 8601 UTC time ("2026-11-22T03:04:05.123Z"); 0 when it is not one. */
long long clock_iso_seconds(const char *iso);

#endif
