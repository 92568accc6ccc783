/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The registry of live broadcasts, keyed by channel unique id.
 *
 * A claim arrives with nothing but a channel id, so the registry is what turns
 * it into a broadcast. It holds at most one broadcast per channel: running
 * StasisBroadcast() again on a channel (a failover loop) replaces the old one,
 * which the caller then ends (claim.c: broadcast_register()).
 *
 * The container's own lock only guards membership; everything about a single
 * broadcast is guarded by that broadcast's lock (see broadcast.h), and its
 * state is only ever changed in claim.c.
 */

#include "asterisk.h"

#include "asterisk/alertpipe.h"
#include "asterisk/astobj2.h"
#include "asterisk/channel.h"
#include "asterisk/json.h"
#include "asterisk/utils.h"

#include "registry.h"

#define REGISTRY_BUCKETS 257

/*! The live broadcasts; owns one reference to each linked broadcast. */
static struct ao2_container *registry;

AO2_STRING_FIELD_HASH_FN(broadcast, channel_id)
AO2_STRING_FIELD_CMP_FN(broadcast, channel_id)

static void broadcast_destructor(void *obj)
{
	struct broadcast *b = obj;

	ast_assert(b->waiter == NULL);
	ast_cond_destroy(&b->send_returned);
	ast_alertpipe_close(b->alert_pipe);
	ast_json_unref(b->event);
	ast_json_unref(b->claimed_event);
	ast_free(b->winner);
	AST_VECTOR_FREE(&b->recipients);
}

struct broadcast *broadcast_alloc(struct ast_channel *chan, unsigned int flags,
	const struct ast_vector_const_string *names)
{
	struct broadcast *b;
	size_t names_size = 0;
	char *name_space;
	size_t i;

	for (i = 0; i < AST_VECTOR_SIZE(names); i++) {
		names_size += strlen(AST_VECTOR_GET(names, i)) + 1;
	}

	/* The names live in the same allocation: they never change. */
	b = ao2_alloc(sizeof(*b) + names_size, broadcast_destructor);
	if (!b) {
		return NULL;
	}
	ast_cond_init(&b->send_returned, NULL);
	ast_alertpipe_clear(b->alert_pipe);
	if (AST_VECTOR_INIT(&b->recipients, AST_VECTOR_SIZE(names))
		|| ast_alertpipe_init(b->alert_pipe)) {
		ao2_ref(b, -1);
		return NULL;
	}

	ast_channel_lock(chan);
	ast_copy_string(b->channel_id, ast_channel_uniqueid(chan), sizeof(b->channel_id));
	ast_copy_string(b->channel_name, ast_channel_name(chan), sizeof(b->channel_name));
	ast_channel_unlock(chan);
	b->started = ast_tvnow();
	b->flags = flags;
	b->state = BROADCAST_OPEN;

	name_space = (char *) (b + 1);
	for (i = 0; i < AST_VECTOR_SIZE(names); i++) {
		struct broadcast_recipient recipient = { .name = name_space, .offered = 0 };
		size_t len = strlen(AST_VECTOR_GET(names, i)) + 1;

		memcpy(name_space, AST_VECTOR_GET(names, i), len);
		name_space += len;
		/* Cannot fail: the vector was sized for every name. */
		AST_VECTOR_APPEND(&b->recipients, recipient);
	}
	return b;
}

int registry_link(struct broadcast *b, struct broadcast **replaced)
{
	ao2_lock(registry);
	*replaced = ao2_find(registry, b->channel_id, OBJ_SEARCH_KEY | OBJ_UNLINK | OBJ_NOLOCK);
	if (!ao2_link_flags(registry, b, OBJ_NOLOCK)) {
		ao2_unlock(registry);
		return -1;
	}
	ao2_unlock(registry);
	return 0;
}

struct broadcast *broadcast_find(const char *channel_id)
{
	if (ast_strlen_zero(channel_id)) {
		return NULL;
	}
	return ao2_find(registry, channel_id, OBJ_SEARCH_KEY);
}

/*! \brief ao2 callback: match only the very broadcast given as \a arg. */
static int broadcast_is(void *obj, void *arg, int flags)
{
	return obj == arg ? CMP_MATCH | CMP_STOP : 0;
}

struct broadcast *registry_unlink(const char *channel_id, struct broadcast *b)
{
	if (b) {
		/* OBJ_SEARCH_OBJECT narrows the walk to the bucket of b's channel. */
		return ao2_callback(registry, OBJ_UNLINK | OBJ_SEARCH_OBJECT, broadcast_is, b);
	}
	return ast_strlen_zero(channel_id) ? NULL
		: ao2_find(registry, channel_id, OBJ_SEARCH_KEY | OBJ_UNLINK);
}

int broadcast_count(void)
{
	return registry ? ao2_container_count(registry) : 0;
}

struct ao2_iterator broadcast_iterator(void)
{
	return ao2_iterator_init(registry, 0);
}

int broadcast_registry_init(void)
{
	/* A read-write lock: claims and waits only look up, and must not queue
	 * behind each other; only registering and unregistering write. */
	registry = ao2_container_alloc_hash(AO2_ALLOC_OPT_LOCK_RWLOCK, 0, REGISTRY_BUCKETS,
		broadcast_hash_fn, NULL, broadcast_cmp_fn);
	return registry ? 0 : -1;
}

void broadcast_registry_cleanup(void)
{
	ao2_cleanup(registry);
	registry = NULL;
}
