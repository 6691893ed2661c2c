/*
 * log.h - logfmt lines on stderr: level=warn msg="..." key=value ...
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* 0 and *lvl set, or -1 for an unknown name (error|warn|info|debug). */
int log_level_parse(const char *s, enum log_level *lvl);
void log_set_level(enum log_level lvl);
int log_enabled(enum log_level lvl);

/* msg is escaped; kvfmt (may be NULL) is a printf format for the
 * key=value tail, whose values must come from log_quote() when they are
 * not plain numbers or identifiers. */
void log_msg(enum log_level lvl, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Quote and escape s into out as a logfmt value ("...", \" \\ \xNN),
 * capped at outlen; hostile text never reaches the log raw. */
const char *log_quote(const char *s, char *out, size_t outlen);

/* Send finished lines (without newline) to fn instead of stderr: the
 * receiver passes its lines to the monitor, whose stderr they reach. */
void log_set_sink(void (*fn)(enum log_level lvl, const char *line, size_t n));

/* Prefix lines with "<N>" syslog priorities (stderr is journald's). */
void log_set_journal(int on);
/* "<3>" when lines go to journald, else "": for a fatal error written
 * before any log line (die, die_usage), so it is filed as an error. */
const char *log_error_prefix(void);

/* Write a finished line (another process's, already checked) to stderr. */
void log_line(enum log_level lvl, const char *line, size_t n);

#endif
