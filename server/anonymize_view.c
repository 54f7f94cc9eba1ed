/*
 * anonymize_view — the text as its reader decodes it.
 *
 * Reports quote URLs and addresses the way mail clients and analysts write
 * them: percent-encoded ("?org=Kanto%20Power", '+' for a space in a query)
 * and defanged so that nobody clicks them ("10.100.4[.]31",
 * "hxxps://evil(.)example", "soc[@]example"). A reader undoes both without
 * thinking, so the scanner must too. The view is a second copy of the text
 * with those forms decoded, and a map from each of its bytes back to the
 * bytes of the text it came from; anonymize_text.c runs every detector on
 * the text and on the view, and marks made on the view land on the text
 * through the map. The text's own marks are kept: decoding can also hide
 * ("?tel=+81..." reads as a space), so the view adds, never replaces.
 *
 * Decoding repeats, at most ANON_VIEW_PASSES times, so that "%2520" and an
 * encoded "%5B.%5D" decode too. A pass never lengthens: every form is at
 * least as long as what it stands for, so the view fits the text's size.
 *
 * A mark made on the view inside a token that held percent escapes (a URL,
 * less the punctuation around it) grows to the whole token: a URL cut in
 * the middle of its escapes leaves fragments a reader can piece together,
 * and a link personalised with the victim's name identifies it whole.
 * Defanged forms need no such rule: they decode in place, byte for byte.
 *
 * Must never: read outside the text, let a view byte map to no source, or
 * let a mark on the view land on fewer bytes than it was decoded from.
 */
#include "anonymize_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ANON_VIEW_PASSES 3
#define ANON_COUNT(a)    (sizeof(a) / sizeof((a)[0]))

/*
 * Defanged spellings and what they stand for; `spaced` ones are also
 * written with a space either side ("example [dot] com"). A form decodes
 * only between characters of the thing it defangs (see anon_defang_step).
 */
static const struct {
	const char *form, *as;
	bool spaced;
} anon_defangs[] = {
        {"[.]", ".", false},  {"(.)", ".", false},  {"{.}", ".", false},     {"[dot]", ".", true},
        {"(dot)", ".", true}, {"{dot}", ".", true}, {"[://]", "://", false}, {"[:]", ":", false},
        {"[@]", "@", true},   {"(@)", "@", true},   {"[at]", "@", true},     {"(at)", "@", true},
};

/* One decoding pass from `in` (whose bytes come from the text at in_src) to `out`. */
struct anon_pass {
	const char *in;
	size_t in_n;
	const size_t *in_src; /* in_n + 1 entries; NULL: in is the text itself */
	char *out;            /* room for in_n bytes */
	size_t out_n;
	size_t *out_src;        /* in_n + 1 entries */
	unsigned char *decoded; /* the text's bytes that were part of an escape */
	bool plus_is_space;     /* in a query; only on the first pass, the text's own '+' */
	bool changed;
};

/* A byte a URL or an address can hold, as text writes them (anon_url_char plus "{}|\\^"). */
static bool anon_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"' && c != '`';
}

/* The text offset where in[i] comes from (i <= in_n). */
static size_t anon_src(const struct anon_pass *p, size_t i)
{
	return (p->in_src != NULL) ? p->in_src[i] : i;
}

static void anon_emit(struct anon_pass *p, char c, size_t src)
{
	if (p->out_n >= p->in_n) /* cannot happen: no form lengthens */
		return;
	p->out[p->out_n] = c;
	p->out_src[p->out_n] = src;
	p->out_n++;
}

static int anon_hex(unsigned char c)
{
	if (anon_is_digit(c))
		return c - '0';
	c = anon_fold(c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Flag the text's bytes behind in[from..to) as decoded from an escape. */
static void anon_flag_decoded(struct anon_pass *p, size_t from, size_t to)
{
	for (size_t o = anon_src(p, from); o < anon_src(p, to); o++)
		p->decoded[o] = 1;
}

/* "%XX" (not "%00") at in[i]: decode it. */
static bool anon_percent_step(struct anon_pass *p, size_t *i)
{
	int hi, lo;

	if (p->in_n - *i < 3 || (hi = anon_hex((unsigned char)p->in[*i + 1])) < 0 ||
	    (lo = anon_hex((unsigned char)p->in[*i + 2])) < 0 || (hi | lo) == 0)
		return false;
	anon_flag_decoded(p, *i, *i + 3);
	anon_emit(p, (char)(hi * 16 + lo), anon_src(p, *i));
	*i += 3;
	return true;
}

static bool anon_defang_edge(unsigned char c)
{
	return anon_is_alnum(c) || c == '-' || c == '_';
}

/*
 * A defanged form at in[i], between what it joins: a character of a host,
 * address or local part before it, and after it one of those or the '/'
 * of "[:]//". The spaced spelling takes the space either side with it.
 */
static bool anon_defang_step(struct anon_pass *p, size_t *i)
{
	size_t m, end, src;
	bool spaced;
	unsigned char before, after;

	for (size_t k = 0; k < ANON_COUNT(anon_defangs); k++) {
		m = strlen(anon_defangs[k].form);
		if (p->in_n - *i < m || strncasecmp(p->in + *i, anon_defangs[k].form, m) != 0)
			continue;
		end = *i + m;
		spaced = anon_defangs[k].spaced && p->out_n >= 2 && p->out[p->out_n - 1] == ' ' &&
		         end + 1 < p->in_n && p->in[end] == ' ';
		before = (p->out_n > (size_t)spaced) ? (unsigned char)p->out[p->out_n - 1 - spaced]
		                                     : '\0';
		after = (end + spaced < p->in_n) ? (unsigned char)p->in[end + spaced] : '\0';
		if (!anon_defang_edge(before) || (!anon_defang_edge(after) && after != '/'))
			return false;
		src = spaced ? p->out_src[--p->out_n] : anon_src(p, *i);
		anon_emit(p, anon_defangs[k].as[0], src);
		for (size_t c = 1; anon_defangs[k].as[c] != '\0'; c++) /* "[://]": one byte each */
			anon_emit(p, anon_defangs[k].as[c], anon_src(p, *i + 1 + c));
		*i = end + spaced;
		return true;
	}
	return false;
}

/* "hxxp" or "hxxps" before ':' or '[' (of "[:]//"), not inside a word: read it as "http". */
static bool anon_hxxp_step(struct anon_pass *p, size_t *i)
{
	const char *s = p->in;
	size_t k = *i + 4;

	if (p->in_n - *i < 5 || strncasecmp(s + *i, "hxxp", 4) != 0 ||
	    (*i > 0 && anon_is_alnum((unsigned char)s[*i - 1])))
		return false;
	if (anon_fold((unsigned char)s[k]) == 's')
		k++;
	if (k >= p->in_n || (s[k] != ':' && s[k] != '['))
		return false;
	anon_emit(p, s[*i], anon_src(p, *i));
	anon_emit(p, 't', anon_src(p, *i + 1));
	anon_emit(p, 't', anon_src(p, *i + 2));
	anon_emit(p, s[*i + 3], anon_src(p, *i + 3));
	*i += 4;
	return true;
}

static void anon_pass_run(struct anon_pass *p)
{
	bool query = false;
	size_t i = 0;
	unsigned char c;

	while (i < p->in_n) {
		c = (unsigned char)p->in[i];
		if ((c == '%' && anon_percent_step(p, &i)) ||
		    ((c == '[' || c == '(' || c == '{') && anon_defang_step(p, &i)) ||
		    ((c == 'h' || c == 'H') && anon_hxxp_step(p, &i))) {
			p->changed = true;
			continue;
		}
		if (c == '+' && query) {
			anon_flag_decoded(p, i, i + 1);
			c = ' ';
			p->changed = true;
		} else {
			query = p->plus_is_space && (c == '?' || (query && anon_token_char(c)));
		}
		anon_emit(p, (char)c, anon_src(p, i));
		i++;
	}
	p->out_src[p->out_n] = anon_src(p, p->in_n);
}

void anon_view_free(struct anon_view *view)
{
	free(view->s);
	free(view->src);
	free(view->decoded);
	memset(view, 0, sizeof(*view));
}

bool anon_view_build(struct anon_view *view, const char *s, size_t n)
{
	char *buf[2] = {malloc(n + 1), malloc(n + 1)};
	size_t *src[2] = {calloc(n + 1, sizeof(size_t)), calloc(n + 1, sizeof(size_t))};
	struct anon_pass p = {.in = s, .in_n = n};
	unsigned pass;
	bool ok = false;

	memset(view, 0, sizeof(*view));
	view->decoded = calloc(n + 1, 1);
	if (buf[0] == NULL || buf[1] == NULL || src[0] == NULL || src[1] == NULL ||
	    view->decoded == NULL)
		goto out;
	for (pass = 0; pass < ANON_VIEW_PASSES; pass++) {
		p = (struct anon_pass){
		        .in = p.in,
		        .in_n = p.in_n,
		        .in_src = p.in_src,
		        .out = buf[pass % 2],
		        .out_src = src[pass % 2],
		        .decoded = view->decoded,
		        .plus_is_space = pass == 0,
		};
		anon_pass_run(&p);
		if (!p.changed)
			break;
		view->changed = true;
		p.in = p.out, p.in_n = p.out_n, p.in_src = p.out_src;
	}
	/* p.out holds the last pass; when it changed nothing it equals its input */
	p.out[p.out_n] = '\0';
	view->s = p.out;
	view->n = p.out_n;
	view->src = p.out_src;
	for (unsigned k = 0; k < 2; k++) {
		buf[k] = (buf[k] == p.out) ? NULL : buf[k];
		src[k] = (src[k] == p.out_src) ? NULL : src[k];
	}
	ok = true;
out:
	free(buf[0]);
	free(buf[1]);
	free(src[0]);
	free(src[1]);
	if (!ok)
		anon_view_free(view);
	return ok;
}

/* The reason the scanner would give a byte both readings marked: the earlier detector's. */
static unsigned char anon_first_reason(unsigned char a, unsigned char b)
{
	if (a == ANON_KEEP)
		return b;
	return (b != ANON_KEEP && b < a) ? b : a;
}

/* Grow the marks of a decoded token s[a..b) to all of it but the punctuation around it. */
static void anon_grow_token(const struct anon_view *view, const char *s, size_t a, size_t b,
                            unsigned char *mark)
{
	unsigned char reason = ANON_KEEP;
	bool decoded = false;

	for (size_t o = a; o < b; o++) {
		decoded = decoded || view->decoded[o];
		if (reason == ANON_KEEP)
			reason = mark[o];
	}
	if (!decoded || reason == ANON_KEEP)
		return;
	while (a < b && mark[a] == ANON_KEEP && !view->decoded[a] && strchr("([{'", s[a]) != NULL)
		a++;
	while (b > a && mark[b - 1] == ANON_KEEP && !view->decoded[b - 1] &&
	       strchr(".,;:!?'\")]}", s[b - 1]) != NULL)
		b--;
	for (size_t o = a; o < b; o++) {
		if (mark[o] == ANON_KEEP)
			mark[o] = reason;
	}
}

/*
 * Add the marks made on the view to the marks of the text s[0..n) it was
 * built from, each on every byte it came from; a mark in a token that held
 * a percent escape grows to the whole token. False on allocation failure.
 */
static bool anon_view_merge(const struct anon_view *view, const unsigned char *view_mark,
                            const char *s, size_t n, unsigned char *mark)
{
	unsigned char *from_view = calloc(n + 1, 1);
	size_t a = 0, b;

	if (from_view == NULL)
		return false;
	for (size_t v = 0; v < view->n; v++) {
		if (view_mark[v] == ANON_KEEP)
			continue;
		for (size_t o = view->src[v]; o < view->src[v + 1] && o < n; o++)
			from_view[o] = anon_first_reason(from_view[o], view_mark[v]);
	}
	while (a < n) {
		if (!anon_token_char((unsigned char)s[a])) {
			a++;
			continue;
		}
		for (b = a; b < n && anon_token_char((unsigned char)s[b]);)
			b++;
		anon_grow_token(view, s, a, b, from_view);
		a = b;
	}
	for (size_t o = 0; o < n; o++)
		mark[o] = anon_first_reason(mark[o], from_view[o]);
	free(from_view);
	return true;
}

bool anon_view_scan(const char *s, size_t n, unsigned char *mark, anon_detect_fn *detect, void *ctx)
{
	struct anon_view view;
	unsigned char *view_mark = NULL;
	bool ok = false;

	detect(s, n, mark, ctx);
	if (!anon_view_build(&view, s, n))
		goto out;
	if (view.changed) {
		view_mark = calloc(view.n + 1, 1);
		if (view_mark == NULL)
			goto out;
		detect(view.s, view.n, view_mark, ctx);
		if (!anon_view_merge(&view, view_mark, s, n, mark))
			goto out;
	}
	ok = true;
out:
	free(view_mark);
	anon_view_free(&view);
	return ok;
}
