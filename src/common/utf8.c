/*
 * utf8.c - strict UTF-8 validation (see include/utf8.h).
 */
#include <string.h>

#include "utf8.h"

#define LOW_BITS 0x0101010101010101ull
#define HIGH_BITS 0x8080808080808080ull

/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or values past U+10FFFF,
 * and no U+0000, which would truncate C strings downstream. */
int
utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c;
		uint32_t cp;
		size_t k, need;
		uint64_t w;

		/* ASCII without NUL, 8 bytes at a time: most text is */
		if (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if ((w & HIGH_BITS) == 0 &&
			    ((w - LOW_BITS) & ~w & HIGH_BITS) == 0) {
				i += 8;
				continue;
			}
		}
		c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return 0;
		i += need + 1;
	}
	return 1;
}
