#ifndef BOSUN_CCURL_SHIM_H
#define BOSUN_CCURL_SHIM_H
/* libcurl for Swift, loaded at the first transfer rather than linked.
 *
 * Linking libcurl made the dynamic loader map it and the ~30 libraries it needs (OpenSSL,
 * GnuTLS, nghttp2, Kerberos, LDAP, ssh2, ...) into every bosun process at exec, and run their
 * relocations and constructors, before bosun read a byte: a quarter of the CPU of `bosun serve`'s
 * start (bench/RESULTS.md, "Start-up"). Most processes never make an HTTP call.
 *
 * So curl's own header gives the types and prototypes, and CurlLibrary.c defines each curl_*
 * function bosun calls, under its own name, as a forwarder to the same function of a libcurl
 * opened with dlopen("libcurl.so.4") once. bosun_curl_load() must have returned NULL before
 * any of them is called (HTTP's CurlTransfer checks it before the first handle).
 *
 * A curl function bosun starts to call is one line in CurlLibrary.c's lists
 * (BOSUN_CURL_FORWARDED, or BOSUN_CURL_FORWARDED_VOID for one that returns nothing); until it
 * is there, the link fails naming it. */
#include <curl/curl.h>

/* Loads libcurl and runs curl_global_init(CURL_GLOBAL_ALL), both exactly once per process
 * (the first call does it; concurrent callers wait for it). NULL when libcurl is ready;
 * otherwise why it is not (what is missing, what to install), the same text on every call. */
const char *bosun_curl_load(void);

/* What bosun_curl_load would say of the library named `soname` (a file name or path given to
 * dlopen), without initialising or keeping it: NULL if it has every function bosun calls. The
 * caller frees the text. For tests of the failure messages. */
char *bosun_curl_probe(const char *soname);

/* curl_easy_setopt / curl_easy_getinfo / curl_multi_setopt are variadic, which Swift cannot
 * call; these typed wrappers are the only way in. */
CURLcode bosun_easy_setopt_long(CURL *h, CURLoption o, long v);
CURLcode bosun_easy_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode bosun_easy_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode bosun_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode bosun_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v);
CURLcode bosun_easy_setopt_write_callback(CURL *h, curl_write_callback cb);
CURLcode bosun_easy_setopt_header_callback(CURL *h, curl_write_callback cb);
CURLcode bosun_easy_setopt_xferinfo_callback(CURL *h, curl_xferinfo_callback cb);
CURLcode bosun_easy_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode bosun_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v);
CURLcode bosun_easy_getinfo_string(CURL *h, CURLINFO i, char **v);
CURLMcode bosun_multi_setopt_long(CURLM *m, CURLMoption o, long v);

#include <pthread.h>
/* glibc declares this only under _GNU_SOURCE, which Swift's Glibc module does not set.
 * Foundation's Thread.current.name loses a race when two threads name themselves at once. */
extern int pthread_setname_np(pthread_t thread, const char *name);
static inline void bosun_name_this_thread(const char *name) { pthread_setname_np(pthread_self(), name); }
#endif
