/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Following modules we work beside but cannot require (see module_watch.h).
 *
 * How we learn of a change: after boot the loader announces every load,
 * unload and reload on the manager topic ("Load", "Unload", "Reload", with the
 * module and how it went), and the core announces "FullyBooted" once; modules
 * loaded during boot announce nothing, hence a look at FullyBooted. What a
 * follower is told comes from the message itself: nothing here asks the
 * loader, so no follower ever waits for the loader's lock.
 *
 * Who runs the followers: the first look runs on the loading thread; every
 * later one is a task on our taskprocessor ("stasis_broadcast_modules" in
 * "core show taskprocessors"), so they never overlap and never run on a stasis
 * thread that other subscribers share. Our unload stops the subscription,
 * then waits for the tasks already queued: as none waits for the loader,
 * which the unload holds, the wait always ends, and no task can run after
 * the module is gone.
 */

#include "asterisk.h"

#include "asterisk/json.h"
#include "asterisk/lock.h"
#include "asterisk/manager.h"
#include "asterisk/stasis.h"
#include "asterisk/strings.h"
#include "asterisk/taskprocessor.h"
#include "asterisk/utils.h"

#include "module_watch.h"

static struct {
	/*! Guards pending and stopping */
	ast_mutex_t lock;
	/*! Signalled when pending reaches zero */
	ast_cond_t idle;
	/*! Tasks queued or running */
	int pending;
	/*! Set once module_watch_stop() began: nothing more is queued */
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

/*! \brief Taskprocessor task: tell the followers a change concerns. */
static int change_run(void *data)
{
	struct change_task *task = data;
	int i;

	for (i = 0; i < watch.count; i++) {
		if (ast_strlen_zero(task->module) || same_module(task->module, watch.followers[i]->module)) {
			watch.followers[i]->follow(task->change);
		}
	}
	ast_free(task);

	ast_mutex_lock(&watch.lock);
	if (!--watch.pending) {
		ast_cond_broadcast(&watch.idle);
	}
	ast_mutex_unlock(&watch.lock);
	return 0;
}

/*! \brief Queue a change for the followers of \a module ("" for all). */
static void change_queue(enum module_change change, const char *module)
{
	struct change_task *task = ast_malloc(sizeof(*task) + strlen(module) + 1);
	SCOPED_MUTEX(lock, &watch.lock);

	if (!task) {
		return;
	}
	task->change = change;
	strcpy(task->module, module); /* Safe: sized above */
	if (watch.stopping || ast_taskprocessor_push(watch.tasks, change_run, task)) {
		ast_free(task);
		return;
	}
	watch.pending++;
}

/*! \brief What a Load, Unload or Reload message with \a status means. */
static enum module_change change_of(const char *type, const char *status)
{
	if (!strcmp(type, "Load")) {
		return !strcmp(status, "Success") ? MODULE_LOADED : MODULE_UNLOADED;
	}
	return !strcmp(type, "Unload") ? MODULE_UNLOADED : MODULE_RELOADED;
}

/*! \brief The manager topic: Load, Unload, Reload and FullyBooted. */
static void on_manager_message(void *data, struct stasis_subscription *sub,
	struct stasis_message *message)
{
	struct ast_json_payload *payload;
	struct ast_json *event;
	const char *type, *module, *status;
	int i;

	if (stasis_message_type(message) != ast_manager_get_generic_type()) {
		return;
	}
	payload = stasis_message_data(message);
	event = ast_json_object_get(payload->json, "event");
	type = S_OR(ast_json_string_get(ast_json_object_get(payload->json, "type")), "");
	module = S_OR(ast_json_string_get(ast_json_object_get(event, "Module")), "");
	status = S_OR(ast_json_string_get(ast_json_object_get(event, "Status")), "");

	if (!strcmp(type, "FullyBooted")) {
		change_queue(MODULE_CHECK, "");
		return;
	}
	if (strcmp(type, "Load") && strcmp(type, "Unload") && strcmp(type, "Reload")) {
		return;
	}
	if (!strcasecmp(module, "All")) {
		change_queue(MODULE_RELOADED, "");
		return;
	}
	for (i = 0; i < watch.count; i++) {
		if (same_module(module, watch.followers[i]->module)) {
			change_queue(change_of(type, status), module);
			return;
		}
	}
}

int module_watch_start(const struct module_follower *const *followers, int count)
{
	int i;

	watch.followers = followers;
	watch.count = count;
	watch.pending = 0;
	watch.stopping = 0;
	ast_cond_init(&watch.idle, NULL);
	watch.tasks = ast_taskprocessor_get("stasis_broadcast_modules", TPS_REF_DEFAULT);
	if (!watch.tasks) {
		return -1;
	}
	/* Subscribed first, so no change falls between the look and the
	 * subscription; a change seen twice is only looked at twice. */
	watch.subscription = stasis_subscribe(ast_manager_get_topic(), on_manager_message, NULL);
	if (!watch.subscription) {
		watch.tasks = ast_taskprocessor_unreference(watch.tasks);
		return -1;
	}
	stasis_subscription_accept_message_type(watch.subscription, ast_manager_get_generic_type());
	stasis_subscription_set_filter(watch.subscription, STASIS_SUBSCRIPTION_FILTER_SELECTIVE);

	for (i = 0; i < count; i++) {
		followers[i]->follow(MODULE_CHECK);
	}
	return 0;
}

void module_watch_stop(void)
{
	ast_mutex_lock(&watch.lock);
	watch.stopping = 1;
	ast_mutex_unlock(&watch.lock);

	/* The callback queues nothing more; it may still be running. */
	watch.subscription = stasis_unsubscribe_and_join(watch.subscription);

	ast_mutex_lock(&watch.lock);
	while (watch.pending) {
		ast_cond_wait(&watch.idle, &watch.lock);
	}
	ast_mutex_unlock(&watch.lock);
	watch.tasks = ast_taskprocessor_unreference(watch.tasks);
	ast_cond_destroy(&watch.idle);
}
