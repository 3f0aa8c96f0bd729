/*
 * scaffold.h - the neutral scaffold: message templates with {{var}}
 * substitution, the sampling parameters the scaffold states (and nothing
 * else is ever sent), and the answer extractor. Format: docs/scaffold.md.
 *
 * Templates have no logic: {{name}} is replaced by the variable's value;
 * an unknown variable is an error at load time (against the documented
 * variable set) and again at render time.
 */
#ifndef UMPIRE_SCAFFOLD_H
#define UMPIRE_SCAFFOLD_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"

typedef enum { UM_OCC_FIRST, UM_OCC_LAST } um_occurrence;
/* normalisation applied to the captured answer before mapping to a label */
typedef enum { UM_NORM_NONE, UM_NORM_UPPER, UM_NORM_STRIP_UPPER } um_normalize;

typedef struct um_msg_tmpl {
	char *role;      /* system | user | assistant */
	char *content;   /* template text */
} um_msg_tmpl;

typedef struct um_extractor {
	char *pattern;          /* PCRE2; group 1 (or the whole match) is the answer */
	um_occurrence occurrence;
	um_normalize normalize;
	void *code;             /* pcre2_code_8 *, compiled at load */
} um_extractor;

/* Kind "agent": one bash tool and a submit tool, and the limits every
 * system runs under (recorded with the run). */
typedef struct um_agent_cfg {
	char *bash_description, *submit_description;
	int64_t output_limit_bytes;  /* stdout and stderr each cut here, with a marker */
	int command_timeout_s;       /* per bash command */
	int turns;                   /* model calls per attempt */
	int64_t total_tokens;        /* input + output over the attempt */
	int64_t cost_micro;          /* spend over the attempt */
	int wall_s;                  /* wall time of the agent phase */
} um_agent_cfg;

/* Kind judged: the judge that grades the answers of items whose grader is
 * "judge" (docs/judged.md). One judge for every system of a run. */
typedef struct um_judge_cfg {
	char *system;           /* the models.yaml system that judges; NULL: no judge */
	char *format;           /* how its reply is read: fields | json (grade/judge.h) */
	char *system_prompt;    /* its system message, or NULL */
	char *prompt;           /* its user message: {{question}}, {{response}},
				 * {{correct_answer}}, {{instructions}} */
	json_t *params;         /* the sampling parameters of its requests */
	char **instr_types;     /* per answer type: the text of {{instructions}} */
	char **instr_texts;
	int n_instr;
} um_judge_cfg;

typedef struct um_scaffold {
	char *path;
	char *name;
	char *kind;              /* "mcq" | "agent" | "code" | "judged" | "scicode" */
	um_msg_tmpl *messages;
	int n_messages;
	json_t *params;          /* object: exactly the sampling keys to send */
	json_t *reasoning;       /* {"effort","budget_tokens"} (either or both), or NULL */
	char *labels;            /* choice labels, e.g. "ABCD" (default "ABCD...") */
	char *choice_format;     /* how one choice renders in {{choices}}: default "({{label}}) {{text}}" */
	um_extractor extract;        /* kind mcq */
	um_agent_cfg agent;          /* kind agent */
	char *code_with_starter;     /* kind code: {{format}} for a problem with starter code */
	char *code_without_starter;  /* kind code: {{format}} for a stdin program */
	json_t *tools;               /* kind agent: neutral tool definitions [{name, description, parameters}] */
	um_judge_cfg judge;          /* kind judged */
	char **answer_types;         /* kind judged: per answer type, the text of
				      * {{answer_instructions}} (a template of {{decimals}}) */
	char **answer_texts;
	int n_answer;
	int sci_background;          /* kind scicode: steps carry their background */
	char *sci_template_file;     /* kind scicode: SciCode's template file, resolved against
				      * the scaffold; then the one message is that template's
				      * text (Python str.format, load/scitmpl.h), and text
				      * holds its bytes as template_text */
	char *charxiv_source;        /* kind judged: the clone of CharXiv that charxiv.source
				      * names, resolved against the scaffold */
	struct um_cxprompt *charxiv; /* kind judged with charxiv.source: CharXiv's own prompts
				      * (load/cxprompt.h) in place of messages, answer
				      * instructions and the judge's prompt; text holds them
				      * as charxiv_text. NULL otherwise. Owned */
	char sha256[65];
	char *text;              /* file bytes, for the store */
} um_scaffold;

/* Variables for rendering: parallel arrays of names and values. */
typedef struct um_vars {
	const char *names[64];
	const char *values[64];
	int n;
} um_vars;
void um_vars_set(um_vars *v, const char *name, const char *value);

int scaffold_load(const char *path, um_scaffold **out, um_error *err);
int scaffold_load_buffer(const char *file, const char *data, size_t len, um_scaffold **out,
			 um_error *err);
void scaffold_free(um_scaffold *s);

/* The neutral request {"messages", "params", "reasoning"?} of these
 * messages (the reference is stolen) under the scaffold's params. New. */
json_t *scaffold_request(const um_scaffold *s, json_t *messages);
/* The item's images (base64, checked against their hashes) join the last
 * user message of msgs as image parts before its text (docs/suite.md,
 * "Images"): mcq and judged items alike; after_text puts them after it
 * (CharXiv's own order, for a scaffold with charxiv.source). scaffold names
 * the scaffold (or the dataset) in the error when no user message has text
 * to show them in. */
struct um_item;
int scaffold_attach_images(const struct um_item *it, const char *scaffold, json_t *msgs,
			   int after_text, um_error *err);

/* The answer instructions of a judged scaffold for an answer type (the
 * template, "" when none). Borrowed. */
const char *scaffold_answer_instructions(const um_scaffold *s, const char *answer_type);
/* The judge's instructions for an answer type ("" when none). Borrowed. */
const char *scaffold_judge_instructions(const um_scaffold *s, const char *answer_type);

/* Render one template. Caller frees *out. */
int scaffold_render_text(const char *tmpl, const um_vars *vars, char **out, um_error *err);

/* Render the scaffold's messages into a JSON array of {"role","content"}.
 * Returns a new reference, or NULL with err. */
json_t *scaffold_render_messages(const um_scaffold *s, const um_vars *vars, um_error *err);

/* Apply the extractor to a model's text. Returns 1 and fills answer (after
 * normalisation) when found, 0 when not found. -1 on a PCRE2 error. */
int scaffold_extract(const um_extractor *x, const char *text, char *answer, size_t answer_size,
		     um_error *err);

/* Compile / free an extractor standalone (rescoring with other regexes).
 * extractor_compile reads x->pattern only (occurrence and normalize are the
 * caller's) and replaces any code already compiled. extractor_release frees
 * the compiled code only; x->pattern stays the caller's. A pattern error is
 * UM_ERR_INVALID naming PCRE2's message and the offset. */
int extractor_compile(um_extractor *x, um_error *err);
void extractor_release(um_extractor *x);

/* The variables of one multiple-choice prompt, with the strings that back
 * them. choices are in display order (after the attempt's permutation);
 * labels are the scaffold's first n; {{choices}} is choice_format rendered
 * once per choice, joined with "\n"; A..Z (the labels) name the choice
 * texts; sample is written in decimal. Strings passed in are borrowed and
 * must outlive the use of v->vars; v->vars points into *v, so do not copy
 * the struct. Release with scaffold_mcq_vars_release. */
typedef struct um_mcq_vars {
	um_vars vars;
	char *choices;          /* owned */
	char labels[27];
	char label_list[80];    /* "A, B, C, D" */
	char label_name[26][2]; /* "A", "B", ... */
	char sample[24];
} um_mcq_vars;
int scaffold_mcq_vars(const um_scaffold *s, const char *question, const char *const *choices,
		      int n, const char *category, const char *subcategory, const char *item_id,
		      int sample, um_mcq_vars *v, um_error *err);
void scaffold_mcq_vars_release(um_mcq_vars *v);

#endif
