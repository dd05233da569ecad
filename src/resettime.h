/* SPDX-License-Identifier: MIT */
/*
 * resettime.h: when a usage limit resets, read from the message an agent CLI
 * printed. Pure apart from the time zone database: the caller passes "now".
 *
 * Forms read (case-insensitive, anywhere in the text):
 *   resets 10:57am (UTC)              today, or tomorrow when already past
 *   resets 10pm (America/New_York)    a zone name from the tz database
 *   resets Dec 7, 9am (UTC)           a date; this year, or next when past
 *   resets Dec 7 at 9:30am
 *   try again at 11:09 AM.            no zone: the machine's local time
 *   try again at Dec 5th, 2026 3:42 PM.
 *   try again in 2 hours 5 minutes    (also "in 1h 3m", "in 30 seconds", days)
 *   retry after 42 seconds
 */
#ifndef AU_RESETTIME_H
#define AU_RESETTIME_H

#include <time.h>

/*
 * Finds a reset time in text. Returns 0 and sets *out (unix seconds), or -1
 * when the text holds none (out untouched). A time of day already more than a
 * minute past is taken for the next day; a date without a year that is past
 * is taken for next year.
 */
int resettime_parse(const char *text, time_t now, time_t *out);

#endif
