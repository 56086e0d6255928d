/* SPDX-License-Identifier: MIT */
/* ISO-8601 time stamps from epoch milliseconds. Pure: no time zone
 * database; the caller passes the UTC offset it wants shown. */
#ifndef SW_CORE_TIMEFMT_H
#define SW_CORE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Room for the result ("2026-11-27T22:10:00.123+14:00", 30 bytes)
 * with any year. */
#define SW_TIME_LEN 48

/*
 * Format epoch_ms (Unix epoch, milliseconds, UTC) shifted by
 * offset_min minutes as "YYYY-MM-DDThh:mm:ss.mmm" plus "Z" when
 * offset_min is 0 and utc_z is nonzero, else "+hh:mm"/"-hh:mm".
 * Writes into buf (at least SW_TIME_LEN bytes) and returns buf.
 */
char *sw_time_format(int64_t epoch_ms, int offset_min, int utc_z, char *buf);

#endif
