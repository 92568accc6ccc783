/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Keeping in step with the modules we work with but do not require.
 *
 * res_stasis_broadcast requires only what the stock module requires
 * (res_stasis, res_ari, http). Others it uses when they run: res_prometheus
 * for metrics and, on some releases, res_ari_events and res_ari's ari.conf.
 * Any of them may be missing, declined, loaded later, unloaded or reloaded
 * while we run, so none of them can be a dependency of the loader's; instead
 * a follower of each is told whenever that module may have changed, and looks
 * at the loader's own view of it.
 */

#ifndef STASIS_BROADCAST_MODULE_WATCH_H
#define STASIS_BROADCAST_MODULE_WATCH_H

/*! \brief Why a follower is called. */
enum module_change {
	MODULE_CHECK,     /*!< our load, or Asterisk fully booted: just look */
	MODULE_LOADED,    /*!< the module was loaded (it may have declined) */
	MODULE_UNLOADED,  /*!< the module was unloaded */
	MODULE_RELOADED,  /*!< the module (or everything) was reloaded */
};

/*! \brief Something kept in step with one other module. */
struct module_follower {
	/*! The module followed, as the loader names it ("res_prometheus.so") */
	const char *module;
	/*!
	 * \brief Bring our side in step with \a module.
	 *
	 * Called with the loader held still: no module loads or unloads until
	 * it returns, so while \a running, the module's code stays mapped and
	 * may be called. When not \a running it must not be called at all.
	 * Calls for one follower never overlap.
	 *
	 * \return non-zero to have the module refreshed (unloaded and loaded
	 *         again) once the loader is free, on our taskprocessor.
	 */
	int (*follow)(int running, enum module_change change);
};

/*!
 * \brief Start following: each follower is called at once (MODULE_CHECK),
 *        then after every change of its module, and when Asterisk is fully
 *        booted (modules loaded at boot announce nothing).
 *
 * Call from load_module() (the loader is held there). \a followers must stay
 * valid until module_watch_stop().
 */
int module_watch_start(const struct module_follower *const *followers, int count);

/*!
 * \brief Stop following.
 *
 * Call first thing in unload_module(). A follower may be waiting for the
 * loader, which our unload holds: waiting for it would never end, so then
 * this refuses and the unload must be refused too (the caller logs it).
 *
 * \retval 0 stopped; no follower runs or will run
 * \retval -1 a follower is busy; nothing was stopped
 */
int module_watch_stop(void);

/*!
 * \brief Whether \a module runs, as the loader says.
 *
 * The answer stays true only while the caller holds the loader: in
 * load_module(), unload_module(), or a follower.
 */
int module_watch_running(const char *module);

#endif /* STASIS_BROADCAST_MODULE_WATCH_H */
