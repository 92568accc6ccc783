/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Fuzz target "filter": the app_filter safety check and compile.
 *
 * The input is the pattern. The promises checked (filter.c):
 *
 *  - filter_compile() refuses whatever filter_check_safe() refuses, and a
 *    refusal always says why;
 *  - nothing longer than FILTER_MAX_LENGTH is accepted;
 *  - an accepted pattern is never pathological: compiling it and matching it
 *    against a few adversarial 256-character application names stays under
 *    COST_BOUND_US (FILTER_COST_LIMIT_US, 2 s) of this thread's CPU time.
 *    What a typical pattern costs (FILTER_COST_PROMISE_US) is no promise for
 *    every pattern (filter.h): the run ends with a note of its dearest
 *    accepted pattern and how many went over that. CPU time rather than wall time,
 *    so other work on the machine cannot fake a finding; and the cheapest of
 *    a few tries, since ASan's allocator now and then recycles its quarantine
 *    inside a free() (a 4 ms pattern once measured 50 ms). A pattern that is
 *    really slow is slow every time: those found cost 0.5 s and more.
 */

#include "asterisk.h"

#include <time.h>

#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "filter.h"
#include "fuzz.h"

#define WHAT "filter_compile"
/*! Compile plus NAMES matches: what the rules guarantee (filter.h). */
#define COST_BOUND_US FILTER_COST_LIMIT_US
#define NAME_LENGTH 256
#define NAMES 4
#define COST_TRIES 3

static int64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*!
 * \brief Names that make a matcher work hard: long runs of one letter, a
 *        near miss at the end, and the pattern's own characters cycled.
 */
static void adversarial_names(const char *pattern, char names[NAMES][NAME_LENGTH + 1])
{
	size_t length = strlen(pattern), i;

	for (i = 0; i < NAME_LENGTH; i++) {
		names[0][i] = 'a';
		names[1][i] = i == NAME_LENGTH - 1 ? '!' : 'a';
		names[2][i] = "ab"[i % 2];
		names[3][i] = length ? pattern[i % length] : 'x';
	}
	for (i = 0; i < NAMES; i++) {
		names[i][NAME_LENGTH] = '\0';
	}
}

/*!
 * \brief CPU time of compiling an accepted \a pattern and matching \a names,
 *        the cheapest of up to COST_TRIES tries.
 */
static int64_t cost_of(const char *pattern, char names[NAMES][NAME_LENGTH + 1])
{
	int64_t cheapest = INT64_MAX;
	int attempt, i;

	for (attempt = 0; attempt < COST_TRIES && cheapest > COST_BOUND_US; attempt++) {
		int64_t start = thread_cpu_us();
		char why[160];
		regex_t re;

		if (filter_compile(&re, pattern, why, sizeof(why))) {
			fuzz_fail(WHAT, "accepted the pattern once, then refused it: %s", why);
		}
		for (i = 0; i < NAMES; i++) {
			filter_matches(&re, names[i]);
		}
		regfree(&re);
		cheapest = MIN(cheapest, thread_cpu_us() - start);
	}
	return cheapest;
}

/*! The dearest accepted pattern of the run and its cost, for finish() */
static int64_t dearest_cost;
static char dearest[FILTER_MAX_LENGTH + 1];
/*! Accepted patterns of the run that cost more than a typical one */
static int over_typical;

static int one_input(const uint8_t *data, size_t size)
{
	char *pattern = fuzz_string(data, size);
	char names[NAMES][NAME_LENGTH + 1];
	char why[160] = "";
	int safe, compiled;
	int64_t cost = 0;
	regex_t re;

	if (!pattern) {
		return -1;
	}
	adversarial_names(pattern, names);

	safe = !filter_check_safe(pattern, why, sizeof(why));
	if (!safe && !*why) {
		fuzz_fail(WHAT, "unsafe pattern refused without a reason");
	}
	*why = '\0';
	compiled = !filter_compile(&re, pattern, why, sizeof(why));
	if (compiled) {
		regfree(&re);
		cost = cost_of(pattern, names);
	}

	if (compiled && !safe) {
		fuzz_fail(WHAT, "compiled a pattern the safety check refuses");
	}
	if (!compiled && !*why) {
		fuzz_fail(WHAT, "refused a pattern without a reason");
	}
	if (compiled && size > FILTER_MAX_LENGTH) {
		fuzz_fail(WHAT, "accepted a pattern of %zu bytes", size);
	}
	over_typical += compiled && cost > FILTER_COST_PROMISE_US;
	if (compiled && cost > dearest_cost) {
		dearest_cost = cost;
		ast_copy_string(dearest, pattern, sizeof(dearest));
	}
	if (compiled && cost > COST_BOUND_US) {
		fuzz_fail(WHAT, "accepted pattern took %" PRId64 " us of CPU (the cheapest of %d "
			"tries) to compile and match %d names of %d characters (bound %d us)", cost,
			COST_TRIES, NAMES, NAME_LENGTH, COST_BOUND_US);
	}
	ast_free(pattern);
	return 0;
}

/*! \brief How close the run came to the cost bound. */
static void finish(void)
{
	char shown[sizeof(dearest) * 4];
	size_t used = 0;
	const char *c;

	/* Patterns hold any byte; the note is for a log. */
	for (c = dearest; *c; c++) {
		if (*c >= ' ' && *c < 127 && *c != '\\') {
			shown[used++] = *c;
		} else {
			used += snprintf(shown + used, sizeof(shown) - used, "\\x%02x", (unsigned char) *c);
		}
	}
	shown[used] = '\0';
	fprintf(stderr, "fuzz: note: dearest accepted pattern %" PRId64 " us (limit %d us; %d "
		"accepted patterns over the typical %d us): '%s'\n", dearest_cost, COST_BOUND_US,
		over_typical, FILTER_COST_PROMISE_US, shown);
}

const struct fuzz_target fuzz_filter = {
	.name = "filter",
	.one_input = one_input,
	.finish = finish,
};
