/*
 * sim_scicode.c - the simulated pool's SciCode answers (sim_scicode.h).
 */
#include "serve/sim_scicode.h"

#include <string.h>

/* Offset just past the last occurrence of needle in text, or 0. */
static size_t last_end(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle), best = 0, i;

	if (!n || n > len)
		return 0;
	for (i = 0; i + n <= len; i++)
		if (text[i] == needle[0] && memcmp(text + i, needle, n) == 0)
			best = i + n;
	return best;
}

const um_sci_step *sim_sci_find(const um_suite *s, const char *text, size_t len, size_t *item)
{
	const um_sci_step *best = NULL;
	size_t at = 0, i;
	int k;

	for (i = 0; s && i < s->n_items; i++) {
		const um_sci_item *c = s->items[i].sci;

		for (k = 0; c && k < c->n_steps; k++) {
			size_t e = last_end(text, len, c->steps[k].header);

			if (e > at) {
				at = e;
				best = &c->steps[k];
				*item = i;
			}
		}
	}
	return best;
}

void sim_sci_answer(const um_sci_step *st, int right, um_buf *b)
{
	if (right && st->gold) {
		um_buf_printf(b, "The step follows from the description.\n\n```python\n%s\n```\n",
			      st->gold);
		return;
	}
	/* a body that runs and returns None: the step's tests fail */
	um_buf_printf(b, "A first attempt at this step.\n\n```python\n%s\n    return None\n```\n",
		      st->header);
}
