/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xml.h - the one text escaper of libprecopy's SVG output (the simulator's
 * plots, precopy-trace's heatmap).
 */
#ifndef PRECOPY_XML_H
#define PRECOPY_XML_H

#include <stdio.h>

/*
 * xml_write_text() writes s to f as XML character data or attribute
 * value: '<', '>', '&' and '"' as entities, control characters dropped
 * (XML 1.0 forbids most), other bytes as they are; NULL writes nothing.
 * Cannot fail (write errors stay in ferror(f)).
 */
void xml_write_text(FILE *f, const char *s);

#endif /* PRECOPY_XML_H */
