/*
 * The callgrind dump reader (callgrind.h). One pass over the file: a table of compressed
 * names, the current file and function, and whether the next cost line is a call's.
 */
#include "callgrind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

typedef struct names {
    char **v; /* by compression id */
    size_t cap;
} names;

typedef struct fn_acc {
    char *name;
    int runner; /* defined in the runner's own sources */
    double inclusive;
} fn_acc;

typedef struct reader {
    names fl, fn;
    fn_acc *fns;
    size_t nfns, cap;
    const char *file; /* current fl= */
    long cur;         /* index in fns, -1 none */
    int after_calls;  /* the next cost line is the inclusive cost of a call */
} reader;

/* "(id) name", "(id)" or "name": the name, remembered under its id. NULL when out of memory
 * or a reference to an id never defined. */
static const char *resolve(names *t, char *text)
{
    if (text[0] != '(')
        return text;
    char *end = NULL;
    unsigned long id = strtoul(text + 1, &end, 10);
    if (!end || *end != ')' || id > 1000000)
        return NULL;
    const char *name = end[1] == ' ' ? end + 2 : NULL;
    if (name) {
        if (id >= t->cap) {
            size_t cap = id + 64;
            char **v = realloc(t->v, cap * sizeof(*v));
            if (!v)
                return NULL;
            memset(v + t->cap, 0, (cap - t->cap) * sizeof(*v));
            t->v = v;
            t->cap = cap;
        }
        free(t->v[id]);
        t->v[id] = strdup(name);
        return t->v[id];
    }
    return id < t->cap ? t->v[id] : NULL;
}

static long function_index(reader *r, const char *name)
{
    for (size_t i = 0; i < r->nfns; i++) {
        if (strcmp(r->fns[i].name, name) == 0)
            return (long)i;
    }
    if (r->nfns == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        fn_acc *v = realloc(r->fns, cap * sizeof(*v));
        if (!v)
            return -1;
        r->fns = v;
        r->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    /* The runner's own code: its source files, or (a build without debug information) its
     * ccb_ prefix. */
    int unknown_file = !r->file || strcmp(r->file, "???") == 0;
    int runner = (r->file && strstr(r->file, "/scenarios/") != NULL) ||
                 (unknown_file && strncmp(name, "ccb_", 4) == 0);
    r->fns[r->nfns] = (fn_acc){copy, runner, 0};
    return (long)r->nfns++;
}

/* A cost line: positions then costs; with one event the last number is Ir (0 if absent). */
static double line_cost(const char *line)
{
    const char *last = NULL;
    int fields = 0;
    for (const char *p = line; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '\n')
            break;
        last = p;
        fields++;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
    }
    return fields >= 2 && last ? strtod(last, NULL) : 0;
}

static void names_release(names *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->v[i]);
    free(t->v);
}

int ccb_callgrind_read(const char *path, ccb_callgrind_dump *out)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "r");
    if (!f)
        return ccb_error_set("cannot read the callgrind dump %s: %s", path, strerror(errno));
    reader r = {.cur = -1};
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int have_total = 0, rc = -1;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        char c = line[0];
        if (strncmp(line, "desc: Trigger: Client Request: ", 31) == 0) {
            snprintf(out->call, sizeof(out->call), "%s", line + 31);
        } else if (strncmp(line, "summary:", 8) == 0 || strncmp(line, "totals:", 7) == 0) {
            out->total = strtod(strchr(line, ':') + 1, NULL);
            have_total = 1;
        } else if (strncmp(line, "fl=", 3) == 0) {
            r.file = resolve(&r.fl, line + 3);
        } else if (strncmp(line, "fn=", 3) == 0) {
            const char *name = resolve(&r.fn, line + 3);
            if (!name || (r.cur = function_index(&r, name)) < 0)
                goto bad;
            r.after_calls = 0;
        } else if (strncmp(line, "cfn=", 4) == 0) {
            if (!resolve(&r.fn, line + 4))
                goto bad;
        } else if (strncmp(line, "cfl=", 4) == 0 || strncmp(line, "cfi=", 4) == 0) {
            if (!resolve(&r.fl, line + 4))
                goto bad;
        } else if (strncmp(line, "fi=", 3) == 0 || strncmp(line, "fe=", 3) == 0) {
            if (!resolve(&r.fl, line + 3))
                goto bad;
        } else if (strncmp(line, "calls=", 6) == 0) {
            r.after_calls = 1;
        } else if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '*') {
            /* Self cost and call cost both count towards the function's inclusive cost. */
            if (r.cur >= 0)
                r.fns[r.cur].inclusive += line_cost(line);
            r.after_calls = 0;
        }
    }
    if (ferror(f) || !have_total) {
        ccb_error_set("%s: %s", path,
                      ferror(f) ? strerror(errno) : "not a callgrind dump (no summary: line)");
        goto done;
    }
    out->fns = calloc(r.nfns ? r.nfns : 1, sizeof(*out->fns));
    if (!out->fns) {
        ccb_error_set("out of memory reading %s", path);
        goto done;
    }
    for (size_t i = 0; i < r.nfns; i++) {
        /* The window's frames hold all of it; the runner's own functions are not the tracker. */
        if (r.fns[i].runner || r.fns[i].inclusive >= out->total)
            continue;
        out->fns[out->nfns].name = r.fns[i].name;
        out->fns[out->nfns++].inclusive = r.fns[i].inclusive;
        r.fns[i].name = NULL;
    }
    rc = 0;
    goto done;
bad:
    ccb_error_set("%s:%zu: a name reference callgrind never defined (or out of memory)", path,
                  lineno);
done:
    for (size_t i = 0; i < r.nfns; i++)
        free(r.fns[i].name);
    free(r.fns);
    names_release(&r.fl);
    names_release(&r.fn);
    free(line);
    fclose(f);
    if (rc != 0)
        ccb_callgrind_release(out);
    return rc;
}

void ccb_callgrind_release(ccb_callgrind_dump *d)
{
    for (size_t i = 0; d->fns && i < d->nfns; i++)
        free(d->fns[i].name);
    free(d->fns);
    d->fns = NULL;
    d->nfns = 0;
}
