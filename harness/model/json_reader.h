/*
 * The strict readers' common part (result_read.c, compare_read.c): where the reader is (the
 * file and the JSON path of the current object) and typed getters that fail with a message
 * naming both, e.g. "r.json: field scenarios[0].name: expected a string, got a number".
 */
#ifndef CCB_JSON_READER_H
#define CCB_JSON_READER_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct ccb_json_reader {
    const char *origin;       /* the file, for messages */
    const char *missing_hint; /* after "missing. ": what kind of file this should be */
    char path[256];           /* "scenarios[1].metrics[0]" */
} ccb_json_reader;

/* Append ".key" or "[i]" to the path; returns the mark to restore with ccb_json_reader_pop. */
size_t ccb_json_reader_push(ccb_json_reader *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ccb_json_reader_pop(ccb_json_reader *rd, size_t mark);
/* "FILE: field PATH.KEY: WHAT"; returns -1. */
int ccb_json_reader_error(const ccb_json_reader *rd, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* OBJ's member KEY checked with IS (NULL_OK: null passes too); NULL with the message set. */
const cJSON *ccb_json_reader_typed(const ccb_json_reader *rd, const cJSON *obj, const char *key,
                                   cJSON_bool (*is)(const cJSON *const), int null_ok,
                                   const char *expected);
/* A string, strdup'ed (null reads as NULL when NULL_OK). 0 or -1. */
int ccb_json_reader_string(const ccb_json_reader *rd, const cJSON *obj, const char *key,
                           int null_ok, char **out);
/* A finite number (null reads as NAN when NULL_OK). 0 or -1. */
int ccb_json_reader_number(const ccb_json_reader *rd, const cJSON *obj, const char *key,
                           int null_ok, double *out);
/* A whole number in [0, MAX]. 0 or -1. */
int ccb_json_reader_count(const ccb_json_reader *rd, const cJSON *obj, const char *key, double max,
                          double *out);
/* true or false (null reads as false when NULL_OK). 0 or -1. */
int ccb_json_reader_bool(const ccb_json_reader *rd, const cJSON *obj, const char *key, int null_ok,
                         int *out);
/* PATH read as JSON (WHAT, e.g. "a ccbench-compare/1 file", names it in messages) and handed
 * to READ with a reader at the top level whose missing fields suggest HINT: the one way the
 * strict readers of other documents (compare, bisect) open their files. 0 or -1. */
int ccb_json_reader_read_file(const char *path, const char *what, const char *hint,
                              int (*read)(ccb_json_reader *rd, const cJSON *json, void *out),
                              void *out);
/* JSON is an object whose "schema" is SCHEMA; else -1, the message saying what it is and
 * MAKE (the command that writes such a file). */
int ccb_json_reader_schema(const ccb_json_reader *rd, const cJSON *json, const char *schema,
                           const char *make);
/* "a number", "a string", ... for messages such as "expected an array, got a string". */
const char *ccb_json_reader_type_name(const cJSON *item);

#endif
