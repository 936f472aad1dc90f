/*
 * Loads the HTTP module the first time a tracker needs the network, once per process.
 * Search order: $CCT_API_MODULE (a path), then beside the object that contains this code
 * (the shared library, or the executable for a static link), then ../lib from there, then
 * the install libdir compiled in.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_module.h"
#include "internal.h"

#ifndef CCT_INSTALL_LIBDIR
#define CCT_INSTALL_LIBDIR "/usr/local/lib"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const cct_api_module *loaded;
static char load_error[1024];

static void *try_open(const char *path, char *tried, size_t cap)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        size_t used = strlen(tried);
        snprintf(tried + used, cap - used, "%s%s", used ? "; " : "", dlerror());
    }
    return h;
}

static void load(void)
{
    char tried[900] = "";
    char path[1024], self_dir[768];
    const char *env = getenv("CCT_API_MODULE");
    void *h = NULL;
    Dl_info info;

    if (env && *env) {
        h = try_open(env, tried, sizeof(tried));
    } else {
        if (dladdr((void *)&cct_api__load, &info) && info.dli_fname) {
            snprintf(self_dir, sizeof(self_dir), "%s", info.dli_fname);
            /* For the main executable dladdr reports argv[0], which may be relative to a
             * directory the process has since left: the kernel knows the real path. */
            if (self_dir[0] != '/') {
                ssize_t n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
                self_dir[n > 0 ? n : 0] = '\0';
            }
            char *dir = dirname(self_dir);
            snprintf(path, sizeof(path), "%s/%s", dir, CCT_API_MODULE_FILE);
            h = try_open(path, tried, sizeof(tried));
            if (!h) {
                snprintf(path, sizeof(path), "%s/../lib/%s", dir, CCT_API_MODULE_FILE);
                h = try_open(path, tried, sizeof(tried));
            }
        }
        if (!h) {
            snprintf(path, sizeof(path), "%s/%s", CCT_INSTALL_LIBDIR, CCT_API_MODULE_FILE);
            h = try_open(path, tried, sizeof(tried));
        }
    }
    if (!h) {
        snprintf(load_error, sizeof(load_error),
                 "cannot load the HTTP module %s (%s); set CCT_API_MODULE to its path",
                 CCT_API_MODULE_FILE, tried);
        return;
    }
    cct_api_module_entry entry;
    *(void **)&entry = dlsym(h, CCT_API_MODULE_SYMBOL);
    const cct_api_module *m = entry ? entry() : NULL;
    if (!m || m->abi != CCT_API_MODULE_ABI) {
        snprintf(load_error, sizeof(load_error), "%s is not a compatible HTTP module (ABI %u)",
                 CCT_API_MODULE_FILE, m ? m->abi : 0);
        dlclose(h);
        return;
    }
    loaded = m; /* kept for the life of the process: its threads may outlive any tracker */
}

const cct_api_module *cct_api__load(void)
{
    pthread_once(&load_once, load);
    if (!loaded)
        cct_error__set(CCT_EUNAVAILABLE, "%s", load_error);
    return loaded;
}
