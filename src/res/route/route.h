/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief POST /ari/events/claim, on Asterisk releases that have no claim route.
 *
 * Asterisk 20.20, 22.10 and 23.4 route POST /ari/events/claim in res_ari_events
 * and call stasis_app_claim_channel(); there nothing of this folder is built.
 * Earlier releases have no such route, and we serve it, as close to ARI as the
 * release lets us. One of two ways is built (the Makefile chooses by what the
 * host's ari.h has):
 *
 *  - in_ari/     20.14-20.19, 22.4-22.9, 23.0-23.3. ARI serves every request,
 *                whatever carried it (HTTP, a RESTRequest down an application's
 *                WebSocket, an outbound WebSocket Asterisk dialled), through one
 *                handler tree, so the claim is a resource in that tree and every
 *                transport, ARI's authentication, ACLs, read-only users, CORS,
 *                "ari set debug" and ARI being disabled are ARI's own.
 *  - over_http/  20.0-20.13, 22.0-22.3. No REST over WebSocket yet, and ARI's
 *                "events" handler owns a WebSocket server of res_ari_events' own
 *                that nobody else can reach. The claim is an HTTP URI beside
 *                ARI's ("ari/events/claim": the HTTP server matches the longest
 *                URI first), behind a copy of ARI's request pipeline and of its
 *                ari.conf reader, which these releases never change again.
 *
 * Both also serve "ari/api-docs/events.json": ARI's document with the claim
 * operation and the two events added, so that clients generated from the docs
 * (ari-client) find them. Shared by both, in this folder:
 *
 *  - claim_answer.c  the claim's parameters and answers (204/409/404/400)
 *  - api_docs.c      the additions to events.json
 *  - uris.c          our HTTP URIs under /ari: linked while ARI is enabled,
 *                    drained before unload, answered in ARI's format
 */

#ifndef STASIS_BROADCAST_ROUTE_H
#define STASIS_BROADCAST_ROUTE_H

#include "asterisk/ari.h"
#include "asterisk/http.h"
#include "asterisk/json.h"

#include "module_watch.h"

/* The module's view; the way built (in_ari/ or over_http/) defines these. */

/*! \brief Serve the claim route. */
int claim_route_load(void);
/*! \brief Stop serving; waits for requests in progress to finish. */
void claim_route_unload(void);
/*! \brief Our own module reload. */
void claim_route_reload(void);

#ifdef STASIS_BROADCAST_CLAIM_IN_ARI
/*! \brief Keeps our events resource in ARI's tree in step with res_ari_events. */
extern const struct module_follower claim_events_follower;
/*! \brief Follows ARI being enabled or disabled (res_ari reloads). */
extern const struct module_follower claim_docs_follower;
#define CLAIM_ROUTE_FOLLOWERS &claim_events_follower, &claim_docs_follower,
#else
/*! \brief Reads ari.conf again whenever res_ari is loaded or reloaded. */
extern const struct module_follower ari_settings_follower;
#define CLAIM_ROUTE_FOLLOWERS &ari_settings_follower,
#endif

/* claim_answer.c */

/*!
 * \brief Answer a POST /events/claim: read channelId and application as
 *        ARI's generated routes read parameters, then claim.
 *
 * \param params query string and form fields (merged as ARI merges them)
 * \param body the JSON body, or JSON null
 */
void claim_answer(struct ast_variable *params, struct ast_json *body,
	struct ast_ari_response *response);

/* api_docs.c */

/*!
 * \brief Add the claim operation and the CallBroadcast and CallClaimed models
 *        to ARI's events.json in \a response, when it is one (200).
 */
void api_docs_describe_claim(struct ast_ari_response *response);

/* uris.c */

/*! \brief One HTTP URI of ours under /ari. */
struct route_uri {
	/*! What the HTTP server sees; its callback and data are set by uris.c */
	struct ast_http_uri http;
	/*!
	 * \brief Serve one request (counted while it runs: inflight.h).
	 * \param trailing_slash the URL had a '/' after the URI's path
	 */
	int (*serve)(struct ast_tcptls_session_instance *ser, const struct ast_http_uri *urih,
		int trailing_slash, enum ast_http_method method, struct ast_variable *get_params,
		struct ast_variable *headers);
};

/*!
 * \brief Link or unlink \a uris to match ARI being \a enabled (a disabled ARI
 *        answers every /ari/... with the HTTP server's plain 404: so do we).
 */
void route_uris_follow(struct route_uri *uris, int count, int enabled);

/*! \brief Unlink \a uris and wait until no request is inside one of them. */
void route_uris_unload(struct route_uri *uris, int count);

/*! \brief Send \a response as ARI sends its own; takes its message and headers. */
void route_respond(struct ast_tcptls_session_instance *ser, enum ast_http_method method,
	struct ast_ari_response *response);

#endif /* STASIS_BROADCAST_ROUTE_H */
