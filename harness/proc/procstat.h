/*
 * The machine's CPU time from /proc/stat's aggregate `cpu` line: what the children's samples
 * record as noise (steal) and what the machine guard compares with our own use (busy). One
 * small read (~10 us); callers take differences over a window.
 */
#ifndef CCB_PROCSTAT_H
#define CCB_PROCSTAT_H

typedef struct ccb_procstat {
    double busy_ms;  /* user + nice + system + irq + softirq, every CPU together */
    double steal_ms; /* time the hypervisor ran someone else; 0 where the kernel has no column */
} ccb_procstat;

/* 0, or -1 when /proc/stat cannot be read (no message: callers report "unknown"). */
int ccb_procstat_read(ccb_procstat *out);

#endif
