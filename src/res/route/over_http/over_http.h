/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief The claim route over HTTP, beside ARI: 20.0-20.13 and 22.0-22.3.
 *
 * See ../route.h for why these releases get it. Everything about a request
 * that is not the claim itself must be what ARI does on the same host: users,
 * passwords, api_key, CORS, error bodies, and ARI being disabled. The layers,
 * top to bottom:
 *
 *  - route.c         the two URIs and their handlers; follows ARI's settings
 *  - ari_request.c   ARI's request pipeline: body, authentication, response
 *  - ari_settings.c  ari.conf as these releases' ARI reads it, following reloads
 */

#ifndef STASIS_BROADCAST_OVER_HTTP_H
#define STASIS_BROADCAST_OVER_HTTP_H

#include "asterisk/astobj2.h"
#include "asterisk/config.h"
#include "asterisk/netsock2.h"

#include "../route.h"
/* ari_settings.c: what ARI's configuration says */

/*! \brief An ari.conf user, as ARI authenticates it. Immutable. */
struct ari_user {
	/*! The password, plain or crypt(3) as \c crypt says */
	char *password;
	/*! password_format = crypt */
	int crypt;
	/*! read_only = yes: only GET and OPTIONS */
	int read_only;
	char name[0];
};

/*! \brief ari.conf as ARI reads it. Immutable once published. */
struct ari_settings {
	/*! [general] enabled (and a [general] exists at all) */
	int enabled;
	/*! [general] auth_realm, for the WWW-Authenticate challenge */
	char *auth_realm;
	/*! [general] allowed_origins, comma separated ("*" for any) */
	char *allowed_origins;
	/*! struct ari_user by name */
	struct ao2_container *users;
};

/*!
 * \brief Build settings from a loaded ari.conf (NULL: the file is missing).
 * \return new settings (caller owns the reference), NULL if out of memory
 *         or the file is one ARI would refuse (the reason is logged)
 */
struct ari_settings *ari_settings_parse(struct ast_config *cfg);

/*! \brief The settings in effect (caller owns the reference); never NULL after load. */
struct ari_settings *ari_settings_get(void);

/*!
 * \brief Read ari.conf again and publish the result.
 * \retval 0 the new settings are in effect
 * \retval -1 the file could not be used; the previous settings stay
 */
int ari_settings_reload(void);

/*!
 * \brief Start following ari.conf: read it now, and again whenever res_ari
 *        is loaded or reloaded (ari_settings_follower). \a changed runs
 *        after every change.
 */
int ari_settings_load(void (*changed)(void));
void ari_settings_unload(void);

/*!
 * \brief The user a request authenticates as, exactly as ARI decides it:
 *        HTTP Basic if the request has it, otherwise ?api_key=user:password.
 * \return the user (caller owns the reference) or NULL
 */
struct ari_user *ari_settings_authenticate(struct ari_settings *settings,
	struct ast_variable *params, struct ast_variable *headers);

/* ari_request.c: ARI's request pipeline around a route of ours */

/*!
 * \brief A route's own work, once the request passed ARI's checks.
 *
 * \param params query string, form fields (merged as ARI merges them)
 * \param body the JSON body, or JSON null
 * \param response to fill in with ast_ari_response_*()
 */
typedef void (*ari_route_handler)(const struct route_uri *uri, enum ast_http_method method,
	struct ast_variable *params, struct ast_variable *headers, struct ast_json *body,
	struct ast_ari_response *response);

/*!
 * \brief Serve one request the way ARI serves its own: CORS, body, auth,
 *        then \a handler, then the response in ARI's format.
 * \param trailing_slash the URL had a '/' after the route's path
 */
int ari_request_serve(ari_route_handler handler, struct ast_tcptls_session_instance *ser,
	const struct route_uri *uri, int trailing_slash, enum ast_http_method method,
	struct ast_variable *get_params, struct ast_variable *headers);

/*! \brief Answer a method the route does not have: 405 with an Allow header. */
void ari_response_bad_method(struct ast_ari_response *response, const char *allow);

/* route.c: the routes */

/*! \brief POST /ari/events/claim */
void claim_route_handle(const struct route_uri *uri, enum ast_http_method method,
	struct ast_variable *params, struct ast_variable *headers, struct ast_json *body,
	struct ast_ari_response *response);

/*! \brief GET /ari/api-docs/..., ARI's document with ours added (../api_docs.c) */
void api_docs_handle(const struct route_uri *uri, enum ast_http_method method,
	struct ast_variable *params, struct ast_variable *headers, struct ast_json *body,
	struct ast_ari_response *response);

#endif /* STASIS_BROADCAST_OVER_HTTP_H */
