/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Fuzz target "ari_conf": ari.conf as the claim route reads it.
 *
 * The input is the text of an ari.conf. Asterisk's configuration parser reads
 * it from a file (as on a real reload), then ari_settings_parse() makes the
 * claim route's settings of it. Two kinds of input are skipped, as
 * Asterisk's business, not our parser's:
 *
 *  - those with a '#': "#include" and "#exec" reach other files and commands;
 *  - a section header that appends to a section ("+") and also names a
 *    template: Asterisk's own parser loops, copying the section's variables
 *    into itself until memory runs out, when the template is the section
 *    itself ("[u](+,u)", or "(+,)" with u the first section: the empty name
 *    finds the first). That is a bug of Asterisk's configuration parser
 *    (seen on Debian's 22.10.1): res_ari hangs on such an ari.conf with or
 *    without our modules (stock modules, "module reload res_ari.so": 4.4 GB
 *    in 5 s).
 *    Every header of that kind is skipped, not only those that loop.
 *
 * The promises (over_http/ari_settings.c, over_http.h):
 *
 *  - a file is refused as a whole only if it defines a user name twice, or
 *    a user has an option other than type, password, password_format
 *    (plain or crypt) and read_only (as ARI refuses it on these releases);
 *  - ARI counts as enabled only with a [general] section;
 *  - the realm and the allowed origins are always set;
 *  - every user loaded is a "type = user" section of the file, has a
 *    password (maybe empty), and -- with a plain password -- authenticates
 *    through both api_key and HTTP Basic with exactly that name and password.
 */

#include "asterisk.h"

#include <ctype.h>
#include <fcntl.h>

#include "asterisk/config.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "over_http/over_http.h"
#include "fuzz.h"

#define WHAT "ari_settings_parse"

/*! Where each input is written for Asterisk's parser to read. */
static char path[64];

static int setup(void)
{
	snprintf(path, sizeof(path), "/tmp/sb-fuzz-ari-%d.conf", (int) getpid());
	return 0;
}

/*! \brief Asterisk's parse of \a text as a file; NULL if it refuses it. */
static struct ast_config *config_from_text(const char *text)
{
	struct ast_flags flags = { 0 };
	struct ast_config *cfg;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t length = strlen(text);

	if (fd < 0 || write(fd, text, length) != (ssize_t) length) {
		fuzz_fail(WHAT, "cannot write %s: %s", path, strerror(errno));
	}
	close(fd);
	cfg = ast_config_load2(path, "fuzz_stasis_broadcast", flags);
	return cfg == CONFIG_STATUS_FILEINVALID ? NULL : cfg;
}

/*!
 * \brief How many "type = user" sections are called \a name (compared as
 *        the parser compares them; a filtered browse would take "" for any).
 */
static int user_sections(struct ast_config *cfg, const char *name)
{
	struct ast_category *category = NULL;
	int count = 0;

	while ((category = ast_category_browse_filtered(cfg, NULL, category, NULL))) {
		const char *type = ast_variable_find(category, "type");

		count += type && !strcmp(type, "user") && !strcmp(ast_category_get_name(category), name);
	}
	return count;
}

/*! \brief Whether a user section has an option ARI refuses the file for. */
static int has_unknown_option(struct ast_category *category)
{
	struct ast_variable *var;

	for (var = ast_category_first(category); var; var = var->next) {
		if (!strcasecmp(var->name, "password_format")) {
			if (strcasecmp(var->value, "plain") && strcasecmp(var->value, "crypt")) {
				return 1;
			}
		} else if (strcasecmp(var->name, "type") && strcasecmp(var->name, "password")
			&& strcasecmp(var->name, "read_only")) {
			return 1;
		}
	}
	return 0;
}

/*! \brief Whether ARI refuses the file: a user twice, or an unknown option. */
static int refusable(struct ast_config *cfg)
{
	struct ast_category *category = NULL;

	while ((category = ast_category_browse_filtered(cfg, NULL, category, NULL))) {
		const char *type = ast_variable_find(category, "type");

		if (strcmp(ast_category_get_name(category), "general") && type && !strcmp(type, "user")
			&& (user_sections(cfg, ast_category_get_name(category)) > 1
				|| has_unknown_option(category))) {
			return 1;
		}
	}
	return 0;
}

/*! \brief Authenticate with \a name and \a password, by api_key or Basic. */
static struct ari_user *authenticate(struct ari_settings *settings, const char *name,
	const char *password, int basic)
{
	char credential[256], encoded[400], header[420];
	struct ast_variable *var;
	struct ari_user *user;

	snprintf(credential, sizeof(credential), "%s:%s", name, password);
	if (basic) {
		ast_base64encode(encoded, (unsigned char *) credential, strlen(credential),
			sizeof(encoded));
		snprintf(header, sizeof(header), "Basic %s", encoded);
		var = ast_variable_new("Authorization", header, "");
		user = ari_settings_authenticate(settings, NULL, var);
	} else {
		var = ast_variable_new("api_key", credential, "");
		user = ari_settings_authenticate(settings, var, NULL);
	}
	ast_variables_destroy(var);
	return user;
}

static void check_user(struct ari_settings *settings, struct ast_config *cfg,
	struct ari_user *user)
{
	int basic;

	if (!user_sections(cfg, user->name)) {
		fuzz_fail(WHAT, "loaded user '%s', not a type=user section", user->name);
	}
	if (!user->password) {
		fuzz_fail(WHAT, "user '%s' has no password string", user->name);
	}
	/* Only what a client can express: no ':' in the name, Basic's 255 bytes. */
	if (user->crypt || !*user->name || !*user->password || strchr(user->name, ':')
		|| strlen(user->name) + strlen(user->password) + 1 > 190) {
		return;
	}
	for (basic = 0; basic < 2; basic++) {
		struct ari_user *found = authenticate(settings, user->name, user->password, basic);

		if (found != user) {
			fuzz_fail(WHAT, "user '%s' with its own password via %s gave '%s'", user->name,
				basic ? "Basic" : "api_key", found ? found->name : "nobody");
		}
		ao2_ref(found, -1);
	}
}

static void check_settings(struct ari_settings *settings, struct ast_config *cfg)
{
	struct ao2_iterator users;
	struct ari_user *user;

	if (settings->enabled && !ast_category_get(cfg, "general", NULL)) {
		fuzz_fail(WHAT, "ARI enabled without a [general] section");
	}
	if (!settings->auth_realm || !settings->allowed_origins) {
		fuzz_fail(WHAT, "realm or allowed origins missing");
	}
	users = ao2_iterator_init(settings->users, 0);
	while ((user = ao2_iterator_next(&users))) {
		check_user(settings, cfg, user);
		ao2_ref(user, -1);
	}
	ao2_iterator_destroy(&users);
}

/*!
 * \brief Whether a section header of \a text appends ("+") and names a
 *        template: anything in the parentheses but "+" and "!" (see above).
 *        Looser than Asterisk's own reading, so it never misses one.
 */
static int appends_and_inherits(const char *text)
{
	const char *bracket;

	for (bracket = strchr(text, ']'); bracket; bracket = strchr(bracket + 1, ']')) {
		const char *option = ast_skip_blanks(bracket + 1);
		int appends = 0, inherits = 0;

		if (*option != '(') {
			continue;
		}
		do {
			size_t span, length;

			option = ast_skip_blanks(option + 1);
			span = strcspn(option, ",)\n");
			length = span;
			while (length && isspace((unsigned char) option[length - 1])) {
				length--;
			}
			if (length == 1 && *option == '+') {
				appends = 1;
			} else if (length != 1 || *option != '!') {
				inherits = 1;
			}
			option += span;
		} while (*option == ',');
		if (appends && inherits) {
			return 1;
		}
	}
	return 0;
}

static int one_input(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct ast_config *cfg;
	struct ari_settings *settings;

	if (!text || strchr(text, '#') || appends_and_inherits(text)) {
		ast_free(text);
		return -1;
	}
	cfg = config_from_text(text);
	ast_free(text);
	if (!cfg) {
		return 0;
	}
	settings = ari_settings_parse(cfg);
	if (!settings && !refusable(cfg)) {
		fuzz_fail(WHAT, "refused a file ARI would take");
	}
	if (settings && refusable(cfg)) {
		fuzz_fail(WHAT, "took a file ARI refuses");
	}
	if (settings) {
		check_settings(settings, cfg);
	}
	ao2_cleanup(settings);
	ast_config_destroy(cfg);
	return 0;
}

const struct fuzz_target fuzz_ari_conf = {
	.name = "ari_conf",
	.setup = setup,
	.one_input = one_input,
};
