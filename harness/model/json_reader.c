#include "json_reader.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "result.h"

size_t ccb_json_reader_push(ccb_json_reader *rd, const char *fmt, ...)
{
    size_t len = strlen(rd->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rd->path + len, sizeof(rd->path) - len, fmt, ap);
    va_end(ap);
    return len;
}

void ccb_json_reader_pop(ccb_json_reader *rd, size_t mark)
{
    rd->path[mark] = '\0';
}

int ccb_json_reader_error(const ccb_json_reader *rd, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    const char *sep = rd->path[0] && key[0] ? "." : "";
    return ccb_error_set("%s: field %s%s%s: %s", rd->origin, rd->path, sep, key, what);
}

int ccb_json_reader_read_file(const char *path, const char *what, const char *hint,
                              int (*read)(ccb_json_reader *rd, const cJSON *json, void *out),
                              void *out)
{
    cJSON *json = NULL;
    if (ccb_result_read_json(path, what, &json) != 0)
        return -1;
    ccb_json_reader rd = {.origin = path, .missing_hint = hint, .path = ""};
    int rc = read(&rd, json, out);
    cJSON_Delete(json);
    return rc;
}

int ccb_json_reader_schema(const ccb_json_reader *rd, const cJSON *json, const char *schema,
                           const char *make)
{
    if (!cJSON_IsObject(json))
        return ccb_error_set("%s: expected a JSON object at the top level, got %s. Is this a %s "
                             "file?",
                             rd->origin, ccb_json_reader_type_name(json), schema);
    const cJSON *item = ccb_json_reader_typed(rd, json, "schema", cJSON_IsString, 0, "a string");
    if (!item)
        return -1;
    if (strcmp(item->valuestring, schema) != 0)
        return ccb_error_set("%s: field schema: is \"%.64s\", expected \"%s\" (make one with: %s)",
                             rd->origin, item->valuestring, schema, make);
    return 0;
}

const char *ccb_json_reader_type_name(const cJSON *item)
{
    if (cJSON_IsNull(item))
        return "null";
    if (cJSON_IsBool(item))
        return "a boolean";
    /* 1e999 parses to infinity: "a number" would read as if it were fine. */
    if (cJSON_IsNumber(item))
        return isfinite(item->valuedouble) ? "a number" : "a number out of range (not finite)";
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsObject(item))
        return "an object";
    return "something else";
}

const cJSON *ccb_json_reader_typed(const ccb_json_reader *rd, const cJSON *obj, const char *key,
                                   cJSON_bool (*is)(const cJSON *const), int null_ok,
                                   const char *expected)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item) {
        ccb_json_reader_error(rd, key, "missing. %s", rd->missing_hint);
        return NULL;
    }
    if (!is(item) && !(null_ok && cJSON_IsNull(item))) {
        ccb_json_reader_error(rd, key, "expected %s%s, got %s", expected, null_ok ? " or null" : "",
                              ccb_json_reader_type_name(item));
        return NULL;
    }
    return item;
}

int ccb_json_reader_string(const ccb_json_reader *rd, const cJSON *obj, const char *key,
                           int null_ok, char **out)
{
    const cJSON *item = ccb_json_reader_typed(rd, obj, key, cJSON_IsString, null_ok, "a string");
    *out = NULL;
    if (!item)
        return -1;
    if (cJSON_IsNull(item))
        return 0;
    *out = strdup(item->valuestring);
    return *out ? 0 : ccb_error_set("out of memory reading %s", rd->origin);
}

int ccb_json_reader_number(const ccb_json_reader *rd, const cJSON *obj, const char *key,
                           int null_ok, double *out)
{
    const cJSON *item = ccb_json_reader_typed(rd, obj, key, cJSON_IsNumber, null_ok, "a number");
    if (!item)
        return -1;
    if (cJSON_IsNull(item)) {
        *out = NAN;
        return 0;
    }
    if (!isfinite(item->valuedouble))
        return ccb_json_reader_error(rd, key, "expected a finite number");
    *out = item->valuedouble;
    return 0;
}

int ccb_json_reader_count(const ccb_json_reader *rd, const cJSON *obj, const char *key, double max,
                          double *out)
{
    if (ccb_json_reader_number(rd, obj, key, 0, out) != 0)
        return -1;
    if (*out < 0 || *out > max || floor(*out) != *out)
        return ccb_json_reader_error(rd, key, "expected a whole number in [0, %.0f], got %g", max,
                                     *out);
    return 0;
}

int ccb_json_reader_bool(const ccb_json_reader *rd, const cJSON *obj, const char *key, int null_ok,
                         int *out)
{
    const cJSON *item = ccb_json_reader_typed(rd, obj, key, cJSON_IsBool, null_ok, "true or false");
    if (!item)
        return -1;
    *out = cJSON_IsTrue(item);
    return 0;
}
