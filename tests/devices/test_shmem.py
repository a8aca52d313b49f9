"""<shmem>: ivshmem-plain over a shared /dev/shm file, ivshmem-doorbell on a server's
socket.  Each expected argument is libvirt 9.0's for the same device
(../shared/tools/libvirt-oracle argv), the doorbell server's default socket in domc's
run directory instead of libvirt's; QEMU 7.2 must take the plain one."""

from __future__ import annotations

import json
import os

import pytest

from compiler.api import compile_file, make_env
from compiler.diagnostics import DomcError

from ..qemu import NO_QEMU, QEMU, ask_paused
from .helpers import write


def _argv(tmp_path, devices: str, machine: str = "pc") -> list[str]:
    return list(compile_file(write(tmp_path, devices, machine=machine), make_env()).argv)


def _after_sandbox(argv: list[str]) -> list[str]:
    return argv[argv.index("-sandbox") + 2:]


def test_plain_shmem_is_a_shared_file_backend_and_its_device(tmp_path):
    argv = _argv(tmp_path, "<shmem name='looking-glass'><model type='ivshmem-plain'/>"
                           "<size unit='M'>32</size></shmem>"
                           "<shmem name='b'><model type='ivshmem-plain'/></shmem>")
    tail = _after_sandbox(argv)
    assert tail[:4] == [
        "-object", '{"qom-type":"memory-backend-file","id":"shmmem-shmem0",'
                   '"mem-path":"/dev/shm/looking-glass","size":33554432,"share":true}',
        "-device", '{"driver":"ivshmem-plain","id":"shmem0","memdev":"shmmem-shmem0",'
                   '"bus":"pci.0","addr":"0x3"}']
    assert json.loads(tail[5])["size"] == 4 * 1024 * 1024  # libvirt's default size


def test_doorbell_shmem_talks_to_its_server(tmp_path):
    argv = _argv(tmp_path, "<shmem name='d'><model type='ivshmem-doorbell'/>"
                           "<server path='/tmp/ivshmem.sock'/><msi vectors='32' ioeventfd='on'/>"
                           "</shmem><shmem name='e'><model type='ivshmem-doorbell'/><server/></shmem>")
    tail = _after_sandbox(argv)
    assert tail[:4] == [
        "-device", '{"driver":"ivshmem-doorbell","id":"shmem0","chardev":"charshmem0",'
                   '"vectors":32,"ioeventfd":true,"bus":"pci.0","addr":"0x3"}',
        "-chardev", "socket,id=charshmem0,path=/tmp/ivshmem.sock"]
    assert tail[5].startswith('{"driver":"ivshmem-doorbell","id":"shmem1","chardev":"charshmem1",'
                              '"ioeventfd":true')
    assert tail[7] == "socket,id=charshmem1,path=/run/domc/shmem-e-sock"


@pytest.mark.parametrize("shmem, code", [
    ("<shmem name='a'/>", "unsupported-device"),  # the legacy ivshmem, libvirt's default
    ("<shmem name='a/b'><model type='ivshmem-plain'/></shmem>", "shmem-name"),
    ("<shmem name='..'><model type='ivshmem-plain'/></shmem>", "shmem-name"),
    ("<shmem name='a'><model type='ivshmem-plain'/><size unit='M'>3</size></shmem>", "shmem-size"),
    ("<shmem name='a'><model type='ivshmem-plain'/><server/></shmem>", "shmem-server"),
])
def test_what_libvirt_refuses(tmp_path, shmem, code):
    with pytest.raises(DomcError) as e:
        _argv(tmp_path, shmem)
    assert [d.code for d in e.value.diagnostics] == [code]


@pytest.mark.skipif(QEMU is None, reason=NO_QEMU)
def test_qemu_maps_the_shared_memory(tmp_path):
    name = f"domc-test-{tmp_path.name}"
    argv = _argv(tmp_path, f"<shmem name='{name}'><model type='ivshmem-plain'/>"
                           "<size unit='M'>2</size></shmem>", machine="q35")
    assert argv[argv.index("-accel") + 1] == "tcg"  # a type='qemu' guest

    async def ask(qmp):
        return await qmp.execute("qom-get", {"path": "/machine/peripheral/shmem0",
                                             "property": "memdev"})
    try:
        assert ask_paused(argv, ask) == "/objects/shmmem-shmem0"
    finally:
        if os.path.exists(f"/dev/shm/{name}"):
            os.unlink(f"/dev/shm/{name}")
