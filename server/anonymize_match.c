/*
 * anonymize_match — what counts as identifying an operator.
 *
 * Two kinds of evidence. Needles: literal strings (the org's name and the
 * name without its legal form, its id, key ids, redaction terms, domains,
 * and the report's contact names, e-mails and phones), matched case-
 * insensitively for ASCII, with full-width Latin letters, digits and
 * signs ("ＫＰＧＲＩＤ") read as ASCII, and bytewise otherwise. Bytewise is exact for
 * valid UTF-8: no character's encoding occurs inside another's, so
 * "関東電力" matches only itself. White space inside a needle matches any
 * white space in the text, or none, so "Kanto Power" also finds
 * "Kanto\nPower" and "KantoPower" (and "山田 太郎" finds "山田太郎"). Between
 * two characters of which one is CJK or kana, the text may hold white space
 * (ASCII, U+3000, U+00A0) the needle does not: Japanese writes a name with
 * or without a space, so "山田太郎" also finds "山田　太郎". Latin needles
 * keep to their own spacing ("KPGRID" does not find "KPG RID").
 * Needles are substrings, not words (a term must never survive inside a
 * longer word), except the guessed ones: contact name parts and the name
 * without its legal form match whole words only, so "Li" does not eat
 * "client".
 *
 * Networks: an address or CIDR block is identifying when it overlaps one
 * of the org's ranges or a private block (RFC 1918, loopback, link-local,
 * ULA, site-local, CGNAT), since an internal address points at a network
 * and a network at an operator. Overlap, not containment: "198.51.0.0/16"
 * in a report names the org's /24 as surely as the /24 itself.
 *
 * Must never: keep a pointer to the org or contacts past the call that
 * built it, or treat a range it cannot parse as "no range" (the org is
 * refused by anonymize_org_valid() first).
 */
#include "anonymize_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ANON_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const anon_reason_names[ANON__COUNT] = {
        [ANON_KEEP] = "keep",
        [ANON_ORG_NAME] = "org-name",
        [ANON_ORG_ID] = "org-id",
        [ANON_KEY_ID] = "key-id",
        [ANON_TERM] = "term",
        [ANON_CONTACT] = "contact",
        [ANON_OWN_DOMAIN] = "own-domain",
        [ANON_OWN_RANGE] = "own-range",
        [ANON_PRIVATE] = "private",
        [ANON_EMAIL] = "email",
        [ANON_PHONE] = "phone",
};

const char *anon_reason_name(enum anon_reason reason)
{
	return ((unsigned)reason < ANON__COUNT) ? anon_reason_names[reason] : "unknown";
}

uint32_t anon_cp_at(const char *s, size_t n, size_t i, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s + i;
	size_t avail = n - i, want;
	uint32_t cp, min;

	*len = 1;
	if (p[0] < 0x80)
		return p[0];
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		want = 2, cp = p[0] & 0x1fu, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		want = 3, cp = p[0] & 0x0fu, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		want = 4, cp = p[0] & 0x07u, min = 0x10000;
	} else {
		return 0xfffd;
	}
	if (want > avail)
		return 0xfffd;
	for (size_t k = 1; k < want; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0xfffd;
		cp = (cp << 6) | (p[k] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	*len = want;
	return cp;
}

size_t anon_space_at(const char *s, size_t n, size_t i)
{
	unsigned char c = (unsigned char)s[i];
	size_t len;
	uint32_t cp;

	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return 1;
	if (c < 0x80)
		return 0;
	cp = anon_cp_at(s, n, i, &len);
	return (cp == 0xa0 || cp == 0x3000) ? len : 0;
}

/* Trim white space, and any byte of `also`, from both ends of s[0..*n). */
static const char *anon_trim(const char *s, size_t *n, const char *also)
{
	size_t len;

	while (*n > 0) {
		if ((len = anon_space_at(s, *n, 0)) == 0 &&
		    (s[0] == '\0' || strchr(also, s[0]) == NULL))
			break;
		len = (len == 0) ? 1 : len;
		s += len, *n -= len;
	}
	while (*n > 0) {
		if (s[*n - 1] != '\0' && strchr(also, s[*n - 1]) != NULL) {
			*n -= 1;
		} else if (*n >= 1 && anon_space_at(s, *n, *n - 1) == 1) {
			*n -= 1;
		} else if (*n >= 2 && anon_space_at(s, *n, *n - 2) == 2) {
			*n -= 2;
		} else if (*n >= 3 && anon_space_at(s, *n, *n - 3) == 3) {
			*n -= 3;
		} else {
			break;
		}
	}
	return s;
}

/*
 * The unit of comparison at s[i]: an ASCII byte or a full-width ASCII form
 * (U+FF01..U+FF5E, as Japanese text writes "ＫＰＧＲＩＤ") as lower-case
 * ASCII; any other byte as itself. *len is the bytes it spans.
 */
static unsigned char anon_match_unit(const char *s, size_t n, size_t i, size_t *len)
{
	unsigned char c = (unsigned char)s[i];
	uint32_t cp;

	*len = 1;
	if (c != 0xef)
		return anon_fold(c);
	cp = anon_cp_at(s, n, i, len);
	if (cp >= 0xff01 && cp <= 0xff5e)
		return anon_fold((unsigned char)(cp - 0xfee0));
	*len = 1;
	return c;
}

/*
 * Scripts written without spaces between words: CJK ideographs (with 々,
 * 〆, 〇 and the radicals), kana (with ・ and ー), half-width katakana and
 * Hangul. Full-width Latin is not among them: it is read as ASCII.
 */
static bool anon_is_cjk(uint32_t cp)
{
	return (cp >= 0x2e80 && cp <= 0x2fdf) || (cp >= 0x3005 && cp <= 0x3007) ||
	       (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x31f0 && cp <= 0x31ff) ||
	       (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) ||
	       (cp >= 0xac00 && cp <= 0xd7af) || (cp >= 0xf900 && cp <= 0xfaff) ||
	       (cp >= 0xff66 && cp <= 0xff9f) || (cp >= 0x20000 && cp <= 0x3ffff);
}

static size_t anon_skip_space(const char *s, size_t n, size_t k)
{
	size_t len;

	while (k < n && (len = anon_space_at(s, n, k)) > 0)
		k += len;
	return k;
}

/*
 * Each step of the needle takes one unit of the text, or skips white space:
 * any run of it where the needle has some, and any run (or none) between
 * two code points of which one is CJK, so "山田太郎" finds "山田　太郎".
 * A match never starts or ends on the skipped white space. A start costs
 * at most the needle's length plus the white space it skips, and a run of
 * white space is skipped only by the starts within one needle's length of
 * it, so a scan stays O(n * needle length).
 */
size_t anon_needle_at(const char *s, size_t n, size_t i, const struct anon_needle *nd)
{
	size_t j = 0, k = i, len, text_len;
	bool cjk, prev_cjk = false;

	while (j < nd->n) {
		if (anon_space_at(nd->s, nd->n, j) > 0) {
			j = anon_skip_space(nd->s, nd->n, j);
			k = anon_skip_space(s, n, k);
			continue;
		}
		if (((unsigned char)nd->s[j] & 0xc0) != 0x80) { /* a code point starts here */
			cjk = anon_is_cjk(anon_cp_at(nd->s, nd->n, j, &len));
			if (j > 0 && (cjk || prev_cjk))
				k = anon_skip_space(s, n, k);
			prev_cjk = cjk;
		}
		if (k >= n ||
		    anon_match_unit(s, n, k, &text_len) != anon_match_unit(nd->s, nd->n, j, &len))
			return 0;
		j += len, k += text_len;
	}
	if (nd->whole_word && ((anon_is_alnum((unsigned char)nd->s[0]) && i > 0 &&
	                        anon_is_alnum((unsigned char)s[i - 1])) ||
	                       (anon_is_alnum((unsigned char)nd->s[nd->n - 1]) && k < n &&
	                        anon_is_alnum((unsigned char)s[k]))))
		return 0;
	return k;
}

/* Legal forms that prefix or suffix a Japanese organization's name. */
static const char *const anon_jp_forms[] = {
        "株式会社",     "有限会社",     "合同会社",     "合資会社",     "合名会社",
        "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人", "独立行政法人",
        "（株）",       "(株)",         "㈱",           "（有）",       "(有)",
};

/* Legal forms that end an English name; matched case-insensitively after ' ' or ','. */
static const char *const anon_en_forms[] = {
        "co., ltd.",    "co.,ltd.", "co. ltd.", "co ltd", "company limited",
        "corporation",  "corp.",    "corp",     "inc.",   "inc",
        "incorporated", "k.k.",     "kk",       "ltd.",   "ltd",
        "limited",      "co.",      "llc",      "plc",
};

static bool anon_strip_form(const char **s, size_t *n)
{
	for (size_t i = 0; i < ANON_COUNT(anon_jp_forms); i++) {
		size_t m = strlen(anon_jp_forms[i]);

		if (*n > m && memcmp(*s, anon_jp_forms[i], m) == 0) {
			*s += m, *n -= m;
			return true;
		}
		if (*n > m && memcmp(*s + *n - m, anon_jp_forms[i], m) == 0) {
			*n -= m;
			return true;
		}
	}
	for (size_t i = 0; i < ANON_COUNT(anon_en_forms); i++) {
		size_t m = strlen(anon_en_forms[i]);

		if (*n > m && strncasecmp(*s + *n - m, anon_en_forms[i], m) == 0 &&
		    ((*s)[*n - m - 1] == ' ' || (*s)[*n - m - 1] == ',')) {
			*n -= m;
			return true;
		}
	}
	return false;
}

/* The name without its legal form: "株式会社関東電力" -> "関東電力". */
static const char *anon_core_name(const char *s, size_t *n)
{
	s = anon_trim(s, n, "");
	while (anon_strip_form(&s, n))
		s = anon_trim(s, n, ",");
	return s;
}

/* The next white-space separated part of s[0..n) from *pos; false when none is left. */
static bool anon_next_part(const char *s, size_t n, size_t *pos, const char **part, size_t *len)
{
	size_t i = *pos, sp;

	while (i < n && (sp = anon_space_at(s, n, i)) > 0)
		i += sp;
	if (i >= n)
		return false;
	*part = s + i;
	while (i < n && anon_space_at(s, n, i) == 0)
		i++;
	*len = (size_t)(s + i - *part);
	*pos = i;
	return true;
}

static size_t anon_code_points(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)s[i] & 0xc0) != 0x80;
	return count;
}

static void anon_add(struct anon_needles *nl, const char *s, size_t n, enum anon_reason reason,
                     bool whole_word)
{
	if (s == NULL)
		return;
	s = anon_trim(s, &n, "");
	if (n == 0)
		return;
	nl->v[nl->count++] = (struct anon_needle){s, n, reason, whole_word};
}

/* The string member `key` of obj, or NULL. */
static const char *anon_member(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Name, its parts when it has several (each of 2+ characters), e-mail, phone. */
static void anon_add_contact(struct anon_needles *nl, const json_t *contact)
{
	const char *name = anon_member(contact, "name"), *part;
	size_t pos = 0, len, parts = 0;

	if (name != NULL) {
		anon_add(nl, name, strlen(name), ANON_CONTACT, false);
		while (anon_next_part(name, strlen(name), &pos, &part, &len))
			parts++;
		for (pos = 0; parts > 1 && anon_next_part(name, strlen(name), &pos, &part, &len);) {
			if (anon_code_points(part, len) >= 2)
				anon_add(nl, part, len, ANON_CONTACT, true);
		}
	}
	if (anon_member(contact, "email") != NULL)
		anon_add(nl, anon_member(contact, "email"), strlen(anon_member(contact, "email")),
		         ANON_CONTACT, false);
	if (anon_member(contact, "phone") != NULL)
		anon_add(nl, anon_member(contact, "phone"), strlen(anon_member(contact, "phone")),
		         ANON_CONTACT, false);
}

/*
 * A registered domain without its root dot, and its first label when that
 * is a brand rather than a host ("kanto-power" of "kanto-power.example",
 * 3+ bytes, not "www"): attackers register lookalikes such as
 * "kanto-power-login.example", which name the victim as surely.
 */
static void anon_add_domain(struct anon_needles *nl, const char *domain)
{
	size_t n = strlen(domain);
	const char *dot;

	while (n > 0 && domain[0] == '.')
		domain++, n--;
	while (n > 0 && domain[n - 1] == '.')
		n--;
	anon_add(nl, domain, n, ANON_OWN_DOMAIN, false);
	dot = memchr(domain, '.', n);
	if (dot != NULL && dot - domain >= 3 && strncasecmp(domain, "www.", 4) != 0)
		anon_add(nl, domain, (size_t)(dot - domain), ANON_OWN_DOMAIN, true);
}

/* An upper bound on the needles a contact adds. */
static size_t anon_contact_needles(const json_t *contact)
{
	const char *name = anon_member(contact, "name"), *part;
	size_t pos = 0, len, count = 3;

	while (name != NULL && anon_next_part(name, strlen(name), &pos, &part, &len))
		count++;
	return count;
}

bool anon_needles_build(struct anon_needles *nl, const struct anonymize_org *org,
                        const json_t *contacts)
{
	size_t cap = 3 + org->n_key_ids + org->n_terms + 2 * org->n_domains, index, core_n;
	const char *core;
	json_t *contact;

	nl->count = 0;
	json_array_foreach(contacts, index, contact)
	{
		cap += anon_contact_needles(contact);
	}
	nl->v = calloc(cap, sizeof(*nl->v));
	if (nl->v == NULL)
		return false;
	anon_add(nl, org->name, strlen(org->name), ANON_ORG_NAME, false);
	core_n = strlen(org->name);
	core = anon_core_name(org->name, &core_n);
	if (core_n >= 2 && core_n < strlen(org->name))
		anon_add(nl, core, core_n, ANON_ORG_NAME, true);
	anon_add(nl, org->org_id, strlen(org->org_id), ANON_ORG_ID, false);
	for (size_t i = 0; i < org->n_key_ids; i++)
		anon_add(nl, org->key_ids[i], strlen(org->key_ids[i]), ANON_KEY_ID, false);
	for (size_t i = 0; i < org->n_terms; i++)
		anon_add(nl, org->terms[i], strlen(org->terms[i]), ANON_TERM, false);
	json_array_foreach(contacts, index, contact)
	{
		anon_add_contact(nl, contact);
	}
	for (size_t i = 0; i < org->n_domains; i++)
		anon_add_domain(nl, org->domains[i]);
	return true;
}

void anon_needles_free(struct anon_needles *nl)
{
	free(nl->v);
	nl->v = NULL;
	nl->count = 0;
}

/* Dotted-quad s[0..n), each part 1..3 digits up to 255 (leading zeros read as decimal). */
static bool anon_ipv4_parse(const char *s, size_t n, unsigned char out[4])
{
	size_t i = 0;

	for (unsigned part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0 && (i >= n || s[i++] != '.'))
			return false;
		while (i < n && anon_is_digit((unsigned char)s[i]) && digits < 4)
			v = v * 10 + (unsigned)(s[i++] - '0'), digits++;
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		out[part] = (unsigned char)v;
	}
	return i == n;
}

bool anon_net_parse(const char *s, size_t n, struct anon_net *net)
{
	const char *slash = memchr(s, '/', n);
	size_t addr_n = (slash != NULL) ? (size_t)(slash - s) : n;
	char buf[INET6_ADDRSTRLEN];
	unsigned prefix = 0, max;

	memset(net, 0, sizeof(*net));
	if (memchr(s, ':', addr_n) != NULL) {
		if (addr_n == 0 || addr_n >= sizeof(buf))
			return false;
		memcpy(buf, s, addr_n);
		buf[addr_n] = '\0';
		if (inet_pton(AF_INET6, buf, net->addr) != 1)
			return false;
		net->af = 6, max = 128;
	} else {
		if (!anon_ipv4_parse(s, addr_n, net->addr))
			return false;
		net->af = 4, max = 32;
	}
	net->prefix = max;
	if (slash == NULL)
		return true;
	if (n - addr_n < 2 || n - addr_n > 4)
		return false;
	for (size_t i = addr_n + 1; i < n; i++) {
		if (!anon_is_digit((unsigned char)s[i]))
			return false;
		prefix = prefix * 10 + (unsigned)(s[i] - '0');
	}
	if (prefix > max)
		return false;
	net->prefix = prefix;
	return true;
}

/* Whether two networks of one family share their first min(prefix) bits. */
static bool anon_net_overlap(const struct anon_net *a, const struct anon_net *b)
{
	unsigned bits = (a->prefix < b->prefix) ? a->prefix : b->prefix;
	unsigned whole = bits / 8, rest = bits % 8;
	unsigned char mask = (unsigned char)(0xff00u >> rest);

	if (a->af != b->af)
		return false;
	if (memcmp(a->addr, b->addr, whole) != 0)
		return false;
	return rest == 0 || ((a->addr[whole] ^ b->addr[whole]) & mask) == 0;
}

static const struct anon_net anon_private_nets[] = {
        {4, {10}, 8},          /* RFC 1918 */
        {4, {172, 16}, 12},    /* RFC 1918 */
        {4, {192, 168}, 16},   /* RFC 1918 */
        {4, {127}, 8},         /* loopback */
        {4, {169, 254}, 16},   /* link-local */
        {4, {100, 64}, 10},    /* CGNAT, RFC 6598 */
        {6, {[15] = 1}, 128},  /* ::1 */
        {6, {0xfe, 0x80}, 10}, /* link-local */
        {6, {0xfe, 0xc0}, 10}, /* site-local (deprecated, still seen) */
        {6, {0xfc}, 7},        /* ULA */
};

/* The IPv4 network inside an IPv4-mapped IPv6 one (::ffff:a.b.c.d/96+). */
static bool anon_net_mapped_v4(const struct anon_net *net, struct anon_net *v4)
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (net->af != 6 || net->prefix < 96 || memcmp(net->addr, mapped, 12) != 0)
		return false;
	memset(v4, 0, sizeof(*v4));
	v4->af = 4;
	memcpy(v4->addr, net->addr + 12, 4);
	v4->prefix = net->prefix - 96;
	return true;
}

enum anon_reason anon_net_reason(const struct anon_net *net, const struct anonymize_org *org)
{
	struct anon_net range, v4;

	for (size_t i = 0; i < org->n_ranges; i++) {
		if (anon_net_parse(org->ranges[i], strlen(org->ranges[i]), &range) &&
		    anon_net_overlap(net, &range))
			return ANON_OWN_RANGE;
	}
	for (size_t i = 0; i < ANON_COUNT(anon_private_nets); i++) {
		if (anon_net_overlap(net, &anon_private_nets[i]))
			return ANON_PRIVATE;
	}
	return anon_net_mapped_v4(net, &v4) ? anon_net_reason(&v4, org) : ANON_KEEP;
}

/* s is valid UTF-8 (and, when `non_empty`, not ""). */
static bool anon_string_valid(const char *s, bool non_empty)
{
	size_t n, len;

	if (s == NULL || (non_empty && s[0] == '\0'))
		return false;
	n = strlen(s);
	for (size_t i = 0; i < n; i += len) {
		if (anon_cp_at(s, n, i, &len) == 0xfffd && len == 1)
			return false;
	}
	return true;
}

static bool anon_strings_valid(const char *const *v, size_t n, bool non_empty)
{
	if (n > 0 && v == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!anon_string_valid(v[i], non_empty))
			return false;
	}
	return true;
}

bool anonymize_org_valid(const struct anonymize_org *org)
{
	struct anon_net net;

	if (org == NULL || !anon_string_valid(org->name, true) ||
	    !anon_string_valid(org->org_id, true) ||
	    !anon_strings_valid(org->key_ids, org->n_key_ids, false) ||
	    !anon_strings_valid(org->terms, org->n_terms, false) ||
	    !anon_strings_valid(org->domains, org->n_domains, true) ||
	    !anon_strings_valid(org->ranges, org->n_ranges, true))
		return false;
	for (size_t i = 0; i < org->n_ranges; i++) {
		if (!anon_net_parse(org->ranges[i], strlen(org->ranges[i]), &net))
			return false;
	}
	return true;
}
