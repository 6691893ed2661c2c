/*
 * sign-loop - the bare libsodium baselines for make bench: sign the given
 * canonical messages (one per line on stdin) with crypto_sign_detached in
 * a tight loop for about SECONDS and print signatures per second; with
 * "verify" as a second argument, sign each once and then verify them in a
 * tight loop with crypto_sign_verify_detached: verifications per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static char *msgs[4096];
	static size_t lens[4096];
	static unsigned char sigs[4096][64];
	int verify = argc > 2 && strcmp(argv[2], "verify") == 0;
	unsigned char pk[32], sk[64], sig[64];
	double secs = argc > 1 ? atof(argv[1]) : 2.0, t0, t;
	size_t n = 0, cap = 0, i;
	unsigned long long count = 0;
	char *line = NULL;
	ssize_t len;

	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk, sk);
	while (n < 4096 && (len = getline(&line, &cap, stdin)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		msgs[n] = malloc((size_t)len);
		memcpy(msgs[n], line, (size_t)len);
		lens[n++] = (size_t)len;
	}
	if (n == 0) {
		fprintf(stderr, "sign-loop: no messages on stdin\n");
		return 1;
	}
	for (i = 0; verify && i < n; i++)
		crypto_sign_detached(sigs[i], NULL, (unsigned char *)msgs[i], lens[i],
		    sk);
	t0 = now();
	do {
		for (i = 0; i < 256; i++, count++) {
			if (!verify)
				crypto_sign_detached(sig, NULL,
				    (unsigned char *)msgs[count % n], lens[count % n], sk);
			else if (crypto_sign_verify_detached(sigs[count % n],
			    (unsigned char *)msgs[count % n], lens[count % n], pk) != 0)
				return 2;
		}
		t = now();
	} while (t - t0 < secs);
	printf("%.0f\n", (double)count / (t - t0));
	return 0;
}
