/* SPDX-License-Identifier: GPL-2.0 */
/* errmsg.h - filling the caller's error-message buffer, the convention of
 * libprecopy functions that take (char *err, size_t errlen). */
#ifndef PRECOPY_ERRMSG_H
#define PRECOPY_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* errmsg_set() formats into err (errlen bytes, always NUL-terminated);
 * a NULL err or zero errlen is allowed and does nothing. Cannot fail. */
static inline __attribute__((format(printf, 3, 4))) void
errmsg_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif /* PRECOPY_ERRMSG_H */
