/*
 * version.h - the version every program reports (debian/changelog must
 * agree: make deb checks).
 */
#ifndef VERSION_H
#define VERSION_H

#define VERSION "0.1.0"

#endif
