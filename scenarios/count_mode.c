/*
 * ccbench-counts' probe (count_mode.h). Only this executable links it, so the timing runner
 * carries none of it.
 */
#include "count_mode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc_hook.h"
#include "count_probe.h"
#include "counters.h"

#ifdef CCBENCH_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#endif

static struct {
    int instructions;
    ccb_sample *sample;
    ccb_counters counters;
    uint64_t overhead[CCB_COUNTER_COUNT];
    int allocs;
    cJSON *unavailable;
    int failed;
} st;

static void add(const char *call, const char *what, uint64_t value)
{
    char name[64];
    double v = (double)value;
    snprintf(name, sizeof name, "%s_%s", call, what);
    if (ccb_sample_add(st.sample, name, &v, 1))
        st.failed = 1;
}

static void native_begin(void)
{
    if (st.allocs)
        ccb_alloc_count_begin();
    ccb_counters_start(&st.counters);
}

static void native_end(const char *call)
{
    uint64_t v[CCB_COUNTER_COUNT], calls = 0, bytes = 0;
    int ok[CCB_COUNTER_COUNT];
    ccb_counters_stop(&st.counters, v, ok);
    if (st.allocs)
        ccb_alloc_count_end(&calls, &bytes);
    for (int i = 0; i < CCB_COUNTER_COUNT; i++) {
        if (ok[i])
            add(call, ccb_counter_name((ccb_counter_id)i),
                v[i] > st.overhead[i] ? v[i] - st.overhead[i] : 0);
    }
    if (st.allocs) {
        add(call, "allocs", calls);
        add(call, "alloc_bytes", bytes);
    }
}

static const ccb_count_probe native_probe = {native_begin, native_end};

#ifdef CCBENCH_HAVE_CALLGRIND
static void instructions_begin(void)
{
    CALLGRIND_TOGGLE_COLLECT;
}

static void instructions_end(const char *call)
{
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(call);
}

static const ccb_count_probe instructions_probe = {instructions_begin, instructions_end};
#endif

static int unavailable(const char *counter, const char *why)
{
    if (!st.unavailable)
        st.unavailable = cJSON_CreateObject();
    if (!st.unavailable || !cJSON_AddStringToObject(st.unavailable, counter, why)) {
        fprintf(stderr, "ccbench-counts: out of memory\n");
        return -1;
    }
    return 0;
}

int ccb_count_mode_setup(const char *mode, ccb_sample *s)
{
    memset(&st, 0, sizeof st);
    st.sample = s;
    if (strcmp(mode, "native") == 0) {
        const char *why = NULL;
        ccb_counters_open(&st.counters);
        for (int i = 0; i < CCB_COUNTER_COUNT; i++) {
            if (st.counters.fd[i] < 0 &&
                unavailable(ccb_counter_name((ccb_counter_id)i), st.counters.reason[i]))
                return -1;
        }
        st.allocs = ccb_alloc_hook_available(&why);
        if (!st.allocs && unavailable("allocs", why))
            return -1;
        /* The counters' own ioctls, measured once: every window subtracts them. */
        ccb_counters_overhead(&st.counters, st.overhead);
        ccb_count_probe_active = &native_probe;
        return 0;
    }
    if (strcmp(mode, "instructions") == 0) {
#ifdef CCBENCH_HAVE_CALLGRIND
        if (!RUNNING_ON_VALGRIND) {
            fprintf(stderr, "ccbench-counts: --counts instructions runs under valgrind "
                            "--tool=callgrind --collect-atstart=no (the driver starts it so)\n");
            return -1;
        }
        st.instructions = 1;
        /* An empty window (the probe and two clock reads): the driver subtracts it. */
        instructions_begin();
        (void)ccb_now_ns();
        (void)ccb_now_ns();
        instructions_end("overhead");
        ccb_count_probe_active = &instructions_probe;
        return 0;
#else
        fprintf(stderr, "ccbench-counts: built without valgrind/callgrind.h: instruction counts "
                        "are unavailable (apt-get install valgrind, then rebuild)\n");
        return -1;
#endif
    }
    fprintf(stderr, "ccbench-counts: --counts %s: expected native or instructions\n", mode);
    return -1;
}

/* Not inlined, so the compiler cannot merge or drop the calls it makes. */
__attribute__((noinline)) static void known_work(void)
{
    for (int i = 0; i < 7; i++)
        (void)syscall(SYS_getppid);
    for (int i = 0; i < 3; i++) {
        void *volatile p = malloc(100);
        free(p);
    }
}

int ccb_count_mode_known_work(FILE *out)
{
    ccb_sample s;
    const ccb_scenario_def *def = ccb_catalog_find("cold_init");
    int bad = 0;
    memset(&s, 0, sizeof(s));
    s.def = def;
    s.metrics = cJSON_CreateObject();
    if (!s.metrics || ccb_count_mode_setup("native", &s) != 0) {
        cJSON_Delete(s.metrics);
        return 1;
    }
    CCB_COUNT_BEGIN();
    known_work();
    CCB_COUNT_END("new"); /* recorded as cold_init's new_* metrics */
    const char *names[4] = {"syscalls", "allocs", "alloc_bytes", "page_faults"};
    const double want[4] = {7, 3, 300, -1};
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; o && i < 4; i++) {
        char key[64];
        snprintf(key, sizeof(key), "new_%s", names[i]);
        cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s.metrics, key), 0);
        if (v)
            cJSON_AddNumberToObject(o, names[i], v->valuedouble);
        else
            cJSON_AddNullToObject(o, names[i]);
        bad |= v && want[i] >= 0 && v->valuedouble != want[i];
    }
    if (o && st.unavailable)
        cJSON_AddItemReferenceToObject(o, "unavailable", st.unavailable);
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    if (text)
        fprintf(out, "%s\n", text);
    free(text);
    cJSON_Delete(o);
    ccb_count_mode_finish();
    cJSON_Delete(s.metrics);
    return bad || !text;
}

cJSON *ccb_count_mode_unavailable(void)
{
    return st.unavailable;
}

int ccb_count_mode_failed(void)
{
    return st.failed;
}

void ccb_count_mode_finish(void)
{
    ccb_count_probe_active = NULL;
    if (st.sample && !st.instructions)
        ccb_counters_close(&st.counters);
    cJSON_Delete(st.unavailable);
    st.unavailable = NULL;
}
