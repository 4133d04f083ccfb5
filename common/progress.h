/*
 * progress.h - the progress line on standard error.
 *
 * Owns: whether a program draws progress, the line itself and its
 * timing.  One line, redrawn in place with '\r' at most five times a
 * second, first drawn half a second after progress_start() (so short runs
 * show nothing), cleared before any other message and at the end:
 *
 *   spaceport-convert: 312.4 MiB of 1.2 GiB (26%), 182311 objects, 85.2 MiB/s, 0:11 left
 *
 * "of TOTAL", the percentage and the time left appear only when the
 * total is known; the rate is the average since the first byte.
 *
 * Who draws (so that the stages of one pipe never fight over the line):
 * nothing under -q or when standard error is not a terminal; otherwise a
 * program draws unless its standard output is a pipe or a socket, i.e.
 * unless it feeds a later stage, which draws instead.  In
 * `extract | convert | pack -o out.zip` only pack draws; its bytes are the
 * package streaming through the whole pipe.  SPACEPORT_PROGRESS=never
 * turns it off, SPACEPORT_PROGRESS=always draws even into a pipe (still
 * only on a terminal and without -q).
 *
 * Hooks: the readers count what they read (zipin_read: each member's
 * bytes once; pkg_read), the entities reader counts objects, diag_vwarn()
 * and report_print_summary() clear the line.  Everything here is a no-op
 * until progress_start() decided to draw; nothing is allocated.
 */
#ifndef SP_PROGRESS_H
#define SP_PROGRESS_H

#include <stdint.h>

/* Decide whether to draw (the rule above) and start the clock.  quiet:
 * the program's -q.  Called once, after the options are parsed. */
void	progress_start(int quiet);
/* Add n bytes to the known total of bytes to read.  n == 0 makes the
 * total unknown for the rest of the run (no percentage, no time left). */
void	progress_total(uint64_t n);
/* n more bytes read / objects parsed; may redraw. */
void	progress_bytes(uint64_t n);
void	progress_objects(uint64_t n);
/* A new phase over other bytes (extract: spooling standard input, then
 * reading the export): the byte count, the total and the rate start
 * again; the line stays where it is. */
void	progress_phase(void);
/* Erase the line if it is drawn (before anything else is written to
 * standard error); the next progress_bytes/objects draws it again. */
void	progress_clear(void);
/* Erase the line for good: nothing is drawn after this. */
void	progress_end(void);

#endif
