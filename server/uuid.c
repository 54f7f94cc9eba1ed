/*
 * uuid — UUIDv4 minting and strict parsing; never derives ids from data.
 */
#include "uuid.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void uuid_v4(char out[UUID_STR_LEN + 1])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, UUID_STR_LEN + 1,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	         b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	         b[15]);
}

static int uuid_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool uuid_parse(const char *s, uint8_t bytes[16])
{
	size_t out = 0;

	if (s == NULL || strlen(s) != UUID_STR_LEN)
		return false;
	for (size_t i = 0; i < UUID_STR_LEN;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
			i++;
			continue;
		}
		hi = uuid_hex(s[i]);
		lo = uuid_hex(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		if (bytes != NULL)
			bytes[out] = (uint8_t)(hi << 4 | lo);
		out++;
		i += 2;
	}
	return out == 16;
}
