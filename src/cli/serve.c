/*
 * serve.c - what the long-running commands (simulate, proxy) share: option
 * parsing of real numbers, enough file descriptors for many connections,
 * signals kept for the main thread, the port file, and the wait until
 * SIGINT, SIGTERM or --lifetime.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/util.h"
#include "cli/cli.h"

int cli_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || isnan(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void cli_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void cli_serve_block_signals(sigset_t *set, sigset_t *old)
{
	/* the server threads inherit this mask, so signals reach only sigtimedwait */
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, set, old);
	cli_raise_nofile();
}

int cli_write_port_file(const char *path, int port, um_error *err)
{
	char line[32];

	if (!path)
		return 0;
	snprintf(line, sizeof(line), "%d\n", port);
	return um_write_file(path, line, strlen(line), 0644, err);
}

int cli_serve_wait(const sigset_t *set, double lifetime_s, int tick_ms,
		   int (*tick)(void *ctx, um_error *err), void *ctx, um_error *err)
{
	int64_t deadline = lifetime_s > 0 ? um_mono_ms() + (int64_t)(lifetime_s * 1000.0) : 0;

	for (;;) {
		struct timespec ts = {0, tick_ms * 1000000L};
		int sig = sigtimedwait(set, NULL, &ts);

		if (sig == SIGINT || sig == SIGTERM)
			return 0;
		if (deadline && um_mono_ms() >= deadline)
			return 0;
		if (tick && tick(ctx, err) < 0)
			return -1;
	}
}
