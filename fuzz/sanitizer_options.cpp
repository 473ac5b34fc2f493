// The sanitizers' defaults for the fuzz targets, so that a target run by hand (to reproduce a
// crash) behaves as under scripts/fuzz.sh; UBSAN_OPTIONS and ASAN_OPTIONS still override them.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" CRM_FUZZ_DIR "/ubsan.supp";
}
