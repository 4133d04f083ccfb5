/*
 * version.h - the one version string of the project.
 *
 * Owns: SPACEPORT_VERSION, printed by --version, written into every
 * report ("version") and every package manifest ("producer").  Change it
 * here only.
 */
#ifndef SP_VERSION_H
#define SP_VERSION_H

#define SPACEPORT_VERSION	"0.1.0"

#endif
