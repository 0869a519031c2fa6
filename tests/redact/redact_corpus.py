# ruff: noqa: E501 - artifacts are data: one log line, flow or table row per line reads best
"""A bundle with known secrets and addresses planted in every artifact kind (for tests/redact).

`planted_bundle(dir)` writes an antctl output directory plus pasted files: clusterinfo (Nodes,
Pods, ConfigMaps with a kubeconfig and a CA certificate), failed_nodes, an agent bundle with klog
files (file name with host and user), OVS logs (one rotated .gz), `ip addr/route/link`,
iptables-save, flows, groups, ovsports, agentinfo and a binary heap profile, and loose files:
`ovsdb-client dump` text and JSON, `ovs-vsctl show`, a PEM private key, a kubeconfig, and
`ip route` pasted with its shell prompt; and one value of each leak class of "Hardening round 2"
(`CLASSES`: glued secret keys, wrapped base64, URL-encoded names, URL credentials, flows' hex
addresses, IPv6 after `set_field:` and in tcpdump, MACs in every notation, private TLDs...).
`PLANTED` lists every value that must not survive, `KEPT` what must.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from support import tar_bytes

NODE = "prod-db-node7"
FAILED_NODE = "prod-db-node9"
FQDN = "prod-db-node7.corp.acme-bank.com"
DOMAIN = "acme-bank.com"
USER = "jsmith"
KUBE_USER = "alice.smith"
NAMESPACE = "acme-payroll"
POD = "payroll-api-7d9f8-x2k4q"
NODE_IP = "10.200.3.17"
GATEWAY_IP = "10.200.3.1"
POD_IP = "10.244.7.23"
POD_CIDR = "10.244.7.0/24"
PEER_NODE_IP = "10.200.3.18"
PUBLIC_IP = "52.14.88.201"
IPV6 = "2a01:4f8:c17:1e5b::17"
MAC = "de:ad:be:ef:12:34"
POD_MAC = "6a:3c:91:0e:55:7b"
EUI64 = "fe80::dcad:beff:feef:1234"
POD_IP_HEX = "0xaf40717"
SERVICE_IP = "10.96.0.1"
TOKEN = "s3cr3t-t0ken-value-9f8e7d"
JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6InBsYW50ZWQifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50IiwicGxhbnRlZCI6MX0"
    ".cGxhbnRlZHNpZ25hdHVyZQ"
)
PASSWORD = "hunter2-planted"
PSK = "ipsec-psk-planted-77"
CERT_BODY = "MIIBplantedCERTIFICATEbodyAAAAxyzQ"
KEY_BODY = "MIIEplantedPRIVATEkeyBODYBBBBqrst"
# base64 of "-----BEGIN RSA PRIVATE KEY-----\nplantedKEYDATA" and of a certificate
KEY_DATA = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpwbGFudGVkS0VZREFUQQ=="
CA_DATA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCnBsYW50ZWRDQURBVEE="

# -- the leak classes of "Hardening round 2", one value (or fragment) each --------------------------
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DB_PASS = "Pl4nted-Db-Pass"
MYSQL_ROOT = "Pl4nted-Mysql-Root"
IPSEC_PSK_ENV = "Pl4nted-Ipsec-Psk"
CAMEL_PASS = "Pl4nted-Camel"
# base64 of a PEM certificate, wrapped at 76 columns, under a key that names no secret
WRAPPED_PEM = [
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURwbGFudGVkV1JBUFBFRGNlcnRpZmljYXRl",
    "Qk9EWWxpbmUxeHl6QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqCk1JSURwbGFu",
    "dGVkU0VDT05EbGluZU9GdGhlQ0VSVElGSUNBVEVib2R5UVJTVFVWV1hZWjAxMjM0NTY3ODlhYmNk",
    "ZWZnaGlqa2xtbm9wCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K",
]
DER_LINES = [
    "MIIBplantedDERblobWithoutArmourLineOneABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij",
    "MIIBplantedDERblobWithoutArmourLineTwoABCDEFGHIJKLMNOPQRSTUVWXYZ0123==",
]
NODE8 = "prod-db-node8"  # only ever seen URL-encoded (client-go's fieldSelector)
HOME_USER = "mjones"  # only ever seen URL-encoded (%2Fhome%2Fmjones%2F)
EMPTY_USER_PASS = "Pl4ntedEmptyUser"
SLASH_PASS = "Pl4nted/Slash"
QUERY_PASS = "Pl4ntedQueryPass"
TOKEN_AUTH = "Pl4ntedTokenAuth123"
SAS_SIG = "Pl4ntedSasSig"
STORAGE_ACCOUNT = "acmepayrollstore"
AFFINITY_HEX = "0xaf40718"  # 10.244.7.24, SessionAffinity learned flow
REG3_HEX = "0xaf40719"  # 10.244.7.25, reg3= outside EndpointDNAT
IPV6_SET_FIELD = "2a01:4f8:c17:1e5b::18"
IPV6_TCPDUMP = "2a01:4f8:c17:1e5b::19"
MAC_CISCO = "6a3c.910e.557c"
MAC_BARE = "6a3c910e557d"
DPID = "00006a3c910e557e"
DPID_KLOG = "00006a3c910e557f"
DOCKERCONFIG = "eyJhdXRocyI6eyJyZWdpc3RyeS5hY21lIjp7ImF1dGgiOiJjR3hoYm5SbFpEcHdZWE56In19fQ=="
HOME_ARPA_HOST = "nas01-planted"
PRIVATE_TLD = "prod.acme"
DECIMAL_IP = "3232235777"  # 192.168.1.1
REVERSE_DNS = "17.3.200.10"  # NODE_IP in in-addr.arpa
SECRET_DATA = "cG9zdGdyZXM6Ly9wbGFudGVk"
AWS_NODE = "ip-10-200-3-40.ec2.internal"
CLASSES = [
    AWS_SECRET,
    DB_PASS,
    MYSQL_ROOT,
    IPSEC_PSK_ENV,
    CAMEL_PASS,
    *(line[:24] for line in WRAPPED_PEM),
    *(line[:24] for line in DER_LINES),
    NODE8,
    HOME_USER,
    EMPTY_USER_PASS,
    SLASH_PASS,
    "Slash",
    QUERY_PASS,
    TOKEN_AUTH,
    SAS_SIG,
    STORAGE_ACCOUNT,
    AFFINITY_HEX,
    REG3_HEX,
    IPV6_SET_FIELD,
    IPV6_TCPDUMP,
    MAC_CISCO,
    MAC_BARE,
    DPID,
    DPID_KLOG,
    DOCKERCONFIG[:30],
    HOME_ARPA_HOST,
    PRIVATE_TLD,
    DECIMAL_IP,
    REVERSE_DNS,
    SECRET_DATA,
    "10-200-3-40",
]
# Secrets (and fragments of them): never in the private map either.
SECRETS = [
    TOKEN,
    JWT[:40],
    PASSWORD,
    PSK,
    CERT_BODY,
    KEY_BODY,
    AWS_SECRET,
    DB_PASS,
    MYSQL_ROOT,
    IPSEC_PSK_ENV,
    CAMEL_PASS,
    EMPTY_USER_PASS,
    SLASH_PASS,
    "Slash",
    "Pl4nted",
    QUERY_PASS,
    TOKEN_AUTH,
    SAS_SIG,
    DOCKERCONFIG[:30],
    SECRET_DATA,
    *(line[:24] for line in WRAPPED_PEM),
    *(line[:24] for line in DER_LINES),
]
# What must survive: Antrea's and Kubernetes' own words next to the values.
KEPT = [
    "metadata.name",
    "fieldSelector=spec.nodeName%3D",
    "set_field:",
    "->ipv6_src",
    "NXM_NX_REG3[]",
    "table=SessionAffinity",
    "MYSQL_ROOT_PASSWORD:",
    "AWS_SECRET_ACCESS_KEY=",
    "Authorization: Token ",
    ".dockerconfigjson:",
    "in-addr.arpa",
    "kind: Secret",
]

PLANTED = [
    NODE,
    FAILED_NODE,
    "acme-bank",
    USER,
    KUBE_USER,
    NAMESPACE,
    "payroll",
    NODE_IP,
    GATEWAY_IP,
    POD_IP,
    "10.244.7.0",
    PEER_NODE_IP,
    PUBLIC_IP,
    IPV6,
    MAC,
    MAC.upper(),
    MAC.replace(":", ""),
    POD_MAC,
    EUI64,
    POD_IP_HEX,
    TOKEN,
    JWT[:40],
    PASSWORD,
    PSK,
    CERT_BODY,
    KEY_BODY,
    KEY_DATA[:30],
    CA_DATA[:30],
    "plantedKEYDATA",
    *CLASSES,
]

KLOG = f"""Log file created at: 2024/01/01 00:00:00
Running on machine: {NODE}
Binary: Built with gc go1.21.11 for linux/amd64
Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg
I0101 00:00:00.100000       1 agent.go:108] "Starting Antrea agent" version="v2.1.0"
I0101 00:00:01.000000       1 agent.go:476] Agent initialized NodeConfig=&{{{NODE} {POD_CIDR} <nil> {NODE_IP}/24 <nil> {NODE_IP}/24 <nil> 1450 eth0 &Interface{{Name: eth0, MAC: {MAC}}} &{{antrea-gw0 {POD_MAC} 10.244.7.1 <nil> 32769}} map[] 0 [] <nil>}}
I0101 00:00:02.000000       1 server.go:430] "Pod network configured" pod="{NAMESPACE}/{POD}" podIP="{POD_IP}" mac="{POD_MAC}" nodeName="{NODE}"
I0101 00:00:02.500000       1 client.go:89] "Using kubeconfig" server="https://k8s-api.{DOMAIN}:6443" user="{KUBE_USER}" token="{TOKEN}"
I0101 00:00:03.000000       1 route_linux.go:223] Added route to peer {PEER_NODE_IP} via {GATEWAY_IP}; remote IPv6 {IPV6} link-local {EUI64}
E0101 00:00:04.000000       1 reflector.go:150] Failed to watch *v1.Node: Get "https://{SERVICE_IP}:443/api/v1/nodes?limit=500": dial tcp {SERVICE_IP}:443: i/o timeout
I0101 00:00:05.000000       1 client.go:120] Sending request with Authorization: Bearer {JWT} to {PUBLIC_IP}
I0101 00:00:06.000000       1 ipsec.go:77] "Configured IPsec" psk="{PSK}" remote="{FQDN}"
E0101 00:00:06.500000       1 tunnel.go:201] "Peer unreachable over the tunnel" peer="{PEER_NODE_IP}" mac="{POD_MAC}" pod="{NAMESPACE}/{POD}" server="https://k8s-api.{DOMAIN}:6443"
I0101 00:00:06.600000       1 reflector.go:359] "Listing and watching" url="https://{SERVICE_IP}:443/api/v1/pods?fieldSelector=spec.nodeName%3D{NODE8}&limit=500&resourceVersion=0"
I0101 00:00:06.700000       1 config.go:90] "Loaded kubeconfig" path="%2Fhome%2F{HOME_USER}%2F.kube%2Fconfig" registry="https://:{EMPTY_USER_PASS}@registry.{DOMAIN}/v2/"
I0101 00:00:06.800000       1 client.go:130] "Request" url="https://deploy:{SLASH_PASS}@git.{DOMAIN}/infra.git" backup="https://{STORAGE_ACCOUNT}.blob.core.windows.net/c/b?sv=2020-08-04&sig={SAS_SIG}%2Bxyz%3D" login="https://sso.{DOMAIN}/login?user=ops&pass={QUERY_PASS}"
I0101 00:00:06.900000       1 client.go:140] "Sending request" headers="Authorization: Token {TOKEN_AUTH}" vault="https://vault.{PRIVATE_TLD}:8200/v1" nas="https://{HOME_ARPA_HOST}.home.arpa/share" legacy="http://{DECIMAL_IP}/status" ptr="{REVERSE_DNS}.in-addr.arpa" dpid="{DPID}"
I0101 00:00:06.950000       1 agent.go:1336] "Set OVS bridge datapath_id" datapathID="{DPID_KLOG}" uplinkMAC="{MAC_BARE}" switchMAC="{MAC_CISCO}" lookup="metadata.name={NODE}" peer="::ffff:{PUBLIC_IP}" api="api.{FQDN}"
F0101 00:00:07.000000       1 main.go:53] Error running agent: error initializing agent: failed to get Node with name {NODE} from K8s: Get "https://{SERVICE_IP}:443/api/v1/nodes/{NODE}": dial tcp {SERVICE_IP}:443: i/o timeout
"""

OVS_LOG = f"""2024-01-01T00:00:00.000Z|00001|bridge|INFO|bridge br-int: added interface payroll--3f2a1b on port 5
2024-01-01T00:00:01.000Z|00002|bridge|INFO|bridge br-int: using datapath ID 0000{MAC.replace(":", "")}
2024-01-01T00:00:02.000Z|00003|tunnel|WARN|remote_ip {PEER_NODE_IP} unreachable from {NODE_IP}
"""

IP_ADDR = f"""1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether {MAC} brd ff:ff:ff:ff:ff:ff
    inet {NODE_IP}/24 brd 10.200.3.255 scope global eth0
       valid_lft forever preferred_lft forever
    inet6 {IPV6}/64 scope global
       valid_lft forever preferred_lft forever
    inet6 {EUI64}/64 scope link
       valid_lft forever preferred_lft forever
3: antrea-gw0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ether {POD_MAC} brd ff:ff:ff:ff:ff:ff
    inet 10.244.7.1/24 brd 10.244.7.255 scope global antrea-gw0
       valid_lft forever preferred_lft forever
4: payroll--3f2a1b@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master ovs-system state UP group default
    link/ether 8a:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff link-netns cni-1f4c2f2a-7ca0-4a45-aafb-c2fc8e1a9fb5
"""
IP_LINK = f"""1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000
    link/ether {MAC} brd ff:ff:ff:ff:ff:ff
3: antrea-gw0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/ether {POD_MAC} brd ff:ff:ff:ff:ff:ff
"""
IP_ROUTE = f"""default via {GATEWAY_IP} dev eth0 proto dhcp src {NODE_IP} metric 100
10.200.3.0/24 dev eth0 proto kernel scope link src {NODE_IP}
{POD_CIDR} dev antrea-gw0 scope link src 10.244.7.1
10.244.8.0/24 via 10.244.8.1 dev antrea-gw0 onlink
"""
IPTABLES = f"""# Generated by iptables-save v1.8.7 on Mon Jan  1 00:00:00 2024
*nat
:POSTROUTING ACCEPT [0:0]
:ANTREA-POSTROUTING - [0:0]
[10:600] -A ANTREA-POSTROUTING -s {POD_CIDR} -m comment --comment "Antrea: masquerade pod to external packets" ! -o antrea-gw0 -j MASQUERADE
[1:60] -A ANTREA-POSTROUTING -d {PUBLIC_IP}/32 -j ACCEPT
COMMIT
# Completed on Mon Jan  1 00:00:00 2024
"""
FLOWS = f"""cookie=0x1010000000000, duration=1.0s, table=SpoofGuard, n_packets=1, n_bytes=1, priority=200,ip,in_port="payroll--3f2a1b",dl_src={POD_MAC},nw_src={POD_IP} actions=goto_table:UnSNAT
cookie=0x1030000000000, duration=1.0s, table=EndpointDNAT, n_packets=1, n_bytes=1, priority=200,tcp,reg3={POD_IP_HEX},reg4=0x20050/0x7ffff actions=ct(commit,table=AntreaPolicyEgressRule,zone=65520,nat(dst={POD_IP}:80))
cookie=0x1000000000000, duration=1.0s, table=L3Forwarding, n_packets=1, n_bytes=1, priority=200,ip,nw_dst=10.244.8.0/24 actions=set_field:{MAC}->eth_src,set_field:{PEER_NODE_IP}->tun_dst,goto_table:L2ForwardingCalc
"""
FLOWS += f"""cookie=0x1040000000000, duration=1.0s, table=SessionAffinity, n_packets=1, n_bytes=1, hard_timeout=300, priority=200,tcp,nw_src={POD_IP},nw_dst=10.96.0.10,tp_dst=53 actions=load:{AFFINITY_HEX}->NXM_NX_REG3[],load:0x35->NXM_NX_REG4[0..15],load:0x2->NXM_NX_REG4[16..18]
cookie=0x1040000000000, duration=1.0s, table=EndpointDNAT, n_packets=1, n_bytes=1, priority=190,tcp,reg3={REG3_HEX},reg4=0x20035/0x7ffff actions=ct(commit,table=AntreaPolicyEgressRule,zone=65520)
cookie=0x1050000000000, duration=1.0s, table=SpoofGuard, n_packets=1, n_bytes=1, priority=200,ipv6,in_port="antrea-gw0" actions=set_field:{IPV6_SET_FIELD}->ipv6_src,goto_table:IPv6
"""
GROUPS = f"group_id=1,type=select,bucket=bucket_id:0,weight:100,actions=set_field:{POD_IP_HEX}->reg3,set_field:0x50/0xffff->reg4,resubmit(,EndpointDNAT)\n"
OVSPORTS = f""" 5(payroll--3f2a1b): addr:8a:11:22:33:44:55
     config:     0
     state:      LIVE
 32769(antrea-gw0): addr:{POD_MAC}
     config:     0
     state:      LIVE
"""
AGENTINFO = f"""objectmeta:
  name: {NODE}
version: v2.1.0
podref:
  kind: ""
  namespace: kube-system
  name: antrea-agent-x7k2p
noderef:
  kind: ""
  namespace: ""
  name: {NODE}
nodesubnets:
- {POD_CIDR}
ovsinfo:
  version: 2.17.7
  bridgename: br-int
"""
CLUSTERINFO = f"""#nodes
apiVersion: v1
kind: Node
metadata:
  labels:
    kubernetes.io/hostname: {NODE}
    node-role.kubernetes.io/control-plane: "true"
  name: {NODE}
spec:
  podCIDR: {POD_CIDR}
  podCIDRs:
  - {POD_CIDR}
status:
  addresses:
  - address: {NODE_IP}
    type: InternalIP
  - address: {FQDN}
    type: Hostname
---
#pods
apiVersion: v1
kind: Pod
metadata:
  name: {POD}
  namespace: {NAMESPACE}
spec:
  nodeName: {NODE}
  containers:
  - env:
    - name: DB_PASSWORD
      value: {PASSWORD}
status:
  hostIP: {NODE_IP}
  podIP: {POD_IP}
---
#configs
apiVersion: v1
kind: ConfigMap
metadata:
  name: antrea-ca
  namespace: kube-system
data:
  ca.crt: |
    -----BEGIN CERTIFICATE-----
    {CERT_BODY}
    -----END CERTIFICATE-----
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: admin-kubeconfig
  namespace: kube-system
data:
  kubeconfig: |
    apiVersion: v1
    clusters:
    - cluster:
        certificate-authority-data: {CA_DATA}
        server: https://k8s-api.{DOMAIN}:6443
      name: acme-prod
    users:
    - name: {KUBE_USER}
      user:
        token: {TOKEN}
        client-key-data: {KEY_DATA}
---
"""
OVSDB_DUMP = f"""Interface table
_uuid                                external_ids                                                                                   name
------------------------------------ ---------------------------------------------------------------------------------------------- ---------------
4a53e8bd-1111-2222-3333-444455556666 {{attached-mac="{POD_MAC}", ip-address="{POD_IP}", pod-name={POD}, pod-namespace={NAMESPACE}}} payroll--3f2a1b
"""
OVSDB_JSON = (
    '{"caption":"Interface table","data":[[["uuid","4a53e8bd-1111-2222-3333-444455556666"],'
    f'["map",[["attached-mac","{POD_MAC}"],["ip-address","{POD_IP}"],["pod-name","{POD}"],'
    f'["pod-namespace","{NAMESPACE}"]]],"payroll--3f2a1b"]],"headings":["_uuid","external_ids","name"]}}\n'
)
OVS_VSCTL_SHOW = """1652b44b-7609-4f9c-be2a-1da5e3bcd6b7
    Bridge br-int
        datapath_type: system
        Port payroll--3f2a1b
            Interface payroll--3f2a1b
        Port antrea-gw0
            Interface antrea-gw0
                type: internal
    ovs_version: "2.17.7"
"""
PRIVATE_KEY = f"""-----BEGIN PRIVATE KEY-----
{KEY_BODY}
{KEY_BODY}
-----END PRIVATE KEY-----
"""
KUBECONFIG = f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {CA_DATA}
    server: https://{PUBLIC_IP}:6443
  name: acme-prod
contexts:
- context:
    cluster: acme-prod
    user: {KUBE_USER}
  name: {KUBE_USER}@acme-prod
users:
- name: {KUBE_USER}
  user:
    password: {PASSWORD}
    token: {JWT}
"""
PASTED_ROUTE = f"{USER}@{NODE}:~$ ip route\n" + IP_ROUTE
ENV_DUMP = f"""AWS_SECRET_ACCESS_KEY={AWS_SECRET}
DB_PASSWORD={DB_PASS}
ANTREA_IPSEC_PSK={IPSEC_PSK_ENV}
KUBERNETES_SERVICE_HOST={SERVICE_IP}
"""
DESCRIBE_POD = f"""Name:         {POD}
Namespace:    {NAMESPACE}
Node:         {NODE}/{NODE_IP}
Containers:
  db:
    Environment:
      MYSQL_ROOT_PASSWORD:  {MYSQL_ROOT}
      MYSQL_USER:           app
"""
CONFIGMAP = "\n".join(
    [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: bundle-config",
        "data:",
        "  bundle.pem: |",
        *(f"    {line}" for line in WRAPPED_PEM),
        f"  caCert: {WRAPPED_PEM[0]}",
        *(f"    {line}" for line in WRAPPED_PEM[1:]),
        "  der: |",
        *(f"    {line}" for line in DER_LINES),
        f"  dbPassword: {CAMEL_PASS}",
        "  selector: metadata.name",
        "---",
        "apiVersion: v1",
        "data:",
        f"  .dockerconfigjson: {DOCKERCONFIG}",
        "kind: Secret",
        "metadata:",
        "  name: regcred",
        "type: kubernetes.io/dockerconfigjson",
        "---",
        "apiVersion: v1",
        "data:",
        f"  db-url: {SECRET_DATA}",
        "kind: Secret",
        "metadata:",
        "  name: db",
        "",
    ]
)
TCPDUMP = f"""12:00:00.000001 IP6 {IPV6_TCPDUMP}.443 > fe80::1.52414: Flags [S], seq 1, length 0
12:00:00.000002 IP {NODE_IP}.52414 > {PEER_NODE_IP}.443: Flags [S], seq 1, length 0
"""


def planted_bundle(root: Path) -> Path:
    """Write the bundle under `root` and return its top directory."""
    top = root / "ticket-acme-bank"
    antctl = top / "support-bundles_20240101T000500Z"
    antctl.mkdir(parents=True)
    (antctl / "clusterinfo").write_text(CLUSTERINFO)
    (antctl / "failed_nodes").write_text(FAILED_NODE + "\n" + AWS_NODE + "\n")
    agent = {
        f"logs/agent/antrea-agent.{NODE}.{USER}.log.INFO.20240101-000000.1": KLOG.encode(),
        "logs/ovs/ovs-vswitchd.log": OVS_LOG.encode(),
        "logs/ovs/ovs-vswitchd.log.1.gz": gzip.compress(OVS_LOG.replace("added", "deleted").encode(), mtime=0),
        "address": IP_ADDR.encode(),
        "link": IP_LINK.encode(),
        "route": IP_ROUTE.encode(),
        "iptables": IPTABLES.encode(),
        "flows": FLOWS.encode(),
        "groups": GROUPS.encode(),
        "ovsports": OVSPORTS.encode(),
        "agentinfo": AGENTINFO.encode(),
        "memprofile": gzip.compress(b"\x00\x01binary " + NODE.encode() + b" " + NODE_IP.encode(), mtime=0),
    }
    (antctl / f"agent_{NODE}.tar.gz").write_bytes(tar_bytes(agent))
    pasted = top / f"{NODE}-pasted"
    pasted.mkdir()
    (pasted / "ovsdb-client-dump.txt").write_text(OVSDB_DUMP)
    (pasted / "ovsdb-client-dump.json").write_text(OVSDB_JSON)
    (pasted / "ovs-vsctl-show.txt").write_text(OVS_VSCTL_SHOW)
    (pasted / "tls.key").write_text(PRIVATE_KEY)
    (pasted / f"kubeconfig-{KUBE_USER}").write_text(KUBECONFIG)
    (pasted / f"ip-route.{NODE}.txt").write_text(PASTED_ROUTE)
    (pasted / "env.txt").write_text(ENV_DUMP)
    (pasted / "describe-pod.txt").write_text(DESCRIBE_POD)
    (pasted / "configmap.yaml").write_text(CONFIGMAP)
    (pasted / "tcpdump.txt").write_text(TCPDUMP)
    return top
