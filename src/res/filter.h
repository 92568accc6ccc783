/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The app_filter: which application names may be offered a call.
 */

#ifndef STASIS_BROADCAST_FILTER_H
#define STASIS_BROADCAST_FILTER_H

#include <regex.h>
#include <stddef.h>

/*! Longest pattern accepted, in bytes. */
#define FILTER_MAX_LENGTH 256
/*! Largest count accepted in an interval such as {2,8}. */
#define FILTER_MAX_REPEAT 32
/*! Largest size of the pattern once every interval is spelt out. */
#define FILTER_MAX_WEIGHT 1024
/*! Most anchors ('^', '$') accepted once every interval is spelt out. */
#define FILTER_MAX_ANCHORS 16

/*!
 * \brief Decide whether \a pattern is safe to run on a channel thread.
 *
 * \param pattern the POSIX extended regular expression
 * \param why receives a sentence saying what is wrong, when it is
 * \param why_len size of \a why
 * \retval 0 safe
 * \retval -1 unsafe (see filter.c for the rules)
 */
int filter_check_safe(const char *pattern, char *why, size_t why_len);

/*!
 * \brief Check and compile \a pattern into \a re.
 *
 * \retval 0 compiled; free with regfree()
 * \retval -1 refused as unsafe or not compilable; \a why says which
 */
int filter_compile(regex_t *re, const char *pattern, char *why, size_t why_len);

/*! \brief Whether application \a name matches the compiled filter. */
int filter_matches(const regex_t *re, const char *name);

#endif /* STASIS_BROADCAST_FILTER_H */
