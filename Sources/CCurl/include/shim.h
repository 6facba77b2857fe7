#ifndef BOSUN_CCURL_SHIM_H
#define BOSUN_CCURL_SHIM_H
#include <curl/curl.h>

/* libcurl is not linked: it is loaded with dlopen at the first transfer (CurlLoader.c).
   Linking it would map libcurl and some thirty libraries it needs (OpenSSL, GnuTLS,
   Kerberos, LDAP, ...) into every process at exec, whose relocations and constructors
   cost about 10 ms of start-up and 6 MB of resident memory before any model call.
   The curl_* functions Swift calls are defined in CurlLoader.c and forward to the loaded
   library; before it is loaded they fail as libcurl does when out of memory. */

/* Loads libcurl (once) and runs curl_global_init(CURL_GLOBAL_ALL). CURLE_OK on success;
   otherwise bosun_curl_failure() says why. */
CURLcode bosun_global_init(void);
/* Why libcurl could not be loaded or initialised; NULL if it was. */
const char *bosun_curl_failure(void);

/* curl_easy_setopt / curl_easy_getinfo / curl_multi_setopt are variadic, which Swift
   cannot call; these typed wrappers are the only way in. */
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
#endif
