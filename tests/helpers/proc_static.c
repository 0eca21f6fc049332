// SPDX-License-Identifier: GPL-2.0
/* proc_static.c - a statically linked program (built with -static), which the
 * process tracer must refuse with a clear message. */
#include <stdio.h>

int main(void)
{
	puts("static");
	return 0;
}
