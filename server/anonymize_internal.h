/*
 * anonymize_internal — what anonymize.c, anonymize_match.c and
 * anonymize_text.c share, and no other module includes.
 *
 * The split: anonymize_match.c says what is identifying (needles, address
 * ranges); anonymize_text.c finds it in text (the scanner) and renders the
 * scrubbed text; anonymize_view.c decodes the text as a reader would
 * (percent escapes, defanged addresses) for the scanner to read too;
 * anonymize.c builds the bulletin from a report. Free text
 * and indicators are judged by the same needles and the same address
 * rules, so they cannot disagree about what identifies an operator.
 */
#ifndef ISACD_ANONYMIZE_INTERNAL_H
#define ISACD_ANONYMIZE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "anonymize.h"

/* Why a byte of text is redacted; 0 keeps it. Order is scanner order. */
enum anon_reason {
	ANON_KEEP = 0,
	ANON_ORG_NAME,
	ANON_ORG_ID,
	ANON_KEY_ID,
	ANON_TERM,
	ANON_CONTACT,
	ANON_OWN_DOMAIN,
	ANON_OWN_RANGE,
	ANON_PRIVATE,
	ANON_EMAIL,
	ANON_PHONE,
	ANON__COUNT
};

/* "org-name", "own-range"...; never NULL. */
const char *anon_reason_name(enum anon_reason reason);

/*
 * A literal to find in text: ASCII case folded, a run of white space in
 * the needle matching any run (even none) of white space in the text, and
 * any run (or none) allowed between two characters of which one is CJK.
 * `whole_word` refuses a match whose ASCII-alphanumeric edge touches
 * another ASCII alphanumeric. `s` is borrowed from the org or contacts.
 */
struct anon_needle {
	const char *s;
	size_t n;
	enum anon_reason reason;
	bool whole_word;
};

struct anon_needles {
	struct anon_needle *v;
	size_t count;
};

/*
 * The needles of an org and a report's contacts (array of objects, may be
 * NULL): name, name without its legal form, id, key ids, terms, domains,
 * and each contact's name, name parts, e-mail and phone. Returns false on
 * allocation failure. Free with anon_needles_free() in either case.
 */
bool anon_needles_build(struct anon_needles *nl, const struct anonymize_org *org,
                        const json_t *contacts);
void anon_needles_free(struct anon_needles *nl);

/* End of the needle's match starting at s[i], or 0 when it does not match there. */
size_t anon_needle_at(const char *s, size_t n, size_t i, const struct anon_needle *nd);

/* An IPv4 (af 4) or IPv6 (af 6) network; a single address has the full prefix. */
struct anon_net {
	int af;
	unsigned char addr[16];
	unsigned prefix;
};

/* Parse all of s[0..n): an address with an optional "/prefix". */
bool anon_net_parse(const char *s, size_t n, struct anon_net *net);

/*
 * ANON_OWN_RANGE when net overlaps one of the org's ranges, else
 * ANON_PRIVATE when it overlaps a private, loopback, link-local, ULA,
 * site-local or CGNAT block, else ANON_KEEP. IPv4-mapped IPv6 addresses
 * are judged as IPv4 too.
 */
enum anon_reason anon_net_reason(const struct anon_net *net, const struct anonymize_org *org);

/* The scanner's detectors. */
enum {
	ANON_SCAN_NEEDLES = 1,   /* anon_needles, own domains grown to host name and URL */
	ANON_SCAN_ADDRESSES = 2, /* own-range and private IPv4/IPv6 literals and CIDRs */
	ANON_SCAN_EMAILS = 4,
	ANON_SCAN_PHONES = 8,
	ANON_SCAN_ALL = 15,
};

/*
 * Scrub s[0..n) (valid UTF-8) with every detector, on the text and on its
 * view (below), appending redaction
 * entries named `field` to `redactions` (may be NULL). Returns malloc'd
 * text or NULL on allocation failure.
 */
char *anon_scrub(const char *s, size_t n, const struct anonymize_org *org,
                 const struct anon_needles *nl, const char *field, json_t *redactions);

/*
 * The reason for the first byte of s[0..n) that the detectors in `what`
 * would redact, reading the text and its view, or ANON_KEEP. Sets *ok false on allocation failure.
 */
enum anon_reason anon_scan_first(const char *s, size_t n, const struct anonymize_org *org,
                                 const struct anon_needles *nl, unsigned what, bool *ok);

/*
 * The text as a reader decodes it (anonymize_view.c): percent escapes, '+'
 * for a space in a query, and defanged forms ("[.]", "hxxp", "[@]"...)
 * decoded. View byte v comes from the text's bytes [src[v], src[v + 1]).
 */
struct anon_view {
	char *s; /* n bytes and a NUL; may hold bytes that are not UTF-8 */
	size_t n;
	size_t *src;            /* n + 1 offsets into the text, ascending */
	unsigned char *decoded; /* per text byte: 1 when part of a percent escape or query '+' */
	bool changed;           /* the view differs from the text */
};

/*
 * Build the view of s[0..n) into *view (n bounds its size). Returns false
 * on allocation failure. Free with anon_view_free() in either case.
 */
bool anon_view_build(struct anon_view *view, const char *s, size_t n);
void anon_view_free(struct anon_view *view);

/* Marks s[0..n) (one reason per byte, ANON_KEEP = none yet) with some detectors. */
typedef void anon_detect_fn(const char *s, size_t n, unsigned char *mark, void *ctx);

/*
 * Run `detect` on s[0..n) and on its view, adding to `mark` (n reasons)
 * what either finds: a view byte's mark lands on every text byte it came
 * from, and a mark in a token that held a percent escape grows to the
 * whole token. Where both readings mark a byte, the smaller reason (the
 * earlier detector) wins. Returns false on allocation failure.
 */
bool anon_view_scan(const char *s, size_t n, unsigned char *mark, anon_detect_fn *detect,
                    void *ctx);

/* ASCII helpers, locale-free. */
static inline bool anon_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool anon_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool anon_is_alnum(unsigned char c)
{
	return anon_is_digit(c) || anon_is_alpha(c);
}

static inline unsigned char anon_fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Code point of the UTF-8 sequence at s[i] (i < n) and its length; U+FFFD, 1 when malformed. */
uint32_t anon_cp_at(const char *s, size_t n, size_t i, size_t *len);

/* Length of the white space (ASCII, U+00A0, U+3000) at s[i], or 0. */
size_t anon_space_at(const char *s, size_t n, size_t i);

#endif
