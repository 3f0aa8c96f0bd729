/*
 * httpd.h - starting a libmicrohttpd daemon on the loopback interface, the
 * one start-up sequence shared by the simulated model pool (sim.c) and the
 * recording proxy (proxy.c). Only 127.0.0.1 is ever bound.
 */
#ifndef UMPIRE_HTTPD_H
#define UMPIRE_HTTPD_H

#include <microhttpd.h>
#include <stddef.h>

#include "base/error.h"

/* What differs between the servers. */
typedef struct httpd_opts {
	unsigned int connection_limit;
	size_t thread_stack;			/* bytes per connection thread */
	unsigned int backlog;			/* listen() backlog */
	MHD_RequestCompletedCallback completed; /* may be NULL */
	void *completed_cls;
	const char *what; /* "proxy", "simulator": names the server in errors */
} httpd_opts;

/* Start a thread-per-connection daemon serving handler(cls) on
 * 127.0.0.1:port (0 picks a free port). On success *out is the daemon (stop
 * it with MHD_stop_daemon), *bound_port the port really bound and base_url
 * holds "http://127.0.0.1:<port>" (truncated to n bytes). Returns 0, or -1
 * with err filled and *out NULL (*bound_port is 0 when the daemon started
 * but its port could not be read back, untouched otherwise). */
int httpd_start_local(int port, MHD_AccessHandlerCallback handler, void *cls, const httpd_opts *o,
		      struct MHD_Daemon **out, int *bound_port, char *base_url, size_t n,
		      um_error *err);

#endif
