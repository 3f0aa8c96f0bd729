/*
 * run_setup.h - servers and inputs `umpire run` prepares for the runner
 * (run_setup.c).
 */
#ifndef UMPIRE_CLI_RUN_SETUP_H
#define UMPIRE_CLI_RUN_SETUP_H

#include <jansson.h>

#include "base/error.h"
#include "load/models.h"
#include "load/suite.h"
#include "run/runner.h"
#include "serve/proxy.h"
#include "serve/sim.h"
#include "store/evq.h"

typedef struct cli_run_setup {
	um_models *models;     /* the models file, read for its servers */
	um_models *upstreams;  /* the proxy's upstream table */
	um_suite *suite;       /* borrowed by the simulator */
	um_sim *sim;
	um_proxy *proxy;
	um_evq *queue;
	json_t *patches;       /* --predictions */
	char *pred_text, *pred_model;
	um_predictions preds;
	json_t *vendor;       /* the vendor's verdicts, or NULL */
} cli_run_setup;

/* Start what o->models_path asks for and fill o's routing fields, or load
 * the predictions file into o->predictions. rs is filled either way and must
 * be stopped with cli_run_setup_stop, after runner_run. */
int cli_run_setup_start(cli_run_setup *rs, um_run_opts *o, const char *predictions_path,
			um_error *err);
void cli_run_setup_stop(cli_run_setup *rs);

#endif
