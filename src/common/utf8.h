/*
 * utf8.h - strict UTF-8 validation, for guest text and anything written to the stream.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Strict UTF-8: no overlongs, surrogates, values past U+10FFFF, or U+0000. */
int utf8_valid(const uint8_t *s, size_t n);

#endif
