/* Lab only (search_lab_nofile_floor): this machine caps every process at 20000 open files and
 * the lab's hosts cannot raise it, while OpenSearch refuses to form a cluster below 65535 (its
 * bootstrap check reads the soft limit). Preloaded into OpenSearch on lab hosts, this reports a
 * soft limit of at least 65535; the real limit stays 20000, which the lab's few indices never
 * approach. Production hosts have the real limit: the role's limits set it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/resource.h>

#define FLOOR 65535

static void raise_floor(int resource, struct rlimit *limit) {
    if (resource == RLIMIT_NOFILE && limit->rlim_cur < FLOOR) limit->rlim_cur = FLOOR;
}

int getrlimit(__rlimit_resource_t resource, struct rlimit *limit) {
    static int (*real)(__rlimit_resource_t, struct rlimit *);
    if (!real) real = (int (*)(__rlimit_resource_t, struct rlimit *))dlsym(RTLD_NEXT, "getrlimit");
    int rc = real(resource, limit);
    if (rc == 0) raise_floor(resource, limit);
    return rc;
}

int getrlimit64(__rlimit_resource_t resource, struct rlimit64 *limit) {
    static int (*real)(__rlimit_resource_t, struct rlimit64 *);
    if (!real) real = (int (*)(__rlimit_resource_t, struct rlimit64 *))dlsym(RTLD_NEXT, "getrlimit64");
    int rc = real(resource, limit);
    if (rc == 0 && resource == RLIMIT_NOFILE && limit->rlim_cur < FLOOR) limit->rlim_cur = FLOOR;
    return rc;
}
