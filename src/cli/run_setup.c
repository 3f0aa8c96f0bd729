/*
 * run_setup.c - what `umpire run` prepares before the runner starts: the
 * servers a models file asks for (the simulated pool under `simulator:`,
 * the recording proxy under `proxy:`), whose addresses reach the models
 * file through ${UMPIRE_SIM_URL} and ${UMPIRE_PROXY_URL}, and the published
 * patches of --predictions, read in any published shape. The runner links
 * neither the servers nor the importers: it is handed endpoints, a routing
 * event queue and loaded patches.
 */
#include "cli/run_setup.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "import/sweimport.h"
#include "load/suite.h"
#include "serve/proxy.h"
#include "serve/sim.h"

static void quiesce_proxy(void *ctx)
{
	cli_run_setup *rs = ctx;

	if (rs->proxy)
		proxy_stop(rs->proxy);
}

static int start_simulator(cli_run_setup *rs, const um_models *m, const char *suite_path,
			   um_error *err)
{
	const char *ext = getenv("UMPIRE_SIM_URL");

	if (!m->simulator_pool || (ext && *ext))
		return 0;
	/* the simulator plays the suite's items: it borrows the suite */
	if (suite_load(suite_path, &rs->suite, err) < 0 ||
	    sim_load(m->simulator_pool, rs->suite, &rs->sim, err) < 0 ||
	    sim_start(rs->sim, 0, err) < 0)
		return -1;
	setenv("UMPIRE_SIM_URL", sim_base_url(rs->sim), 1);
	return 0;
}

static int start_proxy(cli_run_setup *rs, um_models *m, um_run_opts *o, um_error *err)
{
	um_proxy_opts po;
	char *up;

	if (!m->proxy)
		return 0;
	if (m->proxy_upstreams) {
		if (models_load(m->proxy_upstreams, &rs->upstreams, err) < 0 ||
		    models_expand_env(rs->upstreams, err) < 0)
			return um_error_prefix(err, "proxy upstreams");
	} else {
		if (models_expand_env(m, err) < 0)
			return -1;
		rs->upstreams = m;
		rs->models = NULL; /* now owned as the upstream table */
	}
	rs->queue = evq_new(0);
	memset(&po, 0, sizeof(po));
	po.upstreams = rs->upstreams;
	po.on_event = evq_sink;
	po.event_ctx = rs->queue;
	if (m->proxy_attribution == 2) {
		po.current_attempt = evq_flight_current;
		po.attempt_ctx = rs->queue;
	}
	if (proxy_new(&po, &rs->proxy, err) < 0 || proxy_start(rs->proxy, 0, err) < 0)
		return um_error_prefix(err, "recording proxy");
	up = um_xasprintf("%s/v1", proxy_base_url(rs->proxy));
	setenv("UMPIRE_PROXY_URL", proxy_base_url(rs->proxy), 1);
	if (rs->sim)
		sim_set_upstream(rs->sim, up);
	free(up);
	o->routing = rs->queue;
	o->routing_quiesce = quiesce_proxy;
	o->routing_ctx = rs;
	o->routing_upstreams = rs->upstreams;
	return 0;
}

static int load_predictions(cli_run_setup *rs, const char *path, um_run_opts *o,
			    um_error *err)
{
	sweimport_preds preds;
	size_t i;

	if (sweimport_predictions_load(path, NULL, &preds, err) < 0) {
		sweimport_preds_release(&preds);
		return -1;
	}
	rs->patches = json_object();
	for (i = 0; i < preds.n; i++)
		json_object_set_new(rs->patches, preds.items[i].instance_id,
				    json_string(preds.items[i].model_patch));
	rs->pred_text = sweimport_predictions_json(&preds);
	rs->vendor = preds.vendor_json ? json_loads(preds.vendor_json, 0, NULL) : NULL;
	rs->preds.vendor = rs->vendor;
	rs->pred_model = preds.model ? um_xstrdup(preds.model) : NULL;
	sweimport_preds_release(&preds);
	rs->preds.patches = rs->patches;
	rs->preds.text = rs->pred_text;
	rs->preds.model = rs->pred_model;
	o->predictions = &rs->preds;
	return 0;
}

int cli_run_setup_start(cli_run_setup *rs, um_run_opts *o, const char *predictions_path,
			um_error *err)
{
	um_error scratch;

	memset(rs, 0, sizeof(*rs));
	if (predictions_path)
		return load_predictions(rs, predictions_path, o, err);
	if (!o->models_path)
		return 0;
	/* errors in the models file are the runner's to report, with the rest */
	if (models_load_flags(o->models_path, UM_MODELS_DEFER_ENV, &rs->models, &scratch) < 0)
		return 0;
	if (start_simulator(rs, rs->models, o->suite_path, err) < 0)
		return -1;
	return start_proxy(rs, rs->models, o, err);
}

void cli_run_setup_stop(cli_run_setup *rs)
{
	if (rs->proxy) {
		proxy_stop(rs->proxy);
		proxy_free(rs->proxy);
	}
	evq_free(rs->queue);
	if (rs->sim) {
		sim_stop(rs->sim);
		sim_free(rs->sim);
	}
	if (rs->suite)
		suite_free(rs->suite);
	if (rs->upstreams)
		models_free(rs->upstreams);
	if (rs->models)
		models_free(rs->models);
	if (rs->patches)
		json_decref(rs->patches);
	if (rs->vendor)
		json_decref(rs->vendor);
	free(rs->pred_text);
	free(rs->pred_model);
	memset(rs, 0, sizeof(*rs));
}
