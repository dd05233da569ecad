/* SPDX-License-Identifier: MIT */
/*
 * fuzz_resettime.c: resettime_parse (resettime.h) on any text, at two
 * "now"s. Oracles: no crash, leak or UB; the same answer twice; *out
 * untouched on -1; TZ restored after each call; text without a digit holds
 * no time; a line break put in front changes nothing (the forms are found
 * anywhere and read forward); a time found is not before 2000 (years are
 * 2000 or later, other times are relative to now or follow it).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "resettime.h"

#define NOW 1767225600LL /* 2026-01-01T00:00:00Z */
#define SENTINEL ((time_t)-42)
#define Y2000 946684800LL

static void check(const char *text, time_t now)
{
	const char *tz = getenv("TZ");
	char *tz_before = tz ? xstrdup(tz) : NULL, *shifted = xstrfmt("\n%s", text);
	time_t a = SENTINEL, b = SENTINEL, c = SENTINEL;
	int ra = resettime_parse(text, now, &a);
	int rb = resettime_parse(text, now, &b);
	int rc = resettime_parse(shifted, now, &c);
	bool digit = false;

	tz = getenv("TZ");
	fuzz_same(tz_before, tz, "TZ before and after resettime_parse");
	FUZZ_CHECK(ra == 0 || ra == -1, "resettime_parse returned %d", ra);
	FUZZ_CHECK(ra == rb && a == b, "two calls differ: %d %lld, %d %lld", ra, (long long)a, rb,
		   (long long)b);
	FUZZ_CHECK(ra == rc && a == c, "a leading line break changed %d %lld to %d %lld", ra,
		   (long long)a, rc, (long long)c);
	if (ra < 0)
		FUZZ_CHECK(a == SENTINEL, "*out changed on failure");
	for (const char *p = text; *p; p++)
		digit |= isdigit((unsigned char)*p) != 0;
	FUZZ_CHECK(digit || ra < 0, "a reset time %lld read from text without a digit",
		   (long long)a);
	FUZZ_CHECK(ra < 0 || (long long)a >= Y2000 - 2 * 86400, "reset time %lld is before 2000",
		   (long long)a);
	free(tz_before);
	free(shifted);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	/* a zone with daylight saving time, so local times are not UTC */
	setenv("TZ", "Europe/Paris", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	uint64_t h = fuzz_hash(data, size);

	check(text, (time_t)NOW);
	check(text, (time_t)(NOW + (long long)(h % (400ULL * 86400))));
	free(text);
	return 0;
}
