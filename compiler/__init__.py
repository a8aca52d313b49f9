"""domc: compile libvirt-style domain XML to a QEMU command line, without a daemon."""

__version__ = "0.1.0"
# what domc models: the embedded capability profile's QEMU, and libvirt's behaviour
QEMU_PROFILE = "7.2"
LIBVIRT_SEMANTICS = "9.0.0"
VERSION_TEXT = (f"domc {__version__} (QEMU {QEMU_PROFILE} profile, libvirt {LIBVIRT_SEMANTICS} "
                "semantics)")
