/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Fuzz target "ari_auth": who a claim request authenticates as.
 *
 * ari_settings_authenticate() gets fuzzed headers and parameters against a
 * fixed ari.conf (USERS below: plain and crypt passwords, a password with a
 * colon, a user without a password, two names differing only in case). The
 * input's lines are headers ("Name: value") up to an empty line, then
 * parameters ("name=value", already decoded, as the HTTP server hands them).
 *
 * The promises (SPEC section 8: the same authentication as ARI):
 *
 *  - a request authenticates as a user only if it carries that user's
 *    password: an Authorization: Basic header that decodes to exactly
 *    "name:password", or an api_key of exactly "name:password";
 *  - without any Authorization header, a first api_key that is exactly
 *    "name:password" of a user with a password authenticates as that user.
 */

#include "asterisk.h"

#include "asterisk/config.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "over_http/over_http.h"
#include "fuzz.h"

#define WHAT "ari_settings_authenticate"

static const struct {
	const char *name;
	const char *password;   /*!< what the client sends */
	int crypt;              /*!< stored as crypt(3) of the password */
} users[] = {
	{ "alice", "secret", 0 },
	{ "Alice", "other", 0 },
	{ "bob", "hunter2", 1 },
	{ "carol", "pass:word", 0 },
	{ "dave", "", 0 },
};

static struct ari_settings *settings;

/*! \brief ari.conf with USERS, built through Asterisk's configuration API. */
static struct ast_config *users_config(void)
{
	struct ast_config *cfg = ast_config_new();
	struct ast_category *general = ast_category_new("general", "ari.conf", 1);
	size_t i;

	if (!cfg || !general) {
		return NULL;
	}
	ast_category_append(cfg, general);
	ast_variable_append(general, ast_variable_new("enabled", "yes", "ari.conf"));
	for (i = 0; i < ARRAY_LEN(users); i++) {
		struct ast_category *user = ast_category_new(users[i].name, "ari.conf", 1);
		char *hash = users[i].crypt ? ast_crypt_encrypt(users[i].password) : NULL;

		if (!user || (users[i].crypt && !hash)) {
			return NULL;
		}
		ast_category_append(cfg, user);
		ast_variable_append(user, ast_variable_new("type", "user", "ari.conf"));
		ast_variable_append(user, ast_variable_new("password_format",
			users[i].crypt ? "crypt" : "plain", "ari.conf"));
		if (*users[i].password) {
			ast_variable_append(user, ast_variable_new("password",
				hash ? hash : users[i].password, "ari.conf"));
		}
		ast_free(hash);
	}
	return cfg;
}

static int setup(void)
{
	struct ast_config *cfg = users_config();

	settings = cfg ? ari_settings_parse(cfg) : NULL;
	if (cfg) {
		ast_config_destroy(cfg);
	}
	if (!settings || ao2_container_count(settings->users) != ARRAY_LEN(users)) {
		fprintf(stderr, "fuzz: the fixed ari.conf did not give %zu users\n", ARRAY_LEN(users));
		return -1;
	}
	return 0;
}

/*! \brief Whether \a credential is "name:password" of user \a i. */
static int is_credential(const char *credential, size_t i)
{
	size_t length = strlen(users[i].name);

	return !strncmp(credential, users[i].name, length) && credential[length] == ':'
		&& !strcmp(credential + length + 1, users[i].password);
}

/*! \brief Whether the request carries user \a i's password anywhere. */
static int carries_password(struct ast_variable *params, struct ast_variable *headers, size_t i)
{
	struct ast_variable *var;

	for (var = headers; var; var = var->next) {
		char decoded[256] = "";

		if (!strcasecmp(var->name, "Authorization") && ast_begins_with(var->value, "Basic ")) {
			ast_base64decode((unsigned char *) decoded, var->value + 6, sizeof(decoded) - 1);
			if (is_credential(decoded, i)) {
				return 1;
			}
		}
	}
	for (var = params; var; var = var->next) {
		if (!strcasecmp(var->name, "api_key") && is_credential(var->value, i)) {
			return 1;
		}
	}
	return 0;
}

/*! \brief The user a request with no Authorization header must get, or -1. */
static int expected_by_api_key(struct ast_variable *params, struct ast_variable *headers)
{
	struct ast_variable *var;
	size_t i;

	for (var = headers; var; var = var->next) {
		if (!strcasecmp(var->name, "Authorization")) {
			return -1;
		}
	}
	for (var = params; var; var = var->next) {
		if (!strcasecmp(var->name, "api_key")) {
			break;
		}
	}
	for (i = 0; var && i < ARRAY_LEN(users); i++) {
		if (*users[i].password && is_credential(var->value, i)) {
			return i;
		}
	}
	return -1;
}

static int user_index(const struct ari_user *user)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(users); i++) {
		if (!strcmp(user->name, users[i].name)) {
			return i;
		}
	}
	fuzz_fail(WHAT, "authenticated as '%s', who is not in ari.conf", user->name);
}

static int one_input(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *cursor = text;
	struct ast_variable *headers, *params;
	struct ari_user *user;
	int expected;

	if (!text) {
		return -1;
	}
	headers = fuzz_variables(&cursor, ':', 1);
	params = fuzz_variables(&cursor, '=', 0);

	user = ari_settings_authenticate(settings, params, headers);
	expected = expected_by_api_key(params, headers);
	if (user && !carries_password(params, headers, user_index(user))) {
		fuzz_fail(WHAT, "authenticated as '%s' without that user's password", user->name);
	}
	if (expected >= 0 && (!user || user_index(user) != expected)) {
		fuzz_fail(WHAT, "api_key of '%s' authenticated as '%s'", users[expected].name,
			user ? user->name : "nobody");
	}

	ao2_cleanup(user);
	ast_variables_destroy(headers);
	ast_variables_destroy(params);
	ast_free(text);
	return 0;
}

const struct fuzz_target fuzz_ari_auth = {
	.name = "ari_auth",
	.setup = setup,
	.one_input = one_input,
};
