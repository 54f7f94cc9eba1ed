/*
 * client — `isacd submit`: the operator's command-line client. Signs a
 * report with RFC 9421 (Ed25519) and Content-Digest, POSTs it with libcurl,
 * prints the server's answer and verifies the receipt against
 * GET /v1/server-key.
 */
#ifndef ISACD_CLIENT_H
#define ISACD_CLIENT_H

/*
 * argv: --url BASE --key SEEDFILE --key-id KID FILE. Exit status: 0 when
 * the report was accepted (201) and its receipt verified, 1 when refused or
 * the receipt does not verify, 2 usage error.
 */
int client_submit_main(int argc, char **argv);

#endif
