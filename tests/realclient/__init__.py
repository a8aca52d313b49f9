"""Real-client domains (virt-install / virt-manager XML) checked against the reference
libvirt: ``gen`` writes seeded virt-install command lines, ``check`` runs one through
virt-install, libvirt and domc and classifies the differences (tools/realclient.py is
the command line; tests/test_realclient.py the opt-in test)."""
