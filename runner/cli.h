/*
 * cli.h — one entry point per subcommand (runner/cli_<command>.c).
 * Each returns the process exit code (docs/exit-codes.md).
 */
#ifndef MIGSAFE_CLI_H
#define MIGSAFE_CLI_H

int cli_check(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_dry_run(int argc, char **argv);
int cli_apply(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_blockers(int argc, char **argv);

#endif
