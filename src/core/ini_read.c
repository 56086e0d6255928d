/* SPDX-License-Identifier: MIT */
/*
 * INI text -> entries, through inih (Debian's build, natively, or the same
 * source built with mingw-w64). Two passes:
 *  1. our own line scan: line endings (LF, CRLF, CR), the UTF-8 BOM,
 *     encoding (UTF-16, NUL bytes, invalid UTF-8), over-long lines and
 *     [section] headers. Bad lines are reported and blanked, so inih never
 *     records an error of its own: inih stops calling the handler for
 *     key-only lines after its first error, which would hide problems.
 *  2. inih over the cleaned text, with Debian's runtime options set so that
 *     long lines are read whole (heap buffer that grows), indented lines
 *     are not continuations, inline "; comments" are removed and key-only
 *     lines reach the handler (value NULL) to be reported.
 */
#include "core/ini_read.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Debian builds inih with INI_HANDLER_LINENO=1 (debian/patches
 * 0005-Force-INI_HANDLER_LINENO), and scripts/win-deps builds the mingw
 * library the same way: the handler gets the line number. */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "core/err.h"
#include "core/sbuf.h"

/* Stop reporting after this many errors: a binary file would otherwise
 * produce one per line. */
#define MAX_ERRORS 50

typedef struct {
  sw_ini_t *ini;
  sw_diags_t *diags;
  bool nomem;
} reader_t;

size_t sw_utf8_valid_prefix(const unsigned char *s, size_t n) {
  size_t i = 0;

  while (i < n) {
    unsigned c = s[i];
    size_t need;
    unsigned min, cp;
    size_t k;

    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
      min = 0x80;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      min = 0x800;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return i;
    }
    for (k = 1; k <= need; k++) {
      if (i + k >= n || (s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    /* No overlong forms, no UTF-16 surrogates, nothing past U+10FFFF. */
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += need + 1;
  }
  return i;
}

static bool too_many(const sw_diags_t *d) {
  return d->n_errors >= MAX_ERRORS;
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* Trim a [start, end) range of blanks on both sides. */
static void trim_range(const char **s, const char **e) {
  while (*s < *e && is_blank(**s))
    (*s)++;
  while (*e > *s && is_blank((*e)[-1]))
    (*e)--;
}

static char *dup_range(const char *s, const char *e) {
  char *p = malloc((size_t)(e - s) + 1);

  if (p != NULL) {
    memcpy(p, s, (size_t)(e - s));
    p[e - s] = '\0';
  }
  return p;
}

/* Record a section named [ns, ne) starting at `line`. False on OOM. */
static bool add_section(reader_t *r, const char *ns, const char *ne, int line) {
  sw_ini_section_t *v;

  v = realloc(r->ini->sections, (r->ini->n_sections + 1) * sizeof(*v));
  if (v == NULL) {
    r->nomem = true;
    return false;
  }
  r->ini->sections = v;
  v[r->ini->n_sections].name = dup_range(ns, ne);
  v[r->ini->n_sections].line = line;
  if (v[r->ini->n_sections].name == NULL) {
    r->nomem = true;
    return false;
  }
  r->ini->n_sections++;
  return true;
}

/*
 * Check a "[name]" line (s..e trimmed, *s == '['). Records the section and
 * returns true if well-formed; else reports it and returns false.
 */
static bool scan_section(reader_t *r, const char *s, const char *e, int line) {
  const char *close = memchr(s, ']', (size_t)(e - s));
  const char *ns = s + 1, *ne, *after;

  if (close == NULL) {
    sw_diags_add(r->diags, true, line,
                 "section header has no closing ']'; write [section]");
    return false;
  }
  ne = close;
  trim_range(&ns, &ne);
  after = close + 1;
  while (after < e && is_blank(*after))
    after++;
  if (after < e && *after != ';' && *after != '#') {
    sw_diags_add(r->diags, true, line,
                 "unexpected text after ']' in section header; move it to "
                 "a line of its own or start it with ';' to make a comment");
    return false;
  }
  if (ns == ne) {
    sw_diags_add(r->diags, true, line, "empty section name []");
    return false;
  }
  return add_section(r, ns, ne, line);
}

/*
 * Pass 1: copy text into *clean with LF line endings, blanking each line
 * that has a problem (after reporting it). Returns false on OOM only.
 */
static bool scan_lines(reader_t *r, const char *text, size_t len,
                       sw_sbuf_t *clean) {
  size_t pos = 0;
  int line = 0;

  /* A UTF-8 BOM is allowed and skipped (Notepad writes one). */
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3;
  while (pos < len) {
    size_t end = pos, next;
    const char *s, *e;
    size_t valid;

    while (end < len && text[end] != '\n' && text[end] != '\r')
      end++;
    /* The line ends at LF, CRLF or a lone CR. */
    next = end;
    if (next < len)
      next += (text[next] == '\r' && next + 1 < len && text[next + 1] == '\n')
                  ? 2
                  : 1;
    line++;

    s = text + pos;
    e = text + end;
    if (too_many(r->diags)) {
      /* Keep counting lines; report no more. */
    } else if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
      sw_diags_add(r->diags, true, line,
                   "line contains a NUL byte; is this a text file?");
      s = e;
    } else if ((valid = sw_utf8_valid_prefix((const unsigned char *)s,
                                             (size_t)(e - s))) <
               (size_t)(e - s)) {
      sw_diags_add(r->diags, true, line,
                   "invalid UTF-8 (byte 0x%02X at column %zu); save the "
                   "file as UTF-8",
                   (unsigned)(unsigned char)s[valid], valid + 1);
      s = e;
    } else if ((size_t)(e - s) > SW_INI_MAX_LINE) {
      sw_diags_add(r->diags, true, line,
                   "line is %zu bytes long; at most %d are accepted",
                   (size_t)(e - s), SW_INI_MAX_LINE);
      s = e;
    } else {
      const char *ts = s, *te = e;

      trim_range(&ts, &te);
      if (ts < te && *ts == '[' && !scan_section(r, ts, te, line)) {
        s = e;
        /* The keys under a bad header belong to no section: left with
         * the section before it, they would be reported again, wrongly,
         * as unknown keys there. An empty name marks such a section. */
        if (!r->nomem) add_section(r, ts, ts, line);
      }
      if (r->nomem) return false;
    }
    sw_sbuf_put(clean, s, (size_t)(e - s));
    sw_sbuf_put(clean, "\n", 1);
    pos = next;
  }
  if (too_many(r->diags))
    sw_diags_add(r->diags, true, 0, "too many errors; stopped reporting");
  return !sw_sbuf_failed(clean);
}

/* The section (index) a line belongs to: the last header before it. */
static int section_of_line(const sw_ini_t *ini, int line) {
  int i;

  for (i = (int)ini->n_sections - 1; i >= 0; i--)
    if (ini->sections[i].line < line) return i;
  return -1;
}

/* inih's handler. Always returns 1 so that inih never records an error
 * (see the file comment); problems go to the diags instead. */
static int on_entry(void *user, const char *section, const char *name,
                    const char *value, int lineno) {
  reader_t *r = user;
  sw_ini_entry_t *v;
  int sec;

  (void)section; /* inih truncates names to 49 bytes; use our own table */
  if (r->nomem || too_many(r->diags)) return 1;
  if (value == NULL) {
    sw_diags_add(r->diags, true, lineno,
                 "\"%s\" is neither key = value nor [section]", name);
    return 1;
  }
  if (*name == '\0') {
    sw_diags_add(r->diags, true, lineno,
                 "missing key name before '='; write key = value");
    return 1;
  }
  sec = section_of_line(r->ini, lineno);
  if (sec < 0) {
    sw_diags_add(r->diags, true, lineno,
                 "key \"%s\" comes before any [section]; put it under the "
                 "section it belongs to, e.g. [service]",
                 name);
    return 1;
  }
  v = realloc(r->ini->entries, (r->ini->n_entries + 1) * sizeof(*v));
  if (v == NULL) {
    r->nomem = true;
    return 1;
  }
  r->ini->entries = v;
  v += r->ini->n_entries;
  v->section = (unsigned)sec;
  v->line = lineno;
  v->key = strdup(name);
  v->value = strdup(value);
  if (v->key == NULL || v->value == NULL) {
    free(v->key);
    free(v->value);
    r->nomem = true;
    return 1;
  }
  r->ini->n_entries++;
  return 1;
}

int sw_ini_read(const char *text, size_t len, sw_ini_t *out,
                sw_diags_t *diags) {
  reader_t r = {out, diags, false};
  sw_sbuf_t clean = SW_SBUF_INIT;
  int rc;

  memset(out, 0, sizeof(*out));
  if (len >= 2 &&
      (memcmp(text, "\xFF\xFE", 2) == 0 || memcmp(text, "\xFE\xFF", 2) == 0)) {
    return sw_diags_add(diags, true, 0,
                        "file is UTF-16 encoded; save it as UTF-8 (Notepad: "
                        "Save As, Encoding: UTF-8)");
  }
  if (len >= 2 && (text[0] == '\0' || text[1] == '\0')) {
    return sw_diags_add(diags, true, 0,
                        "file starts with NUL bytes (UTF-16 without a BOM?); "
                        "save it as UTF-8");
  }
  if (!scan_lines(&r, text, len, &clean)) goto nomem;

  /* Debian's inih options (debian/patches/0002-Add-runtime-options). */
  ini_use_stack = false;
  ini_allow_realloc = true;
  ini_initial_alloc = 256;
  ini_max_line = SW_INI_MAX_LINE + 3; /* room for "\r\n\0" */
  ini_allow_multiline = false;
  ini_allow_bom = false; /* already skipped */
  ini_allow_inline_comments = true;
  ini_allow_no_value = true;
  ini_stop_on_first_error = false;

  rc = ini_parse_string(clean.p ? clean.p : "", on_entry, &r);
  sw_sbuf_free(&clean);
  if (rc == -2 || r.nomem) goto nomem;
  return 0;

nomem:
  sw_sbuf_free(&clean);
  sw_ini_free(out);
  return SW_ENOMEM;
}

void sw_ini_free(sw_ini_t *ini) {
  unsigned i;

  for (i = 0; i < ini->n_sections; i++)
    free(ini->sections[i].name);
  for (i = 0; i < ini->n_entries; i++) {
    free(ini->entries[i].key);
    free(ini->entries[i].value);
  }
  free(ini->sections);
  free(ini->entries);
  memset(ini, 0, sizeof(*ini));
}
