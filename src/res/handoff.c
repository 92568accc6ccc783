/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief A winner that dies as it wins never strands the call.
 *
 * ARI unregisters an application when its WebSocket closes (or its process
 * dies: the socket is shut and ARI's read fails), and res_stasis then keeps
 * it, inactive, with every channel in its Stasis: a call claimed by a process
 * that died sits there in silence. So we learn, at the moment ARI
 * unregisters an application, that its connection is gone: res_stasis asks
 * every event source whether the application is subscribed to it before it
 * deactivates the application (stasis_app_unregister() from 20.14.0, 22.4.0
 * and 23.0.0: host.h), and we are one, one that never holds a subscription.
 * Every broadcast then hears that this recipient is gone (claim.c decides what
 * it means: not a recipient any more; nobody left; a winner lost).
 *
 * A winner lost while its channel is in its Stasis, within the guard, is made
 * to let the channel go: a "continue" queued on the channel's Stasis control,
 * exactly what POST /channels/{id}/continue does, with no change of dialplan
 * place. stasis_app_exec() then returns on the dialplan thread, which offers
 * the call again (app_stasis_broadcast.c). The channel may be between the
 * winner's check and its control: the task waits for it to enter (or leave)
 * Stasis, on the broadcast's condition, a few milliseconds at most.
 *
 * The tasks run on our taskprocessor ("stasis_broadcast_handoff"), never on
 * ARI's WebSocket thread that unregisters the application. Each holds a
 * reference to its broadcast, and is counted so that our unload waits for it.
 */

#include "asterisk.h"

#include "asterisk/astobj2.h"
#include "asterisk/stasis_app.h"
#include "asterisk/taskprocessor.h"
#include "asterisk/utils.h"

#include "claim.h"
#include "handoff.h"
#include "host.h"
#include "inflight.h"
#include "registry.h"

#ifdef HOST_TELLS_UNREGISTER

/*! How long an eviction waits, each time, for the channel to enter Stasis. */
#define EVICT_WAIT_MS 10

static struct ast_taskprocessor *tasks;
/*! Evictions queued or running */
static struct inflight evictions = INFLIGHT_INIT_VALUE;

/*! \brief Task: make the lost winner of broadcast \a data let its channel go. */
static int evict(void *data)
{
	struct broadcast *b = data;

	do {
		struct stasis_app_control *control =
			stasis_app_control_find_by_channel_id(broadcast_channel_id(b));

		if (control) {
			if (broadcast_evicting(b)) {
				stasis_app_control_continue(control, NULL, NULL, 0);
			}
			ao2_ref(control, -1);
			break;
		}
	} while (broadcast_handoff_wait(b, EVICT_WAIT_MS));
	ao2_ref(b, -1);
	inflight_leave(&evictions);
	return 0;
}

/*! \brief Application \a app's connection is gone: tell every broadcast. */
static void application_gone(const char *app)
{
	struct ao2_iterator it = broadcast_iterator();
	struct broadcast *b;

	for (; (b = ao2_iterator_next(&it)); ao2_ref(b, -1)) {
		if (!broadcast_recipient_gone(b, app)) {
			continue;
		}
		inflight_enter(&evictions);
		if (ast_taskprocessor_push(tasks, evict, ao2_bump(b))) {
			ao2_ref(b, -1);
			inflight_leave(&evictions);
			ast_log(LOG_WARNING, "%s: could not make lost winner '%s' let the channel go\n",
				broadcast_channel_name(b), app);
		}
	}
	ao2_iterator_destroy(&it);
}

/*!
 * \brief res_stasis asks, with \a id NULL, as it unregisters \a app. We hold
 *        no subscription of any application: always "no".
 */
static int is_subscribed(struct stasis_app *app, const char *id)
{
	if (!id) {
		application_gone(stasis_app_name(app));
	}
	return 0;
}

static int unsubscribe(struct stasis_app *app, const char *id)
{
	return 0;
}

/*! An event source no application can subscribe to (find finds nothing). */
static struct stasis_app_event_source gone_watch = {
	.scheme = "stasis-broadcast-internal:",
	.is_subscribed = is_subscribed,
	.unsubscribe = unsubscribe,
};

int handoff_start(void)
{
	tasks = ast_taskprocessor_get("stasis_broadcast_handoff", TPS_REF_DEFAULT);
	if (!tasks) {
		return -1;
	}
	stasis_app_register_event_source(&gone_watch);
	return 0;
}

void handoff_stop(void)
{
	/* Waits for an unregister that is asking us (the list's write lock). */
	stasis_app_unregister_event_source(&gone_watch);
	inflight_wait_idle(&evictions);
	tasks = ast_taskprocessor_unreference(tasks);
}

#else /* !HOST_TELLS_UNREGISTER */

int handoff_start(void)
{
	ast_log(LOG_NOTICE, "This Asterisk does not tell modules when an ARI application's "
		"connection closes (it does from 20.14.0, 22.4.0 and 23.0.0): a winner lost is "
		"noticed only if it is gone when Stasis is handed the channel; one that dies "
		"right after its claim keeps the call, as in ARI\n");
	return 0;
}

void handoff_stop(void)
{
}

#endif
