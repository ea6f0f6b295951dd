/* xmalloc.h: allocation that aborts on out-of-memory, so that callers never check for NULL. */
#ifndef TESSERA_XMALLOC_H
#define TESSERA_XMALLOC_H

#include <stddef.h>

#include "compat.h"

/* Each returns memory the caller frees with free(); on out-of-memory they print and abort(). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A newly allocated, formatted string. */
char *xasprintf(const char *fmt, ...) PRINTFLIKE(1, 2);

/* Set *cause (when cause is not NULL) to a newly allocated formatted message; returns -1. */
int set_cause(char **cause, const char *fmt, ...) PRINTFLIKE(2, 3);

#endif
