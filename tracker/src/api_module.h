/*
 * The ABI between the tracker core and its HTTP module (libcctracker-api.so). The core never
 * links libcurl: an offline process must not pay for mapping libcurl, libssl and libcrypto
 * (~3.4 ms and 33 shared objects per process start on the reference machine). The module is
 * dlopen()ed the first time a tracker needs the network and exports one symbol,
 * CCT_API_MODULE_SYMBOL, returning this table.
 */
#ifndef CCT_API_MODULE_H
#define CCT_API_MODULE_H

#define CCT_API_MODULE_ABI 1
#define CCT_API_MODULE_SYMBOL "cct_api_module_v1"
#define CCT_API_MODULE_FILE "libcctracker-api.so"

struct cct_api_module {
    unsigned int abi; /* CCT_API_MODULE_ABI */
    /* libcurl's version string, for the log. */
    const char *(*describe)(void);
};

typedef const struct cct_api_module *(*cct_api_module_entry)(void);

#endif
