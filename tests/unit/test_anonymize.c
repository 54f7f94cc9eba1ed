/*
 * test_anonymize — unit tests for server/anonymize*.c.
 *
 * One fictional operator, Kanto Power, with names, ids, keys, domains,
 * ranges, terms and contacts; each rule is checked on its own, with a
 * value on each side of every boundary, and then a whole realistic report
 * is anonymized and its published part searched (case-insensitively) for
 * every identifying string. A seeded random mix of identifying and benign
 * tokens checks the same promise on text nobody wrote by hand.
 *
 * Must never: depend on the network, the database, the clock or the locale.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "anonymize.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const org_key_ids[] = {"kp-soc-2026-01", "KPK-7781"};
static const char *const org_domains[] = {"kanto-power.example", "kp-grid.example."};
static const char *const org_ranges[] = {"198.51.100.0/24", "192.0.2.64/26", "2001:db8:10::/48",
                                         "203.0.113.77"};
static const char *const org_terms[] = {"Tokyo Bay Substation", "関東電力", "KPGRID",
                                        "東京湾変電所"};

static const struct anonymize_org org = {
        .org_id = "org-7f3a9c21",
        .name = "Kanto Power Co., Ltd.",
        .key_ids = org_key_ids,
        .n_key_ids = COUNT(org_key_ids),
        .domains = org_domains,
        .n_domains = COUNT(org_domains),
        .ranges = org_ranges,
        .n_ranges = COUNT(org_ranges),
        .terms = org_terms,
        .n_terms = COUNT(org_terms),
};

static const char contacts_text[] =
        "[{\"name\": \"山田 太郎\", \"email\": \"t.yamada@kanto-power.example\","
        "  \"phone\": \"+81-3-1234-5678\", \"role\": \"CSIRT lead\"},"
        " {\"name\": \"Hanako Suzuki\", \"email\": \"hanako.suzuki@mail.example\","
        "  \"phone\": \"#7788\"}]";

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (doc == NULL)
		fail_msg("fixture does not parse: %s (line %d)", jerr.text, jerr.line);
	return doc;
}

/* Scrub `in` as the summary of a report with the fixture's contacts; caller frees. */
static char *scrub(const char *in, json_t *redactions)
{
	json_t *contacts = parse(contacts_text);
	char *out = anonymize_text(in, &org, contacts, "/summary", redactions);

	json_decref(contacts);
	assert_non_null(out);
	return out;
}

static void expect_scrub(const char *in, const char *want)
{
	char *got = scrub(in, NULL);

	if (strcmp(got, want) != 0)
		fail_msg("scrub(\"%s\")\n   got \"%s\"\n  want \"%s\"", in, got, want);
	free(got);
}

static void expect_kept(const char *in)
{
	expect_scrub(in, in);
}

/* `in` is scrubbed to exactly one redaction with this reason. */
static void expect_redacted(const char *in, const char *reason)
{
	json_t *redactions = json_array();
	char *got = scrub(in, redactions);

	if (strcmp(got, "[redacted]") != 0 || json_array_size(redactions) != 1)
		fail_msg("scrub(\"%s\") = \"%s\" with %zu redactions, want one \"[redacted]\"", in,
		         got, json_array_size(redactions));
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(redactions, 0), "reason")),
	        reason);
	free(got);
	json_decref(redactions);
}

static void test_email_any_domain(void **state)
{
	(void)state;
	expect_scrub("mail soc@evil.example now", "mail [redacted] now");
	expect_scrub("From: Attacker <x.y+z@phish-mail.example>", "From: Attacker <[redacted]>");
	expect_scrub("連絡先:taro@kanto-power.example。", "連絡先:[redacted]。");
	expect_scrub("担当：佐藤@example.jp まで", "担当：[redacted] まで");
	expect_scrub("a@b.example,c@d.example", "[redacted],[redacted]");
	expect_redacted("first.last@Sub.Mail.Example", "email");
	/* the forms people use to keep scrapers off */
	expect_scrub("taro＠mail.example まで", "[redacted] まで");
	expect_scrub("山田＠mail.example", "[redacted]");
	expect_scrub("taro [at] mail.example.", "[redacted].");
	expect_scrub("taro(AT)mail.example", "[redacted]");
	expect_scrub("taro [at] kanto-power.example", "[redacted]");
	expect_scrub("ｔａｒｏ＠ｍａｉｌ．ｅｘａｍｐｌｅ。", "[redacted]。");
	expect_kept("see [at] the bottom");
	/* not addresses */
	expect_kept("a @ b.example");
	expect_kept("user@localhost");
	expect_kept("follow @someone");
	expect_kept("price@1.5");
}

static void test_phone_formats(void **state)
{
	static const char *const phones[] = {
	        "+81-3-1234-5678",
	        "+81 90 1234 5678",
	        "03-1234-5678",
	        "(03) 1234-5678",
	        "090-1234-5678",
	        "0120-123-456",
	        "+1 (555) 123-4567",
	        "080.1234.5678",
	        "0312345678",
	        "+81312345678",
	        "03(1234)5678",
	        "+81(0)3-1234-5678",
	        "555-123-4567",
	        "０３－１２３４－５６７８",
	        "０９０ー１２３４ー５６７８",
	};
	char in[128];

	(void)state;
	for (size_t i = 0; i < COUNT(phones); i++) {
		snprintf(in, sizeof(in), "Call %s now.", phones[i]);
		expect_scrub(in, "Call [redacted] now.");
		snprintf(in, sizeof(in), "%s", phones[i]);
		if (strcmp(phones[i], "+81-3-1234-5678") != 0) /* also a contact's phone */
			expect_redacted(in, "phone");
	}
	expect_scrub("TEL:03-1234-5678", "TEL:[redacted]");
	expect_scrub("03 - 1234 - 5678", "[redacted]");
	expect_scrub("+81 - 3 - 1234 - 5678", "[redacted]");
	expect_scrub("電話03-1234-5678まで", "電話[redacted]まで");
	expect_scrub("📞03-1234-5678📞", "📞[redacted]📞");
	expect_scrub("03-1234-5678, 03-9876-5432", "[redacted], [redacted]");
	expect_scrub("03-1234-5678/03-9876-5432", "[redacted]/[redacted]");
	expect_scrub("03-1234-5678 2026-11-25", "[redacted] 2026-11-25");
	expect_scrub("+81 90 1234 5678 03-1234-5678", "[redacted] [redacted]");
	expect_scrub("+81 90 1234 5678 1.2.3.4567", "[redacted] 1.2.3.4567");
}

static void test_phone_lookalikes_kept(void **state)
{
	static const char *const kept[] = {
	        "2026-11-25",
	        "2026-11-25T06:10:00Z",
	        "2026-11-25T06:10:00+09:00",
	        "2026-11-25 06:10",
	        "at 06:10:00 JST",
	        "2026年11月25日",
	        "203.0.113.45",
	        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	        "d41d8cd98f00b204e9800998ecf8427e",
	        "0123456789abcdef0123456789abcdef",
	        "CVE-2024-12345",
	        "JVNDB-2024-012345",
	        "T1566.001 and TA0001",
	        "version 1.2.3.4567",
	        "port 8443, tcp/3389, :443",
	        "5f0c6f0e-8d3b-4c1e-9a57-2f6b1d2c3e4f",
	        "1,234,567 yen",
	        "0.5 seconds, 3.0312345678",
	        "servers 01 02 03 04 05",
	        "95 minutes",
	        "03-1234",
	        "+81",
	        "v0312345678",
	};

	(void)state;
	for (size_t i = 0; i < COUNT(kept); i++)
		expect_kept(kept[i]);
}

static void test_org_name(void **state)
{
	static const char *const jp_terms[] = {"KP"};
	const struct anonymize_org jp = {
	        .org_id = "o1", .name = "株式会社東電", .terms = jp_terms, .n_terms = 1};
	char *got;

	(void)state;
	expect_redacted("Kanto Power Co., Ltd.", "org-name");
	expect_scrub("KANTO POWER CO., LTD. reported", "[redacted] reported");
	/* the name without its legal form, any white space, whole words */
	expect_scrub("kanto power said", "[redacted] said");
	expect_scrub("Kanto\nPower", "[redacted]");
	expect_scrub("KantoPower", "[redacted]");
	expect_scrub("Kanto　Power", "[redacted]");
	expect_kept("Kanto Powerful");
	expect_kept("Kanto region");
	/* Japanese legal forms, prefix or suffix */
	got = anonymize_text("東電の設備。株式会社東電", &jp, NULL, "/title", NULL);
	assert_non_null(got);
	assert_string_equal(got, "[redacted]の設備。[redacted]");
	free(got);
	/* a term is a substring, even inside a word */
	got = anonymize_text("KPI for kp", &jp, NULL, "/title", NULL);
	assert_string_equal(got, "[redacted]I for [redacted]");
	free(got);
}

static void test_terms(void **state)
{
	(void)state;
	expect_redacted("kpgrid", "term");
	expect_scrub("kpgrid-ops", "[redacted]-ops");
	expect_scrub("xKPGRIDx", "x[redacted]x");
	expect_scrub("Tokyo  Bay\tSubstation", "[redacted]");
	expect_scrub("東京湾変電所で停電", "[redacted]で停電");
	expect_scrub("関東電力株式会社", "[redacted]株式会社");
	expect_kept("東京湾の変電所");
	/* full-width Latin is Latin */
	expect_scrub("ＫＰＧＲＩＤの件", "[redacted]の件");
	expect_scrub("ｋｐｇｒｉｄ", "[redacted]");
	expect_redacted("ｋａｎｔｏ－ｐｏｗｅｒ．ｅｘａｍｐｌｅ", "own-domain");
	expect_scrub("ＯＲＧ－７Ｆ３Ａ９Ｃ２１", "[redacted]");
	expect_kept("Tokyo Bay");
}

static void test_ids_and_keys(void **state)
{
	(void)state;
	expect_redacted("org-7f3a9c21", "org-id");
	expect_redacted("ORG-7F3A9C21", "org-id");
	expect_scrub("keyid=kp-soc-2026-01;", "keyid=[redacted];");
	expect_scrub("signed by kpk-7781.", "signed by [redacted].");
	expect_kept("org-7f3a9c2");
}

static void test_contacts(void **state)
{
	(void)state;
	expect_redacted("山田 太郎", "contact");
	expect_scrub("山田太郎さんが対応", "[redacted]さんが対応");
	expect_scrub("山田さん", "[redacted]さん");
	expect_scrub("Hanako Suzuki (SOC)", "[redacted] (SOC)");
	expect_scrub("Ms. SUZUKI", "Ms. [redacted]");
	expect_kept("Suzukiya Hanakomachi");
	expect_redacted("hanako.suzuki@mail.example", "contact");
	expect_scrub("call #7788", "call [redacted]");
	expect_redacted("+81-3-1234-5678", "contact");
	/* no contacts: names are ordinary words */
	{
		char *got = anonymize_text("山田さん", &org, NULL, "/title", NULL);

		assert_string_equal(got, "山田さん");
		free(got);
	}
}

static void test_own_domains(void **state)
{
	(void)state;
	expect_redacted("vpn.Kanto-Power.example", "own-domain");
	expect_scrub("see https://portal.kanto-power.example/login?x=1.", "see [redacted].");
	expect_redacted("https://user:pw@portal.kanto-power.example:8443/a/b?c=d#e", "own-domain");
	expect_scrub("(https://portal.kanto-power.example/login)", "([redacted])");
	expect_scrub("portal.kanto-power.example/login?x=1 is down", "[redacted] is down");
	expect_scrub("host kanto-power.example.", "host [redacted].");
	expect_redacted("KP-GRID.EXAMPLE", "own-domain");
	expect_redacted("ops@kanto-power.example", "own-domain");
	expect_scrub("mailto:ops@kanto-power.example", "mailto:[redacted]");
	expect_scrub("vpn.kanto-power.exampleで障害", "[redacted]で障害");
	/* lookalikes name the victim too */
	expect_redacted("kanto-power.example.evil.example", "own-domain");
	expect_redacted("notkanto-power.example", "own-domain");
	expect_redacted("kanto-power-login.example", "own-domain");
	expect_scrub("Kanto-Power said", "[redacted] said");
	/* attacker infrastructure stays */
	expect_kept("https://evil.example/payload?id=3");
	expect_kept("evil.example and cdn.evil.example");
	expect_kept("kantopowerplant.example");
	expect_kept("https://evil.example/a?next=https://other.example/");
	expect_scrub("https://evil.example/r?to=portal.kanto-power.example&x=1",
	             "https://evil.example/r?to=[redacted]&x=1");
}

static void test_private_ipv4(void **state)
{
	static const char *const private[] = {
	        "10.0.0.0",        "10.255.255.255",  "172.16.0.0", "172.31.255.255",
	        "192.168.0.1",     "192.168.255.255", "127.0.0.1",  "169.254.10.1",
	        "100.64.0.1",      "100.127.255.255", "10.0.0.0/8", "192.168.1.0/24",
	        "010.001.002.003",
	};
	static const char *const public[] = {
	        "9.255.255.255", "11.0.0.0",       "172.15.255.255", "172.32.0.0",
	        "192.169.0.1",   "100.63.255.255", "100.128.0.0",    "8.8.8.8",
	        "203.0.113.45",  "256.1.1.1",      "1.2.3",          "203.0.112.0/24",
	};

	(void)state;
	for (size_t i = 0; i < COUNT(private); i++)
		expect_redacted(private[i], "private");
	for (size_t i = 0; i < COUNT(public); i++)
		expect_kept(public[i]);
	expect_scrub("from 10.1.2.3, to 203.0.113.45.", "from [redacted], to 203.0.113.45.");
	expect_scrub("hosts 10.0.0.5:8443 and 10.0.0.6", "hosts [redacted] and [redacted]");
	expect_scrub("http://10.0.0.5/admin/login.php down", "[redacted] down");
	expect_scrub("社内10.0.0.5へ", "社内[redacted]へ");
	expect_scrub("in 10.0.0.0/8.", "in [redacted].");
}

static void test_own_range_ipv4(void **state)
{
	static const char *const own[] = {
	        "198.51.100.0", "198.51.100.255",  "192.0.2.64",    "192.0.2.127",
	        "203.0.113.77", "198.51.100.0/24", "198.51.0.0/16", "198.51.100.128/25",
	        "0.0.0.0/0",    "203.0.113.0/24",  "198.51.100.x",  "198.51.100.*",
	        "198.51.x.x",   "198.051.100.007",
	};
	static const char *const other[] = {
	        "198.51.99.255", "198.51.101.0", "192.0.2.63",      "192.0.2.128",
	        "203.0.113.76",  "203.0.113.78", "198.51.101.0/24", "192.0.2.128/25",
	};

	(void)state;
	for (size_t i = 0; i < COUNT(own); i++)
		expect_redacted(own[i], "own-range");
	for (size_t i = 0; i < COUNT(other); i++)
		expect_kept(other[i]);
	expect_scrub("DMZ 198.51.100.0/24 and 198.51.100.7.", "DMZ [redacted] and [redacted].");
}

static void test_ipv6(void **state)
{
	static const char *const private[] = {
	        "fe80::1",      "FE80::ABCD:1", "febf:ffff::1", "fec0::1",
	        "fd12:3456::1", "fc00::1",      "::1",          "::ffff:10.0.0.1",
	};
	static const char *const own[] = {
	        "2001:db8:10::5",
	        "2001:DB8:10:ffff:ffff:ffff:ffff:ffff",
	        "2001:0db8:0010:0000:0000:0000:0000:0001",
	        "2001:db8:10::/48",
	        "2001:db8::/32",
	        "::ffff:198.51.100.9",
	};
	static const char *const kept[] = {
	        "2001:db8:11::",
	        "2001:db8:f:ffff:ffff:ffff:ffff:ffff",
	        "2001:4860:4860::8888",
	        "ff02::1",
	        "::ffff:203.0.113.45",
	        "00:1a:2b:3c:4d:5e",
	        "06:10:00",
	        "std::vector",
	        "fe7f::1",
	        "fbff::1",
	};

	(void)state;
	for (size_t i = 0; i < COUNT(private); i++)
		expect_redacted(private[i], "private");
	for (size_t i = 0; i < COUNT(own); i++)
		expect_redacted(own[i], "own-range");
	for (size_t i = 0; i < COUNT(kept); i++)
		expect_kept(kept[i]);
	expect_scrub("[fd00::1]:8443", "[redacted]");
	expect_scrub("http://[fd00::1]:8080/x ok", "[redacted] ok");
	expect_scrub("fe80::1%eth0", "[redacted]%eth0");
	expect_scrub("address:fe80::1.", "address:[redacted].");
	expect_scrub("10.1.2.3:fd00::5", "[redacted]:[redacted]");
	expect_scrub("via fd00::1, then 2001:4860:4860::8888",
	             "via [redacted], then 2001:4860:4860::8888");
}

/* Scrub `in` for an org with one more term and a contact written without a space. */
static char *scrub_with(const char *term, const char *contact_name, const char *in)
{
	const char *const terms[] = {term};
	struct anonymize_org o = org;
	json_t *contacts = json_pack("[{s:s}]", "name", contact_name);
	char *out;

	o.terms = terms;
	o.n_terms = 1;
	out = anonymize_text(in, &o, contacts, "/summary", NULL);
	json_decref(contacts);
	assert_non_null(out);
	return out;
}

static void expect_scrub_with(const char *term, const char *contact_name, const char *in,
                              const char *want)
{
	char *got = scrub_with(term, contact_name, in);

	if (strcmp(got, want) != 0)
		fail_msg("scrub(\"%s\")\n   got \"%s\"\n  want \"%s\"", in, got, want);
	free(got);
}

static void test_cjk_terms_allow_white_space(void **state)
{
	(void)state;
	/* Japanese names are written with or without a space between the parts */
	expect_scrub_with("山田太郎", "Jiro Suzuki", "広報窓口：山田　太郎。",
	                  "広報窓口：[redacted]。");
	expect_scrub_with("山田太郎", "Jiro Suzuki", "広報窓口：山田 太郎。",
	                  "広報窓口：[redacted]。");
	expect_scrub_with("山田太郎", "Jiro Suzuki", "山\u00a0田\n太　郎", "[redacted]");
	expect_scrub_with("堂島POP", "Jiro Suzuki", "堂島 POP で障害", "[redacted] で障害");
	expect_scrub_with("KP", "佐藤花子", "担当：佐藤　花子", "担当：[redacted]");
	expect_scrub_with("KP", "佐藤花子", "担当：佐藤 花子さん", "担当：[redacted]さん");
	/* the space around a match is not part of it */
	expect_scrub_with("山田太郎", "Jiro Suzuki", "山田太郎 さん", "[redacted] さん");
	expect_scrub_with("山田太郎", "Jiro Suzuki", "　山田太郎　", "　[redacted]　");
	/* the fixture's terms and contacts */
	expect_scrub("東京湾 変電所で停電", "[redacted]で停電");
	expect_scrub("関東　電力の設備", "[redacted]の設備");
	expect_scrub("山田　太郎", "[redacted]");
	expect_kept("東京湾の変電所");
	/* Latin stays word by word: white space only where the term has it */
	expect_scrub_with("堂島POP", "Jiro Suzuki", "堂島P OP", "堂島P OP");
	expect_kept("KPG RID");
}

static void test_full_width_org_name(void **state)
{
	(void)state;
	expect_redacted("ＫＡＮＴＯ　ＰＯＷＥＲ", "org-name");
	expect_scrub("ＫＡＮＴＯ　ＰＯＷＥＲが報告", "[redacted]が報告");
	expect_scrub("ｋａｎｔｏ　ｐｏｗｅｒ", "[redacted]");
	expect_redacted("ＫＡＮＴＯ　ＰＯＷＥＲ　ＣＯ．，　ＬＴＤ．", "org-name");
	expect_redacted("ＫＡＮＴＯＰＯＷＥＲ", "org-name");
}

static void test_percent_encoded(void **state)
{
	json_t *redactions = json_array();
	char *got;

	(void)state;
	/* the decoded form names the org: the whole URL goes */
	expect_scrub("at https://docs-share.example.net/view?org=Kanto%20Power&id=88213 .",
	             "at [redacted] .");
	expect_scrub("(https://evil.example/v?org=kanto%20power)", "([redacted])");
	expect_scrub("https://evil.example/?q=Kanto+Power&x=1", "[redacted]");
	expect_scrub("https://evil.example/?q=Kanto%2520Power", "[redacted]");
	expect_scrub("https://evil.example/%E9%96%A2%E6%9D%B1%E9%9B%BB%E5%8A%9B/x。",
	             "[redacted]。");
	expect_scrub("https://evil.example/?k=%4b%50%47%52%49%44", "[redacted]");
	expect_scrub("https://evil.example/?o=org%2D7f3a9c21", "[redacted]");
	expect_scrub("https://evil.example/?k=kp%2Dsoc%2D2026%2D01", "[redacted]");
	expect_scrub("https://evil.example/?who=Hanako%20Suzuki", "[redacted]");
	expect_scrub("https://evil.example/?h=vpn%2Ekanto-power%2Eexample", "[redacted]");
	expect_scrub("https://evil.example/?h=10%2E0%2E0%2E5", "[redacted]");
	expect_scrub("https://evil.example/?h=198%2E51%2E100%2E7 ok", "[redacted] ok");
	expect_redacted("https://evil.example/?u=t.yamada%40kanto-power.example&ref=x", "contact");
	/* and nothing else */
	expect_kept("https://evil.example/dl?f=a%20b&q=x+y");
	expect_kept("https://evil.example/?to=Kanto%20region");
	expect_kept("100%25 of 2+2 hosts");
	expect_kept("+81 is a country code");
	/* the redaction quotes the URL as written */
	got = scrub("see https://evil.example/?q=Kanto+Power", redactions);
	assert_string_equal(got, "see [redacted]");
	assert_int_equal(json_array_size(redactions), 1);
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(redactions, 0), "original")),
	        "https://evil.example/?q=Kanto+Power");
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(redactions, 0), "reason")),
	        "org-name");
	free(got);
	json_decref(redactions);
}

static void test_defanged(void **state)
{
	static const char *const private[] = {
	        "10.100.4[.]31", "10[.]100[.]4[.]31", "192.168.1(.)1",  "172.16.0{.}9",
	        "10.0.0[dot]1",  "10.0.0(DOT)1",      "10.0.0 [dot] 1", "10.0.0[.]0/8",
	};
	static const char *const own[] = {
	        "198.51.100[.]250",
	        "198.51.100[.]0/24",
	        "203.0.113[.]77",
	};

	(void)state;
	for (size_t i = 0; i < COUNT(private); i++)
		expect_redacted(private[i], "private");
	for (size_t i = 0; i < COUNT(own); i++)
		expect_redacted(own[i], "own-range");
	expect_scrub("last synced with 10.100.4[.]31.", "last synced with [redacted].");
	expect_scrub("(198.51.100[.]250 and 2001:db8:10::443)", "([redacted] and [redacted])");
	expect_scrub("社内10.0.0[.]5へ", "社内[redacted]へ");
	expect_redacted("vpn[.]kanto-power[.]example", "own-domain");
	expect_redacted("kanto-power(dot)example", "own-domain");
	expect_redacted("kp-grid [dot] example", "own-domain");
	expect_scrub("hxxps://portal[.]kanto-power[.]example/login?x=1.", "[redacted].");
	expect_scrub("hxxp[:]//10.0.0[.]5/admin down", "[redacted] down");
	expect_scrub("hXXps[://]198.51.100[.]7/x down", "[redacted] down");
	expect_redacted("t.yamada[@]kanto-power[.]example", "contact");
	expect_redacted("hanako.suzuki[at]mail[.]example", "contact");
	expect_scrub("mail x[@]evil[.]example now", "mail [redacted] now");
	/* the attacker's side stays as written */
	expect_kept("203.0.113[.]7");
	expect_kept("C2 203.0.113[.]45:443 and evil[.]example");
	expect_kept("hxxps://evil[.]example/payload?id=3");
	expect_kept("hxxp[:]//203.0.113[.]7/x");
	expect_kept("see [.] and (.) and figure (a)");
}

static void test_overlapping_matches_merge(void **state)
{
	json_t *redactions = json_array(), *entry;
	char *got;

	(void)state;
	/* contact e-mail, e-mail, own domain and a name part: one span */
	got = scrub("mail t.yamada@kanto-power.example now", redactions);
	assert_string_equal(got, "mail [redacted] now");
	assert_int_equal(json_array_size(redactions), 1);
	entry = json_array_get(redactions, 0);
	assert_string_equal(json_string_value(json_object_get(entry, "original")),
	                    "t.yamada@kanto-power.example");
	assert_string_equal(json_string_value(json_object_get(entry, "reason")), "contact");
	assert_string_equal(json_string_value(json_object_get(entry, "field")), "/summary");
	free(got);
	json_array_clear(redactions);
	/* touching matches: one span */
	got = scrub("関東電力東京湾変電所", redactions);
	assert_string_equal(got, "[redacted]");
	assert_int_equal(json_array_size(redactions), 1);
	free(got);
	json_array_clear(redactions);
	/* separate matches: separate spans */
	got = scrub("Kanto Power Co., Ltd. (kanto-power.example)", redactions);
	assert_string_equal(got, "[redacted] ([redacted])");
	assert_int_equal(json_array_size(redactions), 2);
	free(got);
	json_decref(redactions);
}

static void test_redaction_entries(void **state)
{
	static const char *const want[][2] = {
	        {"a@b.example", "email"},
	        {"03-9876-5432", "phone"},
	        {"10.1.2.3", "private"},
	        {"198.51.100.7", "own-range"},
	};
	json_t *redactions = json_array(), *entry;
	char *got;

	(void)state;
	got = scrub("mail a@b.example, call 03-9876-5432, host 10.1.2.3 / 198.51.100.7",
	            redactions);
	assert_string_equal(got, "mail [redacted], call [redacted], host [redacted] / [redacted]");
	assert_int_equal(json_array_size(redactions), COUNT(want));
	for (size_t i = 0; i < COUNT(want); i++) {
		entry = json_array_get(redactions, i);
		assert_int_equal(json_object_size(entry), 3);
		assert_string_equal(json_string_value(json_object_get(entry, "original")),
		                    want[i][0]);
		assert_string_equal(json_string_value(json_object_get(entry, "reason")),
		                    want[i][1]);
	}
	free(got);
	json_decref(redactions);
	/* NULL redactions and NULL field are fine */
	got = anonymize_text("kpgrid", &org, NULL, NULL, NULL);
	assert_string_equal(got, "[redacted]");
	free(got);
	redactions = json_array();
	got = anonymize_text("kpgrid", &org, NULL, NULL, redactions);
	assert_string_equal(
	        json_string_value(json_object_get(json_array_get(redactions, 0), "field")), "");
	free(got);
	json_decref(redactions);
}

static void test_utf8_robustness(void **state)
{
	json_t *redactions = json_array();
	json_t *s;
	char *got;

	(void)state;
	expect_scrub("\xff\xfe abc \xc3", "\xef\xbf\xbd\xef\xbf\xbd abc \xef\xbf\xbd");
	expect_scrub("\xffsoc@evil.example\xff", "\xef\xbf\xbd[redacted]\xef\xbf\xbd");
	expect_scrub("\xed\xa0\x80 surrogate, \xc0\xaf overlong",
	             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd surrogate, \xef\xbf\xbd\xef\xbf\xbd "
	             "overlong");
	expect_scrub("ｍａｉｌ：taro@kanto-power.example、", "ｍａｉｌ：[redacted]、");
	expect_scrub("「関東電力」", "「[redacted]」");
	expect_kept("");
	/* a redaction inside broken text still yields valid JSON strings */
	got = scrub("\xe3\x81 10.0.0.1\xe3", redactions);
	s = json_string(got);
	assert_non_null(s);
	json_decref(s);
	assert_int_equal(json_array_size(redactions), 1);
	free(got);
	json_decref(redactions);
	assert_null(anonymize_text(NULL, &org, NULL, "/x", NULL));
}

/* `count` copies of `unit`; the caller frees. */
static char *repeat(const char *unit, size_t count)
{
	size_t n = strlen(unit);
	char *s = malloc(n * count + 1);

	assert_non_null(s);
	for (size_t i = 0; i < count; i++)
		memcpy(s + i * n, unit, n);
	s[n * count] = '\0';
	return s;
}

static void test_bounded_on_hostile_text(void **state)
{
	static const struct {
		const char *unit;
		bool all_redacted;
	} cases[] = {
	        {"@", false},         {"0", false},
	        {"0-", false},        {"a.", false},
	        {"::", false},        {"1.", false},
	        {"(0", false},        {"+", false},
	        {"a@", false},        {"kpgrid", true},
	        {"10.0.0.1 ", false}, {".kanto-power.example", true},
	        {"関東電力", true},   {"x@y.example ", false},
	        {"%", false},         {"%2", false},
	        {"%25", false},       {"%4b%50", false},
	        {"[.]", false},       {"1[.]", false},
	        {"a [dot] ", false},  {"hxxp", false},
	        {"?a+", false},       {"関 ", false},
	        {"関東　", false},    {"%E9%96%A2", false},
	        {"%ff%fe", false},    {"kpgrid%20", true},
	};
	char *in, *got;
	json_t *s;

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		in = repeat(cases[i].unit, 20000 / strlen(cases[i].unit));
		got = scrub(in, NULL);
		s = json_string(got);
		assert_non_null(s); /* valid UTF-8 */
		if (cases[i].all_redacted)
			assert_string_equal(got, "[redacted]");
		json_decref(s);
		free(got);
		free(in);
	}
}

/* Fail when `hay` holds `needle`, ASCII case folded; `what` names the haystack. */
static void assert_absent(const char *hay, const char *needle, const char *what)
{
	if (strcasestr(hay, needle) != NULL)
		fail_msg("\"%s\" survives in %s:\n%s", needle, what, hay);
}

static const char *const identifying[] = {
        "Kanto Power",    "KantoPower",  "kanto-power", "関東電力",  "org-7f3a9c21",
        "kp-soc-2026-01", "KPK-7781",    "kp-grid",     "KPGRID",    "Tokyo Bay Substation",
        "東京湾変電所",   "198.51.100.", "192.0.2.1",   "192.0.2.9", "2001:db8:10:",
        "203.0.113.77",   "10.1.2.3",    "fd00::5",     "山田",      "太郎",
        "Suzuki",         "Hanako",      "#7788",       "1234-5678", "90 1234",
        "8765",
};

/* A seeded random mix of identifying and benign tokens, joined by separators. */
static void test_random_mix_never_leaks(void **state)
{
	static const char *const bad[] = {
	        "Kanto Power",
	        "関東電力",
	        "org-7f3a9c21",
	        "kp-soc-2026-01",
	        "vpn.kanto-power.example",
	        "10.1.2.3",
	        "198.51.100.9",
	        "fd00::5",
	        "taro@evil.example",
	        "03-1234-5678",
	        "+81 90 1234 5678",
	        "山田",
	        "192.0.2.100/30",
	        "https://kp-grid.example/x?y=1",
	        "Hanako",
	        "https://evil.example/?o=Kanto%20Power&i=1",
	        "10.1.2[.]4",
	        "198.51.100(.)10",
	        "山田　太郎",
	};
	static const char *const good[] = {
	        "203.0.113.45",   "evil.example", "2026-11-25T06:10:00Z",
	        "CVE-2024-12345", "T1566.001",    "1.2.3.4567",
	        "port 8443",      "暗号化",
	};
	static const char *const seps[] = {" ", "、", "。", "\n", "(", ")", ", ", "：", "\t", "／"};
	static const char *const leak_check[] = {
	        "Kanto Power", "関東電力",   "org-7f3a9c21", "kp-soc",  "kanto-power",
	        "10.1.2.3",    "198.51.100", "fd00::5",      "taro@",   "1234-5678",
	        "90 1234",     "山田",       "192.0.2.100",  "kp-grid", "Hanako",
	        "Kanto%20",    "10.1.2[",    "198.51.100(",  "太郎",
	};
	uint32_t seed = 20261125;
	char text[4096], *got;
	size_t w;

	(void)state;
	for (int round = 0; round < 300; round++) {
		w = 0;
		for (int t = 0; t < 24; t++) {
			const char *tok, *sep;

			seed = seed * 1103515245u + 12345u;
			tok = ((seed >> 16) & 1) ? bad[(seed >> 17) % COUNT(bad)]
			                         : good[(seed >> 17) % COUNT(good)];
			seed = seed * 1103515245u + 12345u;
			sep = seps[(seed >> 16) % COUNT(seps)];
			w += (size_t)snprintf(text + w, sizeof(text) - w, "%s%s", tok, sep);
		}
		got = scrub(text, NULL);
		for (size_t i = 0; i < COUNT(leak_check); i++)
			assert_absent(got, leak_check[i], text);
		free(got);
	}
}

static const char report_text[] =
        "{"
        "\"title\": \"Ransomware at Kanto Power Co., Ltd. Tokyo Bay Substation\","
        "\"summary\": \"At 06:10 JST the SOC of 関東電力 (org org-7f3a9c21) saw mass renames "
        "on billing hosts 10.1.2.3 and 198.51.100.17, reached from 203.0.113.45 over "
        "https://portal.kanto-power.example/login?user=admin. 山田太郎 "
        "(t.yamada@kanto-power.example,"
        " 090-1111-2222) leads; Hanako Suzuki is on call at #7788. Key kp-soc-2026-01 rotated. "
        "Lookalike kanto-power-login.example sent the phish. IPv6 2001:db8:10::25 and fd00::5 "
        "touched. 東京湾変電所のKPGRID系は無事。\","
        "\"incident_type\": \"ransomware\","
        "\"severity\": \"high\","
        "\"sector\": \"electric_power\","
        "\"detected_at\": \"2026-11-25T06:10:00+09:00\","
        "\"occurred_at\": \"2026-11-24T23:55:10Z\","
        "\"phase\": \"early_warning\","
        "\"incident_id\": \"5f0c6f0e-8d3b-4c1e-9a57-2f6b1d2c3e4f\","
        "\"tlp\": \"AMBER\","
        "\"impact\": {"
        "  \"class\": \"moderate\","
        "  \"description\": \"Billing for Kanto Power customers delayed; kp-grid.example "
        "portal down. Call 0120-123-456.\","
        "  \"services\": [\"Kanto Power billing\", \"KPGRID portal\"],"
        "  \"outage_minutes\": 95"
        "},"
        "\"indicators\": ["
        "  {\"type\": \"ipv4\", \"value\": \"203.0.113.45\", \"role\": \"attacker\","
        "   \"description\": \"C2 seen by Kanto Power\"},"
        "  {\"type\": \"ipv4\", \"value\": \"198.51.100.17\", \"role\": \"attacker\"},"
        "  {\"type\": \"ipv4\", \"value\": \"10.1.2.3\", \"role\": \"attacker\"},"
        "  {\"type\": \"ipv4\", \"value\": \"192.0.2.10\", \"role\": \"victim\"},"
        "  {\"type\": \"ipv6\", \"value\": \"2001:db8:10::25\", \"role\": \"attacker\"},"
        "  {\"type\": \"domain\", \"value\": \"update-check.evil.example\", \"role\": "
        "\"attacker\"},"
        "  {\"type\": \"domain\", \"value\": \"kanto-power-login.example\", \"role\": "
        "\"attacker\"},"
        "  {\"type\": \"url\", \"value\": \"https://portal.kanto-power.example/login\", "
        "\"role\": \"attacker\"},"
        "  {\"type\": \"email\", \"value\": \"billing@kanto-power.example\", \"role\": "
        "\"attacker\"},"
        "  {\"type\": \"filename\", \"value\": \"関東電力_請求書.zip\", \"role\": \"attacker\"},"
        "  {\"type\": \"sha256\", \"value\": "
        "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
        "   \"role\": \"attacker\"}"
        "],"
        "\"attack_techniques\": [\"T1486\", \"T1566.001\"],"
        "\"contacts\": [{\"name\": \"山田 太郎\", \"email\": \"t.yamada@kanto-power.example\","
        "  \"phone\": \"090-1111-2222\", \"role\": \"CSIRT lead\"},"
        " {\"name\": \"Hanako Suzuki\", \"phone\": \"#7788\"}]"
        "}";

static const struct anonymize_population crowd = {
        .k = 5, .same_sector_region = 6, .same_sector = 12, .total = 120};

/* Anonymize `text` and return the bulletin, asserting success. */
static json_t *bulletin_of(const char *text, const char *region,
                           const struct anonymize_population *pop)
{
	json_t *report = parse(text), *out = NULL;

	assert_int_equal(anonymize_report(report, region, &org, pop, &out), ERR_OK);
	assert_non_null(out);
	json_decref(report);
	return out;
}

static const char *member(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The published part: the bulletin without the coordinator-only members, as JSON text. */
static char *published(const json_t *bulletin)
{
	json_t *pub = json_deep_copy(bulletin);
	char *text;

	json_object_del(pub, "redactions");
	json_object_del(pub, "dropped_indicators");
	text = json_dumps(pub, JSON_COMPACT);
	json_decref(pub);
	assert_non_null(text);
	return text;
}

static void test_whole_report_no_leak(void **state)
{
	json_t *out = bulletin_of(report_text, "kanto", &crowd);
	char *text = published(out);

	(void)state;
	for (size_t i = 0; i < COUNT(identifying); i++)
		assert_absent(text, identifying[i], "the published bulletin");
	/* what a reader needs is still there */
	assert_non_null(strstr(text, "203.0.113.45"));
	assert_non_null(strstr(text, "update-check.evil.example"));
	assert_non_null(strstr(text, "T1566.001"));
	assert_non_null(strstr(text, "Ransomware at [redacted]"));
	assert_non_null(strstr(text, "\"sector\":\"electric_power\""));
	assert_non_null(strstr(text, "\"region\":\"kanto\""));
	/* and the coordinator can see what went */
	assert_true(json_array_size(json_object_get(out, "redactions")) >= 15);
	assert_int_equal(json_array_size(json_object_get(out, "dropped_indicators")), 8);
	free(text);
	json_decref(out);
}

static void test_bulletin_members(void **state)
{
	static const char *const keys[] = {
	        "title",          "summary",
	        "incident_type",  "severity",
	        "phase",          "tlp",
	        "sector",         "region",
	        "time_precision", "detected_at",
	        "occurred_at",    "impact",
	        "indicators",     "attack_techniques",
	        "redactions",     "dropped_indicators",
	};
	json_t *out = bulletin_of(report_text, "kanto", &crowd), *impact;

	(void)state;
	assert_int_equal(json_object_size(out), COUNT(keys));
	for (size_t i = 0; i < COUNT(keys); i++)
		assert_non_null(json_object_get(out, keys[i]));
	assert_string_equal(member(out, "incident_type"), "ransomware");
	assert_string_equal(member(out, "severity"), "high");
	assert_string_equal(member(out, "phase"), "early_warning");
	assert_string_equal(member(out, "tlp"), "AMBER");
	impact = json_object_get(out, "impact");
	assert_int_equal(json_object_size(impact), 2);
	assert_string_equal(member(impact, "class"), "moderate");
	assert_string_equal(member(impact, "description"),
	                    "Billing for [redacted] customers delayed; [redacted] portal down. "
	                    "Call [redacted].");
	assert_int_equal(json_array_size(json_object_get(out, "attack_techniques")), 2);
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(out, "attack_techniques"), 1)),
	        "T1566.001");
	json_decref(out);
}

/* The bulletin for a minimal report with these population counts. */
static json_t *minimal_bulletin(const char *region, unsigned k, unsigned ssr, unsigned ss,
                                unsigned total, const char *detected, const char *occurred)
{
	const struct anonymize_population pop = {k, ssr, ss, total};
	json_t *report = parse("{\"title\": \"t\", \"summary\": \"s\", \"incident_type\": \"ddos\","
	                       "\"severity\": \"low\", \"sector\": \"water\", \"phase\": \"final\","
	                       "\"tlp\": \"CLEAR\", \"impact\": {\"class\": \"none\"}}");
	json_t *out = NULL;

	json_object_set_new(report, "detected_at", json_string(detected));
	if (occurred != NULL)
		json_object_set_new(report, "occurred_at", json_string(occurred));
	assert_int_equal(anonymize_report(report, region, &org, &pop, &out), ERR_OK);
	json_decref(report);
	return out;
}

static void test_k_anonymity(void **state)
{
	static const struct {
		unsigned k, ssr, ss, total;
		const char *region, *sector, *precision; /* NULL = JSON null */
	} rows[] = {
	        {5, 5, 5, 100, "kanto", "water", "hour"},
	        {5, 4, 5, 100, NULL, "water", "hour"},
	        {5, 4, 4, 100, NULL, "critical_infrastructure", "day"},
	        {5, 1, 1, 5, NULL, "critical_infrastructure", "day"},
	        {5, 1, 1, 4, NULL, NULL, "day"},
	        {0, 5, 5, 5, "kanto", "water", "hour"},
	        {0, 4, 4, 10, NULL, "critical_infrastructure", "day"},
	        {3, 3, 3, 3, "kanto", "water", "hour"},
	        {1, 1, 1, 1, "kanto", "water", "hour"},
	};
	json_t *out;

	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		out = minimal_bulletin("kanto", rows[i].k, rows[i].ssr, rows[i].ss, rows[i].total,
		                       "2026-11-25T06:10:00Z", NULL);
		if (rows[i].region == NULL)
			assert_true(json_is_null(json_object_get(out, "region")));
		else
			assert_string_equal(member(out, "region"), rows[i].region);
		if (rows[i].sector == NULL)
			assert_true(json_is_null(json_object_get(out, "sector")));
		else
			assert_string_equal(member(out, "sector"), rows[i].sector);
		assert_string_equal(member(out, "time_precision"), rows[i].precision);
		json_decref(out);
	}
	/* an org without a region publishes none */
	out = minimal_bulletin(NULL, 5, 0, 50, 100, "2026-11-25T06:10:00Z", NULL);
	assert_true(json_is_null(json_object_get(out, "region")));
	json_decref(out);
}

static void test_time_rounding(void **state)
{
	static const struct {
		unsigned ss; /* 5: hour, 4: day */
		const char *in, *want;
	} rows[] = {
	        {5, "2026-11-25T06:10:00+09:00", "2026-11-24T21:00:00Z"},
	        {4, "2026-11-25T06:10:00+09:00", "2026-11-24T00:00:00Z"},
	        {5, "2026-11-25T06:59:59.999999Z", "2026-11-25T06:00:00Z"},
	        {5, "2026-11-25T06:00:00Z", "2026-11-25T06:00:00Z"},
	        {4, "2026-11-25T00:00:00Z", "2026-11-25T00:00:00Z"},
	        {4, "2026-11-25T23:59:59Z", "2026-11-25T00:00:00Z"},
	        {5, "2026-11-25T06:10:00-05:30", "2026-11-25T11:00:00Z"},
	        {4, "2026-12-31T23:30:00-01:00", "2027-01-01T00:00:00Z"},
	        {5, "2026-11-25t06:10:00z", "2026-11-25T06:00:00Z"},
	};
	json_t *out;

	(void)state;
	for (size_t i = 0; i < COUNT(rows); i++) {
		out = minimal_bulletin("kanto", 5, 1, rows[i].ss, 100, rows[i].in, rows[i].in);
		assert_string_equal(member(out, "detected_at"), rows[i].want);
		assert_string_equal(member(out, "occurred_at"), rows[i].want);
		json_decref(out);
	}
	out = minimal_bulletin("kanto", 5, 1, 5, 100, "2026-11-25T06:10:00Z", NULL);
	assert_null(json_object_get(out, "occurred_at"));
	json_decref(out);
	out = minimal_bulletin("kanto", 5, 1, 5, 100, "2026-11-25T06:10:00Z",
	                       "2026-11-25T05:10:00+09:00");
	assert_string_equal(member(out, "occurred_at"), "2026-11-24T20:00:00Z");
	json_decref(out);
}

/* A report with these indicators ({type, value, role} triples, NULL-ended). */
static json_t *indicator_bulletin(const char *const (*items)[3])
{
	json_t *report = parse("{\"title\": \"t\", \"summary\": \"s\", \"incident_type\": \"ddos\","
	                       "\"severity\": \"low\", \"sector\": \"water\", \"phase\": \"final\","
	                       "\"tlp\": \"CLEAR\", \"impact\": {\"class\": \"none\"},"
	                       "\"detected_at\": \"2026-11-25T06:10:00Z\","
	                       "\"contacts\": [{\"name\": \"Hanako Suzuki\"}]}");
	json_t *list = json_array(), *out = NULL;

	for (size_t i = 0; items[i][0] != NULL; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "type", items[i][0],
		                                      "value", items[i][1], "role", items[i][2],
		                                      "description", "by Kanto Power"));
	json_object_set_new(report, "indicators", list);
	assert_int_equal(anonymize_report(report, "kanto", &org, &crowd, &out), ERR_OK);
	json_decref(report);
	return out;
}

static void test_indicator_drops(void **state)
{
	static const char *const items[][3] = {
	        {"ipv4", "203.0.113.45", "victim"},
	        {"ipv4", "198.51.100.23", "attacker"},
	        {"ipv4", "198.51.100.0/23", "attacker"},
	        {"ipv4", "203.0.113.77", "attacker"},
	        {"ipv4", "10.0.0.8", "attacker"},
	        {"ipv4", "100.64.1.1", "attacker"},
	        {"ipv6", "fd00::1", "attacker"},
	        {"ipv6", "2001:db8:10::1", "attacker"},
	        {"ipv6", "::ffff:192.168.1.1", "attacker"},
	        {"domain", "vpn.kanto-power.example", "attacker"},
	        {"domain", "VPN.KANTO-POWER.EXAMPLE.", "attacker"},
	        {"domain", "kanto-power-login.example", "attacker"},
	        {"url", "https://portal.kanto-power.example/x", "attacker"},
	        {"url", "http://10.0.0.5/admin", "attacker"},
	        {"url", "http://[fd00::1]/x", "attacker"},
	        {"url", "https://evil.example/?t=198.51.100.7", "attacker"},
	        {"url", "https://evil.example/kanto-power.example", "attacker"},
	        {"email", "soc@kanto-power.example", "attacker"},
	        {"email", "hanako@evil.example", "attacker"},
	        {"filename", "関東電力_請求書.pdf", "attacker"},
	        {"filename", "org-7f3a9c21.txt", "attacker"},
	        {"md5", "d41d8cd98f00b204e9800998ecf8427e", "victim"},
	        {NULL, NULL, NULL},
	};
	static const char *const reasons[] = {
	        "victim",           "own-range",  "own-range",        "own-range",
	        "private",          "private",    "private",          "own-range",
	        "private",          "own-domain", "own-domain",       "own-domain",
	        "own-domain",       "private",    "private",          "own-range",
	        "own-domain",       "own-domain", "identifying-term", "identifying-term",
	        "identifying-term", "victim",
	};
	json_t *out = indicator_bulletin(items), *dropped, *entry;

	(void)state;
	dropped = json_object_get(out, "dropped_indicators");
	assert_int_equal(json_array_size(json_object_get(out, "indicators")), 0);
	assert_int_equal(json_array_size(dropped), COUNT(reasons));
	for (size_t i = 0; i < COUNT(reasons); i++) {
		entry = json_array_get(dropped, i);
		if (strcmp(member(entry, "reason"), reasons[i]) != 0)
			fail_msg("%s %s: reason %s, want %s", items[i][0], items[i][1],
			         member(entry, "reason"), reasons[i]);
		assert_string_equal(member(entry, "value"), items[i][1]);
		assert_string_equal(member(entry, "type"), items[i][0]);
		assert_string_equal(member(entry, "role"), items[i][2]);
	}
	json_decref(out);
}

static void test_indicator_keeps_and_dedup(void **state)
{
	static const char *const items[][3] = {
	        {"ipv4", "203.0.113.45", "attacker"},
	        {"ipv4", "203.0.113.45", "attacker"},
	        {"ipv4", "203.0.113.76", "attacker"},
	        {"ipv6", "2001:db8:11::1", "attacker"},
	        {"ipv6", "2001:DB8:11:0:0:0:0:1", "attacker"},
	        {"domain", "evil.example", "attacker"},
	        {"domain", "EVIL.example.", "attacker"},
	        {"url", "https://evil.example/Path", "attacker"},
	        {"url", "HTTPS://Evil.Example/Path", "attacker"},
	        {"url", "https://evil.example/path", "attacker"},
	        {"email", "Phisher@Evil.example", "attacker"},
	        {"email", "phisher@evil.example", "attacker"},
	        {"sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
	         "attacker"},
	        {"sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	         "attacker"},
	        {"md5", "d41d8cd98f00b204e9800998ecf8427e", "attacker"},
	        {"filename", "invoice.pdf", "attacker"},
	        {"filename", "INVOICE.pdf", "attacker"},
	        {"filename", "invoice.pdf", "attacker"},
	        {NULL, NULL, NULL},
	};
	static const char *const kept[] = {
	        "203.0.113.45",
	        "203.0.113.76",
	        "2001:db8:11::1",
	        "evil.example",
	        "https://evil.example/Path",
	        "https://evil.example/path",
	        "Phisher@Evil.example",
	        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
	        "d41d8cd98f00b204e9800998ecf8427e",
	        "invoice.pdf",
	        "INVOICE.pdf",
	};
	json_t *out = indicator_bulletin(items), *list, *entry;

	(void)state;
	list = json_object_get(out, "indicators");
	assert_int_equal(json_array_size(json_object_get(out, "dropped_indicators")), 0);
	assert_int_equal(json_array_size(list), COUNT(kept));
	for (size_t i = 0; i < COUNT(kept); i++) {
		entry = json_array_get(list, i);
		assert_int_equal(json_object_size(entry), 2); /* type and value only */
		assert_string_equal(member(entry, "value"), kept[i]);
	}
	json_decref(out);
}

/* Percent-encoded and defanged values are judged as a reader decodes them. */
static void test_indicator_decoded_forms(void **state)
{
	static const char *const items[][3] = {
	        {"url", "https://docs-share.example.net/view?org=Kanto%20Power&id=88213",
	         "attacker"},
	        {"url", "https://evil.example/?q=Kanto+Power", "attacker"},
	        {"url", "https://evil.example/?h=10%2E0%2E0%2E5", "attacker"},
	        {"url", "https://evil.example/?h=198%2E51%2E100%2E7", "attacker"},
	        {"url", "https://evil.example/%E9%96%A2%E6%9D%B1%E9%9B%BB%E5%8A%9B", "attacker"},
	        {"ipv4", "10.100.4[.]31", "attacker"},
	        {"ipv4", "198.51.100[.]250", "attacker"},
	        {"domain", "vpn[.]kanto-power[.]example", "attacker"},
	        {"url", "hxxps://portal[.]kanto-power[.]example/x", "attacker"},
	        {"url", "hxxp[:]//10.0.0[.]5/admin", "attacker"},
	        {"email", "soc[@]kanto-power[.]example", "attacker"},
	        {"email", "Hanako.Suzuki[at]evil[.]example", "attacker"},
	        /* kept */
	        {"ipv4", "203.0.113[.]7", "attacker"},
	        {"ipv4", "203.0.113.7", "attacker"},
	        {"domain", "evil[.]example", "attacker"},
	        {"url", "hxxps://evil[.]example/dl?f=a%20b&q=x+y", "attacker"},
	        {"url", "https://evil.example/?to=Kanto%20region", "attacker"},
	        {"email", "x[@]evil[.]example", "attacker"},
	        {NULL, NULL, NULL},
	};
	static const char *const reasons[] = {
	        "identifying-term", "identifying-term", "private",    "own-range",
	        "identifying-term", "private",          "own-range",  "own-domain",
	        "own-domain",       "private",          "own-domain", "identifying-term",
	};
	static const char *const kept[] = {
	        "203.0.113[.]7",
	        "evil[.]example",
	        "hxxps://evil[.]example/dl?f=a%20b&q=x+y",
	        "https://evil.example/?to=Kanto%20region",
	        "x[@]evil[.]example",
	};
	json_t *out = indicator_bulletin(items), *dropped, *list;

	(void)state;
	dropped = json_object_get(out, "dropped_indicators");
	list = json_object_get(out, "indicators");
	for (size_t i = 0; i < json_array_size(dropped) && i < COUNT(reasons); i++) {
		json_t *entry = json_array_get(dropped, i);

		if (strcmp(member(entry, "value"), items[i][1]) != 0 ||
		    strcmp(member(entry, "reason"), reasons[i]) != 0)
			fail_msg("dropped[%zu] = %s (%s), want %s (%s)", i, member(entry, "value"),
			         member(entry, "reason"), items[i][1], reasons[i]);
	}
	assert_int_equal(json_array_size(dropped), COUNT(reasons));
	/* published as sent; "203.0.113.7" is the same address as "203.0.113[.]7" */
	assert_int_equal(json_array_size(list), COUNT(kept));
	for (size_t i = 0; i < COUNT(kept); i++)
		assert_string_equal(member(json_array_get(list, i), "value"), kept[i]);
	json_decref(out);
}

static void test_refusals(void **state)
{
	static const char *const bad_ranges[] = {"198.51.100.0/33"};
	static const char *const null_terms[] = {NULL};
	struct anonymize_org bad = org;
	struct anonymize_population pop = crowd;
	json_t *report = parse(report_text), *sentinel = json_object(), *out = sentinel;

	(void)state;
	assert_true(anonymize_org_valid(&org));
	assert_int_equal(anonymize_report(report, "kanto", &org, &pop, NULL), ERR_INTERNAL);
	assert_int_equal(anonymize_report(NULL, "kanto", &org, &pop, &out), ERR_INTERNAL);
	assert_int_equal(anonymize_report(report, "kanto", NULL, &pop, &out), ERR_INTERNAL);
	assert_int_equal(anonymize_report(report, "kanto", &org, NULL, &out), ERR_INTERNAL);
	assert_int_equal(anonymize_report(report, "Kanto Power HQ", &org, &pop, &out),
	                 ERR_INTERNAL);
	pop.same_sector_region = pop.same_sector + 1;
	assert_int_equal(anonymize_report(report, "kanto", &org, &pop, &out), ERR_INTERNAL);
	pop = crowd;
	pop.same_sector = pop.total + 1;
	assert_int_equal(anonymize_report(report, "kanto", &org, &pop, &out), ERR_INTERNAL);
	pop = crowd;
	pop.same_sector = pop.same_sector_region = 0;
	assert_int_equal(anonymize_report(report, "kanto", &org, &pop, &out), ERR_INTERNAL);
	/* an org that cannot be honoured is refused, not half-applied */
	bad.ranges = bad_ranges;
	bad.n_ranges = 1;
	assert_false(anonymize_org_valid(&bad));
	assert_int_equal(anonymize_report(report, "kanto", &bad, &crowd, &out), ERR_INTERNAL);
	assert_null(anonymize_text("x", &bad, NULL, "/x", NULL));
	bad = org;
	bad.name = "";
	assert_false(anonymize_org_valid(&bad));
	bad = org;
	bad.terms = null_terms;
	bad.n_terms = 1;
	assert_false(anonymize_org_valid(&bad));
	bad = org;
	bad.name = "Kanto \xff Power";
	assert_false(anonymize_org_valid(&bad));
	bad = org;
	bad.terms = NULL;
	assert_false(anonymize_org_valid(&bad));
	/* a report that does not follow the schema */
	json_object_set_new(report, "contacts", json_string("山田"));
	assert_int_equal(anonymize_report(report, "kanto", &org, &crowd, &out), ERR_INTERNAL);
	json_object_del(report, "contacts");
	json_object_set_new(report, "tlp", json_string("AMBER, ask Kanto Power"));
	assert_int_equal(anonymize_report(report, "kanto", &org, &crowd, &out), ERR_INTERNAL);
	json_object_set_new(report, "tlp", json_string("AMBER"));
	json_object_del(report, "title");
	assert_int_equal(anonymize_report(report, "kanto", &org, &crowd, &out), ERR_INTERNAL);
	assert_ptr_equal(out, sentinel); /* untouched on failure */
	json_decref(sentinel);
	json_decref(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_email_any_domain),
	        cmocka_unit_test(test_phone_formats),
	        cmocka_unit_test(test_phone_lookalikes_kept),
	        cmocka_unit_test(test_org_name),
	        cmocka_unit_test(test_terms),
	        cmocka_unit_test(test_ids_and_keys),
	        cmocka_unit_test(test_contacts),
	        cmocka_unit_test(test_own_domains),
	        cmocka_unit_test(test_private_ipv4),
	        cmocka_unit_test(test_own_range_ipv4),
	        cmocka_unit_test(test_ipv6),
	        cmocka_unit_test(test_cjk_terms_allow_white_space),
	        cmocka_unit_test(test_full_width_org_name),
	        cmocka_unit_test(test_percent_encoded),
	        cmocka_unit_test(test_defanged),
	        cmocka_unit_test(test_overlapping_matches_merge),
	        cmocka_unit_test(test_redaction_entries),
	        cmocka_unit_test(test_utf8_robustness),
	        cmocka_unit_test(test_bounded_on_hostile_text),
	        cmocka_unit_test(test_random_mix_never_leaks),
	        cmocka_unit_test(test_whole_report_no_leak),
	        cmocka_unit_test(test_bulletin_members),
	        cmocka_unit_test(test_k_anonymity),
	        cmocka_unit_test(test_time_rounding),
	        cmocka_unit_test(test_indicator_drops),
	        cmocka_unit_test(test_indicator_keeps_and_dedup),
	        cmocka_unit_test(test_indicator_decoded_forms),
	        cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
