#ifndef BOSUN_CSQLITE_SHIM_H
#define BOSUN_CSQLITE_SHIM_H
#include <sqlite3.h>

#include <pthread.h>
/* glibc declares this only under _GNU_SOURCE, which Swift's Glibc module does not set.
 * Foundation's Thread.current.name loses a race when two threads name themselves at once. */
extern int pthread_setname_np(pthread_t thread, const char *name);
static inline void bosun_name_this_thread(const char *name) { pthread_setname_np(pthread_self(), name); }

/* SQLITE_TRANSIENT is a cast macro Swift cannot import. */
static inline sqlite3_destructor_type bosun_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
