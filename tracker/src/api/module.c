/*
 * libcctracker-api.so: the HTTP side of the tracker, the only code that links libcurl.
 * Loaded by api_loader.c on first use so offline processes never map libcurl.
 */
#include <curl/curl.h>

#include "../api_module.h"

static const char *describe(void)
{
    return curl_version();
}

static const struct cct_api_module module = {
    CCT_API_MODULE_ABI,
    describe,
};

__attribute__((visibility("default"))) const struct cct_api_module *cct_api_module_v1(void);
const struct cct_api_module *cct_api_module_v1(void)
{
    return &module;
}
