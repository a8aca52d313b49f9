"""domc: compile libvirt-style domain XML to a QEMU command line, without a daemon."""

__version__ = "0.1.0"
