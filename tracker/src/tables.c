/*
 * Lookups in the data tables generated at build time from the CSV files of tracker/data:
 * carbon intensity by country (a letter index into packed codes) and by region within a
 * country (bisected), and TDP by normalised CPU model name (a sorted index, bisected). The
 * tables are compiled in so the tracker never opens a data file at run time.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The codes starting with the same letter are adjacent and few (at most ~20): comparing
 * them in order reads one or two cache lines. */
const cct_country *cct_intensity__find(const char *iso3)
{
    char upper[4];

    if (!iso3 || !iso3[0] || !iso3[1] || !iso3[2] || iso3[3])
        return NULL;
    /* ASCII only: codes are not text in the user's locale (and toupper's locale table is
     * one more cold cache line in a fresh process). */
    for (int i = 0; i < 3; i++)
        upper[i] = iso3[i] >= 'a' && iso3[i] <= 'z' ? (char)(iso3[i] - 'a' + 'A') : iso3[i];
    upper[3] = '\0';
    if (upper[0] < 'A' || upper[0] > 'Z')
        return NULL;
    unsigned int letter = (unsigned int)(upper[0] - 'A');
    for (unsigned int i = cct_country_by_letter[letter]; i < cct_country_by_letter[letter + 1]; i++)
        if (memcmp(cct_country_iso3[i], upper, 4) == 0)
            return &cct_country_table[i];
    return NULL;
}

/* (iso3, region) against a row, in the table's order; region is already lowercase. */
typedef struct region_key {
    const char *iso3;
    const char *region;
} region_key;

static int compare_region(const void *key, const void *elem)
{
    const region_key *k = key;
    const cct_region *row = elem;
    int c = strcmp(k->iso3, row->iso3);

    return c != 0 ? c : strcmp(k->region, row->region);
}

const cct_region *cct_intensity__find_region(const char *iso3, const char *region)
{
    char lower[64];
    size_t i;

    if (!iso3 || !region)
        return NULL;
    /* ASCII lowercase, as the table is; a name longer than any row's is no row. */
    for (i = 0; region[i]; i++) {
        if (i + 1 >= sizeof(lower))
            return NULL;
        char c = region[i];
        lower[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    lower[i] = '\0';
    region_key key = {iso3, lower};
    return bsearch(&key, cct_region_table, cct_region_count, sizeof(cct_region_table[0]),
                   compare_region);
}

int cct_intensity__has_regions(const char *iso3)
{
    /* The smallest key of the country: "" sorts before every region of it. */
    region_key key = {iso3, ""};
    unsigned int lo = 0, hi = cct_region_count;

    if (!iso3)
        return 0;
    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;
        if (compare_region(&key, &cct_region_table[mid]) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cct_region_count && strcmp(cct_region_table[lo].iso3, iso3) == 0;
}

/* Drop every occurrence of `word` (already lowercase) from `s`, in place. */
static void remove_all(char *s, const char *word)
{
    size_t wl = strlen(word);
    char *p;

    while ((p = strstr(s, word)) != NULL)
        memmove(p, p + wl, strlen(p + wl) + 1);
}

static int is_word_boundary(char c)
{
    return c == '\0' || c == ' ';
}

void cct_tdp__normalise(const char *model, char *out, size_t cap)
{
    char tmp[256];
    size_t j = 0;
    char *at;

    snprintf(tmp, sizeof(tmp), "%s", model ? model : "");
    for (char *c = tmp; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    at = strchr(tmp, '@');
    if (at)
        *at = '\0'; /* "@ 3.20ghz" */
    remove_all(tmp, "(r)");
    remove_all(tmp, "(tm)");
    remove_all(tmp, "with radeon graphics");
    /* Tokens to drop: "cpu", "processor", and AMD's "16-core". */
    char *save = NULL;
    if (cap == 0)
        return;
    out[0] = '\0';
    for (char *tok = strtok_r(tmp, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        size_t tl = strlen(tok);
        if (strcmp(tok, "cpu") == 0 || strcmp(tok, "processor") == 0)
            continue;
        if (tl > 5 && strcmp(tok + tl - 5, "-core") == 0 && isdigit((unsigned char)tok[0]))
            continue;
        if (j + tl + 2 > cap)
            break;
        if (j > 0)
            out[j++] = ' ';
        memcpy(out + j, tok, tl);
        j += tl;
        out[j] = '\0';
    }
}

/* A span of the normalised model against a table name, in strcmp order of the two strings. */
typedef struct span {
    const char *text;
    size_t len;
} span;

static int compare_span(const void *key, const void *elem)
{
    const span *k = key;
    const char *model = cct_cpu_tdp_table[*(const unsigned short *)elem].model;
    int c = strncmp(k->text, model, k->len);

    if (c != 0)
        return c;
    return model[k->len] == '\0' ? 0 : -1; /* a proper prefix sorts first */
}

/* The longest table name that is a run of whole words of the normalised model (the first in
 * table order among equally long ones). Every run of words is bisected in the sorted index:
 * a model name has a handful of words, so that is ~20 lookups of ~9 comparisons each. */
double cct_tdp__lookup(const char *model, int *found)
{
    char norm[256];
    const cct_cpu_tdp *best = NULL;
    size_t best_len = 0;
    unsigned int best_index = 0;

    cct_tdp__normalise(model, norm, sizeof(norm));
    for (const char *from = norm; *from; from++) {
        if (from != norm && from[-1] != ' ')
            continue;
        for (const char *to = from + 1;; to++) {
            if (!is_word_boundary(*to))
                continue;
            span key = {from, (size_t)(to - from)};
            const unsigned short *hit = bsearch(&key, cct_cpu_tdp_by_model, cct_cpu_tdp_count,
                                                sizeof(*cct_cpu_tdp_by_model), compare_span);
            if (hit && (key.len > best_len || (key.len == best_len && *hit < best_index))) {
                best = &cct_cpu_tdp_table[*hit];
                best_len = key.len;
                best_index = *hit;
            }
            if (*to == '\0')
                break;
        }
    }
    *found = best != NULL;
    return best ? best->tdp_w : 0.0;
}
