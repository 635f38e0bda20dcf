/*
 * Compatibility check with the stock ZooKeeper C client (libzookeeper_mt).
 *
 * usage: c_client_test HOST:PORT
 * exits 0 when every check passes; prints each failed check otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <zookeeper/zookeeper.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                     \
        }                                                                   \
    } while (0)

#define CHECK_RC(expr, want)                                                 \
    do {                                                                     \
        int rc_ = (expr);                                                    \
        if (rc_ != (want)) {                                                 \
            fprintf(stderr, "FAIL %s:%d: %s -> %d (%s), want %d (%s)\n",     \
                    __FILE__, __LINE__, #expr, rc_, zerror(rc_), (want),     \
                    zerror(want));                                           \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int connected = 0;
static int watch_type = 0;
static char watch_path[256];
static int watch_count = 0;

static void global_watcher(zhandle_t *zh, int type, int state,
                           const char *path, void *ctx) {
    (void)zh; (void)path; (void)ctx;
    if (type == ZOO_SESSION_EVENT) {
        pthread_mutex_lock(&mu);
        connected = (state == ZOO_CONNECTED_STATE);
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
}

static void data_watcher(zhandle_t *zh, int type, int state,
                         const char *path, void *ctx) {
    (void)zh; (void)state; (void)ctx;
    pthread_mutex_lock(&mu);
    watch_type = type;
    snprintf(watch_path, sizeof watch_path, "%s", path ? path : "");
    watch_count++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static int wait_flag(int *flag, int want, int seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    pthread_mutex_lock(&mu);
    while (*flag < want) {
        if (pthread_cond_timedwait(&cv, &mu, &ts) != 0) break;
    }
    int ok = *flag >= want;
    pthread_mutex_unlock(&mu);
    return ok;
}

static int has_child(const struct String_vector *v, const char *name) {
    for (int i = 0; i < v->count; i++)
        if (strcmp(v->data[i], name) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s host:port\n", argv[0]);
        return 2;
    }
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zhandle_t *zh = zookeeper_init(argv[1], global_watcher, 10000, NULL,
                                   NULL, 0);
    if (!zh) {
        perror("zookeeper_init");
        return 1;
    }
    if (!wait_flag(&connected, 1, 15)) {
        fprintf(stderr, "FAIL: could not connect to %s\n", argv[1]);
        zookeeper_close(zh);
        return 1;
    }

    char base[128];
    snprintf(base, sizeof base, "/c_client_%ld_%d", (long)time(NULL),
             (int)getpid());
    char path[256], buf[512];
    int len;
    struct Stat st, st2;

    /* create / get / exists */
    CHECK_RC(zoo_create(zh, base, "root", 4, &ZOO_OPEN_ACL_UNSAFE, 0, path,
                        sizeof path), ZOK);
    CHECK(strcmp(path, base) == 0);
    CHECK_RC(zoo_create(zh, base, "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0),
             ZNODEEXISTS);
    len = sizeof buf;
    CHECK_RC(zoo_get(zh, base, 0, buf, &len, &st), ZOK);
    CHECK(len == 4 && memcmp(buf, "root", 4) == 0);
    CHECK(st.version == 0 && st.dataLength == 4 && st.numChildren == 0);
    CHECK(st.czxid == st.mzxid && st.ephemeralOwner == 0);
    CHECK_RC(zoo_exists(zh, base, 0, &st2), ZOK);
    CHECK(st2.czxid == st.czxid);
    snprintf(path, sizeof path, "%s/missing", base);
    CHECK_RC(zoo_exists(zh, path, 0, &st2), ZNONODE);

    /* set with versions */
    CHECK_RC(zoo_set(zh, base, "v1", 2, 0), ZOK);
    CHECK_RC(zoo_set(zh, base, "v2", 2, 0), ZBADVERSION);
    CHECK_RC(zoo_set2(zh, base, "v2", 2, 1, &st), ZOK);
    CHECK(st.version == 2 && st.dataLength == 2);

    /* data watch (one-shot) */
    len = sizeof buf;
    CHECK_RC(zoo_wget(zh, base, data_watcher, NULL, buf, &len, &st), ZOK);
    CHECK_RC(zoo_set(zh, base, "v3", 2, -1), ZOK);
    CHECK(wait_flag(&watch_count, 1, 5));
    pthread_mutex_lock(&mu);
    CHECK(watch_type == ZOO_CHANGED_EVENT);
    CHECK(strcmp(watch_path, base) == 0);
    pthread_mutex_unlock(&mu);
    CHECK_RC(zoo_set(zh, base, "v4", 2, -1), ZOK);
    {
        struct timespec nap = {0, 300000000L};
        nanosleep(&nap, NULL);
    }
    CHECK(watch_count == 1);

    /* ephemeral + sequential, children */
    char seq1[256], seq2[256], eph[256];
    snprintf(path, sizeof path, "%s/s-", base);
    CHECK_RC(zoo_create(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE,
                        ZOO_SEQUENCE, seq1, sizeof seq1), ZOK);
    CHECK_RC(zoo_create(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE,
                        ZOO_SEQUENCE | ZOO_EPHEMERAL, seq2, sizeof seq2), ZOK);
    snprintf(path, sizeof path, "%s/s-0000000000", base);
    CHECK(strcmp(seq1, path) == 0);
    snprintf(path, sizeof path, "%s/s-0000000001", base);
    CHECK(strcmp(seq2, path) == 0);
    snprintf(path, sizeof path, "%s/eph", base);
    CHECK_RC(zoo_create(zh, path, "e", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
                        eph, sizeof eph), ZOK);
    CHECK_RC(zoo_exists(zh, eph, 0, &st), ZOK);
    CHECK(st.ephemeralOwner == zoo_client_id(zh)->client_id);
    snprintf(path, sizeof path, "%s/eph/kid", base);
    CHECK_RC(zoo_create(zh, path, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0),
             ZNOCHILDRENFOREPHEMERALS);

    struct String_vector kids;
    CHECK_RC(zoo_get_children2(zh, base, 0, &kids, &st), ZOK);
    CHECK(kids.count == 3);
    CHECK(has_child(&kids, "s-0000000000") && has_child(&kids, "eph"));
    CHECK(st.numChildren == 3 && st.cversion == 3);
    deallocate_String_vector(&kids);

    /* multi: success then atomic failure */
    char mpath[256], mpath2[256], created[256];
    snprintf(mpath, sizeof mpath, "%s/m", base);
    snprintf(mpath2, sizeof mpath2, "%s/m2", base);
    {
        zoo_op_t ops[3];
        zoo_op_result_t res[3];
        zoo_create_op_init(&ops[0], mpath, "m", 1, &ZOO_OPEN_ACL_UNSAFE, 0,
                           created, sizeof created);
        zoo_set_op_init(&ops[1], base, "mv", 2, -1, NULL);
        zoo_check_op_init(&ops[2], base, 5);
        CHECK_RC(zoo_multi(zh, 3, ops, res), ZOK);
        CHECK(res[0].err == ZOK && res[1].err == ZOK && res[2].err == ZOK);
        CHECK(strcmp(created, mpath) == 0);
    }
    {
        zoo_op_t ops[3];
        zoo_op_result_t res[3];
        zoo_create_op_init(&ops[0], mpath2, "m", 1, &ZOO_OPEN_ACL_UNSAFE, 0,
                           NULL, 0);
        zoo_delete_op_init(&ops[1], mpath, 42);
        zoo_set_op_init(&ops[2], base, "zz", 2, -1, NULL);
        CHECK_RC(zoo_multi(zh, 3, ops, res), ZBADVERSION);
        CHECK(res[0].err == ZOK);             /* rolled back */
        CHECK(res[1].err == ZBADVERSION);
        CHECK(res[2].err == ZRUNTIMEINCONSISTENCY);
        CHECK_RC(zoo_exists(zh, mpath2, 0, &st), ZNONODE);
    }

    /* ACLs */
    {
        struct ACL_vector acls;
        CHECK_RC(zoo_set_acl(zh, mpath, 0, &ZOO_READ_ACL_UNSAFE), ZOK);
        CHECK_RC(zoo_get_acl(zh, mpath, &acls, &st), ZOK);
        CHECK(acls.count == 1 && acls.data[0].perms == ZOO_PERM_READ);
        CHECK(strcmp(acls.data[0].id.scheme, "world") == 0);
        CHECK(strcmp(acls.data[0].id.id, "anyone") == 0);
        CHECK(st.aversion == 1);
        deallocate_ACL_vector(&acls);
        CHECK_RC(zoo_set(zh, mpath, "no", 2, -1), ZNOAUTH);
        CHECK_RC(zoo_set_acl(zh, mpath, 0, &ZOO_OPEN_ACL_UNSAFE),
                 ZNOAUTH);
    }

    /* delete */
    CHECK_RC(zoo_delete(zh, base, -1), ZNOTEMPTY);
    CHECK_RC(zoo_delete(zh, mpath, 5), ZBADVERSION);
    CHECK_RC(zoo_delete(zh, mpath, 0), ZOK);
    CHECK_RC(zoo_delete(zh, seq1, -1), ZOK);
    CHECK_RC(zoo_delete(zh, seq1, -1), ZNONODE);

    /* ephemerals go away with the session */
    zookeeper_close(zh);
    connected = 0;
    zh = zookeeper_init(argv[1], global_watcher, 10000, NULL, NULL, 0);
    if (!zh || !wait_flag(&connected, 1, 15)) {
        fprintf(stderr, "FAIL: reconnect\n");
        return 1;
    }
    CHECK_RC(zoo_exists(zh, eph, 0, &st), ZNONODE);
    CHECK_RC(zoo_exists(zh, seq2, 0, &st), ZNONODE);
    CHECK_RC(zoo_delete(zh, base, -1), ZOK);
    zookeeper_close(zh);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c_client_test: all checks passed\n");
    return 0;
}
