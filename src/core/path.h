/* SPDX-License-Identifier: MIT */
/*
 * Path arithmetic for both path styles, on every platform, so Windows rules
 * are unit-tested on Linux too. Pure: no file system access. Results are
 * heap strings owned by the caller (free()).
 */
#ifndef SW_CORE_PATH_H
#define SW_CORE_PATH_H

#include <stdbool.h>

typedef enum { SW_PATH_POSIX, SW_PATH_WIN } sw_path_style_t;

#ifdef _WIN32
#define SW_PATH_NATIVE SW_PATH_WIN
#else
#define SW_PATH_NATIVE SW_PATH_POSIX
#endif

/* Whether p is absolute: "/x" (POSIX); "C:\x", "C:/x", "\\server\share",
 * "\\?\..." (Windows). "\x" and "C:x" are not absolute on Windows. */
bool sw_path_is_absolute(sw_path_style_t st, const char *p);

/*
 * Resolve p against the absolute directory base and normalise it: on
 * Windows '/' becomes '\', "." and ".." segments and repeated separators
 * are folded (".." never climbs above the root); "\x" takes the drive or
 * UNC share of base; "\\?\" paths are taken verbatim, as Windows does.
 * Returns 0 and a heap string in *out; SW_EINVAL for a drive-relative
 * path ("C:x", whose meaning depends on a per-drive current directory) or
 * an empty p; SW_ENOMEM.
 */
int sw_path_resolve(sw_path_style_t st, const char *base, const char *p,
                    char **out);

/* The directory part of an absolute path (the root stays the root).
 * Returns 0 or SW_ENOMEM. */
int sw_path_dirname(sw_path_style_t st, const char *p, char **out);

/* The last segment of p (borrowed pointer into p). */
const char *sw_path_basename(sw_path_style_t st, const char *p);

/* p with its extension (after the last '.' of the last segment) replaced
 * by ext (which includes its dot, e.g. ".ini"). Returns 0 or SW_ENOMEM. */
int sw_path_replace_ext(sw_path_style_t st, const char *p, const char *ext,
                        char **out);

/*
 * The form of an absolute Windows path to hand to the W APIs: paths of
 * 248 characters or more (MAX_PATH, 260, less room for an 8.3 file name
 * in a folder) get the "\\?\" (or "\\?\UNC\") prefix so they work
 * without the LongPathsEnabled policy; others are returned unchanged.
 * Returns 0 or SW_ENOMEM.
 */
int sw_path_win_long(const char *p, char **out);

#endif
