// jemalloc's settings, read by jemalloc at start (the environment's MALLOC_CONF still applies on
// top). thp:always backs jemalloc's extents with transparent huge pages (this machine's THP mode
// is `madvise`, so jemalloc must ask): the registry's state, RocksDB's memtable arenas and the
// sessions' buffers grow all the time, and a page fault per fresh 4 KiB page cost 12% of the
// actor thread's time under NDR load. Measured: -17% CPU per NDR request on every thread
// (docs/performance.md).
extern "C" {
const char* malloc_conf = "thp:always,metadata_thp:auto";
}
