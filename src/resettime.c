/* SPDX-License-Identifier: MIT */
/*
 * resettime.c: reads the reset time out of a usage-limit message (forms in
 * resettime.h). A small hand-written scanner over a lowercased copy: a
 * keyword, then a date and time of day with an optional zone, or a relative
 * duration. Zone names are looked up in the system's tz database by
 * switching TZ for the conversion and restoring it after.
 *
 * Must not: read the clock (the caller passes now), keep state, or accept a
 * zone name that is not a plain tz database path.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resettime.h"
#include "util.h"

struct when {
	int mon, mday, year; /* mon -1: no date; year 0: none */
	int hour, min, sec;
	char zone[64]; /* "" : local time */
};

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

static bool word_at(const char *p, const char *w)
{
	size_t n = strlen(w);

	return !strncmp(p, w, n) && !isalpha((unsigned char)p[n]);
}

/* A month name or its abbreviation (3+ letters): 0..11, -1 when none. */
static int month_at(const char **pp)
{
	static const char *const names[] = { "january",   "february", "march",    "april",
					     "may",       "june",     "july",     "august",
					     "september", "october",  "november", "december" };
	const char *p = *pp;
	size_t n = 0;

	while (isalpha((unsigned char)p[n]))
		n++;
	if (n < 3)
		return -1;
	for (int i = 0; i < 12; i++) {
		if (n <= strlen(names[i]) && !strncmp(p, names[i], n)) {
			*pp = p + n + (p[n] == '.');
			return i;
		}
		if (i == 8 && n == 4 && !strncmp(p, "sept", 4)) {
			*pp = p + 4 + (p[4] == '.');
			return 8;
		}
	}
	return -1;
}

static int number_at(const char **pp, int maxdigits)
{
	const char *p = *pp;
	int v = 0, n = 0;

	while (isdigit((unsigned char)*p) && n < maxdigits) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (!n || isdigit((unsigned char)*p))
		return -1;
	*pp = p;
	return v;
}

/* h[:mm[:ss]] [am|pm|a.m.|p.m.]; a bare hour needs am or pm. */
static bool time_at(const char **pp, struct when *w)
{
	const char *p = *pp;
	bool colon = false;
	int h, m = 0, s = 0;

	h = number_at(&p, 2);
	if (h < 0)
		return false;
	if (*p == ':') {
		p++;
		colon = true;
		if ((m = number_at(&p, 2)) < 0 || m > 59)
			return false;
		if (*p == ':') {
			p++;
			if ((s = number_at(&p, 2)) < 0 || s > 60)
				return false;
		}
	}
	while (*p == ' ')
		p++;
	if ((p[0] == 'a' || p[0] == 'p') && (p[1] == 'm' || (p[1] == '.' && p[2] == 'm'))) {
		bool pm = p[0] == 'p';

		p += p[1] == '.' ? 3 + (p[3] == '.') : 2;
		if (isalpha((unsigned char)*p) || h < 1 || h > 12)
			return false;
		h = h % 12 + (pm ? 12 : 0);
	} else if (!colon || h > 23) {
		return false;
	}
	w->hour = h;
	w->min = m;
	w->sec = s;
	*pp = p;
	return true;
}

/* " (zone/name)" or " utc" / " gmt" after the time (lowercased: the caller restores the case). */
static void zone_at(const char *p, struct when *w)
{
	const char *start;
	size_t n;

	w->zone[0] = '\0';
	while (*p == ' ')
		p++;
	if (word_at(p, "utc") || word_at(p, "gmt")) {
		memcpy(w->zone, "UTC", 4);
		return;
	}
	if (*p != '(')
		return;
	start = ++p;
	while (*p && *p != ')')
		p++;
	n = (size_t)(p - start);
	if (*p != ')' || !n || n >= sizeof(w->zone))
		return;
	for (size_t i = 0; i < n; i++) {
		char c = start[i];

		if (!isalnum((unsigned char)c) && c != '/' && c != '_' && c != '-' && c != '+')
			return;
	}
	if (start[0] == '/' || strstr(start, ".."))
		return;
	memcpy(w->zone, start, n);
	w->zone[n] = '\0';
}

/* [month day[st|nd|rd|th] [year]] [at] time [zone] */
static bool absolute_at(const char *p, struct when *w)
{
	const char *q;

	memset(w, 0, sizeof(*w));
	w->mon = -1;
	p = skip_space(p);
	q = p;
	if ((w->mon = month_at(&q)) >= 0) {
		p = skip_space(q);
		if ((w->mday = number_at(&p, 2)) < 1 || w->mday > 31)
			return false;
		if (!strncmp(p, "st", 2) || !strncmp(p, "nd", 2) || !strncmp(p, "rd", 2) ||
		    !strncmp(p, "th", 2))
			p += 2;
		p = skip_space(p);
		q = p;
		if (isdigit((unsigned char)*q)) {
			int y = number_at(&q, 4);

			if (y >= 2000 && (*q == ' ' || *q == ',')) {
				w->year = y;
				p = skip_space(q);
			}
		}
		if (word_at(p, "at"))
			p = skip_space(p + 2);
	}
	if (!time_at(&p, w))
		return false;
	zone_at(p, w);
	return true;
}

/* <n> <unit> [, and] ...: seconds, or -1 when none. */
static long duration_at(const char *p)
{
	static const struct {
		const char *unit;
		long secs;
	} units[] = {
		{ "seconds", 1 },  { "second", 1 },  { "secs", 1 },   { "sec", 1 },   { "s", 1 },
		{ "minutes", 60 }, { "minute", 60 }, { "mins", 60 },  { "min", 60 },  { "m", 60 },
		{ "hours", 3600 }, { "hour", 3600 }, { "hrs", 3600 }, { "hr", 3600 }, { "h", 3600 },
		{ "days", 86400 }, { "day", 86400 }, { "d", 86400 },
	};
	long total = 0;
	bool any = false;

	for (;;) {
		const char *q;
		char *end;
		long v;
		size_t i;

		p = skip_space(p);
		if (word_at(p, "and"))
			p = skip_space(p + 3);
		if (!isdigit((unsigned char)*p))
			break;
		v = strtol(p, &end, 10);
		q = end;
		if (*q == '.') /* "1.5 seconds": whole seconds are enough */
			while (isdigit((unsigned char)*++q))
				;
		while (*q == ' ')
			q++;
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (word_at(q, units[i].unit))
				break;
		if (i == ARRAY_SIZE(units) || v < 0 || v > 366L * 86400)
			break;
		total += v * units[i].secs;
		any = true;
		p = q + strlen(units[i].unit);
	}
	return any ? total : -1;
}

/* Zone names the tz database holds; "" and "UTC" always. */
static bool zone_known(const char *zone)
{
	char *path;
	bool ok;

	if (!*zone || !strcmp(zone, "UTC"))
		return true;
	path = xstrfmt("/usr/share/zoneinfo/%s", zone);
	ok = access(path, R_OK) == 0;
	free(path);
	return ok;
}

/* Converts w to unix time in its zone, the next such time after now. */
static time_t to_epoch(const struct when *w, time_t now)
{
	const char *old = getenv("TZ");
	char *saved = old ? xstrdup(old) : NULL;
	struct tm tm, today;
	time_t t;

	if (w->zone[0])
		setenv("TZ", zone_known(w->zone) ? w->zone : "UTC", 1);
	tzset();
	localtime_r(&now, &today);
	tm = today;
	tm.tm_hour = w->hour;
	tm.tm_min = w->min;
	tm.tm_sec = w->sec;
	tm.tm_isdst = -1;
	if (w->mon >= 0) {
		tm.tm_mon = w->mon;
		tm.tm_mday = w->mday;
		if (w->year)
			tm.tm_year = w->year - 1900;
	}
	t = mktime(&tm);
	if (t != (time_t)-1 && t < now - 60) {
		if (w->mon < 0) {
			tm = today;
			tm.tm_hour = w->hour;
			tm.tm_min = w->min;
			tm.tm_sec = w->sec;
			tm.tm_mday++;
			tm.tm_isdst = -1;
			t = mktime(&tm);
		} else if (!w->year && t < now - 86400) {
			tm.tm_year++;
			tm.tm_isdst = -1;
			t = mktime(&tm);
		}
	}
	if (w->zone[0]) {
		if (saved)
			setenv("TZ", saved, 1);
		else
			unsetenv("TZ");
	}
	tzset();
	free(saved);
	return t;
}

int resettime_parse(const char *text, time_t now, time_t *out)
{
	static const char *const abs_keys[] = {
		"resets at ",    "resets ",   "reset at ",
		"try again at ", "retry at ", "available again at "
	};
	static const char *const rel_keys[] = { "try again in ",    "retry in ",  "retry after ",
						"try again after ", "resets in ", "reset in " };
	char *low = xstrdup(text ? text : "");
	int rc = -1;

	for (char *p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t k = 0; rc < 0 && k < ARRAY_SIZE(rel_keys); k++) {
		for (const char *p = strstr(low, rel_keys[k]); p; p = strstr(p + 1, rel_keys[k])) {
			long secs = duration_at(p + strlen(rel_keys[k]));

			if (secs >= 0) {
				*out = now + secs;
				rc = 0;
				break;
			}
		}
	}
	for (size_t k = 0; rc < 0 && k < ARRAY_SIZE(abs_keys); k++) {
		for (const char *p = strstr(low, abs_keys[k]); p; p = strstr(p + 1, abs_keys[k])) {
			struct when w;
			size_t off = (size_t)(p - low) + strlen(abs_keys[k]);

			if (absolute_at(p + strlen(abs_keys[k]), &w)) {
				time_t t;

				/* the zone as written: restore its case from the original */
				if (w.zone[0] && strcmp(w.zone, "UTC")) {
					const char *z = strstr(low + off, w.zone);

					if (z)
						memcpy(w.zone, text + (z - low), strlen(w.zone));
				}
				t = to_epoch(&w, now);
				if (t != (time_t)-1) {
					*out = t;
					rc = 0;
					break;
				}
			}
		}
	}
	free(low);
	return rc;
}
