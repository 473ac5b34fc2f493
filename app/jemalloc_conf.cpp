// jemalloc's settings, read by jemalloc at start (the environment's MALLOC_CONF still applies on
// top). No transparent huge pages for the heap (jemalloc follows the system's mode, `madvise`
// here, and does not ask). On 2026-11-24 `thp:always` measured -17% CPU per NDR request; on
// 2026-12-03 it measured the other way on the same machine: a first touch of fresh memory costs
// ~5 ms per 2 MiB page against ~4 us per 4 KiB page (a program touching 1 GiB: 360 against
// 1000 MB/s; the hypervisor backs guest memory on first touch), so a growing registry paid 6.8%
// of a POST lead's CPU in huge-page faults (1.7% without) and a 5 ms stall per fault in its p99;
// a start with 1M events took 3.8-4.9 s against 3.1-3.4 s without (docs/performance.md).
extern "C" {
const char* malloc_conf = "metadata_thp:disabled";
}
