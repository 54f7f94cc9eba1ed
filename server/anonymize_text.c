/*
 * anonymize_text — find what identifies an operator in free text and
 * replace it with "[redacted]".
 *
 * The scanner marks bytes, not spans: an array parallel to the text holds,
 * for each byte, the reason it must go (ANON_KEEP keeps it). Each detector
 * marks what it finds without caring what the others found; a maximal run
 * of marked bytes then becomes one "[redacted]" and one redaction entry.
 * Overlapping and touching matches so merge by construction, the memory is
 * one byte per input byte, and no list of spans grows with the input.
 * Every detector runs twice: on the text and on its view, the text as a
 * reader decodes it (anonymize_view.c: percent escapes, defanged forms),
 * whose marks land back on the bytes they were decoded from.
 *
 * Detectors, in marking order (the first to mark a byte names its reason):
 * needles (anonymize_match.c), own domains grown to the whole host name,
 * e-mail address and URL around them; own-range and private IPv4/IPv6
 * literals and CIDRs; every e-mail address (also with '＠', "[at]" or
 * "(at)"); phone numbers. Each is one
 * left-to-right pass looking at a bounded window per position, so a scan
 * costs O(n * needles) and never backtracks: any size is scrubbed, none
 * refused.
 *
 * Phone numbers are the judgement call. A candidate starts at '+', '(' or
 * a digit not glued to a word or to a '+', and reads digit groups joined
 * by ' ', '-', '.', " - " or parentheses; the longest prefix with a phone
 * number's shape wins: '+' then 8..15 digits; a Japanese domestic number
 * (leading 0, 10 or 11 digits, at most 3 groups); a North American 3-3-4.
 * ISO dates (8 digits, no leading 0), times (':' joins nothing), IPv4
 * addresses, CVE and ATT&CK ids, versions and ports fail every shape.
 * Full-width digits and dashes count: Japanese text writes
 * "０３－１２３４－５６７８".
 *
 * Must never: read outside the text, emit invalid UTF-8 (malformed input
 * bytes become U+FFFD first), or keep a byte a detector marked.
 */
#include "anonymize_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ANON_REDACTED           "[redacted]"
#define ANON_REDACTED_LEN       (sizeof(ANON_REDACTED) - 1)
#define ANON_PHONE_MAX_GROUPS   8
#define ANON_PHONE_MAX_DIGITS   15 /* E.164 */
#define ANON_MAIL_LOCAL_CJK_MAX 64 /* bytes of a non-ASCII local part we will take */

struct anon_scan {
	const char *s;
	size_t n;
	unsigned char *mark; /* n reasons; ANON_KEEP keeps the byte */
	const struct anonymize_org *org;
	const struct anon_needles *nl;
	unsigned what; /* ANON_SCAN_* detectors */
};

static void anon_mark(struct anon_scan *sc, size_t from, size_t to, enum anon_reason reason)
{
	for (size_t i = from; i < to && i < sc->n; i++) {
		if (sc->mark[i] == ANON_KEEP)
			sc->mark[i] = (unsigned char)reason;
	}
}

static bool anon_in(unsigned char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static bool anon_host_char(unsigned char c)
{
	return anon_is_alnum(c) || anon_in(c, "-._");
}

static bool anon_local_char(unsigned char c)
{
	return anon_is_alnum(c) || anon_in(c, "._%+-");
}

static bool anon_userinfo_char(unsigned char c)
{
	return anon_is_alnum(c) || anon_in(c, "-._~%!$&'()*+,;=:");
}

/* What a URL holds after its host: visible ASCII minus what text wraps URLs in. */
static bool anon_url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !anon_in(c, "<>\"`{}|\\^");
}

/* Start of the code point that ends at s[i - 1] (i > 0). */
static size_t anon_char_before(const char *s, size_t i)
{
	size_t j = i - 1;

	while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80 && i - j < 4)
		j--;
	return j;
}

/* Start of a "scheme://" that ends at pos, not below lo; pos when there is none. */
static size_t anon_scheme_start(const struct anon_scan *sc, size_t lo, size_t pos)
{
	const char *s = sc->s;
	size_t k;

	if (pos < lo + 3 || memcmp(s + pos - 3, "://", 3) != 0)
		return pos;
	k = pos - 3;
	while (k > lo && (anon_is_alnum((unsigned char)s[k - 1]) || anon_in(s[k - 1], "+.-")))
		k--;
	while (k < pos - 3 && !anon_is_alpha((unsigned char)s[k]))
		k++;
	return (k < pos - 3) ? k : pos;
}

/*
 * Grow a host starting at `start` left over "scheme://userinfo@", a mail
 * local part "local@", or "scheme://", never below lo. *url tells whether
 * a scheme was found.
 */
static size_t anon_grow_left(const struct anon_scan *sc, size_t lo, size_t start, bool *url)
{
	const char *s = sc->s;
	size_t u, k;

	*url = false;
	if (start > lo && s[start - 1] == '@') {
		u = start - 1;
		while (u > lo && anon_userinfo_char((unsigned char)s[u - 1]))
			u--;
		k = anon_scheme_start(sc, lo, u);
		if (k < u) {
			*url = true;
			return k;
		}
		u = start - 1;
		while (u > lo && anon_local_char((unsigned char)s[u - 1]))
			u--;
		return u;
	}
	k = anon_scheme_start(sc, lo, start);
	*url = k < start;
	return k;
}

/* Grow [.., end) right over ":port" and, when `path`, a URL's path, query and fragment. */
static size_t anon_grow_right(const struct anon_scan *sc, size_t end, bool path)
{
	const char *s = sc->s;
	size_t n = sc->n, e;

	if (end + 1 < n && s[end] == ':' && anon_is_digit((unsigned char)s[end + 1])) {
		end++;
		while (end < n && anon_is_digit((unsigned char)s[end]))
			end++;
	}
	if (!path || end >= n || !anon_in(s[end], "/?#"))
		return end;
	e = end;
	while (e < n && anon_url_char((unsigned char)s[e]))
		e++;
	while (e > end + 1 && anon_in(s[e - 1], ".,;:!?'\")]}"))
		e--;
	return e;
}

/* Mark an own domain found at [start, end) with its host name, mail address or URL. */
static size_t anon_mark_host(struct anon_scan *sc, size_t lo, size_t start, size_t end)
{
	size_t found_end = end;
	bool url;

	while (start > lo && anon_host_char((unsigned char)sc->s[start - 1]))
		start--;
	while (end < sc->n && anon_host_char((unsigned char)sc->s[end]))
		end++;
	while (end > found_end && anon_in(sc->s[end - 1], ".-_"))
		end--;
	start = anon_grow_left(sc, lo, start, &url);
	end = anon_grow_right(sc, end, true);
	anon_mark(sc, start, end, ANON_OWN_DOMAIN);
	return end;
}

static void anon_scan_needles(struct anon_scan *sc)
{
	for (size_t k = 0; k < sc->nl->count; k++) {
		const struct anon_needle *nd = &sc->nl->v[k];
		size_t covered = 0, end;

		for (size_t i = 0; i < sc->n; i++) {
			if (i < covered || (end = anon_needle_at(sc->s, sc->n, i, nd)) == 0)
				continue;
			if (nd->reason == ANON_OWN_DOMAIN)
				covered = anon_mark_host(sc, covered, i, end);
			else
				anon_mark(sc, i, end, nd->reason);
		}
	}
}

/* Mark an address at [start, end) with its brackets and the URL around it; returns the end. */
static size_t anon_mark_address(struct anon_scan *sc, size_t lo, size_t start, size_t end,
                                enum anon_reason reason)
{
	bool url;

	if (start > lo && end < sc->n && sc->s[start - 1] == '[' && sc->s[end] == ']')
		start--, end++;
	start = anon_grow_left(sc, lo, start, &url);
	end = anon_grow_right(sc, end, url);
	anon_mark(sc, start, end, reason);
	return end;
}

/* An optional "/prefix" (at most max) at s[k]: returns its end, or k when there is none. */
static size_t anon_prefix_at(const char *s, size_t n, size_t k, unsigned max, unsigned *prefix)
{
	unsigned v = 0;
	size_t d = 0;

	if (k >= n || s[k] != '/')
		return k;
	while (k + 1 + d < n && anon_is_digit((unsigned char)s[k + 1 + d]) && d < 4)
		v = v * 10 + (unsigned)(s[k + 1 + d] - '0'), d++;
	if (d == 0 || d > 3 || v > max)
		return k;
	if (k + 1 + d < n &&
	    (anon_is_alpha((unsigned char)s[k + 1 + d]) ||
	     (s[k + 1 + d] == '.' && k + 2 + d < n && anon_is_digit((unsigned char)s[k + 2 + d]))))
		return k;
	*prefix = v;
	return k + 1 + d;
}

static bool anon_wild(unsigned char c)
{
	return c == 'x' || c == 'X' || c == '*';
}

/* The wildcard tail of "198.51.100.x" or "10.20.*.*": the known parts as a prefix. */
static bool anon_ipv4_wild(const char *s, size_t n, size_t k, unsigned parts, struct anon_net *net,
                           size_t *end)
{
	net->prefix = 8 * parts;
	while (parts < 4) {
		size_t w = 0;

		if (k + 1 >= n || s[k] != '.' || !anon_wild((unsigned char)s[k + 1]))
			return false;
		k++;
		while (k < n && anon_wild((unsigned char)s[k]) && w < 3)
			k++, w++;
		parts++;
	}
	if (k < n && anon_is_alnum((unsigned char)s[k]))
		return false;
	*end = k;
	return true;
}

/* An IPv4 literal at s[i] with an optional /prefix, or a wildcard form. */
static bool anon_ipv4_at(const char *s, size_t n, size_t i, struct anon_net *net, size_t *end)
{
	unsigned parts = 0;
	size_t k = i;

	memset(net, 0, sizeof(*net));
	net->af = 4;
	for (;;) {
		unsigned v = 0, digits = 0;

		while (k < n && anon_is_digit((unsigned char)s[k]) && digits < 4)
			v = v * 10 + (unsigned)(s[k++] - '0'), digits++;
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		net->addr[parts++] = (unsigned char)v;
		if (parts == 4 || k + 1 >= n || s[k] != '.' ||
		    !anon_is_digit((unsigned char)s[k + 1]))
			break;
		k++;
	}
	if (parts < 4)
		return anon_ipv4_wild(s, n, k, parts, net, end);
	if (k + 1 < n && s[k] == '.' && anon_is_digit((unsigned char)s[k + 1]))
		return false; /* five parts: an OID or a version, not an address */
	net->prefix = 32;
	*end = anon_prefix_at(s, n, k, 32, &net->prefix);
	return true;
}

static void anon_scan_ipv4(struct anon_scan *sc)
{
	const char *s = sc->s;
	size_t i = 0, lo = 0, end;
	struct anon_net net;
	enum anon_reason reason;

	while (i < sc->n) {
		if (!anon_is_digit((unsigned char)s[i]) ||
		    (i > 0 && (anon_is_digit((unsigned char)s[i - 1]) || s[i - 1] == '.'))) {
			i++;
			continue;
		}
		if (anon_ipv4_at(s, sc->n, i, &net, &end) &&
		    (reason = anon_net_reason(&net, sc->org)) != ANON_KEEP) {
			lo = anon_mark_address(sc, lo, i, end, reason);
			i = lo;
		} else {
			i++;
		}
	}
}

static bool anon_v6_char(unsigned char c)
{
	return anon_is_digit(c) || (anon_fold(c) >= 'a' && anon_fold(c) <= 'f') || c == ':' ||
	       c == '.';
}

/* Trim a run [*a, *b) of hex digits, ':' and '.' to an IPv6 literal and its /prefix. */
static bool anon_ipv6_run(const char *s, size_t n, size_t *a, size_t *b, struct anon_net *net)
{
	char buf[INET6_ADDRSTRLEN];
	size_t x = *a, y = *b;

	while (y > x && s[y - 1] == '.')
		y--;
	if (y - x >= 2 && s[y - 1] == ':' && s[y - 2] != ':')
		y--;
	if (y - x >= 2 && s[x] == ':' && s[x + 1] != ':')
		x++;
	if (y <= x || y - x >= sizeof(buf))
		return false;
	memcpy(buf, s + x, y - x);
	buf[y - x] = '\0';
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET6, buf, net->addr) != 1)
		return false;
	net->af = 6;
	net->prefix = 128;
	*a = x;
	*b = anon_prefix_at(s, n, y, 128, &net->prefix);
	return true;
}

/*
 * The IPv6 literal in the run [*a, *b): the whole run, or when that does
 * not parse ("10.1.2.3:fd00::5"), its longest tail that does, starting at
 * a group within the last INET6_ADDRSTRLEN bytes.
 */
static bool anon_ipv6_in_run(const char *s, size_t n, size_t *a, size_t *b, struct anon_net *net)
{
	size_t x = *a, y = *b;

	if (anon_ipv6_run(s, n, &x, &y, net))
		goto found;
	for (x = (*b - *a > INET6_ADDRSTRLEN) ? *b - INET6_ADDRSTRLEN : *a + 1; x < *b; x++) {
		y = *b;
		if (s[x - 1] == ':' && s[x] != ':' && anon_ipv6_run(s, n, &x, &y, net))
			goto found;
	}
	return false;
found:
	*a = x, *b = y;
	return true;
}

static void anon_scan_ipv6(struct anon_scan *sc)
{
	const char *s = sc->s;
	size_t i = 0, lo = 0;
	struct anon_net net;
	enum anon_reason reason;

	while (i < sc->n) {
		size_t a = i, b = i, colons = 0;

		if (!anon_v6_char((unsigned char)s[i]) ||
		    (i > 0 && anon_v6_char((unsigned char)s[i - 1]))) {
			i++;
			continue;
		}
		while (b < sc->n && anon_v6_char((unsigned char)s[b]))
			colons += s[b++] == ':';
		i = b;
		if (colons < 2 || !anon_ipv6_in_run(s, sc->n, &a, &b, &net) ||
		    (reason = anon_net_reason(&net, sc->org)) == ANON_KEEP)
			continue;
		lo = anon_mark_address(sc, lo, a, b, reason);
		i = (lo > i) ? lo : i;
	}
}

/*
 * s[i] as ASCII with full-width forms folded ("０３－１２３４", "ｍａｉｌ．ｅｘａｍｐｌｅ"),
 * U+3000 as a space and Unicode dashes as '-'; 0x01 for other non-ASCII, NUL past the end.
 */
static unsigned char anon_ascii_at(const char *s, size_t n, size_t i, size_t *len)
{
	uint32_t cp;

	if (i >= n) {
		*len = 0;
		return '\0';
	}
	cp = anon_cp_at(s, n, i, len);
	if (cp < 0x80)
		return (unsigned char)cp;
	if (cp >= 0xff01 && cp <= 0xff5e)
		return (unsigned char)(cp - 0xfee0);
	if (cp == 0x3000)
		return ' ';
	if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0x30fc)
		return '-';
	return 0x01;
}

/* Where a non-ASCII mail local part stops: punctuation and spaces, CJK ones included. */
static bool anon_mail_stop(uint32_t cp)
{
	return cp < 0x80 || (cp >= 0x80 && cp <= 0xbf) || (cp >= 0x2000 && cp <= 0x206f) ||
	       (cp >= 0x3000 && cp <= 0x303f) || cp == 0x30fb || (cp >= 0xff01 && cp <= 0xff0f) ||
	       (cp >= 0xff1a && cp <= 0xff20) || (cp >= 0xff3b && cp <= 0xff40) ||
	       (cp >= 0xff5b && cp <= 0xff65) || cp == 0xfffd;
}

/* Start of the local part before the '@' at s[at], not below lo; at when there is none. */
static size_t anon_mail_local_start(const char *s, size_t lo, size_t at)
{
	size_t l = at, p, len;

	while (l > lo && anon_local_char((unsigned char)s[l - 1]))
		l--;
	if (l < at)
		return l;
	while (l > lo && at - l < ANON_MAIL_LOCAL_CJK_MAX) {
		p = anon_char_before(s, l);
		if (p < lo || anon_mail_stop(anon_cp_at(s, l, p, &len)) || p + len != l)
			break;
		l = p;
	}
	return l;
}

/* End of a mail domain starting at s[d] (full-width forms allowed), or 0 when there is none. */
static size_t anon_mail_domain_end(const char *s, size_t n, size_t d)
{
	size_t r = d, end = 0, len;
	unsigned dots = 0, dots_before_end = 0;
	bool label_letter = false, last_label_letter = false;
	unsigned char c;

	if (!anon_is_alnum(anon_ascii_at(s, n, d, &len)))
		return 0;
	for (; r < n; r += len) {
		c = anon_ascii_at(s, n, r, &len);
		if (c == '.') {
			dots++, label_letter = false;
		} else if (anon_is_alnum(c)) {
			label_letter = label_letter || anon_is_alpha(c);
			end = r + len, dots_before_end = dots, last_label_letter = label_letter;
		} else if (c != '-') {
			break;
		}
	}
	return (dots_before_end > 0 && last_label_letter) ? end : 0;
}

/*
 * An at-sign at s[i]: '@', the full-width '＠' Japanese text uses to keep
 * scrapers off, or "[at]" / "(at)" with a space either side or none. Sets
 * where the local part ends and where the domain starts.
 */
static bool anon_at_sign(const char *s, size_t n, size_t i, size_t *local_end, size_t *domain)
{
	*local_end = i;
	if (s[i] == '@') {
		*domain = i + 1;
		return true;
	}
	if (n - i >= 3 && memcmp(s + i, "\xef\xbc\xa0", 3) == 0) {
		*domain = i + 3;
		return true;
	}
	if (n - i < 4 || (s[i] != '[' && s[i] != '(') || strncasecmp(s + i + 1, "at", 2) != 0 ||
	    s[i + 3] != ((s[i] == '[') ? ']' : ')'))
		return false;
	*domain = (i + 4 < n && s[i + 4] == ' ') ? i + 5 : i + 4;
	*local_end = (i > 0 && s[i - 1] == ' ') ? i - 1 : i;
	return true;
}

static void anon_scan_emails(struct anon_scan *sc)
{
	size_t lo = 0, l, r, local_end, domain;

	for (size_t i = 0; i < sc->n; i++) {
		if (!anon_at_sign(sc->s, sc->n, i, &local_end, &domain))
			continue;
		l = anon_mail_local_start(sc->s, lo, local_end);
		r = anon_mail_domain_end(sc->s, sc->n, domain);
		if (l < local_end && r > 0)
			anon_mark(sc, l, r, ANON_EMAIL);
		lo = domain;
	}
}

struct anon_phone {
	bool plus;
	unsigned char first; /* first digit */
	unsigned digits, groups;
	unsigned group_len[ANON_PHONE_MAX_GROUPS];
};

/* Read one group, digits or "(digits)", at *i. */
static bool anon_phone_group(const char *s, size_t n, size_t *i, struct anon_phone *ph)
{
	size_t k = *i, len;
	unsigned g = 0;
	unsigned char c = anon_ascii_at(s, n, k, &len);
	bool paren = c == '(';

	if (paren)
		k += len;
	while (anon_is_digit(c = anon_ascii_at(s, n, k, &len))) {
		if (ph->digits++ == 0)
			ph->first = c;
		if (ph->digits > ANON_PHONE_MAX_DIGITS)
			return false;
		g++, k += len;
	}
	if (g == 0 || ph->groups == ANON_PHONE_MAX_GROUPS)
		return false;
	if (paren) {
		if (anon_ascii_at(s, n, k, &len) != ')')
			return false;
		k += len;
	}
	ph->group_len[ph->groups++] = g;
	*i = k;
	return true;
}

/*
 * Step over what joins two groups: a ' ', '-' or '.', a dash or dot with a
 * space either side ("03 - 1234 - 5678"), or nothing next to parentheses.
 */
static bool anon_phone_join(const char *s, size_t n, size_t *i)
{
	size_t k = *i, len;
	unsigned char c = anon_ascii_at(s, n, k, &len);
	bool joined = false;

	if (c == '(' || anon_is_digit(c)) /* a digit here can only follow ')' */
		return true;
	if (c == ' ') {
		k += len, joined = true;
		c = anon_ascii_at(s, n, k, &len);
	}
	if (c == '-' || c == '.') {
		k += len, joined = true;
		c = anon_ascii_at(s, n, k, &len);
		if (c == ' ') {
			k += len;
			c = anon_ascii_at(s, n, k, &len);
		}
	}
	if (!joined || (!anon_is_digit(c) && c != '('))
		return false;
	*i = k;
	return true;
}

static bool anon_phone_shape(const struct anon_phone *ph)
{
	unsigned first_len = ph->group_len[0], last_len = ph->group_len[ph->groups - 1];

	if (ph->plus)
		return ph->digits >= 8 && ph->digits <= 15 &&
		       (ph->groups == 1 ? ph->digits >= 10 : (first_len <= 3 && last_len >= 3));
	if (ph->first == '0')
		return (ph->digits == 10 || ph->digits == 11) && ph->groups <= 3 &&
		       (ph->groups == 1 || (first_len >= 2 && first_len <= 5 && last_len >= 3));
	return ph->groups == 3 && first_len == 3 && ph->group_len[1] == 3 && last_len == 4;
}

/* End of the longest phone number starting at s[i], or 0. */
static size_t anon_phone_at(const char *s, size_t n, size_t i)
{
	struct anon_phone ph = {0};
	size_t best = 0, len;
	unsigned char after;

	if (anon_ascii_at(s, n, i, &len) == '+') {
		ph.plus = true;
		i += len;
	}
	while (anon_phone_group(s, n, &i, &ph)) {
		after = anon_ascii_at(s, n, i, &len);
		if (anon_phone_shape(&ph) && !anon_is_alnum(after) && after != '_')
			best = i;
		if (!anon_phone_join(s, n, &i))
			break;
	}
	return best;
}

/* A number may start at s[i] unless glued to a word, a '+', or a dotted number's '.'. */
static bool anon_phone_start_ok(const char *s, size_t n, size_t i)
{
	size_t len, p;
	unsigned char prev;

	if (i == 0)
		return true;
	p = anon_char_before(s, i);
	prev = anon_ascii_at(s, n, p, &len);
	if (anon_is_alnum(prev) || prev == '_' || prev == '+')
		return false;
	return prev != '.' || p == 0 ||
	       !anon_is_digit(anon_ascii_at(s, n, anon_char_before(s, p), &len));
}

static void anon_scan_phones(struct anon_scan *sc)
{
	size_t i = 0, len, end;
	unsigned char c;

	while (i < sc->n) {
		c = anon_ascii_at(sc->s, sc->n, i, &len);
		if ((c == '+' || c == '(' || anon_is_digit(c)) &&
		    anon_phone_start_ok(sc->s, sc->n, i) &&
		    (end = anon_phone_at(sc->s, sc->n, i)) > 0) {
			anon_mark(sc, i, end, ANON_PHONE);
			i = end;
		} else {
			i += len;
		}
	}
}

static void anon_scan_run(struct anon_scan *sc, unsigned what)
{
	if (what & ANON_SCAN_NEEDLES)
		anon_scan_needles(sc);
	if (what & ANON_SCAN_ADDRESSES) {
		anon_scan_ipv4(sc);
		anon_scan_ipv6(sc);
	}
	if (what & ANON_SCAN_EMAILS)
		anon_scan_emails(sc);
	if (what & ANON_SCAN_PHONES)
		anon_scan_phones(sc);
}

/* Length of s[0..n) as valid UTF-8, malformed bytes as U+FFFD; written to out unless NULL. */
static size_t anon_utf8_clean(const char *s, size_t n, char *out)
{
	size_t i = 0, w = 0, len;

	while (i < n) {
		if (anon_cp_at(s, n, i, &len) == 0xfffd && len == 1) {
			if (out != NULL)
				memcpy(out + w, "\xef\xbf\xbd", 3);
			w += 3;
		} else {
			if (out != NULL)
				memcpy(out + w, s + i, len);
			w += len;
		}
		i += len;
	}
	return w;
}

static bool anon_note(json_t *redactions, const char *field, const char *s, size_t n,
                      enum anon_reason reason)
{
	if (redactions == NULL)
		return true;
	return json_array_append_new(redactions,
	                             json_pack("{s:s, s:s%, s:s}", "field", field, "original", s, n,
	                                       "reason", anon_reason_name(reason))) == 0;
}

static size_t anon_run_end(const struct anon_scan *sc, size_t i)
{
	while (i < sc->n && sc->mark[i] != ANON_KEEP)
		i++;
	return i;
}

/* The text with each run of marked bytes as "[redacted]", noting each run. */
static char *anon_render(const struct anon_scan *sc, const char *field, json_t *redactions)
{
	size_t size = 0, w = 0, end;
	char *text = NULL;

	for (size_t i = 0; i < sc->n; i = end) {
		end = (sc->mark[i] != ANON_KEEP) ? anon_run_end(sc, i) : i + 1;
		size += (sc->mark[i] != ANON_KEEP) ? ANON_REDACTED_LEN : 1;
	}
	text = malloc(size + 1);
	if (text == NULL)
		goto out;
	for (size_t i = 0; i < sc->n; i = end) {
		if (sc->mark[i] == ANON_KEEP) {
			text[w++] = sc->s[i];
			end = i + 1;
			continue;
		}
		end = anon_run_end(sc, i);
		memcpy(text + w, ANON_REDACTED, ANON_REDACTED_LEN);
		w += ANON_REDACTED_LEN;
		if (!anon_note(redactions, field, sc->s + i, end - i, sc->mark[i])) {
			free(text);
			text = NULL;
			goto out;
		}
	}
	text[w] = '\0';
out:
	return text;
}

/* An anon_detect_fn: the detectors in the scan's `what` with its org and needles. */
static void anon_detect(const char *s, size_t n, unsigned char *mark, void *scan)
{
	struct anon_scan sc = *(const struct anon_scan *)scan;

	sc.s = s, sc.n = n, sc.mark = mark;
	anon_scan_run(&sc, sc.what);
}

char *anon_scrub(const char *s, size_t n, const struct anonymize_org *org,
                 const struct anon_needles *nl, const char *field, json_t *redactions)
{
	struct anon_scan sc = {.org = org, .nl = nl, .what = ANON_SCAN_ALL};
	size_t clean_n = anon_utf8_clean(s, n, NULL);
	char *clean = malloc(clean_n + 1), *result = NULL;

	sc.mark = calloc(clean_n + 1, 1);
	if (clean == NULL || sc.mark == NULL)
		goto out;
	anon_utf8_clean(s, n, clean);
	clean[clean_n] = '\0';
	sc.s = clean;
	sc.n = clean_n;
	if (anon_view_scan(sc.s, sc.n, sc.mark, anon_detect, &sc))
		result = anon_render(&sc, (field != NULL) ? field : "", redactions);
out:
	free(clean);
	free(sc.mark);
	return result;
}

enum anon_reason anon_scan_first(const char *s, size_t n, const struct anonymize_org *org,
                                 const struct anon_needles *nl, unsigned what, bool *ok)
{
	struct anon_scan sc = {.s = s, .n = n, .org = org, .nl = nl, .what = what};
	enum anon_reason reason = ANON_KEEP;

	sc.mark = calloc(n + 1, 1);
	if (sc.mark == NULL || !anon_view_scan(s, n, sc.mark, anon_detect, &sc)) {
		*ok = false;
		goto out;
	}
	for (size_t i = 0; i < n && reason == ANON_KEEP; i++)
		reason = (enum anon_reason)sc.mark[i];
out:
	free(sc.mark);
	return reason;
}

char *anonymize_text(const char *text, const struct anonymize_org *org, const json_t *contacts,
                     const char *field, json_t *redactions)
{
	struct anon_needles nl = {0};
	char *result = NULL;

	if (text == NULL || !anonymize_org_valid(org) || !anon_needles_build(&nl, org, contacts))
		goto out;
	result = anon_scrub(text, strlen(text), org, &nl, field, redactions);
out:
	anon_needles_free(&nl);
	return result;
}
