/*
 * Loads the HTTP module the first time a tracker needs the network, once per process, in the
 * background: start() only asks (the sampler thread does the dlopen, ~5 ms of mapping libcurl
 * and TLS libraries), and the first upload waits for it with a bound.
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
#include <time.h>
#include <unistd.h>

#include "api_module.h"
#include "internal.h"

#ifndef CCT_INSTALL_LIBDIR
#define CCT_INSTALL_LIBDIR "/usr/local/lib"
#endif

/* Who loads: the sampler thread, asked by the first start() that needs the network, or any
 * thread that needs the module before the sampler got to it (it claims the load and does it
 * itself, so nobody waits for a thread that has not started). */
enum { LOAD_IDLE, LOAD_REQUESTED, LOAD_RUNNING, LOAD_DONE };

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t load_cond;
static pthread_once_t cond_once = PTHREAD_ONCE_INIT;
static int load_state;
static const cct_api_module *loaded;
static char load_error[1024];
static char geo_url[CCT_URL_MAX]; /* a geo lookup to start as soon as the module is there */
static unsigned int geo_timeout_ms;
static int geo_wanted;
static int geo_started;
static void *try_open(const char *path, char *tried, size_t cap)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        size_t used = strlen(tried);
        snprintf(tried + used, cap - used, "%s%s", used ? "; " : "", dlerror());
    }
    return h;
}

static void load_module(void)
{
    char tried[900] = "";
    char path[1024], self_dir[768];
    const char *env = getenv("CCT_API_MODULE");
    void *h = NULL;
    Dl_info info;

    if (env && *env) {
        h = try_open(env, tried, sizeof(tried));
    } else {
        if (dladdr((void *)&cct_api__wait, &info) && info.dli_fname) {
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
    pthread_mutex_lock(&load_lock);
    loaded = m; /* kept for the life of the process: its threads may outlive any tracker */
    pthread_mutex_unlock(&load_lock);
}

static void atfork_child(void)
{
    /* A load under way in another thread of the parent will never finish in the child. */
    pthread_mutex_init(&load_lock, NULL);
    if (load_state != LOAD_DONE)
        load_state = LOAD_IDLE;
}

static void init_cond(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&load_cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_atfork(NULL, NULL, atfork_child);
}

/* Start the wanted geo lookup once the module is loaded, exactly once whoever gets here
 * first: the loader before it publishes the module, or a waiter that asked later. */
static void start_geo_if_wanted(void)
{
    char url[sizeof(geo_url)];
    unsigned int timeout = 0;
    const cct_api_module *m = NULL;

    pthread_mutex_lock(&load_lock);
    if (loaded && geo_wanted && !geo_started) {
        geo_started = 1;
        m = loaded;
        memcpy(url, geo_url, sizeof(url));
        timeout = geo_timeout_ms;
    }
    pthread_mutex_unlock(&load_lock);
    if (m)
        m->geo_start(url, timeout);
}

/* Whether a wanted geo lookup waits for a loaded module to start it. */
static int geo_due(void)
{
    pthread_mutex_lock(&load_lock);
    int due = loaded && geo_wanted && !geo_started;
    pthread_mutex_unlock(&load_lock);
    return due;
}

/* Start the lookup from the sampler thread: it creates the lookup's thread, which a caller's
 * start(), flush() or stop() must not do. Inline only if the sampler cannot take it. */
static void defer_geo_start(void)
{
    if (geo_due() && cct_sampler__defer(start_geo_if_wanted) != 0)
        start_geo_if_wanted();
}

void cct_api__start_geo(void)
{
    defer_geo_start();
}

int cct_api__failed(void)
{
    pthread_mutex_lock(&load_lock);
    int failed = load_state == LOAD_DONE && !loaded;
    pthread_mutex_unlock(&load_lock);
    return failed;
}

/* Load on the calling thread; load_state is LOAD_RUNNING, claimed by the caller. The geo
 * lookup starts before the module is published, so nobody waits for an answer that was
 * never asked for. */
static void load_claimed(void)
{
    load_module();
    start_geo_if_wanted();
    pthread_mutex_lock(&load_lock);
    load_state = LOAD_DONE;
    pthread_cond_broadcast(&load_cond);
    pthread_mutex_unlock(&load_lock);
}

/* The sampler's deferred job: load unless someone already claimed it. */
static void load_in_background(void)
{
    pthread_mutex_lock(&load_lock);
    int mine = load_state == LOAD_REQUESTED || load_state == LOAD_IDLE;
    if (mine)
        load_state = LOAD_RUNNING;
    pthread_mutex_unlock(&load_lock);
    if (mine)
        load_claimed();
}

void cct_api__request(const char *geo, unsigned int timeout_ms)
{
    int defer = 0;

    pthread_once(&cond_once, init_cond);
    pthread_mutex_lock(&load_lock);
    if (geo && !geo_wanted) {
        snprintf(geo_url, sizeof(geo_url), "%s", geo);
        geo_timeout_ms = timeout_ms;
        geo_wanted = 1;
    }
    if (load_state == LOAD_IDLE) {
        load_state = LOAD_REQUESTED;
        defer = 1;
    }
    pthread_mutex_unlock(&load_lock);
    if (defer && cct_sampler__defer(load_in_background) != 0)
        load_in_background(); /* no sampler thread: load here rather than never */
    defer_geo_start();        /* the module may be loaded already (by an earlier tracker) */
}

const cct_api_module *cct_api__peek(void)
{
    const cct_api_module *m;

    pthread_mutex_lock(&load_lock);
    m = load_state == LOAD_DONE ? loaded : NULL;
    pthread_mutex_unlock(&load_lock);
    return m;
}

const cct_api_module *cct_api__wait(unsigned int wait_ms)
{
    const cct_api_module *m = NULL;
    uint64_t deadline = cct_clock__mono_ns() + (uint64_t)wait_ms * 1000000ULL;

    pthread_once(&cond_once, init_cond);
    pthread_mutex_lock(&load_lock);
    if (load_state == LOAD_IDLE || load_state == LOAD_REQUESTED) {
        load_state = LOAD_RUNNING;
        pthread_mutex_unlock(&load_lock);
        load_claimed();
        pthread_mutex_lock(&load_lock);
    }
    while (load_state == LOAD_RUNNING && cct_clock__mono_ns() < deadline) {
        struct timespec ts = {(time_t)(deadline / CCT_NS_PER_S), (long)(deadline % CCT_NS_PER_S)};
        pthread_cond_timedwait(&load_cond, &load_lock, &ts);
    }
    if (load_state == LOAD_DONE)
        m = loaded;
    pthread_mutex_unlock(&load_lock);
    if (!m)
        cct_error__set(CCT_EUNAVAILABLE, "%s",
                       load_state == LOAD_DONE ? load_error
                                               : "the HTTP module is still loading; "
                                                 "api_timeout_ms elapsed");
    return m;
}
