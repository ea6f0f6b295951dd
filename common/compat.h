/* compat.h: compiler attributes shared by every module. */
#ifndef TESSERA_COMPAT_H
#define TESSERA_COMPAT_H

#define WARN_UNUSED  __attribute__((warn_unused_result))
#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif
