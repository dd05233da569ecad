/* SPDX-License-Identifier: MIT */
/*
 * clock.c: monotonic time with a test offset. Must not sleep or keep timers;
 * the run loop does that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "util.h"

static long long test_offset_ms(void)
{
	/* looked up once: the loop reads the clock at every wake-up */
	static const char *path;
	static int looked;
	long long off = 0;
	FILE *f;

	if (!looked) {
		path = getenv("AUTOMATOR_TEST_CLOCK");
		looked = 1;
	}
	if (!path || !*path || !(f = fopen(path, "re")))
		return 0;
	if (fscanf(f, "%lld", &off) != 1)
		off = 0;
	fclose(f);
	return off;
}

long long clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + test_offset_ms();
}

long long clock_wall(void)
{
	return (long long)time(NULL) + test_offset_ms() / 1000;
}

char *clock_iso(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(s);
}

long long clock_iso_seconds(const char *iso)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec;

	if (!iso || sscanf(iso, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (long long)timegm(&tm);
}
