/*
 * admin — `isacd admin …` and `isacd audit verify`: direct database work
 * for operators of the server, printing JSON on stdout for scripts.
 *
 * Each command returns a process exit status: 0 done, 1 refused or failed
 * (a JSON problem on stdout says why), 2 usage error (text on stderr).
 */
#ifndef ISACD_ADMIN_H
#define ISACD_ADMIN_H

/* Dispatch `admin <command> [--option value]…`; argv[0] is the command. */
int admin_main(int argc, char **argv);

/* `audit verify`: recompute the audit hash chain. */
int admin_audit_main(int argc, char **argv);

/* Usage text of the admin commands. */
const char *admin_help(void);

#endif
