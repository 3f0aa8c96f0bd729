/*
 * httpd.c - loopback-only libmicrohttpd start-up (see httpd.h).
 */
#include "serve/httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int httpd_start_local(int port, MHD_AccessHandlerCallback handler, void *cls, const httpd_opts *o,
		      struct MHD_Daemon **out, int *bound_port, char *base_url, size_t n,
		      um_error *err)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	int bound;

	*out = NULL;
	if (port < 0 || port > 65535)
		return um_fail(err, UM_ERR_USAGE, "port %d is out of range", port);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
		0, NULL, NULL, handler, cls, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_LIMIT, o->connection_limit,
		MHD_OPTION_THREAD_STACK_SIZE, o->thread_stack,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, o->backlog,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)600,
		MHD_OPTION_NOTIFY_COMPLETED, o->completed, o->completed_cls, MHD_OPTION_END);
	if (!d)
		return um_fail(err, UM_ERR_IO, "cannot listen on 127.0.0.1:%d", port);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	bound = info ? info->port : port;
	*bound_port = bound;
	if (bound == 0) {
		MHD_stop_daemon(d);
		return um_fail(err, UM_ERR_IO, "cannot read back the %s's port", o->what);
	}
	*out = d;
	snprintf(base_url, n, "http://127.0.0.1:%d", bound);
	return 0;
}
