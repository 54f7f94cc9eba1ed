/*
 * clock — one textual form for every timestamp the server emits or signs.
 */
#include "clock.h"

#include <stdio.h>
#include <time.h>

int64_t clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int clock_format_us(int64_t us, char out[CLOCK_RFC3339_LEN + 1])
{
	struct tm tm;
	time_t secs;
	unsigned frac;

	if (us < 0 || us >= 253402300800LL * 1000000) /* 10000-01-01 */
		return -1;
	secs = (time_t)(us / 1000000);
	frac = (unsigned)(us % 1000000);
	if (gmtime_r(&secs, &tm) == NULL)
		return -1;
	snprintf(out, CLOCK_RFC3339_LEN + 1, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ",
	         (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) % 100,
	         (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100,
	         (unsigned)tm.tm_sec % 100, frac % 1000000);
	return 0;
}
