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
 * broadcast is claim.c's, behind that broadcast's own lock. The registry knows
 * a broadcast only by its channel id.
 */

#include "asterisk.h"

#include "asterisk/astobj2.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "claim.h"
#include "registry.h"

#define REGISTRY_BUCKETS 257

/*! The live broadcasts; owns one reference to each linked broadcast. */
static struct ao2_container *registry;

/*! \brief Hash a broadcast, or a channel id looked for, by channel id. */
static int broadcast_hash(const void *obj, const int flags)
{
	const char *key = (flags & OBJ_SEARCH_MASK) == OBJ_SEARCH_KEY ? obj
		: broadcast_channel_id(obj);

	return ast_str_hash(key);
}

/*! \brief Compare a broadcast with another, or with a channel id looked for. */
static int broadcast_cmp(void *obj, void *arg, int flags)
{
	const char *key = (flags & OBJ_SEARCH_MASK) == OBJ_SEARCH_KEY ? arg
		: broadcast_channel_id(arg);

	return strcmp(broadcast_channel_id(obj), key) ? 0 : CMP_MATCH;
}

int registry_link(struct broadcast *b, struct broadcast **replaced)
{
	SCOPED_AO2LOCK(lock, registry);

	*replaced = ao2_find(registry, broadcast_channel_id(b),
		OBJ_SEARCH_KEY | OBJ_UNLINK | OBJ_NOLOCK);
	return ao2_link_flags(registry, b, OBJ_NOLOCK) ? 0 : -1;
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
		broadcast_hash, NULL, broadcast_cmp);
	return registry ? 0 : -1;
}

void broadcast_registry_cleanup(void)
{
	ao2_cleanup(registry);
	registry = NULL;
}
