/*
 * mhd.c: the limit of the online figures: a libmicrohttpd server started with the same flags as
 * sync/server.c (a thread per connection) whose handler reads the body and answers a fixed small
 * JSON object, with no authentication, no store and no JSON parsing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "bench.h"
#include "xmalloc.h"

struct trivial {
	struct MHD_Daemon *daemon;
	uint16_t           port;
};

static const char answer[] = "{\"result\":\"admitted\"}";

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	static int started;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = &started;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;               /* read and dropped */
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(sizeof answer - 1, (void *)(uintptr_t)answer,
	    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct trivial *
trivial_start(void)
{
	struct trivial *t = xcalloc(1, sizeof *t);
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)0,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)512,
	    MHD_OPTION_END);
	if (t->daemon == NULL) {
		fprintf(stderr, "bench: cannot start the trivial libmicrohttpd server\n");
		free(t);
		return NULL;
	}
	info = MHD_get_daemon_info(t->daemon, MHD_DAEMON_INFO_BIND_PORT);
	t->port = info != NULL ? info->port : 0;
	return t;
}

uint16_t
trivial_port(struct trivial *t)
{
	return t->port;
}

void
trivial_stop(struct trivial *t)
{
	if (t == NULL)
		return;
	MHD_stop_daemon(t->daemon);
	free(t);
}
