/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Keeping in step with modules we work beside but cannot require.
 *
 * res_stasis_broadcast requires only what the stock module requires
 * (res_stasis, res_ari, http): what needs another module is a module of its
 * own, which the loader starts and stops (res_stasis_broadcast_prometheus).
 * What the loader cannot tell us is left here: on releases where we serve
 * the claim route, ARI's own res_ari_events coming and going (our events
 * resource must answer exactly while theirs would), and res_ari reading
 * ari.conf again (ARI enabled or disabled, its users). A follower of each is
 * told when that module was loaded, unloaded or reloaded.
 */

#ifndef STASIS_BROADCAST_MODULE_WATCH_H
#define STASIS_BROADCAST_MODULE_WATCH_H

/*! \brief What happened to the module followed. */
enum module_change {
	MODULE_CHECK,     /*!< our load, or Asterisk fully booted: look for yourself */
	MODULE_LOADED,    /*!< it was loaded and runs */
	MODULE_UNLOADED,  /*!< it was unloaded, or a load of it declined or failed */
	MODULE_RELOADED,  /*!< it (or everything) was reloaded */
};

/*! \brief Something kept in step with one other module. */
struct module_follower {
	/*! The module followed, as the loader names it ("res_ari_events.so") */
	const char *module;
	/*!
	 * \brief Bring our side in step with \a module.
	 *
	 * Called on the loading thread for our load's MODULE_CHECK, and on our
	 * taskprocessor ("stasis_broadcast_modules") afterwards; calls never
	 * overlap. It must not call into the loader (our unload waits for it,
	 * and holds the loader), nor into \a module.
	 */
	void (*follow)(enum module_change change);
};

/*!
 * \brief Start following: each follower is called at once (MODULE_CHECK),
 *        then after every change of its module, and when Asterisk is fully
 *        booted (modules loaded at boot announce nothing).
 *
 * Call from load_module(). \a followers must stay valid until
 * module_watch_stop().
 */
int module_watch_start(const struct module_follower *const *followers, int count);

/*!
 * \brief Stop following; returns once no follower runs or will run.
 *
 * Call first thing in unload_module().
 */
void module_watch_stop(void);

#endif /* STASIS_BROADCAST_MODULE_WATCH_H */
