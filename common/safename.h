/*
 * safename.h - the safe member-name rule.
 *
 * Owns: which member names every stage accepts, read or written (zip
 * members, package members, manifest rows).  A leaf: it depends on
 * nothing else in common/, so the zip reader, the package code and the
 * manifest parser can all use it without depending on each other.
 */
#ifndef SP_SAFENAME_H
#define SP_SAFENAME_H

/*
 * Takes a NUL-terminated name.  Returns 1 if it is safe: non-empty, at
 * most 4096 bytes, relative (no leading '/'), no backslash, no "", "."
 * or ".." component, and no control character (bytes 0x01-0x1f and
 * 0x7f: a name with a newline or a terminal escape could break a
 * one-line diagnostic or forge one).  Returns 0 otherwise.  Pure: no
 * allocation, no state.
 */
int	 pkg_name_ok(const char *name);

#endif
