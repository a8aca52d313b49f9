"""The x86 CPU model engine: feature table, CPUID decoding, model selection,
compare, baseline and guest-CPU policy resolution (libvirt 9.0.0 semantics)."""
