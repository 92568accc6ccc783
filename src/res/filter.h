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
/*! Largest size of what may match nothing ("a?", "(b|)"), once spelt out. */
#define FILTER_MAX_OPTIONAL 128
/*! Most anchors ('^', '$') accepted once every interval is spelt out. */
#define FILTER_MAX_ANCHORS 16

/*!
 * What the rules guarantee: nothing pathological. Compiling an accepted
 * pattern and matching it against four adversarial 256-character names
 * (tests/fuzz/target_filter.c) costs less than this much CPU time (us); the
 * shapes the rules refuse took seconds, or never ended. The fuzz target
 * checks it.
 */
#define FILTER_COST_LIMIT_US 2000000

/*!
 * What a typical accepted pattern costs, compiled and matched the same way:
 * the unit test checks it on thousands of random patterns, with the allowance
 * below under AddressSanitizer, whose allocator makes every allocation of
 * regcomp() several times dearer. Not a bound for every pattern: glibc's
 * matcher is not linear in the name, and a search for the dearest accepted
 * pattern (fed the cost as its goal) finds some of 0.1 to 0.4 s against a
 * 256-character name made of the pattern's own characters. A linear-time
 * matcher of our own would bound it.
 */
#define FILTER_COST_PROMISE_US 50000
#ifndef __has_feature
#define __has_feature(feature) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define FILTER_COST_BOUND_US (FILTER_COST_PROMISE_US * 5)
#else
#define FILTER_COST_BOUND_US FILTER_COST_PROMISE_US
#endif

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
