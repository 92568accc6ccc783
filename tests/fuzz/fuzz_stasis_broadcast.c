/*
 * StasisBroadcast for Asterisk
 *
 * This program is free software, distributed under the terms of
 * the GNU General Public License Version 2.
 */

/*! \file
 *
 * \brief A module that runs libFuzzer on our parsers inside a real Asterisk:
 *        fuzz stasis_broadcast run TARGET LOGFILE [libFuzzer flags and dirs]
 *
 * Our parsers lean on Asterisk's own code: the dialplan argument separator,
 * the configuration parser, JSON, the HTTP server's Basic authentication and
 * form decoding, ARI's responses. The asterisk binary cannot be linked into a
 * fuzzer, and stubs would replace exactly the code whose behaviour our
 * parsers rely on. So the fuzzer comes to Asterisk instead: this module is
 * built from the same sources as the product (instrumented for coverage,
 * ASan and UBSan), loaded into an Asterisk started with the sanitizer
 * runtime preloaded (tests/fuzz/run.sh), and a CLI command starts libFuzzer's
 * driver on one target in a thread of its own.
 *
 * libFuzzer ends the process when it is done (exit) or has a finding (_exit
 * after writing the input): one Asterisk per run. Its report goes to LOGFILE,
 * since a daemonised Asterisk has no stderr.
 *
 * Leaks are looked for once, when the run ends, not after every input as
 * libFuzzer would: its check compares the mallocs and frees made while an
 * input runs, and Asterisk's other threads (and its logger, which frees what
 * our warnings allocate) make those differ all the time. LeakSanitizer then
 * would report Asterisk's own leaks too, but a run of Asterisk alone has
 * none it can see: run.sh counts every leak as a finding.
 */

/*** MODULEINFO
	<depend>res_ari</depend>
	<support_level>extended</support_level>
 ***/

#include "asterisk.h"

#include <fcntl.h>
#include <pthread.h>
#include <sanitizer/lsan_interface.h>
#include <signal.h>
#include <time.h>

#include "asterisk/cli.h"
#include "asterisk/ast_version.h"
#include "asterisk/module.h"
#include "asterisk/utils.h"

#include "fuzz.h"

/*! libFuzzer's entry point when the program has its own main (libclang_rt.fuzzer_no_main). */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/*! Large enough for libFuzzer and sanitizer-instrumented frames. */
#define FUZZ_STACK_SIZE (16 * 1024 * 1024)

static const struct fuzz_target *const targets[] = {
	&fuzz_arguments,
	&fuzz_filter,
	&fuzz_claim_params,
	&fuzz_ari_auth,
	&fuzz_ari_conf,
	&fuzz_claim_http,
};

/*! What the fuzzing thread runs: libFuzzer's argv and the target. */
struct fuzz_run {
	const struct fuzz_target *target;
	int argc;
	char **argv;
	char *log;
};

/*! Only one run per process: libFuzzer's state is global. */
static int started;

/*! The target of this process's run */
static const struct fuzz_target *current;
/*! The thread libFuzzer runs in, for the watchdog's alarms */
static pthread_t fuzzing_thread;
/*! When the input in progress began (monotonic seconds + 1), 0 between inputs */
static int64_t input_began;

/*! How long an input runs before the watchdog starts its alarms. */
#define WATCHDOG_GRACE_SECONDS 2

static int64_t monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1;
}

/*! \brief libFuzzer's callback: the target's own, timed for the watchdog. */
static int one_input(const uint8_t *data, size_t size)
{
	int res;

	__atomic_store_n(&input_began, monotonic_seconds(), __ATOMIC_RELAXED);
	res = current->one_input(data, size);
	__atomic_store_n(&input_began, 0, __ATOMIC_RELAXED);
	return res;
}

/*!
 * \brief Bring libFuzzer's timeout alarms to the fuzzing thread.
 *
 * libFuzzer notices a slow input through a process-wide SIGALRM every second,
 * and ignores the signal on any thread but its own. In Asterisk a hundred
 * threads can take it, so an input that hangs went unnoticed (it happened).
 * Once an input has run WATCHDOG_GRACE_SECONDS, this sends the alarm to the
 * fuzzing thread itself every second; libFuzzer's -timeout then reports the
 * input and keeps it, as it would in a program of its own.
 */
static void *watchdog(void *unused)
{
	for (;;) {
		int64_t began = __atomic_load_n(&input_began, __ATOMIC_RELAXED);

		if (began && monotonic_seconds() - began >= WATCHDOG_GRACE_SECONDS) {
			pthread_kill(fuzzing_thread, SIGALRM);
		}
		sleep(1);
	}
	return NULL;
}

/*! Exit status of a run that ended with leaks (libFuzzer's own for a leak). */
#define LEAK_EXIT_STATUS 77

/*!
 * \brief Check for leaks, then leave at once with libFuzzer's status.
 *
 * libFuzzer ends a finished run with exit(). Everything else in Asterisk is
 * still running then, and the exit-time destructors of its modules and
 * libraries could crash against those threads -- after the run, but seen by
 * libFuzzer's signal handlers as a crash of the last input. Registered last,
 * this handler runs first and skips them.
 */
static void leave_now(int status, void *unused)
{
	if (!status) {
		if (current && current->finish) {
			current->finish();
		}
		fprintf(stderr, "fuzz: leak check at the end of the run\n");
		if (__lsan_do_recoverable_leak_check()) {
			status = LEAK_EXIT_STATUS;
		}
	}
	fflush(stdout);
	fflush(stderr);
	_exit(status);
}

static void *fuzz_thread(void *data)
{
	struct fuzz_run *run = data;
	int fd = open(run->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pthread_t watchdog_thread;

	if (fd < 0) {
		ast_log(LOG_ERROR, "fuzz: cannot open %s: %s\n", run->log, strerror(errno));
		return NULL;
	}
	/* libFuzzer and the sanitizers report on stderr (stdout for some stats). */
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	setvbuf(stderr, NULL, _IONBF, 0);

	fprintf(stderr, "fuzz: target %s in Asterisk %s\n", run->target->name, ast_get_version());
	if (run->target->setup && run->target->setup()) {
		fprintf(stderr, "fuzz: target %s could not be set up\n", run->target->name);
		_exit(2);
	}
	current = run->target;
	fuzzing_thread = pthread_self();
	if (ast_pthread_create_detached_background(&watchdog_thread, NULL, watchdog, NULL)) {
		fprintf(stderr, "fuzz: no watchdog thread\n");
		_exit(2);
	}
	on_exit(leave_now, NULL);
	LLVMFuzzerRunDriver(&run->argc, &run->argv, one_input);
	/* Not reached: the driver exits. */
	return NULL;
}

static const struct fuzz_target *target_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(targets); i++) {
		if (!strcmp(targets[i]->name, name)) {
			return targets[i];
		}
	}
	return NULL;
}

/*! \brief Start the fuzzing thread; the run outlives the CLI command. */
static int fuzz_start(const struct fuzz_target *target, const char *log, int argc,
	const char *const *argv)
{
	struct fuzz_run *run = ast_calloc(1, sizeof(*run));
	pthread_attr_t attr;
	pthread_t thread;
	int i, res;

	if (!run || !(run->argv = ast_calloc(argc + 2, sizeof(char *)))) {
		ast_free(run);
		return -1;
	}
	run->target = target;
	run->log = ast_strdup(log);
	/* libFuzzer reads argv[0] as the program name. */
	run->argv[0] = ast_strdup("fuzz_stasis_broadcast");
	for (i = 0; i < argc; i++) {
		run->argv[i + 1] = ast_strdup(argv[i]);
	}
	run->argc = argc + 1;

	/* Never freed: the process ends with the run. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, FUZZ_STACK_SIZE);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	res = pthread_create(&thread, &attr, fuzz_thread, run);
	pthread_attr_destroy(&attr);
	return res ? -1 : 0;
}

static char *handle_fuzz_run(struct ast_cli_entry *e, int cmd, struct ast_cli_args *a)
{
	const struct fuzz_target *target;
	size_t i;

	switch (cmd) {
	case CLI_INIT:
		e->command = "fuzz stasis_broadcast run";
		e->usage =
			"Usage: fuzz stasis_broadcast run <target> <logfile> [libFuzzer flags and dirs]\n"
			"       Runs libFuzzer on one StasisBroadcast parser in this process, reporting\n"
			"       to <logfile>. Asterisk exits when the run ends. Targets: arguments,\n"
			"       filter, claim_params, ari_auth, ari_conf, claim_http.\n";
		return NULL;
	case CLI_GENERATE:
		return NULL;
	}
	if (a->argc < 5) {
		return CLI_SHOWUSAGE;
	}
	target = target_find(a->argv[3]);
	if (!target) {
		ast_cli(a->fd, "No fuzz target '%s'. Targets:", a->argv[3]);
		for (i = 0; i < ARRAY_LEN(targets); i++) {
			ast_cli(a->fd, " %s", targets[i]->name);
		}
		ast_cli(a->fd, "\n");
		return CLI_FAILURE;
	}
	if (ast_atomic_fetchadd_int(&started, 1)) {
		ast_cli(a->fd, "A fuzz run already ran in this process; start a new Asterisk.\n");
		return CLI_FAILURE;
	}
	if (fuzz_start(target, a->argv[4], a->argc - 5, a->argv + 5)) {
		ast_cli(a->fd, "Could not start the fuzz run.\n");
		return CLI_FAILURE;
	}
	ast_cli(a->fd, "Fuzzing %s; report in %s\n", target->name, a->argv[4]);
	return CLI_SUCCESS;
}

static struct ast_cli_entry cli_fuzz[] = {
	AST_CLI_DEFINE(handle_fuzz_run, "Run libFuzzer on a StasisBroadcast parser"),
};

static int unload_module(void)
{
	/* A run in progress uses this code until the process ends. */
	if (started) {
		return -1;
	}
	ast_cli_unregister_multiple(cli_fuzz, ARRAY_LEN(cli_fuzz));
	return 0;
}

static int load_module(void)
{
	ast_cli_register_multiple(cli_fuzz, ARRAY_LEN(cli_fuzz));
	return AST_MODULE_LOAD_SUCCESS;
}

AST_MODULE_INFO(ASTERISK_GPL_KEY, AST_MODFLAG_DEFAULT, "StasisBroadcast fuzz targets (libFuzzer)",
	.support_level = AST_MODULE_SUPPORT_EXTENDED,
	.load = load_module,
	.unload = unload_module,
	.requires = "res_ari,http",
);
