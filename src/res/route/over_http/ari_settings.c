/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief ari.conf as the ARI of 20.0-20.13 and 22.0-22.3 reads it: is ARI
 *        enabled, who may use it.
 *
 * res_ari exports neither its configuration nor its authentication, so the
 * claim route reads ari.conf itself, by the rules of ARI on these releases
 * (which read it with the configuration framework, config_options.c):
 *
 *  - [general] is the general section; without one ARI is disabled.
 *    enabled (default yes), auth_realm (default "Asterisk REST Interface")
 *    and allowed_origins are what a request needs.
 *  - A section with type=user is a user: password, password_format (plain
 *    or crypt) and read_only. ACLs for users came only with 20.19 and 22.9
 *    (where the claim is ARI's own, see ../in_ari).
 *  - A file ARI refuses as a whole changes nothing: the settings in effect
 *    stay. ARI refuses a file with a user option it does not know (permit,
 *    deny and acl among them), a password_format it does not know, a user
 *    name defined twice, or a file that does not parse.
 *
 * ARI reads ari.conf when res_ari loads and when it reloads, not when the file
 * changes. So do we: module_watch.c tells us when res_ari was loaded or
 * reloaded (alone, or with everything), and we read the file again.
 *
 * The settings are one immutable ao2 object behind a global holder: a request
 * takes a reference to the current one and keeps a consistent view for its
 * whole life, while a reload publishes a new one beside it.
 */

#include "asterisk.h"

#include "asterisk/astobj2.h"
#include "asterisk/config.h"
#include "asterisk/http.h"
#include "asterisk/json.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "over_http.h"

#define ARI_CONF "ari.conf"
#define DEFAULT_REALM "Asterisk REST Interface"

static AO2_GLOBAL_OBJ_STATIC(current_settings);

/*! Run after every change of the settings (relinks the routes); NULL when
 *  not following. */
static void (*settings_changed)(void);

AO2_STRING_FIELD_HASH_FN(ari_user, name)
AO2_STRING_FIELD_CMP_FN(ari_user, name)

static void user_destructor(void *obj)
{
	struct ari_user *user = obj;

	ast_free(user->password);
}

static void settings_destructor(void *obj)
{
	struct ari_settings *settings = obj;

	ast_free(settings->auth_realm);
	ast_free(settings->allowed_origins);
	ao2_cleanup(settings->users);
}

/*!
 * \brief Build the user of section \a category.
 * \return the user (caller owns it), NULL if ARI would refuse the file for it
 *         (logged)
 */
static struct ari_user *user_parse(struct ast_category *category)
{
	const char *name = ast_category_get_name(category);
	RAII_VAR(struct ari_user *, user, NULL, ao2_cleanup);
	struct ast_variable *var;

	user = ao2_alloc_options(sizeof(*user) + strlen(name) + 1, user_destructor,
		AO2_ALLOC_OPT_LOCK_NOLOCK);
	if (!user) {
		return NULL;
	}
	strcpy(user->name, name); /* Safe: sized above */

	for (var = ast_category_first(category); var; var = var->next) {
		int error = 0;

		if (!strcasecmp(var->name, "type")) {
			continue;
		} else if (!strcasecmp(var->name, "password")) {
			ast_free(user->password);
			user->password = ast_strdup(var->value);
			error = !user->password;
		} else if (!strcasecmp(var->name, "password_format")) {
			if (!strcasecmp(var->value, "plain")) {
				user->crypt = 0;
			} else if (!strcasecmp(var->value, "crypt")) {
				user->crypt = 1;
			} else {
				ast_log(LOG_ERROR, "ari.conf: user '%s' has an unknown password_format "
					"'%s'; like ARI, the claim route keeps the configuration it had\n",
					name, var->value);
				return NULL;
			}
		} else if (!strcasecmp(var->name, "read_only")) {
			user->read_only = ast_true(var->value);
		} else {
			ast_log(LOG_ERROR, "ari.conf: user '%s' has an option this ARI does not know, "
				"'%s'; like ARI, the claim route keeps the configuration it had\n",
				name, var->name);
			return NULL;
		}
		if (error) {
			return NULL;
		}
	}
	if (!user->password && !(user->password = ast_strdup(""))) {
		return NULL;
	}
	return ao2_bump(user);
}

/*! \brief Read the [general] section into \a settings. */
static int general_parse(struct ari_settings *settings, struct ast_category *category)
{
	struct ast_variable *var;

	settings->enabled = 1;
	for (var = ast_category_first(category); var; var = var->next) {
		if (!strcasecmp(var->name, "enabled")) {
			settings->enabled = ast_true(var->value);
		} else if (!strcasecmp(var->name, "auth_realm")) {
			ast_free(settings->auth_realm);
			if (!(settings->auth_realm = ast_strdup(var->value))) {
				return -1;
			}
		} else if (!strcasecmp(var->name, "allowed_origins")) {
			ast_free(settings->allowed_origins);
			if (!(settings->allowed_origins = ast_strdup(var->value))) {
				return -1;
			}
		}
	}
	return 0;
}

struct ari_settings *ari_settings_parse(struct ast_config *cfg)
{
	RAII_VAR(struct ari_settings *, settings, NULL, ao2_cleanup);
	struct ast_category *category = NULL;

	settings = ao2_alloc_options(sizeof(*settings), settings_destructor,
		AO2_ALLOC_OPT_LOCK_NOLOCK);
	if (!settings) {
		return NULL;
	}
	settings->auth_realm = ast_strdup(DEFAULT_REALM);
	settings->allowed_origins = ast_strdup("");
	settings->users = ao2_container_alloc_hash(AO2_ALLOC_OPT_LOCK_NOLOCK, 0, 17,
		ari_user_hash_fn, NULL, ari_user_cmp_fn);
	if (!settings->auth_realm || !settings->allowed_origins || !settings->users) {
		return NULL;
	}

	/* No file: no [general], and ARI without one is disabled. */
	while (cfg && (category = ast_category_browse_filtered(cfg, NULL, category, NULL))) {
		const char *name = ast_category_get_name(category);
		const char *type = ast_variable_find(category, "type");
		RAII_VAR(struct ari_user *, user, NULL, ao2_cleanup);
		RAII_VAR(struct ari_user *, twin, NULL, ao2_cleanup);

		if (!strcmp(name, "general")) {
			if (general_parse(settings, category)) {
				return NULL;
			}
			continue;
		}
		if (!type || strcmp(type, "user")) {
			continue;
		}
		user = user_parse(category);
		if (!user) {
			return NULL;
		}
		twin = ao2_find(settings->users, name, OBJ_SEARCH_KEY);
		if (twin) {
			ast_log(LOG_ERROR, "ari.conf: user '%s' is defined twice; like ARI, the claim "
				"route keeps the configuration it had\n", name);
			return NULL;
		}
		if (!ao2_link(settings->users, user)) {
			return NULL;
		}
	}
	return ao2_bump(settings);
}

struct ari_settings *ari_settings_get(void)
{
	return ao2_global_obj_ref(current_settings);
}

int ari_settings_reload(void)
{
	struct ast_flags flags = { 0 };
	struct ast_config *cfg = ast_config_load2(ARI_CONF, "res_stasis_broadcast", flags);
	struct ari_settings *settings;

	if (cfg == CONFIG_STATUS_FILEINVALID) {
		ast_log(LOG_ERROR, "ari.conf does not parse; the claim route keeps its settings\n");
		return -1;
	}
	settings = ari_settings_parse(cfg);
	if (cfg) {
		ast_config_destroy(cfg);
	}
	if (!settings) {
		return -1;
	}
	ast_debug(1, "ARI settings for the claim route: ARI %s, %d users\n",
		settings->enabled ? "enabled" : "disabled", ao2_container_count(settings->users));
	ao2_global_obj_replace_unref(current_settings, settings);
	ao2_ref(settings, -1);
	return 0;
}

static void follow_res_ari(enum module_change change)
{
	if ((change == MODULE_LOADED || change == MODULE_RELOADED)
		&& settings_changed && !ari_settings_reload()) {
		settings_changed();
	}
}

const struct module_follower ari_settings_follower = {
	.module = "res_ari.so",
	.follow = follow_res_ari,
};

int ari_settings_load(void (*changed)(void))
{
	RAII_VAR(struct ari_settings *, empty, ari_settings_parse(NULL), ao2_cleanup);

	/* Something valid is always in effect, even if the file is refused. */
	if (!empty) {
		return -1;
	}
	ao2_global_obj_replace_unref(current_settings, empty);
	ari_settings_reload();

	settings_changed = changed;
	return 0;
}

void ari_settings_unload(void)
{
	settings_changed = NULL;
	ao2_global_obj_release(current_settings);
}

/*!
 * \brief ARI's password check: an empty name or password never passes.
 * \return the user (caller owns the reference) or NULL
 */
static struct ari_user *user_check(struct ari_settings *settings, const char *name,
	const char *password)
{
	RAII_VAR(struct ari_user *, user, NULL, ao2_cleanup);
	int valid;

	if (ast_strlen_zero(name) || ast_strlen_zero(password)) {
		return NULL;
	}
	user = ao2_find(settings->users, name, OBJ_SEARCH_KEY);
	if (!user) {
		return NULL;
	}
	valid = user->crypt ? ast_crypt_validate(password, user->password)
		: !strcmp(password, user->password);
	return valid ? ao2_bump(user) : NULL;
}

struct ari_user *ari_settings_authenticate(struct ari_settings *settings,
	struct ast_variable *params, struct ast_variable *headers)
{
	RAII_VAR(struct ast_http_auth *, basic, ast_http_get_auth(headers), ao2_cleanup);
	struct ast_variable *var;

	if (basic) {
		return user_check(settings, basic->userid, basic->password);
	}
	/* Only the first api_key counts, as in ARI. */
	for (var = params; var; var = var->next) {
		if (!strcasecmp(var->name, "api_key")) {
			RAII_VAR(char *, copy, ast_strdup(var->value), ast_free);
			char *password = copy;
			char *name = strsep(&password, ":");

			if (!copy) {
				return NULL;
			}
			if (!password) {
				ast_log(LOG_WARNING, "Invalid api_key\n");
				return NULL;
			}
			return user_check(settings, name, password);
		}
	}
	return NULL;
}
