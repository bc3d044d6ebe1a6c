#pragma once
// STRATA_API marks what libstrata_core exports. Plugins are built with hidden visibility, so
// every type that crosses a plugin boundary is defined here, with default visibility and an
// out-of-line key function, to keep one typeinfo and one vtable per type in the process.
#define STRATA_API __attribute__((visibility("default")))
