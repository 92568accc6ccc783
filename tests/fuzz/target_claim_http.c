/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief Fuzz target "claim_http": the claim route behind Asterisk's HTTP server.
 *
 * Where Asterisk has no claim route we serve POST /ari/events/claim ourselves
 * (src/res/route). This target links that route into this Asterisk (ahead of
 * Asterisk's own, as the longest URI) and sends it real HTTP requests over
 * loopback (http.conf's address), so the request line, headers, query string and body go through
 * Asterisk's HTTP server, then through our pipeline (ari_request.c: CORS,
 * body, authentication, ACL, trailing slash) and the route. The input's
 * lines:
 *
 *     METHOD
 *     what follows /ari/events/claim in the URL ("?channelId=...", "/", "")
 *     header lines, up to an empty line
 *     body...
 *
 * Lines end with LF in the input and CRLF in the request (the body is sent as
 * it is). Content-Length is added unless the input has one; the request ends with
 * "Connection: close" and a half-close, so the server always ends the
 * exchange. The instance's ari.conf has user test/test.
 *
 * The promises: every request gets one well-formed HTTP response, and never a
 * success -- no broadcast exists here, so a POST can only be refused (2xx for
 * OPTIONS alone). Sanitizer reports from the server's thread count too: the
 * process dies with this input as the last one.
 */

#include "asterisk.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "asterisk/config.h"
#include "asterisk/strings.h"
#include "asterisk/utils.h"

#include "over_http/over_http.h"
#include "fuzz.h"

#define WHAT "claim route over HTTP"
#define RESPONSE_MAX 65536
#define RESPONSE_SECONDS 10

/*! This Asterisk's HTTP server, from its http.conf */
static struct sockaddr_in server = { .sin_family = AF_INET };

static int setup(void)
{
	struct ast_flags flags = { 0 };
	struct ast_config *cfg = ast_config_load2("http.conf", "fuzz_stasis_broadcast", flags);
	const char *address, *port;

	if (!cfg || cfg == CONFIG_STATUS_FILEINVALID) {
		fprintf(stderr, "fuzz: no http.conf\n");
		return -1;
	}
	address = S_OR(ast_variable_retrieve(cfg, "general", "bindaddr"), "127.0.0.1");
	port = S_OR(ast_variable_retrieve(cfg, "general", "bindport"), "0");
	server.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, address, &server.sin_addr) != 1 || !server.sin_port) {
		fprintf(stderr, "fuzz: no usable HTTP address in http.conf (%s:%s)\n", address, port);
		ast_config_destroy(cfg);
		return -1;
	}
	ast_config_destroy(cfg);
	/* Links ari/events/claim while ari.conf enables ARI. */
	return route_load();
}

/*! \brief The raw request for the input's lines. */
static struct ast_str *request_from_input(char *text)
{
	struct ast_str *request = ast_str_create(512);
	char *cursor = text, *line;
	const char *method = S_OR(strsep(&cursor, "\n"), "");
	const char *suffix = S_OR(strsep(&cursor, "\n"), "");
	int has_length = 0;

	if (!request) {
		fuzz_fail(WHAT, "out of memory");
	}
	ast_str_set(&request, 0, "%s /ari/events/claim%s HTTP/1.1\r\nHost: 127.0.0.1\r\n",
		method, suffix);
	while (cursor && (line = strsep(&cursor, "\n")) && *line) {
		has_length |= !strncasecmp(line, "Content-Length:", 15);
		ast_str_append(&request, 0, "%s\r\n", line);
	}
	if (!has_length) {
		ast_str_append(&request, 0, "Content-Length: %zu\r\n", cursor ? strlen(cursor) : 0);
	}
	ast_str_append(&request, 0, "Connection: close\r\n\r\n%s", S_OR(cursor, ""));
	return request;
}

/*! \brief Send \a request, read the whole response into \a response. */
static size_t exchange(struct ast_str *request, char *response, size_t max)
{
	struct timeval timeout = { .tv_sec = RESPONSE_SECONDS };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t used = 0;
	ssize_t got;
	char sink[4096];

	if (fd < 0 || connect(fd, (struct sockaddr *) &server, sizeof(server))) {
		fuzz_fail(WHAT, "cannot connect to the HTTP server: %s", strerror(errno));
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	/* The server may answer and close before reading it all: not our concern. */
	if (send(fd, ast_str_buffer(request), ast_str_strlen(request), MSG_NOSIGNAL) >= 0) {
		shutdown(fd, SHUT_WR);
	}
	/* EINTR: the watchdog's alarms for a slow input (fuzz_stasis_broadcast.c). */
	while ((got = recv(fd, used < max ? response + used : sink,
		used < max ? max - used : sizeof(sink), 0)) > 0 || (got < 0 && errno == EINTR)) {
		used = MIN(used + MAX(got, 0), max);
	}
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		fuzz_fail(WHAT, "no complete response in %d s", RESPONSE_SECONDS);
	}
	close(fd);
	response[used] = '\0';
	return used;
}

/*!
 * \brief The method of request line \a line as the HTTP server reads it: the
 *        first run of characters above ' ' (ast_skip_blanks, ast_skip_nonblanks).
 */
static char *method_of(char *line)
{
	char *method = ast_skip_blanks(line);

	*ast_skip_nonblanks(method) = '\0';
	return method;
}

static void check_response(const char *method, const char *response)
{
	int status;

	if (sscanf(response, "HTTP/1.1 %3d ", &status) != 1) {
		fuzz_fail(WHAT, "no HTTP status line in the response: '%.80s'", response);
	}
	if (status < 200 || status > 599) {
		fuzz_fail(WHAT, "status %d", status);
	}
	/* The HTTP server ignores the method's case. */
	if (status < 300 && strcasecmp(method, "OPTIONS")) {
		fuzz_fail(WHAT, "%s got %d with no broadcast to claim", method, status);
	}
}

static int one_input(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *first_line = text;
	char response[RESPONSE_MAX + 1];
	struct ast_str *request;

	if (!text) {
		return -1;
	}
	request = request_from_input(ast_strdupa(text));
	if (!exchange(request, response, RESPONSE_MAX)) {
		fuzz_fail(WHAT, "the connection closed without a response");
	}
	check_response(method_of(strsep(&first_line, "\n")), response);
	ast_free(request);
	ast_free(text);
	return 0;
}

const struct fuzz_target fuzz_claim_http = {
	.name = "claim_http",
	.setup = setup,
	.one_input = one_input,
};
