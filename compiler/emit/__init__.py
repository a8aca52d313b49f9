"""Emitters: argv (QEMU command line), xml (normalized domain), shell quoting."""
