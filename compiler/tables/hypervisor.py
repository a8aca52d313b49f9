"""Data only: the QEMU 7.2 ``-cpu`` properties behind ``<features><hyperv>`` and
``<features><kvm>`` children (libvirt 9.0's names on the left)."""

# <features><hyperv> children -> Hyper-V enlightenment properties
HYPERV_PROPS = {
    "relaxed": "hv-relaxed", "vapic": "hv-vapic", "spinlocks": "hv-spinlocks",
    "vpindex": "hv-vpindex", "runtime": "hv-runtime", "synic": "hv-synic",
    "stimer": "hv-stimer", "stimer-direct": "hv-stimer-direct", "reset": "hv-reset",
    "vendor_id": "hv-vendor-id", "frequencies": "hv-frequencies",
    "reenlightenment": "hv-reenlightenment", "tlbflush": "hv-tlbflush", "ipi": "hv-ipi",
    "evmcs": "hv-evmcs", "avic": "hv-avic",
}
# <features><kvm> children -> KVM properties (hidden=on is kvm=off)
KVM_PROPS = {"hidden": "kvm", "hint-dedicated": "kvm-hint-dedicated",
             "poll-control": "kvm-poll-control", "pv-ipi": "kvm-pv-ipi"}
