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
 * Every node of the automaton counts: a character or bracket expression, an
 * anchor, an alternative (an empty one too: "(||||){32}" is not free; found
 * by fuzzing) and a group, which is two. Hence "unsafe" means any of:
 *
 *  - longer than FILTER_MAX_LENGTH bytes;
 *  - a back-reference (\1 .. \9);
 *  - an interval count above FILTER_MAX_REPEAT, or a backslash inside an
 *    interval's braces (glibc reads counts through escapes);
 *  - a repetition applied to something already repeated: "(a+)*", "(a{2}){3}",
 *    "a**" -- the shape behind every catastrophic pattern, and never needed to
 *    match an application name;
 *  - a spelt-out size ("weight") above FILTER_MAX_WEIGHT;
 *  - more than FILTER_MAX_OPTIONAL elements, spelt out, that may match
 *    nothing: "a?", "(b|)", "[0-9]{0,3}". glibc's matcher tries the name
 *    from each position in turn, and keeps a state for every element such a
 *    run lets it skip to, so a row of them costs the square of its size per
 *    character: "(.|x|){32}(.|x|){32}$" costs 1 ms a name, the 172-byte
 *    pattern the fuzz smoke found 27 ms (FILTER_MAX_WEIGHT alone allowed it);
 *  - more than FILTER_MAX_ANCHORS anchors ('^', '$') once spelt out, or any
 *    of GNU's backslash anchors (\b \B \< \> \` \'). glibc's compiler
 *    propagates an anchor's condition along every path that can skip to it,
 *    at a cost that grows with the cube of their number ("(|\b)" 51 times
 *    takes 0.1 s, "(|$$$|a){32}" about as long; found by fuzzing); word
 *    anchors are the dearest, and no application name needs them;
 *  - two alternatives of one group (or of the whole pattern) that can both
 *    match nothing: "(||b)", "(|$)", "(a?|)". glibc's compiler follows each
 *    way through such a group separately, so a row of them before a loop
 *    takes exponential time: "(b||||)" twelve times then "(b||||)*" never
 *    finishes compiling, and neither does "(|||...|b){8,}" (found by fuzzing:
 *    the campaign's hang). One such alternative, as in "(sales|)" or "(^|-)",
 *    costs nothing.
 *
 * Within those bounds nothing is pathological (FILTER_COST_LIMIT_US), and a
 * typical pattern costs little (FILTER_COST_PROMISE_US); but glibc's matcher
 * is not linear in the name, so some accepted patterns still cost a tenth of a
 * second against a long name built to provoke them (filter.h says more).
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
	int anchors;         /*!< anchors in this level so far, spelt out */
	int optional;        /*!< weight of what may match nothing, spelt out */
	int last_optional;   /*!< ... of it in the last item */
	int last_anchors;    /*!< anchors in the last item (a group) */
	int branch_nullable; /*!< the current alternative so far can match nothing */
	int nullable_before_last; /*!< ... and could before its last item */
	int nullable_branches; /*!< finished alternatives that can match nothing */
};

/*! \brief Start a level: one empty alternative so far. */
static void level_init(struct filter_level *level)
{
	memset(level, 0, sizeof(*level));
	level->last_weight = -1;
	level->branch_nullable = 1;
	level->nullable_before_last = 1;
}

/*! \brief Note an item of the current alternative; \a nullable if it can match nothing. */
static void level_item(struct filter_level *level, int nullable)
{
	level->nullable_before_last = level->branch_nullable;
	level->branch_nullable &= nullable;
}

/*!
 * \brief End the current alternative of \a level.
 * \retval -1 it is the second that can match nothing, with \a why filled in
 */
static int level_end_branch(struct filter_level *level, char *why, size_t why_len)
{
	level->nullable_branches += level->branch_nullable;
	level->branch_nullable = 1;
	level->nullable_before_last = 1;
	if (level->nullable_branches > 1) {
		snprintf(why, why_len, "two alternatives of a group can both match nothing");
		return -1;
	}
	return 0;
}

/*! \brief Note one plain item (a character, '.', a bracket expression). */
static void level_add_atom(struct filter_level *level)
{
	level->weight += 1;
	level->last_weight = 1;
	level->last_optional = 0;
	level->last_repeats = 0;
	level->last_quantified = 0;
	level->last_anchors = 0;
	level_item(level, 0);
}

/*!
 * \brief Apply a repetition of \a least to \a times copies to the last item.
 * \retval -1 the repetition is nested, with \a why filled in
 */
static int level_repeat(struct filter_level *level, int least, int times, char *why,
	size_t why_len)
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
		level->anchors += level->last_anchors * (times - 1);
		level->last_anchors *= times;
		level->optional += level->last_optional * (times - 1);
		level->last_optional *= times;
	}
	if (!least) {
		/* The last item may now match nothing, all of it. */
		level->branch_nullable = level->nullable_before_last;
		level->optional += level->last_weight - level->last_optional;
		level->last_optional = level->last_weight;
	}
	level->last_quantified = 1;
	level->has_repeat = 1;
	return 0;
}

/*! A group's own nodes: where it opens and where it closes. */
#define GROUP_WEIGHT 2

/*! \brief Add the group \a child, just closed, to \a parent as its last item. */
static void level_add_group(struct filter_level *parent, const struct filter_level *child)
{
	int nullable = child->nullable_branches > 0;

	level_item(parent, nullable);
	parent->weight += child->weight + GROUP_WEIGHT;
	parent->last_weight = child->weight + GROUP_WEIGHT;
	/* A group that may match nothing is optional as a whole. */
	parent->last_optional = nullable ? parent->last_weight : child->optional;
	parent->optional += parent->last_optional;
	parent->last_repeats = child->has_repeat;
	parent->last_quantified = 0;
	parent->has_repeat |= child->has_repeat;
	parent->anchors += child->anchors;
	parent->last_anchors = child->anchors;
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
 * \brief Parse an interval "{m}", "{m,}", "{m,n}" or "{,n}" starting at \a p.
 * \return the characters it spans, 0 if \a p is not an interval; the smaller
 *         count goes to \a lower, the larger to \a upper (COUNT_TOO_BIG for
 *         an absurd one)
 */
static int parse_interval(const char *p, int *lower, int *upper)
{
	const char *q = p + 1;
	int low = read_count(&q);
	int high;

	if (low == COUNT_NONE) {
		if (*q != ',') {
			return 0;
		}
		/* glibc reads "{,n}" as "{0,n}" (found by fuzzing: "a{,11000}"). */
		low = 0;
	}
	high = low;
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
	*lower = low;
	return q - p + 1;
}

/*!
 * \brief Whether the braces starting at \a p hold a backslash.
 *
 * glibc reads an interval's counts through escapes: "{,9\006}" is {0,9006}
 * (found by fuzzing). No application name needs an escape there, so rather
 * than read counts exactly as glibc does, the pattern is refused.
 */
static int interval_has_escape(const char *p)
{
	return memchr(p, '\\', strcspn(p, "}")) != NULL;
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
	int depth = 0, balanced;
	const char *p;
	size_t length = strlen(pattern);

	if (length > FILTER_MAX_LENGTH) {
		snprintf(why, why_len, "it is %zu characters long (at most %d)",
			length, FILTER_MAX_LENGTH);
		return -1;
	}

	level_init(&levels[0]);
	for (p = pattern; *p; ) {
		struct filter_level *level = &levels[depth];
		int lower, upper, span;

		switch (*p) {
		case '\\':
			if (p[1] >= '1' && p[1] <= '9') {
				snprintf(why, why_len, "it has a back-reference (\\%c)", p[1]);
				return -1;
			}
			if (p[1] && strchr("bB<>`'", p[1])) {
				snprintf(why, why_len, "it has a GNU anchor (\\%c)", p[1]);
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
			level_init(&levels[++depth]);
			break;
		case ')':
			if (depth == 0) {
				level_add_atom(level);
				break;
			}
			if (level_end_branch(level, why, why_len)) {
				return -1;
			}
			level_add_group(&levels[--depth], level);
			break;
		case '^':
		case '$':
			level->anchors += 1;
			level_item(level, 1);
			/* fall through */
		case '|':
			if (*p == '|' && level_end_branch(level, why, why_len)) {
				return -1;
			}
			/* A node, but nothing a repetition could apply to. */
			level->weight += 1;
			level->last_weight = -1;
			break;
		case '*':
		case '+':
		case '?':
			if (level_repeat(level, *p == '+', 1, why, why_len)) {
				return -1;
			}
			break;
		case '{':
			if (interval_has_escape(p)) {
				snprintf(why, why_len, "it has a backslash inside an interval");
				return -1;
			}
			span = parse_interval(p, &lower, &upper);
			if (!span) {
				level_add_atom(level);
				break;
			}
			if (upper < 0 || upper > FILTER_MAX_REPEAT) {
				snprintf(why, why_len, "it repeats something more than %d times",
					FILTER_MAX_REPEAT);
				return -1;
			}
			if (level_repeat(level, lower, upper, why, why_len)) {
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
	balanced = !depth;
	for (; depth > 0; depth--) {
		levels[depth - 1].weight += levels[depth].weight;
		levels[depth - 1].anchors += levels[depth].anchors;
		levels[depth - 1].optional += levels[depth].optional;
	}
	if (levels[0].weight > FILTER_MAX_WEIGHT) {
		snprintf(why, why_len, "spelt out it is larger than %d elements",
			FILTER_MAX_WEIGHT);
		return -1;
	}
	if (levels[0].anchors > FILTER_MAX_ANCHORS) {
		snprintf(why, why_len, "spelt out it has more than %d anchors (^, $)",
			FILTER_MAX_ANCHORS);
		return -1;
	}
	if (levels[0].optional > FILTER_MAX_OPTIONAL) {
		snprintf(why, why_len, "spelt out it has more than %d elements that may match nothing",
			FILTER_MAX_OPTIONAL);
		return -1;
	}
	/* The whole pattern's last alternative. */
	if (balanced && level_end_branch(&levels[0], why, why_len)) {
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
