/*
 * encode.c - base64url and hex text of binary values (see include/encode.h).
 *
 * libsodium's codecs run in constant time: neither the encoder nor the
 * decoder indexes a table or branches on the bytes, which matters because
 * the same functions carry secret keys.
 */
#include <string.h>

#include <sodium.h>

#include "encode.h"

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

size_t
b64url_len(size_t n)
{
	return (n / 3) * 4 + ((n % 3) ? (n % 3) + 1 : 0);
}

void
b64url_encode(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2base64(out, sodium_base64_ENCODED_LEN(n, B64URL), in, n,
	    B64URL);
}

void
b64url_encode_public(const uint8_t *in, size_t n, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		out[o++] = abc[in[i] >> 2];
		out[o++] = abc[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		out[o++] = abc[v >> 10 & 63];
		out[o++] = abc[v >> 4 & 63];
		out[o++] = abc[(v & 15) << 2];
	}
	out[o] = '\0';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

long
b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	size_t len, pad = 0;

	/* the framing is public: whitespace around, '=' at the end */
	while (n > 0 && is_space(in[0])) {
		in++;
		n--;
	}
	while (n > 0 && is_space(in[n - 1]))
		n--;
	while (n > 0 && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	/* padding, when there is any, must be exactly what the length needs */
	if (pad > 0 && (n + pad) % 4 != 0)
		return -1;
	if (n == 0 || sodium_base642bin(out, cap, in, n, NULL, &len, NULL,
	    B64URL) != 0)
		return -1;
	return (long)len;
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}
