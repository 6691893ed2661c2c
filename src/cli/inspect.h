/*
 * inspect.h - `cellos-telemetry decode`: length-prefixed frames in, one
 * JSON object per frame out (the decoded fields, or the rejection reason
 * and detail), through the daemon's own reassembler and decoder.
 */
#ifndef INSPECT_H
#define INSPECT_H

#include <stddef.h>
#include <stdio.h>

/* Read frames from fd until EOF or a framing error. Returns 0 when every
 * frame decoded, 1 when any was rejected. */
int inspect_frames(int fd, size_t max_frame, FILE *out);

#endif
