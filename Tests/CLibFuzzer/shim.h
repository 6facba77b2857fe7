#ifndef BOSUN_CLIBFUZZER_SHIM_H
#define BOSUN_CLIBFUZZER_SHIM_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver, linked in only by `swift build -Xswiftc -sanitize=fuzzer` (make fuzz).
// Weak, so the same target also links in an ordinary build, where it is absent.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) __attribute__((weak));

static inline int bosun_fuzzer_linked(void) { return LLVMFuzzerRunDriver != 0; }

#endif
