/* SPDX-License-Identifier: MIT */
/*
 * migrations.h: the store's schema migrations, generated at build time from
 * data/sql/NNN-name.sql (cmake/embed-sql.cmake). Migration i brings the
 * schema to version i + 1 (PRAGMA user_version).
 */
#ifndef AU_MIGRATIONS_H
#define AU_MIGRATIONS_H

struct migration {
	const char *name; /* file name, e.g. "001-initial.sql" */
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif
