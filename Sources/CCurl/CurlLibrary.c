/* libcurl, opened with dlopen at the first transfer instead of linked (shim.h says why).
 *
 * Each curl_* function bosun calls is defined here under its own name and forwards to the
 * same function of the opened library. The definitions are hidden: the executable exports its
 * symbols (-export-dynamic), and the opened libcurl must bind to its own functions, never to
 * these. */
#define CURL_DISABLE_TYPECHECK 1 /* curl_easy_setopt & co. as functions, not type-checking macros */
#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define BOSUN_HIDDEN __attribute__((visibility("hidden")))

/* The one library name: libcurl's soname since 7.16 (Debian/Ubuntu: libcurl4, or
 * libcurl4-openssl-dev, which depends on it). */
#define BOSUN_LIBCURL "libcurl.so.4"

/* Every curl function Swift calls, by its own name: return type, name, parameters, arguments.
 * Adding one is a line here (its prototype comes from curl.h, which checks it). */
#define BOSUN_CURL_FORWARDED(X)                                                                   \
    X(CURL *, curl_easy_init, (void), ())                                                         \
    X(const char *, curl_easy_strerror, (CURLcode code), (code))                                  \
    X(struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *s), (list, s)) \
    X(CURLM *, curl_multi_init, (void), ())                                                       \
    X(CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *h), (m, h))                              \
    X(CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *h), (m, h))                           \
    X(CURLMcode, curl_multi_perform, (CURLM *m, int *running), (m, running))                      \
    X(CURLMcode, curl_multi_poll,                                                                 \
      (CURLM *m, struct curl_waitfd extra[], unsigned count, int timeout_ms, int *numfds),        \
      (m, extra, count, timeout_ms, numfds))                                                      \
    X(CURLMcode, curl_multi_wakeup, (CURLM *m), (m))                                              \
    X(CURLMsg *, curl_multi_info_read, (CURLM *m, int *remaining), (m, remaining))                \
    X(CURLMcode, curl_multi_cleanup, (CURLM *m), (m))

/* The same, for the functions that return nothing: name, parameters, arguments. */
#define BOSUN_CURL_FORWARDED_VOID(X)                                                              \
    X(curl_easy_cleanup, (CURL *h), (h))                                                          \
    X(curl_slist_free_all, (struct curl_slist *list), (list))

/* Looked up but called only from this file: curl_global_init (once, at load) and the variadic
 * functions behind the typed wrappers at the end. */
#define BOSUN_CURL_INTERNAL(X)                                                                    \
    X(CURLcode, curl_global_init, (long flags))                                                   \
    X(CURLcode, curl_easy_setopt, (CURL *h, CURLoption o, ...))                                   \
    X(CURLcode, curl_easy_getinfo, (CURL *h, CURLINFO i, ...))                                    \
    X(CURLMcode, curl_multi_setopt, (CURLM *m, CURLMoption o, ...))

/* The opened library's functions. */
#define BOSUN_MEMBER(ret, name, params, args) ret(*name) params;
#define BOSUN_VOID_MEMBER(name, params, args) void(*name) params;
#define BOSUN_INTERNAL_MEMBER(ret, name, params) ret(*name) params;
struct curl_api {
    BOSUN_CURL_FORWARDED(BOSUN_MEMBER)
    BOSUN_CURL_FORWARDED_VOID(BOSUN_VOID_MEMBER)
    BOSUN_CURL_INTERNAL(BOSUN_INTERNAL_MEMBER)
};

/* Formats into a new string (NULL only without memory). */
static char *format(const char *pattern, ...) {
    va_list arguments;
    va_start(arguments, pattern);
    int length = vsnprintf(NULL, 0, pattern, arguments);
    va_end(arguments);
    char *text = length < 0 ? NULL : malloc((size_t)length + 1);
    if (text) {
        va_start(arguments, pattern);
        vsnprintf(text, (size_t)length + 1, pattern, arguments);
        va_end(arguments);
    }
    return text;
}

/* Opens `soname` and fills `api`; the library's handle, or NULL with `*failure` set to a new
 * string saying what is missing and what to do. */
static void *open_library(const char *soname, struct curl_api *api, char **failure) {
    void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *reason = dlerror();
        *failure = format("libcurl could not be loaded (%s). bosun needs it for every HTTP call: model "
                          "providers, fetch_url, MCP servers over HTTP, http checks, OpenTelemetry. Install "
                          "libcurl 7.68 or newer: on Debian or Ubuntu `apt-get install libcurl4` (or "
                          "libcurl4-openssl-dev, which brings it), on Fedora `dnf install libcurl`",
                          reason ? reason : soname);
        return NULL;
    }
#define BOSUN_LOOKUP(name)                                                                        \
    if (!(*(void **)&api->name = dlsym(library, #name))) {                                        \
        *failure = format("the libcurl loaded as %s has no %s: bosun needs libcurl 7.68 or newer "   \
                          "(on Debian or Ubuntu `apt-get install libcurl4`)", soname, #name);      \
        dlclose(library);                                                                         \
        return NULL;                                                                              \
    }
#define BOSUN_LOOKUP_MEMBER(ret, name, params, args) BOSUN_LOOKUP(name)
#define BOSUN_LOOKUP_VOID_MEMBER(name, params, args) BOSUN_LOOKUP(name)
#define BOSUN_LOOKUP_INTERNAL_MEMBER(ret, name, params) BOSUN_LOOKUP(name)
    BOSUN_CURL_FORWARDED(BOSUN_LOOKUP_MEMBER)
    BOSUN_CURL_FORWARDED_VOID(BOSUN_LOOKUP_VOID_MEMBER)
    BOSUN_CURL_INTERNAL(BOSUN_LOOKUP_INTERNAL_MEMBER)
    return library;
}

static struct curl_api api;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
/* Set by `load` alone, inside `load_once`: why libcurl is not usable, or NULL. */
static const char *load_failure;

static void load(void) {
    char *failure = NULL;
    if (!open_library(BOSUN_LIBCURL, &api, &failure)) {
        load_failure = failure ? failure : "libcurl could not be loaded (out of memory)";
        return;
    }
    /* Before any other curl call, exactly once: pthread_once makes every other caller wait. */
    CURLcode code = api.curl_global_init(CURL_GLOBAL_ALL);
    if (code != CURLE_OK) {
        failure = format("curl_global_init failed: %s", api.curl_easy_strerror(code));
        load_failure = failure ? failure : "curl_global_init failed";
    }
}

const char *bosun_curl_load(void) {
    pthread_once(&load_once, load);
    return load_failure;
}

char *bosun_curl_probe(const char *soname) {
    struct curl_api probed;
    char *failure = NULL;
    void *library = open_library(soname, &probed, &failure);
    if (library) dlclose(library);
    return failure;
}

/* Every forwarder's first step. Calling curl before bosun_curl_load succeeded is a bug in
 * bosun: it stops the process saying which call, rather than jumping through a NULL pointer. */
static inline void require(const char *name) {
    const char *failure = bosun_curl_load();
    if (failure) {
        fprintf(stderr, "bosun: %s called, but libcurl is not available: %s\n", name, failure);
        abort();
    }
}

#define BOSUN_FORWARD(ret, name, params, args)                                                    \
    BOSUN_HIDDEN ret name params {                                                                \
        require(#name);                                                                           \
        return api.name args;                                                                     \
    }
#define BOSUN_FORWARD_VOID(name, params, args)                                                    \
    BOSUN_HIDDEN void name params {                                                               \
        require(#name);                                                                           \
        api.name args;                                                                            \
    }
BOSUN_CURL_FORWARDED(BOSUN_FORWARD)
BOSUN_CURL_FORWARDED_VOID(BOSUN_FORWARD_VOID)

/* The typed wrappers: each passes its one variadic argument with its real type. */
#define BOSUN_TYPED(ret, wrapper, function, handle_type, key_type, value_type)                   \
    ret wrapper(handle_type h, key_type k, value_type v) {                                        \
        require(#function);                                                                       \
        return api.function(h, k, v);                                                             \
    }
BOSUN_TYPED(CURLcode, bosun_easy_setopt_long, curl_easy_setopt, CURL *, CURLoption, long)
BOSUN_TYPED(CURLcode, bosun_easy_setopt_string, curl_easy_setopt, CURL *, CURLoption, const char *)
BOSUN_TYPED(CURLcode, bosun_easy_setopt_pointer, curl_easy_setopt, CURL *, CURLoption, void *)
BOSUN_TYPED(CURLcode, bosun_easy_setopt_slist, curl_easy_setopt, CURL *, CURLoption, struct curl_slist *)
BOSUN_TYPED(CURLcode, bosun_easy_setopt_off_t, curl_easy_setopt, CURL *, CURLoption, curl_off_t)
BOSUN_TYPED(CURLcode, bosun_easy_getinfo_long, curl_easy_getinfo, CURL *, CURLINFO, long *)
BOSUN_TYPED(CURLcode, bosun_easy_getinfo_pointer, curl_easy_getinfo, CURL *, CURLINFO, void **)
BOSUN_TYPED(CURLcode, bosun_easy_getinfo_string, curl_easy_getinfo, CURL *, CURLINFO, char **)
BOSUN_TYPED(CURLMcode, bosun_multi_setopt_long, curl_multi_setopt, CURLM *, CURLMoption, long)

#define BOSUN_CALLBACK(wrapper, option, callback_type)                                            \
    CURLcode wrapper(CURL *h, callback_type cb) {                                                 \
        require("curl_easy_setopt");                                                              \
        return api.curl_easy_setopt(h, option, cb);                                               \
    }
BOSUN_CALLBACK(bosun_easy_setopt_write_callback, CURLOPT_WRITEFUNCTION, curl_write_callback)
BOSUN_CALLBACK(bosun_easy_setopt_header_callback, CURLOPT_HEADERFUNCTION, curl_write_callback)
BOSUN_CALLBACK(bosun_easy_setopt_xferinfo_callback, CURLOPT_XFERINFOFUNCTION, curl_xferinfo_callback)
