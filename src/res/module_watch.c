/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Following the modules we use but do not require (see module_watch.h).
 *
 * Why not the loader's own optional dependencies: for the loader, a module
 * listed in .optional_modules that is present but not running (res_prometheus
 * declines without prometheus.conf) is a missing dependency, and we would not
 * load at all where the stock module does. And a dependency of any kind is
 * fixed at our load, while these modules come and go.
 *
 * How we learn of a change: after boot the loader announces every load,
 * unload and reload on the manager topic ("Load", "Unload", "Reload"), and the
 * core announces "FullyBooted" once; modules loaded during boot announce
 * nothing, hence the check at FullyBooted. What we then believe is the
 * loader's own view, asked through ast_update_module_list_condition(), which
 * walks the module list with the loader's lock held: while a follower runs
 * inside that walk, the module it follows cannot be unloaded (or dlclose()d)
 * under it, so a follower may call into a running module safely. A message
 * only says when to look.
 *
 * Who runs the followers: the initial check runs on the loading thread (the
 * loader is ours there); every later one is a task on our taskprocessor
 * ("stasis_broadcast_modules" in "core show taskprocessors"), so they never
 * overlap and never run on a stasis thread that other subscribers share.
 *
 * The one hard case is our own unload. It runs with the loader's lock held,
 * and a task may be waiting for that very lock: waiting for the task would
 * never end. So tasks are counted from the moment they are queued, and while
 * any is pending module_watch_stop() refuses and our unload is refused (for
 * the moment: the task runs as soon as the unload returns). Once it agrees,
 * nothing more is queued and no task is left to wait for.
 */

#include "asterisk.h"

#include "asterisk/json.h"
#include "asterisk/lock.h"
#include "asterisk/manager.h"
#include "asterisk/module.h"
#include "asterisk/stasis.h"
#include "asterisk/strings.h"
#include "asterisk/taskprocessor.h"
#include "asterisk/utils.h"

#include "host.h"
#include "module_watch.h"

static struct {
	/*! Guards pending and stopping */
	ast_mutex_t lock;
	/*! Tasks queued or running */
	int pending;
	/*! Set once module_watch_stop() agreed: nothing more is queued */
	int stopping;
	const struct module_follower *const *followers;
	int count;
	struct stasis_subscription *subscription;
	struct ast_taskprocessor *tasks;
} watch = {
	.lock = AST_MUTEX_INIT_VALUE,
};

/*! \brief A change for the tasks to act on. */
struct change_task {
	enum module_change change;
	/*! Refresh the module's followers at once (they asked at our load) */
	int refresh;
	/*! The module the message named; "" for every follower */
	char module[0];
};

/*! \brief Whether \a name (as a message or the loader gives it) is \a module. */
static int same_module(const char *name, const char *module)
{
	size_t len = strlen(module) - strlen(".so");

	/* Messages name a module with or without ".so". */
	return !strncasecmp(name, module, len) && (!name[len] || !strcasecmp(name + len, ".so"));
}

/*! \brief What a follower's walk of the loader needs. */
struct loader_walk {
	const struct module_follower *follower;
	enum module_change change;
	int found;
	int refresh;
};

/*! \brief ast_update_module_list_condition() callback: one module, loader held. */
static int walk_entry(const char *module, const char *description, int usecnt,
	const char *status, const char *like, enum ast_module_support_level support_level,
	void *data, const char *condition)
{
	struct loader_walk *walk = data;

	if (walk->found || !same_module(module, walk->follower->module)) {
		return 0;
	}
	walk->found = 1;
	walk->refresh = walk->follower->follow(!strcmp(status, "Running"), walk->change);
	return 1;
}

/*! \brief ast_update_module_list_condition() callback: is this module running? */
static int running_entry(const char *module, const char *description, int usecnt,
	const char *status, const char *like, enum ast_module_support_level support_level,
	void *data, const char *condition)
{
	return same_module(module, data) && !strcmp(status, "Running");
}

int module_watch_running(const char *module)
{
	return ast_update_module_list_condition(running_entry, "", (void *) module, NULL) > 0;
}

/*!
 * \brief Run one follower with the loader held still.
 * \return whether it asked for its module to be refreshed
 */
static int follow_one(const struct module_follower *follower, enum module_change change)
{
	struct loader_walk walk = { .follower = follower, .change = change };

	ast_update_module_list_condition(walk_entry, "", &walk, NULL);
	if (!walk.found) {
		/* Not in the loader's list at all: nothing of it to call. */
		walk.refresh = follower->follow(0, change);
	}
	return walk.refresh;
}

/*! \brief Unload and load a follower's module again, as it asked. */
static void refresh(const struct module_follower *follower)
{
	ast_verb(2, "StasisBroadcast: refreshing %s (see the lines before)\n", follower->module);
	if (host_refresh_module(follower->module)) {
		ast_log(LOG_ERROR, "StasisBroadcast could not refresh %s; "
			"'module refresh %s' may, once nothing holds it\n",
			follower->module, follower->module);
		return;
	}
	/* What it looks like now, for the follower (and its log line). */
	follow_one(follower, MODULE_CHECK);
}

/*! \brief Taskprocessor task: run the followers a change concerns. */
static int change_run(void *data)
{
	struct change_task *task = data;
	int i;

	for (i = 0; i < watch.count; i++) {
		const struct module_follower *follower = watch.followers[i];

		if (!ast_strlen_zero(task->module) && !same_module(task->module, follower->module)) {
			continue;
		}
		if (task->refresh || follow_one(follower, task->change)) {
			refresh(follower);
		}
	}
	ast_free(task);

	ast_mutex_lock(&watch.lock);
	watch.pending--;
	ast_mutex_unlock(&watch.lock);
	return 0;
}

/*!
 * \brief Queue a change for the followers of \a module ("" for all), or with
 *        \a refresh a refresh of \a module.
 */
static void change_queue(enum module_change change, const char *module, int refresh)
{
	struct change_task *task = ast_malloc(sizeof(*task) + strlen(module) + 1);

	if (!task) {
		return;
	}
	task->change = change;
	task->refresh = refresh;
	strcpy(task->module, module); /* Safe: sized above */

	ast_mutex_lock(&watch.lock);
	if (watch.stopping || ast_taskprocessor_push(watch.tasks, change_run, task)) {
		ast_mutex_unlock(&watch.lock);
		ast_free(task);
		return;
	}
	watch.pending++;
	ast_mutex_unlock(&watch.lock);
}

/*! \brief The manager topic: Load, Unload, Reload and FullyBooted. */
static void on_manager_message(void *data, struct stasis_subscription *sub,
	struct stasis_message *message)
{
	struct ast_json_payload *payload;
	const char *type, *module;
	int i;

	if (stasis_message_type(message) != ast_manager_get_generic_type()) {
		return;
	}
	payload = stasis_message_data(message);
	type = S_OR(ast_json_string_get(ast_json_object_get(payload->json, "type")), "");
	module = S_OR(ast_json_string_get(ast_json_object_get(
		ast_json_object_get(payload->json, "event"), "Module")), "");

	if (!strcmp(type, "FullyBooted")) {
		change_queue(MODULE_CHECK, "", 0);
		return;
	}
	if (!strcasecmp(module, "All") && !strcmp(type, "Reload")) {
		change_queue(MODULE_RELOADED, "", 0);
		return;
	}
	for (i = 0; i < watch.count; i++) {
		if (!same_module(module, watch.followers[i]->module)) {
			continue;
		}
		if (!strcmp(type, "Load")) {
			change_queue(MODULE_LOADED, module, 0);
		} else if (!strcmp(type, "Unload")) {
			change_queue(MODULE_UNLOADED, module, 0);
		} else if (!strcmp(type, "Reload")) {
			change_queue(MODULE_RELOADED, module, 0);
		}
		return;
	}
}

int module_watch_start(const struct module_follower *const *followers, int count)
{
	int i;

	watch.followers = followers;
	watch.count = count;
	watch.pending = 0;
	watch.stopping = 0;
	watch.tasks = ast_taskprocessor_get("stasis_broadcast_modules", TPS_REF_DEFAULT);
	if (!watch.tasks) {
		return -1;
	}
	/* Subscribed first, so no change falls between the check and the
	 * subscription; a change seen twice is only looked at twice. */
	watch.subscription = stasis_subscribe(ast_manager_get_topic(), on_manager_message, NULL);
	if (!watch.subscription) {
		watch.tasks = ast_taskprocessor_unreference(watch.tasks);
		return -1;
	}
	stasis_subscription_accept_message_type(watch.subscription, ast_manager_get_generic_type());
	stasis_subscription_set_filter(watch.subscription, STASIS_SUBSCRIPTION_FILTER_SELECTIVE);

	for (i = 0; i < count; i++) {
		if (follow_one(followers[i], MODULE_CHECK)) {
			/* Not here: the loader is busy loading us. */
			change_queue(MODULE_CHECK, followers[i]->module, 1);
		}
	}
	return 0;
}

int module_watch_stop(void)
{
	ast_mutex_lock(&watch.lock);
	if (watch.pending && !ast_shutting_down()) {
		ast_mutex_unlock(&watch.lock);
		return -1;
	}
	watch.stopping = 1;
	ast_mutex_unlock(&watch.lock);

	/* The callback queues nothing more; it may still be running. */
	watch.subscription = stasis_unsubscribe_and_join(watch.subscription);
	if (!watch.pending) {
		watch.tasks = ast_taskprocessor_unreference(watch.tasks);
	}
	/* At shutdown a pending task may wait for the loader, which shutdown
	 * holds: it is left to finish (modules are not unmapped at shutdown). */
	return 0;
}
