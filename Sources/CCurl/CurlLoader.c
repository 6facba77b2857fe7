/* libcurl, loaded at the first transfer instead of at exec (see shim.h for why).
 *
 * Each curl_* function bosun calls is defined here under its own name and forwards to the
 * same function of the loaded library. The definitions are hidden, so they stay inside the
 * bosun binary: the loaded libcurl binds to its own functions, never to these. */
#define CURL_DISABLE_TYPECHECK 1
#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define BOSUN_HIDDEN __attribute__((visibility("hidden")))

/* Every function looked up in the library: name, return type, parameters. */
#define BOSUN_CURL_FUNCTIONS(X)                                                             \
    X(curl_global_init, CURLcode, (long flags))                                             \
    X(curl_easy_init, CURL *, (void))                                                       \
    X(curl_easy_cleanup, void, (CURL *h))                                                   \
    X(curl_easy_setopt, CURLcode, (CURL *h, CURLoption o, ...))                             \
    X(curl_easy_getinfo, CURLcode, (CURL *h, CURLINFO i, ...))                              \
    X(curl_easy_strerror, const char *, (CURLcode code))                                    \
    X(curl_slist_append, struct curl_slist *, (struct curl_slist *list, const char *s))     \
    X(curl_slist_free_all, void, (struct curl_slist *list))                                 \
    X(curl_multi_init, CURLM *, (void))                                                     \
    X(curl_multi_setopt, CURLMcode, (CURLM *m, CURLMoption o, ...))                         \
    X(curl_multi_add_handle, CURLMcode, (CURLM *m, CURL *h))                                \
    X(curl_multi_remove_handle, CURLMcode, (CURLM *m, CURL *h))                             \
    X(curl_multi_perform, CURLMcode, (CURLM *m, int *running))                              \
    X(curl_multi_poll, CURLMcode,                                                           \
      (CURLM *m, struct curl_waitfd extra[], unsigned count, int timeout_ms, int *numfds))  \
    X(curl_multi_wakeup, CURLMcode, (CURLM *m))                                             \
    X(curl_multi_info_read, CURLMsg *, (CURLM *m, int *remaining))                          \
    X(curl_multi_cleanup, CURLMcode, (CURLM *m))

/* The loaded functions, all set (or all left NULL) by load_library, once. */
#define BOSUN_POINTER(name, ret, params) static ret (*loaded_##name) params;
BOSUN_CURL_FUNCTIONS(BOSUN_POINTER)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;
static char failure[512];

/* The runtime package's soname first (libcurl4), then the development symlink. */
static void load_library(void) {
    static const char *const names[] = {"libcurl.so.4", "libcurl.so"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !library; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (!library) {
        const char *reason = dlerror();
        snprintf(failure, sizeof failure,
                 "libcurl could not be loaded (%s); install it (Debian/Ubuntu: apt-get install libcurl4)",
                 reason ? reason : "libcurl.so.4 not found");
        return;
    }
#define BOSUN_LOOKUP(name, ret, params)                                                     \
    if (!(loaded_##name = (ret (*) params)dlsym(library, #name))) {                         \
        snprintf(failure, sizeof failure,                                                   \
                 "the installed libcurl has no %s; bosun needs libcurl 7.68 or newer", #name); \
        return;                                                                             \
    }
    BOSUN_CURL_FUNCTIONS(BOSUN_LOOKUP)
    loaded = 1;
}

/* Whether the library is usable; loads it on the first call. */
static int ready(void) {
    pthread_once(&load_once, load_library);
    return loaded;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_result = CURLE_FAILED_INIT;

/* Outside load_once: curl_global_init may call back into these forwarders. */
static void global_init(void) {
    if (!ready()) return;
    init_result = loaded_curl_global_init(CURL_GLOBAL_ALL);
    if (init_result != CURLE_OK) {
        snprintf(failure, sizeof failure, "curl_global_init failed: %s", loaded_curl_easy_strerror(init_result));
    }
}

CURLcode bosun_global_init(void) {
    pthread_once(&init_once, global_init);
    return init_result;
}

const char *bosun_curl_failure(void) {
    pthread_once(&init_once, global_init);
    return init_result == CURLE_OK ? NULL : failure;
}

/* The forwarders Swift calls. Before a successful load they fail the way libcurl does
   without memory (NULL handles, CURLE_FAILED_INIT / CURLM_INTERNAL_ERROR), which callers
   already handle; CurlTransfer checks bosun_global_init before its first handle. */
BOSUN_HIDDEN CURL *curl_easy_init(void) { return ready() ? loaded_curl_easy_init() : NULL; }
BOSUN_HIDDEN void curl_easy_cleanup(CURL *h) { if (ready()) loaded_curl_easy_cleanup(h); }
BOSUN_HIDDEN const char *curl_easy_strerror(CURLcode code) {
    return ready() ? loaded_curl_easy_strerror(code) : failure;
}
BOSUN_HIDDEN struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s) {
    return ready() ? loaded_curl_slist_append(list, s) : NULL;
}
BOSUN_HIDDEN void curl_slist_free_all(struct curl_slist *list) { if (ready()) loaded_curl_slist_free_all(list); }
BOSUN_HIDDEN CURLM *curl_multi_init(void) { return ready() ? loaded_curl_multi_init() : NULL; }
BOSUN_HIDDEN CURLMcode curl_multi_add_handle(CURLM *m, CURL *h) {
    return ready() ? loaded_curl_multi_add_handle(m, h) : CURLM_INTERNAL_ERROR;
}
BOSUN_HIDDEN CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h) {
    return ready() ? loaded_curl_multi_remove_handle(m, h) : CURLM_INTERNAL_ERROR;
}
BOSUN_HIDDEN CURLMcode curl_multi_perform(CURLM *m, int *running) {
    return ready() ? loaded_curl_multi_perform(m, running) : CURLM_INTERNAL_ERROR;
}
BOSUN_HIDDEN CURLMcode curl_multi_poll(CURLM *m, struct curl_waitfd extra[], unsigned count, int timeout_ms, int *numfds) {
    return ready() ? loaded_curl_multi_poll(m, extra, count, timeout_ms, numfds) : CURLM_INTERNAL_ERROR;
}
BOSUN_HIDDEN CURLMcode curl_multi_wakeup(CURLM *m) { return ready() ? loaded_curl_multi_wakeup(m) : CURLM_INTERNAL_ERROR; }
BOSUN_HIDDEN CURLMsg *curl_multi_info_read(CURLM *m, int *remaining) {
    return ready() ? loaded_curl_multi_info_read(m, remaining) : NULL;
}
BOSUN_HIDDEN CURLMcode curl_multi_cleanup(CURLM *m) { return ready() ? loaded_curl_multi_cleanup(m) : CURLM_INTERNAL_ERROR; }

/* The typed wrappers: each passes its one argument with its real type. */
#define BOSUN_EASY_SETOPT(suffix, type)                                                     \
    CURLcode bosun_easy_setopt_##suffix(CURL *h, CURLoption o, type v) {                    \
        return ready() ? loaded_curl_easy_setopt(h, o, v) : CURLE_FAILED_INIT;              \
    }
BOSUN_EASY_SETOPT(long, long)
BOSUN_EASY_SETOPT(string, const char *)
BOSUN_EASY_SETOPT(pointer, void *)
BOSUN_EASY_SETOPT(slist, struct curl_slist *)
BOSUN_EASY_SETOPT(off_t, curl_off_t)

CURLcode bosun_easy_setopt_write_callback(CURL *h, curl_write_callback cb) {
    return ready() ? loaded_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb) : CURLE_FAILED_INIT;
}
CURLcode bosun_easy_setopt_header_callback(CURL *h, curl_write_callback cb) {
    return ready() ? loaded_curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb) : CURLE_FAILED_INIT;
}
CURLcode bosun_easy_setopt_xferinfo_callback(CURL *h, curl_xferinfo_callback cb) {
    return ready() ? loaded_curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb) : CURLE_FAILED_INIT;
}

#define BOSUN_EASY_GETINFO(suffix, type)                                                    \
    CURLcode bosun_easy_getinfo_##suffix(CURL *h, CURLINFO i, type v) {                     \
        return ready() ? loaded_curl_easy_getinfo(h, i, v) : CURLE_FAILED_INIT;             \
    }
BOSUN_EASY_GETINFO(long, long *)
BOSUN_EASY_GETINFO(pointer, void **)
BOSUN_EASY_GETINFO(string, char **)

CURLMcode bosun_multi_setopt_long(CURLM *m, CURLMoption o, long v) {
    return ready() ? loaded_curl_multi_setopt(m, o, v) : CURLM_INTERNAL_ERROR;
}
