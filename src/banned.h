/* SPDX-License-Identifier: MIT */
/*
 * banned.h: functions that must not be used in automator.
 *
 * Included last by util.h, so using one of these is a compile error. Use the
 * growable buffer in util.h (buf_addf) instead of the sprintf family and
 * strndup-based copies instead of strcpy/strcat.
 */
#ifndef AU_BANNED_H
#define AU_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_automator

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef system
#define system(x) BANNED(system)
#undef popen
#define popen(x, y) BANNED(popen)

#endif
