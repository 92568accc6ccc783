/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The app_filter: checking a pattern is safe, compiling, matching.
 *
 * The filter is a POSIX extended regular expression written by whoever writes
 * the dialplan, possibly built from a channel variable the caller influences.
 * It runs on the channel's own thread, once per registered application, for
 * every call. A pattern that takes long to compile or to match stalls that
 * call, so we accept only patterns whose cost is bounded by a small constant
 * and refuse the rest before compiling them.
 *
 * glibc's matcher simulates the automaton instead of backtracking, so its cost
 * grows with (pattern size) x (name length) -- except for back-references,
 * which force backtracking and can take exponential time. The pattern size
 * that matters is the size after intervals are spelt out: "(a|b){32}" is 32
 * copies of "(a|b)", and "((a{32}){32}){32}" would be 32,768 copies of "a".
 * Hence "unsafe" means any of:
 *
 *  - longer than FILTER_MAX_LENGTH bytes;
 *  - a back-reference (\1 .. \9);
 *  - an interval count above FILTER_MAX_REPEAT;
 *  - a repetition applied to something already repeated: "(a+)*", "(a{2}){3}",
 *    "a**" -- the shape behind every catastrophic pattern, and never needed to
 *    match an application name;
 *  - a spelt-out size ("weight") above FILTER_MAX_WEIGHT.
 *
 * Within those bounds a match costs at most FILTER_MAX_WEIGHT automaton steps
 * per character of the name; the unit tests measure the worst we could build.
 */

#include "asterisk.h"

#include "asterisk/strings.h"

#include "filter.h"

/*! \brief What the scanner knows about one level of parentheses. */
struct filter_level {
	int weight;          /*!< size of what this level holds so far */
	int last_weight;     /*!< size of the last item, -1 when there is none */
	int last_repeats;    /*!< the last item is a group with a repetition inside */
	int last_quantified; /*!< the last item already has a repetition operator */
	int has_repeat;      /*!< a repetition appears somewhere in this level */
};

/*! \brief Note one plain item (a character, '.', a bracket expression). */
static void level_add_atom(struct filter_level *level)
{
	level->weight += 1;
	level->last_weight = 1;
	level->last_repeats = 0;
	level->last_quantified = 0;
}

/*!
 * \brief Apply a repetition with upper count \a times to the last item.
 * \retval -1 the repetition is nested, with \a why filled in
 */
static int level_repeat(struct filter_level *level, int times, char *why, size_t why_len)
{
	if (level->last_weight < 0) {
		/* Nothing to repeat: regcomp decides what a leading '*' means. */
		level_add_atom(level);
		return 0;
	}
	if (level->last_quantified || level->last_repeats) {
		snprintf(why, why_len, "a repetition is applied to something already repeated");
		return -1;
	}
	if (times > 1) {
		level->weight += level->last_weight * (times - 1);
		level->last_weight *= times;
	}
	level->last_quantified = 1;
	level->has_repeat = 1;
	return 0;
}

#define COUNT_NONE -2     /*!< no digits where a count may stand */
#define COUNT_TOO_BIG -1  /*!< more digits than any count we accept */

/*! \brief Read the decimal count at \a *q, advancing past it. */
static int read_count(const char **q)
{
	int value = 0, digits = 0;

	for (; isdigit((unsigned char) **q); (*q)++, digits++) {
		if (digits < 6) {
			value = value * 10 + (**q - '0');
		}
	}
	if (!digits) {
		return COUNT_NONE;
	}
	return digits > 6 ? COUNT_TOO_BIG : value;
}

/*!
 * \brief Parse an interval "{m}", "{m,}" or "{m,n}" starting at \a p.
 * \return the characters it spans, 0 if \a p is not an interval; the larger
 *         count goes to \a upper (COUNT_TOO_BIG for an absurd one)
 */
static int parse_interval(const char *p, int *upper)
{
	const char *q = p + 1;
	int low = read_count(&q);
	int high = low;

	if (low == COUNT_NONE) {
		return 0;
	}
	if (*q == ',') {
		q++;
		high = read_count(&q);
		if (high == COUNT_NONE) {
			/* "{m,}": m copies then a star; it costs like m copies. */
			high = low;
		}
	}
	if (*q != '}') {
		return 0;
	}
	*upper = (low == COUNT_TOO_BIG || high == COUNT_TOO_BIG) ? COUNT_TOO_BIG : MAX(low, high);
	return q - p + 1;
}

/*! \brief Skip a bracket expression starting at \a p; returns its length. */
static size_t bracket_length(const char *p)
{
	const char *q = p + 1;

	if (*q == '^') {
		q++;
	}
	if (*q == ']') {
		q++;
	}
	while (*q && *q != ']') {
		if (q[0] == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
			char close = q[1];
			const char *end = q + 2;

			while (*end && !(end[0] == close && end[1] == ']')) {
				end++;
			}
			q = *end ? end + 2 : end;
			continue;
		}
		q++;
	}
	return *q ? (size_t) (q - p + 1) : strlen(p);
}

int filter_check_safe(const char *pattern, char *why, size_t why_len)
{
	struct filter_level levels[FILTER_MAX_LENGTH + 2];
	int depth = 0;
	const char *p;
	size_t length = strlen(pattern);

	if (length > FILTER_MAX_LENGTH) {
		snprintf(why, why_len, "it is %zu characters long (at most %d)",
			length, FILTER_MAX_LENGTH);
		return -1;
	}

	memset(&levels[0], 0, sizeof(levels[0]));
	levels[0].last_weight = -1;
	for (p = pattern; *p; ) {
		struct filter_level *level = &levels[depth];
		int upper, span;

		switch (*p) {
		case '\\':
			if (p[1] >= '1' && p[1] <= '9') {
				snprintf(why, why_len, "it has a back-reference (\\%c)", p[1]);
				return -1;
			}
			level_add_atom(level);
			p += p[1] ? 2 : 1;
			continue;
		case '[':
			level_add_atom(level);
			p += bracket_length(p);
			continue;
		case '(':
			depth++;
			memset(&levels[depth], 0, sizeof(levels[depth]));
			levels[depth].last_weight = -1;
			break;
		case ')':
			if (depth == 0) {
				level_add_atom(level);
				break;
			}
			depth--;
			levels[depth].weight += level->weight;
			levels[depth].last_weight = level->weight;
			levels[depth].last_repeats = level->has_repeat;
			levels[depth].last_quantified = 0;
			levels[depth].has_repeat |= level->has_repeat;
			break;
		case '|':
			level->last_weight = -1;
			break;
		case '^':
		case '$':
			level->last_weight = -1;
			break;
		case '*':
		case '+':
		case '?':
			if (level_repeat(level, 1, why, why_len)) {
				return -1;
			}
			break;
		case '{':
			span = parse_interval(p, &upper);
			if (!span) {
				level_add_atom(level);
				break;
			}
			if (upper < 0 || upper > FILTER_MAX_REPEAT) {
				snprintf(why, why_len, "it repeats something more than %d times",
					FILTER_MAX_REPEAT);
				return -1;
			}
			if (level_repeat(level, upper, why, why_len)) {
				return -1;
			}
			p += span;
			continue;
		default:
			level_add_atom(level);
			break;
		}
		if (levels[depth].weight > FILTER_MAX_WEIGHT) {
			break;
		}
		p++;
	}

	/* Unclosed groups still count; regcomp will refuse them anyway. */
	for (; depth > 0; depth--) {
		levels[depth - 1].weight += levels[depth].weight;
	}
	if (levels[0].weight > FILTER_MAX_WEIGHT) {
		snprintf(why, why_len, "spelt out it is larger than %d elements",
			FILTER_MAX_WEIGHT);
		return -1;
	}
	return 0;
}

int filter_compile(regex_t *re, const char *pattern, char *why, size_t why_len)
{
	int res;

	if (filter_check_safe(pattern, why, why_len)) {
		return -1;
	}
	res = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (res) {
		char detail[128];

		regerror(res, re, detail, sizeof(detail));
		snprintf(why, why_len, "it does not compile: %s", detail);
		return -1;
	}
	return 0;
}

int filter_matches(const regex_t *re, const char *name)
{
	return regexec(re, name, 0, NULL, 0) == 0;
}
