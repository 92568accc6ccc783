/*
 * wsfan: many ARI applications on one epoll loop, for fan-out benchmarks.
 *
 *   wsfan [ADDRESS:]PORT USER:PASSWORD PREFIX COUNT [STALLED [claim | answer HOLD_MS]]
 *
 * Connects COUNT ARI applications named PREFIX0000, PREFIX0001, ... over
 * WebSockets to ADDRESS:PORT (127.0.0.1 by default); the last STALLED of them complete the
 * handshake and then never read again (a stuck client). Prints "ready" when
 * all are connected, then one line per broadcast once every reading
 * application has its CallBroadcast:
 *
 *   bcast CHANNEL_ID RECEIVED FIRST_NS LAST_NS
 *
 * times on CLOCK_MONOTONIC (the same clock as Python's time.monotonic_ns()),
 * taken when a frame is complete.
 *
 * With "claim", every application claims every call it is offered the moment
 * its CallBroadcast is read, over its own keep-alive HTTP connection, and
 * hands the call back to the dialplan when StasisStart comes. It prints
 *
 *   claim CHANNEL_ID APP_INDEX HTTP_STATUS
 *   start CHANNEL_ID APP_INDEX
 *
 * With "answer HOLD_MS" (the SIP benchmark's agents), they claim the same
 * way, but the winner answers the call on StasisStart, holds it HOLD_MS and
 * hangs it up (DELETE), as a real agent would. Nothing is printed per call
 * then: SIPp checks every call end to end.
 *
 * All applications share one thread, so whichever is sent CallBroadcast
 * first also claims first: the racers are identical. It does nothing per event but find two
 * strings, so it is not what limits a measurement: its own CPU time is printed
 * on exit ("cpu USER_S SYS_S").
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRACKED 4096

#define PENDING_MAX 256
/* Calls held by a winner until their hangup is due (answer mode). */
#define HELD_MAX 16384

struct conn {
	int fd;
	int index;
	int is_http;
	char *buf;
	size_t len, cap;
	/* http: the requests awaiting an answer, oldest first */
	char pending[PENDING_MAX][96];
	int pending_kind[PENDING_MAX];  /* 1 claim, 0 anything else */
	int pending_head, pending_count;
};

struct tracked {
	char id[96];
	int received;
	uint64_t first_ns, last_ns;
};

static struct tracked tracked[MAX_TRACKED];
/* Hangups in the order they are due: every call is held the same time. */
struct held {
	uint64_t due_ns;
	int app;
	char id[96];
};

static int reading;
static int claiming;
static long hold_ms = -1;  /* answer mode when >= 0 */
static struct held held[HELD_MAX];
static int held_head, held_count;
static struct in_addr server_addr;
static struct conn *http_conns;
static const char *prefix;
static char basic_auth[128];
static volatile sig_atomic_t stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const char *in, char *out)
{
	size_t n = strlen(in), i;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (unsigned char) in[i] << 16;

		v |= i + 1 < n ? (unsigned char) in[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned char) in[i + 2] : 0;
		*out++ = b64[v >> 18 & 63];
		*out++ = b64[v >> 12 & 63];
		*out++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*out++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*out = '\0';
}

static int tcp_connect(int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	addr.sin_addr = server_addr;
	if (fd < 0 || connect(fd, (struct sockaddr *) &addr, sizeof(addr))) {
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*! Connect and upgrade one application; returns the socket or -1. */
static int connect_app(int port, const char *auth, const char *prefix, int i)
{
	char request[512], response[1024], basic[128];
	int fd = tcp_connect(port);
	ssize_t got = 0, n;

	if (fd < 0) {
		return -1;
	}
	base64(auth, basic);
	snprintf(request, sizeof(request),
		"GET /ari/events?app=%s%04d HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Authorization: Basic %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: c3Rhc2lzYnJvYWRjYXN0ISE=\r\nSec-WebSocket-Version: 13\r\n\r\n",
		prefix, i, basic);
	if (write(fd, request, strlen(request)) < 0) {
		return -1;
	}
	while (!memmem(response, got, "\r\n\r\n", 4)) {
		n = read(fd, response + got, sizeof(response) - got);
		if (n <= 0) {
			return -1;
		}
		got += n;
	}
	if (!strstr(response, " 101 ")) {
		fprintf(stderr, "wsfan: app %d refused: %.60s\n", i, response);
		return -1;
	}
	return fd;
}

/*! Value of a JSON string field `"key":"value"` after `from`, into out. */
static int json_string(const char *from, const char *end, const char *key, char *out, size_t outlen)
{
	const char *p = memmem(from, end - from, key, strlen(key));
	size_t i = 0;

	if (!p) {
		return -1;
	}
	p += strlen(key);
	while (p < end && *p != '"' && i + 1 < outlen) {
		out[i++] = *p++;
	}
	out[i] = '\0';
	return 0;
}

/*! Send an HTTP request for application \a app, remembering what it was for. */
static void http_request(int app, const char *method, const char *path, const char *channel,
	int kind)
{
	struct conn *h = &http_conns[app];
	char request[512];
	int slot;

	if (h->pending_count == PENDING_MAX) {
		/* Asterisk is not keeping up: said once, the trial fails anyway. */
		static int said;

		if (!said++) {
			fprintf(stderr, "wsfan: too many requests in flight, dropping requests\n");
		}
		return;
	}
	snprintf(request, sizeof(request), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Authorization: Basic %s\r\nContent-Length: 0\r\n\r\n", method, path, basic_auth);
	slot = (h->pending_head + h->pending_count++) % PENDING_MAX;
	snprintf(h->pending[slot], sizeof(h->pending[slot]), "%s", channel);
	h->pending_kind[slot] = kind;
	if (write(h->fd, request, strlen(request)) < 0) {
		perror("wsfan: http write");
	}
}

/*! Consume complete HTTP responses on an application's HTTP connection. */
static void parse_responses(struct conn *h)
{
	for (;;) {
		char *end = memmem(h->buf, h->len, "\r\n\r\n", 4), *length;
		size_t head, body = 0, total;
		int status = 0;

		if (!end) {
			return;
		}
		head = end - h->buf + 4;
		sscanf(h->buf, "HTTP/1.1 %d", &status);
		length = memmem(h->buf, head, "Content-Length:", 15);
		if (length) {
			body = strtoul(length + 15, NULL, 10);
		}
		total = head + body;
		if (h->len < total) {
			return;
		}
		if (h->pending_count) {
			int slot = h->pending_head;

			if (h->pending_kind[slot] && hold_ms < 0) {
				printf("claim %s %d %d\n", h->pending[slot], h->index, status);
				fflush(stdout);
			}
			h->pending_head = (h->pending_head + 1) % PENDING_MAX;
			h->pending_count--;
		}
		memmove(h->buf, h->buf + total, h->len - total);
		h->len -= total;
	}
}

/*! In claim and answer modes: claim on CallBroadcast; on StasisStart,
 * continue, or answer and hold until the hangup is due. */
static void race(int app, const char *msg, size_t len, const char *id)
{
	char path[256];
	struct held *h;

	if (memmem(msg, len, "\"type\":\"CallBroadcast\"", 22)) {
		snprintf(path, sizeof(path), "/ari/events/claim?channelId=%s&application=%s%04d",
			id, prefix, app);
		http_request(app, "POST", path, id, 1);
	} else if (memmem(msg, len, "\"type\":\"StasisStart\"", 20)) {
		if (hold_ms < 0) {
			printf("start %s %d\n", id, app);
			fflush(stdout);
			snprintf(path, sizeof(path), "/ari/channels/%s/continue", id);
			http_request(app, "POST", path, id, 0);
			return;
		}
		snprintf(path, sizeof(path), "/ari/channels/%s/answer", id);
		http_request(app, "POST", path, id, 0);
		if (held_count == HELD_MAX) {
			fprintf(stderr, "wsfan: too many calls held\n");
			return;
		}
		h = &held[(held_head + held_count++) % HELD_MAX];
		h->due_ns = now_ns() + (uint64_t) hold_ms * 1000000u;
		h->app = app;
		snprintf(h->id, sizeof(h->id), "%s", id);
	}
}

/*! Hang up the held calls that are due; returns ms until the next one (or 200). */
static int hang_up_due(void)
{
	uint64_t now = now_ns();
	char path[256];

	while (held_count && held[held_head].due_ns <= now) {
		struct held *h = &held[held_head];

		snprintf(path, sizeof(path), "/ari/channels/%s", h->id);
		http_request(h->app, "DELETE", path, h->id, 0);
		held_head = (held_head + 1) % HELD_MAX;
		held_count--;
	}
	if (!held_count) {
		return 200;
	}
	return (int) ((held[held_head].due_ns - now) / 1000000u) + 1;
}

static void on_message(int app, const char *msg, size_t len)
{
	const char *end = msg + len, *channel;
	char id[96];
	uint64_t t = now_ns();
	int i;

	channel = memmem(msg, len, "\"channel\":{", 11);
	if (!channel || json_string(channel, end, "\"id\":\"", id, sizeof(id))) {
		return;
	}
	if (claiming) {
		race(app, msg, len, id);
	}
	if (!memmem(msg, len, "\"type\":\"CallBroadcast\"", 22)) {
		return;
	}
	for (i = 0; i < MAX_TRACKED && tracked[i].id[0]; i++) {
		if (!strcmp(tracked[i].id, id)) {
			break;
		}
	}
	if (i == MAX_TRACKED) {
		memset(tracked, 0, sizeof(tracked));  /* a long run: start over */
		i = 0;
	}
	if (!tracked[i].id[0]) {
		snprintf(tracked[i].id, sizeof(tracked[i].id), "%s", id);
		tracked[i].first_ns = t;
	}
	tracked[i].last_ns = t;
	if (++tracked[i].received == reading) {
		printf("bcast %s %d %llu %llu\n", id, tracked[i].received,
			(unsigned long long) tracked[i].first_ns, (unsigned long long) tracked[i].last_ns);
		fflush(stdout);
	}
}

static void send_pong(int fd, const unsigned char *payload, size_t n)
{
	unsigned char frame[2 + 4 + 125];
	size_t i;

	frame[0] = 0x8a;
	frame[1] = 0x80 | (unsigned char) n;
	memset(frame + 2, 0, 4);  /* zero mask: payload unchanged */
	for (i = 0; i < n && i < 125; i++) {
		frame[6 + i] = payload[i];
	}
	if (write(fd, frame, 6 + n) < 0) {
		perror("wsfan: pong");
	}
}

/*! Consume complete frames from c->buf. */
static void parse_frames(struct conn *c)
{
	size_t off = 0;

	for (;;) {
		unsigned char *p = (unsigned char *) c->buf + off;
		size_t avail = c->len - off, head = 2;
		uint64_t n;

		if (avail < 2) {
			break;
		}
		n = p[1] & 0x7f;
		if (n == 126) {
			if (avail < 4) break;
			n = (uint64_t) p[2] << 8 | p[3];
			head = 4;
		} else if (n == 127) {
			if (avail < 10) break;
			n = 0;
			for (int i = 0; i < 8; i++) n = n << 8 | p[2 + i];
			head = 10;
		}
		if (avail < head + n) {
			break;
		}
		if ((p[0] & 0x0f) == 0x1) {
			on_message(c->index, (char *) p + head, n);
		} else if ((p[0] & 0x0f) == 0x9) {
			send_pong(c->fd, p + head, n);
		}
		off += head + n;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	int port, count, stalled, ep, i;
	struct conn *conns;
	struct epoll_event ev, events[256];
	struct rusage usage;

	if (argc < 5) {
		fprintf(stderr, "usage: wsfan [ADDRESS:]PORT USER:PASSWORD PREFIX COUNT "
			"[STALLED [claim | answer HOLD_MS]]\n");
		return 2;
	}
	server_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (strchr(argv[1], ':')) {
		*strchr(argv[1], ':') = '\0';
		if (!inet_aton(argv[1], &server_addr)) {
			fprintf(stderr, "wsfan: bad address %s\n", argv[1]);
			return 2;
		}
		argv[1] += strlen(argv[1]) + 1;
	}
	port = atoi(argv[1]);
	prefix = argv[3];
	count = atoi(argv[4]);
	stalled = argc > 5 ? atoi(argv[5]) : 0;
	claiming = argc > 6 && (!strcmp(argv[6], "claim") || !strcmp(argv[6], "answer"));
	if (argc > 7 && !strcmp(argv[6], "answer")) {
		hold_ms = atol(argv[7]);
	}
	reading = count - stalled;
	base64(argv[2], basic_auth);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	conns = calloc(count, sizeof(*conns));
	http_conns = calloc(count, sizeof(*http_conns));
	ep = epoll_create1(0);
	for (i = 0; i < count && claiming; i++) {
		http_conns[i].fd = tcp_connect(port);
		http_conns[i].index = i;
		http_conns[i].is_http = 1;
		http_conns[i].cap = 1 << 14;
		http_conns[i].buf = malloc(http_conns[i].cap);
		ev.events = EPOLLIN;
		ev.data.ptr = &http_conns[i];
		if (http_conns[i].fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, http_conns[i].fd, &ev)) {
			fprintf(stderr, "wsfan: could not open HTTP connection %d\n", i);
			return 1;
		}
	}
	for (i = 0; i < count; i++) {
		conns[i].index = i;
		conns[i].fd = connect_app(port, argv[2], argv[3], i);
		if (conns[i].fd < 0) {
			fprintf(stderr, "wsfan: could not connect app %d\n", i);
			return 1;
		}
		if (i < reading) {
			conns[i].cap = 1 << 16;
			conns[i].buf = malloc(conns[i].cap);
			ev.events = EPOLLIN;
			ev.data.ptr = &conns[i];
			epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
		} else {
			/* Stalled: a tiny receive buffer, never read. */
			int small = 4096;

			setsockopt(conns[i].fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		}
	}
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		int n = epoll_wait(ep, events, 256, hold_ms < 0 ? 200 : hang_up_due());

		for (i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;
			ssize_t got;

			if (c->cap - c->len < 8192) {
				c->cap *= 2;
				c->buf = realloc(c->buf, c->cap);
			}
			got = read(c->fd, c->buf + c->len, c->cap - c->len);
			if (got <= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			c->len += got;
			if (c->is_http) {
				parse_responses(c);
			} else {
				parse_frames(c);
			}
		}
	}
	getrusage(RUSAGE_SELF, &usage);
	printf("cpu %.3f %.3f\n", usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
		usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6);
	return 0;
}
