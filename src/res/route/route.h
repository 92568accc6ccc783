/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief What we serve beside ARI's own handler tree, as each release allows:
 *        our additions to /ari/api-docs, and POST /ari/events/claim where
 *        Asterisk has no claim route.
 *
 * Our resource, /ari/broadcasts, is in ARI's own handler tree on every
 * release (broadcasts.c). But ARI answers /ari/api-docs/ from its files,
 * before its handler tree, so the documents that describe us are served as
 * HTTP URIs of ours ("ari/api-docs/resources.json", ...: the HTTP server
 * matches the longest URI first), with ARI's own answer in them (api_docs.c).
 *
 * Asterisk 20.20, 22.10 and 23.4 route POST /ari/events/claim in
 * res_ari_events and call stasis_app_claim_channel(). Earlier releases have
 * no such route, and we serve it, as close to ARI as the release lets us.
 * One of three ways is built (the Makefile chooses by what the host's headers
 * have):
 *
 *  - docs only   20.20+, 22.10+, 23.4+: the claim is Asterisk's; the
 *                documents are asked of ARI itself (ast_ari_invoke()), so
 *                ARI authenticates them (in_ari/docs.c).
 *  - in_ari/     20.14-20.19, 22.4-22.9, 23.0-23.3. ARI serves every request,
 *                whatever carried it (HTTP, a RESTRequest down an application's
 *                WebSocket, an outbound WebSocket Asterisk dialled), through one
 *                handler tree, so the claim is a resource in that tree and every
 *                transport, ARI's authentication, ACLs, read-only users, CORS,
 *                "ari set debug" and ARI being disabled are ARI's own. The
 *                documents as above, events.json too.
 *  - over_http/  20.0-20.13, 22.0-22.3. No REST over WebSocket yet, and ARI's
 *                "events" handler owns a WebSocket server of res_ari_events' own
 *                that nobody else can reach. The claim is an HTTP URI beside
 *                ARI's ("ari/events/claim"), behind a copy of ARI's request
 *                pipeline and of its ari.conf reader, which these releases never
 *                change again; the documents behind the same pipeline.
 *
 * Shared, in this folder:
 *
 *  - api_docs.c  our additions to ARI's documents
 *  - uris.c      our HTTP URIs under /ari: linked while ARI is enabled,
 *                drained before unload, answered in ARI's format
 */

#ifndef STASIS_BROADCAST_ROUTE_H
#define STASIS_BROADCAST_ROUTE_H

#include "asterisk/ari.h"
#include "asterisk/http.h"
#include "asterisk/json.h"

#include "module_watch.h"

/* The module's view; the way built (in_ari/ or over_http/) defines these. */

/*! \brief Serve our URIs (and the claim route, where we serve it). */
int route_load(void);
/*! \brief Stop serving; waits for requests in progress to finish. */
void route_unload(void);
/*! \brief Our own module reload. */
void route_reload(void);

#if defined(STASIS_BROADCAST_CLAIM_IN_ARI)
/*! \brief Keeps our events resource in ARI's tree in step with res_ari_events. */
extern const struct module_follower claim_events_follower;
/*! \brief Follows ARI being enabled or disabled (res_ari reloads). */
extern const struct module_follower docs_follower;
#define ROUTE_FOLLOWERS &claim_events_follower, &docs_follower,
#elif defined(STASIS_BROADCAST_OWN_ROUTE)
/*! \brief Reads ari.conf again whenever res_ari is loaded or reloaded. */
extern const struct module_follower ari_settings_follower;
#define ROUTE_FOLLOWERS &ari_settings_follower,
#else
extern const struct module_follower docs_follower;
#define ROUTE_FOLLOWERS &docs_follower,
#endif

/* api_docs.c */

/*! \brief The documents of /ari/api-docs we add to. */
enum api_document {
	API_DOC_RESOURCES,   /*!< resources.json: broadcasts listed */
	API_DOC_BROADCASTS,  /*!< broadcasts.json: ours, made from ARI's resources.json */
	API_DOC_EVENTS,      /*!< events.json: the claim and our events */
};

/*! \brief The ARI document ours is made from ("resources.json", "events.json"). */
const char *api_docs_ari_source(enum api_document document);

/*!
 * \brief Make \a document from ARI's own answer for its source document in
 *        \a response, when it is one (200).
 */
void api_docs_describe(enum api_document document, struct ast_ari_response *response);

/* uris.c */

/*! \brief One HTTP URI of ours under /ari. */
struct route_uri {
	/*! What the HTTP server sees; its callback and data are set by uris.c */
	struct ast_http_uri http;
	/*! The document it serves, for a documents URI */
	enum api_document document;
	/*!
	 * \brief Serve one request (counted while it runs: inflight.h).
	 * \param trailing_slash the URL had a '/' after the URI's path
	 */
	int (*serve)(struct ast_tcptls_session_instance *ser, const struct route_uri *uri,
		int trailing_slash, enum ast_http_method method, struct ast_variable *get_params,
		struct ast_variable *headers);
};

/*! \brief The documents' URIs, one per api_document, for a \a serve of the release's. */
#define ROUTE_DOC_URIS(serve_fn) \
	{ .http = { .description = "ARI resources.json with StasisBroadcast's", \
		.uri = "ari/api-docs/resources.json" }, \
		.document = API_DOC_RESOURCES, .serve = serve_fn }, \
	{ .http = { .description = "StasisBroadcast's /ari/broadcasts", \
		.uri = "ari/api-docs/broadcasts.json" }, \
		.document = API_DOC_BROADCASTS, .serve = serve_fn }

/*! \brief A set of URIs of ours, linked together. */
struct route_uris {
	struct route_uri *uris;
	int count;
	/*! Whether they are linked now (guarded by uris.c) */
	int linked;
};

/*!
 * \brief Link or unlink \a set to match ARI being \a enabled (a disabled ARI
 *        answers every /ari/... with the HTTP server's plain 404: so do we).
 */
void route_uris_follow(struct route_uris *set, int enabled);

/*! \brief Unlink \a set and wait until no request is inside one of them. */
void route_uris_unload(struct route_uris *set);

/*! \brief Send \a response as ARI sends its own; takes its message and headers. */
void route_respond(struct ast_tcptls_session_instance *ser, enum ast_http_method method,
	struct ast_ari_response *response);

#endif /* STASIS_BROADCAST_ROUTE_H */
