# Derive the libvirt_delta entries of compiler/tables/x86_models.json: how libvirt 9.0.0 cpu_map
# model definitions (read from ../shared/corpus, not shipped) differ from the QEMU 7.2 profile.
# Prints JSON {model: {"add": [...], "remove": [...]}}; run from the repo root.
import json, os, re
tab = json.load(open("compiler/tables/x86_features.json"))
q2l = {e["qemu"]: e["name"] for g in tab["cpuid"] + tab["msr"] for e in g["bits"].values()}
prof = {m["name"]: m for m in json.load(open("compiler/tables/qemu-7.2.json"))["cpu_models"]}
D = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus", "libvirt-9.0.0", "cpu_map") + "/"
order = ["486","pentium","pentium2","pentium3","coreduo","n270","core2duo","qemu32","kvm32","qemu64","kvm64",
 "Conroe","Penryn","Nehalem","Nehalem-IBRS","Westmere","Westmere-IBRS","SandyBridge","SandyBridge-IBRS",
 "IvyBridge","IvyBridge-IBRS","Haswell-noTSX","Haswell-noTSX-IBRS","Haswell","Haswell-IBRS",
 "Broadwell-noTSX","Broadwell-noTSX-IBRS","Broadwell","Broadwell-IBRS","Skylake-Client","Skylake-Client-IBRS",
 "Skylake-Client-noTSX-IBRS","Skylake-Server","Skylake-Server-IBRS","Skylake-Server-noTSX-IBRS",
 "Cascadelake-Server","Cascadelake-Server-noTSX","Icelake-Server","Icelake-Server-noTSX","Cooperlake","Snowridge",
 "athlon","phenom","Opteron_G1","Opteron_G2","Opteron_G3","Opteron_G4","Opteron_G5","EPYC","EPYC-IBPB",
 "EPYC-Rome","EPYC-Milan","Dhyana"]
delta = {}
for n in order:
    text = open(D + "x86_%s.xml" % n).read()
    lf = set(re.findall(r"feature name='([^']*)'", text))
    removed = sorted(re.findall(r"feature name='([^']*)' removed='yes'", text))
    qf = {q2l[x] for x in prof[n]["features"] if x in q2l} - {"hypervisor"}
    d = {}
    if lf - qf: d["add"] = sorted(lf - qf)
    if qf - lf: d["remove"] = sorted(qf - lf)
    if removed: d["removed"] = removed
    if d: delta[n] = d
print(json.dumps(delta))
