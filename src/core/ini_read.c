/* SPDX-License-Identifier: MIT */
/*
 * INI text -> sections and entries, through inih (upstream's ini.c, built
 * for both platforms by scripts/win-deps with the switches listed there).
 *  1. A line scan for what inih cannot judge: line endings (LF, CRLF, CR),
 *     the UTF-8 BOM, encoding (UTF-16, NUL bytes, invalid UTF-8) and
 *     over-long lines. Bad lines are reported and blanked.
 *  2. inih over the cleaned text. Its handler gets every section header
 *     (INI_CALL_HANDLER_ON_NEW_SECTION), every key = value and every
 *     key-only line (INI_ALLOW_NO_VALUE), each with its line number.
 *  3. inih reports only its first error, and hands no more key-only lines
 *     to the handler after it: every line with content that reached
 *     neither the handler nor a comment is one inih refused (a header with
 *     no ']', or such a key-only line), and is reported here.
 * Entries are given their section by line at the end, so that the keys
 * under a refused header belong to no section rather than to the one
 * before it.
 */
#include "core/ini_read.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Must match the library's build (scripts/win-deps): the handler gets the
 * line number. */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include "core/err.h"
#include "core/sbuf.h"

/* Stop reporting after this many errors: a binary file would otherwise
 * produce one per line. */
#define MAX_ERRORS 50

/* A line of the cleaned text. */
typedef struct {
  size_t off, len;
  bool seen; /* inih handed it to on_line() */
} line_t;

typedef struct {
  sw_ini_t *ini;
  sw_diags_t *diags;
  const char *clean; /* the text inih reads */
  line_t *lines;     /* lines[0] is line 1 */
  size_t n_lines;
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

/* Note where a line of the cleaned text starts. False on OOM. */
static bool add_line(reader_t *r, size_t off, size_t len) {
  line_t *v = realloc(r->lines, (r->n_lines + 1) * sizeof(*v));

  if (v == NULL) return false;
  r->lines = v;
  v[r->n_lines].off = off;
  v[r->n_lines].len = len;
  v[r->n_lines].seen = false;
  r->n_lines++;
  return true;
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
      s = e; /* keep counting lines; report no more */
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
    }
    if (!add_line(r, clean->len, (size_t)(e - s))) return false;
    sw_sbuf_put(clean, s, (size_t)(e - s));
    sw_sbuf_put(clean, "\n", 1);
    pos = next;
  }
  return !sw_sbuf_failed(clean);
}

/* The trimmed text of line `lineno` (1-based) as [*s, *e). */
static void line_text(const reader_t *r, int lineno, const char **s,
                      const char **e) {
  const line_t *l = &r->lines[lineno - 1];

  *s = r->clean + l->off;
  *e = *s + l->len;
  trim_range(s, e);
}

/*
 * A header inih accepted: it found the ']' (before any inline comment).
 * Take the name from the line itself (inih truncates it to 49 bytes) and
 * refuse what inih lets pass: text after the ']' and an empty name. A
 * refused header still opens a section, with no name, so that the keys
 * under it are not taken for keys of the section before.
 */
static void on_section(reader_t *r, int lineno) {
  const char *s, *e, *ns, *ne, *after;

  line_text(r, lineno, &s, &e);
  ns = s + 1;
  ne = memchr(ns, ']', (size_t)(e - ns));
  if (ne == NULL) ne = e; /* cannot happen: inih found one */
  after = ne + 1;
  trim_range(&ns, &ne);
  while (after < e && is_blank(*after))
    after++;
  if (after < e && *after != ';' && *after != '#') {
    sw_diags_add(r->diags, true, lineno,
                 "unexpected text after ']' in section header; move it to "
                 "a line of its own or start it with ';' to make a comment");
    ns = ne;
  } else if (ns == ne) {
    sw_diags_add(r->diags, true, lineno, "empty section name []");
  }
  add_section(r, ns, ne, lineno);
}

static void not_an_entry(reader_t *r, int lineno, const char *what) {
  sw_diags_add(r->diags, true, lineno,
               "\"%s\" is neither key = value nor [section]", what);
}

/*
 * The value of line `lineno` as svcwrap reads it: what follows the first
 * '=' or ':' (where inih split the name off), up to an inline comment, a
 * ';' after a blank, trimmed, as inih does, except that a ';' between
 * double quotes is text: inih would cut `--query "SELECT 1 ;" --pw=x`
 * at the ';' and silently drop the rest. A quote that is never closed is
 * reported. Heap string, NULL on OOM.
 */
static char *value_of_line(reader_t *r, int lineno) {
  const char *s, *e, *v, *c, *end;
  bool quoted = false;

  line_text(r, lineno, &s, &e);
  for (v = s; v < e && *v != '=' && *v != ':'; v++)
    continue;
  if (v < e) v++;
  while (v < e && is_blank(*v))
    v++;
  end = e;
  for (c = v; c < e; c++) {
    /* Quotes count as CommandLineToArgvW counts them (values such as
     * `arguments` follow its rules): after an odd number of
     * backslashes a quote is a literal one. */
    if (*c == '"') {
      size_t bs = 0;

      while (c - bs > v && c[-1 - (ptrdiff_t)bs] == '\\')
        bs++;
      if (bs % 2 == 0) quoted = !quoted;
    }
    if (*c == ';' && !quoted && c > s && is_blank(c[-1])) {
      end = c;
      break;
    }
  }
  if (quoted)
    sw_diags_add(r->diags, true, lineno,
                 "unbalanced quote: a '\"' is never closed; close it (a "
                 "literal quote is \\\" or \"\" inside quotes, and a "
                 "backslash just before a closing quote is written \\\\)");
  trim_range(&v, &end);
  return dup_range(v, end);
}

/* inih's handler. Always returns 1: problems go to the diags, and inih
 * carries on whatever it returns (INI_STOP_ON_FIRST_ERROR=0). */
static int on_line(void *user, const char *section, const char *name,
                   const char *value, int lineno) {
  reader_t *r = user;
  sw_ini_entry_t *v;

  (void)section; /* truncated by inih; sections are ours (on_section) */
  if (lineno < 1 || (size_t)lineno > r->n_lines) return 1; /* not ours */
  r->lines[lineno - 1].seen = true;
  if (r->nomem || too_many(r->diags)) return 1;
  if (name == NULL) {
    on_section(r, lineno);
    return 1;
  }
  if (value == NULL) {
    not_an_entry(r, lineno, name);
    return 1;
  }
  if (*name == '\0') {
    sw_diags_add(r->diags, true, lineno,
                 "missing key name before '='; write key = value");
    return 1;
  }
  v = realloc(r->ini->entries, (r->ini->n_entries + 1) * sizeof(*v));
  if (v == NULL) {
    r->nomem = true;
    return 1;
  }
  r->ini->entries = v;
  v += r->ini->n_entries;
  v->section = 0; /* set by assign_sections() */
  v->line = lineno;
  v->key = strdup(name);
  v->value = value_of_line(r, lineno);
  if (v->key == NULL || v->value == NULL) {
    free(v->key);
    free(v->value);
    r->nomem = true;
    return 1;
  }
  r->ini->n_entries++;
  return 1;
}

/*
 * Pass 3: the lines inih refused. With content, not a comment, and never
 * handed to on_line(): a header without ']' (inih's own error), or a
 * key-only line after inih's first error.
 */
static void refused_lines(reader_t *r) {
  size_t i;

  for (i = 0; i < r->n_lines && !r->nomem && !too_many(r->diags); i++) {
    const char *s, *e, *c;
    int lineno = (int)i + 1;
    char *what;

    if (r->lines[i].seen) continue;
    line_text(r, lineno, &s, &e);
    if (s == e || *s == ';' || *s == '#') continue;
    if (*s == '[') {
      sw_diags_add(r->diags, true, lineno,
                   "section header has no closing ']'; write [section]");
      add_section(r, s, s, lineno);
      continue;
    }
    /* What inih would have named it: up to an inline " ;" comment. */
    for (c = s + 1; c < e; c++)
      if (*c == ';' && is_blank(c[-1])) break;
    trim_range(&s, &c);
    what = dup_range(s, c);
    if (what == NULL) {
      r->nomem = true;
      return;
    }
    not_an_entry(r, lineno, what);
    free(what);
  }
}

static int by_line(const void *a, const void *b) {
  const sw_ini_section_t *x = a, *y = b;

  return (x->line > y->line) - (x->line < y->line);
}

/* The section (index) a line belongs to: the last header before it. */
static int section_of_line(const sw_ini_t *ini, int line) {
  int i;

  for (i = (int)ini->n_sections - 1; i >= 0; i--)
    if (ini->sections[i].line < line) return i;
  return -1;
}

/* Give each entry its section; drop (and report) those before any. */
static void assign_sections(reader_t *r) {
  sw_ini_t *ini = r->ini;
  unsigned i, kept = 0;

  if (ini->n_sections > 1)
    qsort(ini->sections, ini->n_sections, sizeof(ini->sections[0]), by_line);
  for (i = 0; i < ini->n_entries; i++) {
    sw_ini_entry_t *e = &ini->entries[i];
    int sec = section_of_line(ini, e->line);

    if (sec < 0) {
      sw_diags_add(r->diags, true, e->line,
                   "key \"%s\" comes before any [section]; put it under the "
                   "section it belongs to, e.g. [service]",
                   e->key);
      free(e->key);
      free(e->value);
      continue;
    }
    e->section = (unsigned)sec;
    ini->entries[kept++] = *e;
  }
  ini->n_entries = kept;
}

int sw_ini_read(const char *text, size_t len, sw_ini_t *out,
                sw_diags_t *diags) {
  reader_t r;
  sw_sbuf_t clean = SW_SBUF_INIT;
  int rc;

  memset(out, 0, sizeof(*out));
  memset(&r, 0, sizeof(r));
  r.ini = out;
  r.diags = diags;
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
  r.clean = clean.p ? clean.p : "";
  rc = ini_parse_string(r.clean, on_line, &r);
  if (rc == -2 || r.nomem) goto nomem;
  refused_lines(&r);
  if (r.nomem) goto nomem;
  assign_sections(&r);
  if (too_many(diags))
    sw_diags_add(diags, true, 0, "too many errors; stopped reporting");
  sw_sbuf_free(&clean);
  free(r.lines);
  return 0;

nomem:
  sw_sbuf_free(&clean);
  free(r.lines);
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
