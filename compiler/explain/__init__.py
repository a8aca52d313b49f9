"""``domc explain``: where every argv item comes from, and pictures of the guest's
PCI topology and NUMA placement."""
