"""The catalogue of what redaction hides: every form of secret and identifier, with samples.

One entry per detector form (`credentials.detectors()`, `Identifiers.detectors()`, plus the
Secret objects rewritten before the walk). Each has positive samples — a text and the part of
it that must not survive — and negative samples that must come out unchanged. The tests run
every sample through both engines (Hyperscan and the stdlib fallback), check that identifiers
come back exactly with `unredact`, and that every detector has an entry here; docs/redaction.md
describes the same list for users. Samples use `VOCABULARY`, the names a harvest would have
found.
"""

from __future__ import annotations

from dataclasses import dataclass

# The names and learnt domains the samples assume (class -> names).
VOCABULARY = {
    "node": ["node2", "prod-db-node7", "bridge"],
    "user": ["alice"],
    "namespace": ["payments"],
    "pod": ["web-frontend-5d9c7b6f4-5907e"],
}
LEARNT_DOMAINS = ["prod.acme"]


@dataclass(frozen=True)
class Form:
    """A form of sensitive text a redaction detector finds, with texts that test it."""

    name: str  # the detector's form name
    kind: str  # "secret" (a marker, never restorable) or "identifier" (a pseudonym, restorable)
    positives: tuple[tuple[str, str], ...]  # (text, what must not survive)
    negatives: tuple[str, ...] = ()  # texts that stay exactly as they are


FORMS = (
    # -- secrets ------------------------------------------------------------------------------------
    Form(
        "pem",
        "secret",
        (
            ("-----BEGIN CERTIFICATE-----\nMIIBplantedCertBody\n-----END CERTIFICATE-----\n", "MIIBplantedCertBody"),
            (
                '"ca.crt":"-----BEGIN CERTIFICATE-----\\nMIIBjsonEscaped\\n-----END CERTIFICATE-----\\n"',
                "MIIBjsonEscaped",
            ),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEtruncatedKeyBody\n", "MIIEtruncatedKeyBody"),
        ),
        ("x509: certificate signed by unknown authority\n",),
    ),
    Form(
        "pem-base64",
        "secret",
        (
            (
                "  bundle.pem: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURwbGFudGVkV1JBUFBFRGNlcnRpZmljYXRl\n"
                "    Qk9EWWxpbmUxeHl6QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqCk1JSURwbGFu\n"
                "    ZWZnaGlqa2xtbm9wCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K\n",
                "ZWZnaGlqa2xtbm9w",
            ),
        ),
        ("see LS0t in the docs\n",),
    ),
    Form(
        "url-credentials",
        "secret",
        (
            ("pull https://bob:pa55w0rd@registry.example.com/v2", "pa55w0rd"),
            ('registry="https://:EmptyUserPass@registry.example.com/v2/"', "EmptyUserPass"),
            ('url="https://deploy:pa/ss-with-slash@git.example.com/infra.git"', "pa/ss-with-slash"),
        ),
        ("image registry.k8s.io:5000/pause@sha256:0123abcd\n", "https://github.com/antrea-io/antrea/issues/6448\n"),
    ),
    Form(
        "url-query-secret",
        "secret",
        (
            ('login="https://sso.example.com/login?user=ops&pass=QueryPass123"', "QueryPass123"),
            ("https://store.example.com/c/b?sv=2020-08-04&sig=SasSignature%2Bxyz%3D", "SasSignature"),
            ("GET /v1/x?X-Amz-Signature=AmzSig0123abcd&X-Amz-Date=20240101", "AmzSig0123abcd"),
        ),
        ("https://k8s.example.com/api/v1/pods?limit=500&resourceVersion=0\n",),
    ),
    Form(
        "authorization",
        "secret",
        (
            ('headers="Authorization: Token TokenAuth123"', "TokenAuth123"),
            ("Header:map[Authorization:[Bearer abc.def-ghi_jkl] Accept:[*/*]]", "abc.def-ghi_jkl"),
            ("Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
            ("Cookie: session=CookieSess123; theme=dark", "CookieSess123"),
        ),
        ("Authorization failed for the request\n", "cookie=0x1010000000000, duration=1.0s, table=0\n"),
    ),
    Form(
        "env-secret",
        "secret",
        (
            ("    - name: DB_PASSWORD\n      value: hunter2envval\n", "hunter2envval"),
            ('{"name":"API_TOKEN","value":"tok-json-env-1"}', "tok-json-env-1"),
        ),
        ("    - name: LOG_LEVEL\n      value: debug\n",),
    ),
    Form(
        "secret-flag",
        "secret",
        (
            ("kubeadm join --token abcdef.0123456789abcdef", "0123456789abcdef"),
            ("antrea-agent --ipsec-psk FlagPskValue", "FlagPskValue"),
        ),
        ("kubeadm token create --token-ttl 24h\n",),
    ),
    Form(
        "secret-key",
        "secret",
        (
            ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
            ("DB_PASSWORD=Pl4nted-Db-Pass", "Pl4nted-Db-Pass"),
            ("ANTREA_IPSEC_PSK=Pl4nted-Ipsec-Psk", "Pl4nted-Ipsec-Psk"),
            ("      MYSQL_ROOT_PASSWORD:  Pl4nted-Mysql-Root\n", "Pl4nted-Mysql-Root"),
            ("  dbPassword: Pl4nted-Camel\n", "Pl4nted-Camel"),
            ('"password": "hunter2json"', "hunter2json"),
            (
                "  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeS5hY21lIjp7fX19\n",
                "eyJhdXRocyI6eyJyZWdpc3RyeS5hY21lIjp7fX19",
            ),
            ("  token: abcdefSECRET123\n", "abcdefSECRET123"),
            ("  client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF\n", "LS0tLS1CRUdJTiBSU0Eg"),
            ("  tls.key: |\n    c2VjcmV0IGtleSBib2R5\n    bW9yZSBrZXkgYm9keQ==\n", "bW9yZSBrZXkgYm9keQ"),
        ),
        (
            'E0101 "Failed to get Secret" secret="kube-system/antrea-ipsec"\n',
            "  tokenFile: /run/secrets/token\n",
            "  authenticationMode: psk\n",
            "PasswordAuthentication no\n",
            "  passwordFile: /etc/app/pw\n",
            "      MYSQL_ROOT_PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false\n",
            "  password: REDACTED-PASSWORD\n",
        ),
    ),
    Form(
        "scheme-credentials",
        "secret",
        (("curl -H 'X-Forward: Bearer abcdefgh12345678'", "abcdefgh12345678"),),
        ("the Bearer scheme\n",),
    ),
    Form(
        "bootstrap-token",
        "secret",
        (("created bootstrap token abcdef.0123456789abcdef for join", "0123456789abcdef"),),
        ("image nginx-abcdef.0123456789abcdef\n",),
    ),
    Form(
        "token",
        "secret",
        (
            (
                "sa eyJhbGciOiJSUzI1NiIsImtpZCI6InAifQ.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl",
                "eyJpc3MiOiJrdWJlcm5ldGVzIn0",
            ),
            ("key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
            ("clone with ghp_0123456789abcdefghijABCDEFGHIJ012345", "ghp_0123456789abcdefghij"),
            ("glpat-abcdefghij0123456789 xoxb-0123456789-abcdefghij", "glpat-abcdefghij0123456789"),
            ("maps AIzaSyA0123456789abcdefghijklmnopqrstuv", "AIzaSyA0123456789abcdef"),
            ("vault hvs.CAESIabcdefghijklmnopqrstuvwxyz0123", "hvs.CAESIabcdefghijklmnop"),
            ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIplantedSSHkeyBody alice@laptop", "AAAAC3NzaC1lZDI1NTE5AAAAIplanted"),
        ),
        ("AKIA is a prefix\n",),
    ),
    Form(
        "base64-block",
        "secret",
        (
            (
                "  der: |\n    MIIBplantedDERblobWithoutArmourLineOneABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij\n"
                "    MIIBplantedDERblobWithoutArmourLineTwoABCDEFGHIJKLMNOPQRSTUVWXYZ0123==\n",
                "LineTwoABCDEF",
            ),
        ),
        (
            "b0fc3ba8406bd779efda261474d0046954a010d1ea149fcd3d52ace281761dd4\n"
            "cfe1a27f2150317aa2cfbb7d7e936fa7c2f16d114e3e44c4023f750ca7db6b0e\n",
        ),
    ),
    Form(
        "secret-object",
        "secret",
        (
            (
                "apiVersion: v1\ndata:\n  db-url: cG9zdGdyZXM6Ly9wbGFudGVk\nkind: Secret\nmetadata:\n  name: db\n",
                "cG9zdGdyZXM6Ly9wbGFudGVk",
            ),
            ('{"apiVersion":"v1","data":{"conn":"c2VjcmV0Y29ubg=="},"kind":"Secret"}', "c2VjcmV0Y29ubg"),
        ),
        ("apiVersion: v1\ndata:\n  mode: fast\nkind: ConfigMap\n",),
    ),
    # -- identifiers --------------------------------------------------------------------------------
    Form("reverse-dns", "identifier", (("ptr=17.3.200.10.in-addr.arpa", "17.3.200.10"),), ("zone in-addr.arpa\n",)),
    Form(
        "email",
        "identifier",
        (("mail ops-team@acme-bank.com now", "acme-bank.com"),),
        ("\tk8s.io/klog/v2@v2.110.1/klog.go:961 +0x640\n",),
    ),
    Form(
        "domain",
        "identifier",
        (
            ('remote="db01.corp.acme-bank.com"', "acme-bank"),
            ("nas=https://nas01-planted.home.arpa/share", "nas01-planted"),
            ("vault=https://vault.prod.acme:8200/v1", "prod.acme"),
            ("backup=https://acmepayrollstore.blob.core.windows.net/c", "acmepayrollstore"),
            ("ip-10-200-3-40.ec2.internal", "10-200-3-40"),
        ),
        (
            "lookup=metadata.name selector=labels.app level=log.info\n",
            "agent.go:476 start_ovs.sh x.log\n",
            "kubernetes.io/hostname kube-dns.kube-system.svc.cluster.local antrea.io/antrea/pkg/agent\n",
        ),
    ),
    Form("url-numeric-host", "identifier", (("legacy=http://3232235777/status", "3232235777"),), ("http://12345/\n",)),
    Form(
        "register-ip",
        "identifier",
        (
            ("actions=load:0xaf40718->NXM_NX_REG3[],load:0x35->NXM_NX_REG4[0..15]", "0xaf40718"),
            ("table=EndpointDNAT, priority=190,tcp,reg3=0xaf40719,reg4=0x20035/0x7ffff", "0xaf40719"),
            ("bucket=actions=set_field:0xc0a8401b->reg3,resubmit(,EndpointDNAT)", "0xc0a8401b"),
            ("priority=190,tcp,reg3=183764760,reg4=0x20035/0x7ffff", "183764760"),
        ),
        ("table=AntreaPolicyIngressRule, conj_id=5 actions=set_field:0x5->reg3\n",),
    ),
    Form(
        "datapath-id",
        "identifier",
        (
            ("bridge br-int: using datapath ID 00006a3c910e557e", "00006a3c910e557e"),
            ('"Set OVS bridge datapath_id" datapathID="00006a3c910e557f"', "00006a3c910e557f"),
            ("OFPT_FEATURES_REPLY (xid=0x2): dpid:00006a3c910e5580", "00006a3c910e5580"),
        ),
        ("cookie=0x1010000000000, duration=1.0s\n",),
    ),
    Form(
        "ipv6",
        "identifier",
        (
            ("actions=set_field:2a01:4f8:c17:1e5b::18->ipv6_src", "2a01:4f8:c17:1e5b::18"),
            ("IP6 2a01:4f8:c17:1e5b::19.443 > fe80::1.52414: Flags [S]", "2a01:4f8:c17:1e5b::19"),
            ("peer ::ffff:52.14.88.201 dst 2a01:4f8:c17:1e5b:0:0:0:20", "52.14.88.201"),
            ("inet6 fd00:10:244:1::1/64 scope global", "fd00:10:244:1::1"),
        ),
        ("std::string at 12:34:56\n",),
    ),
    Form(
        "ip-addr-broadcast",
        "identifier",
        (("    inet 10.200.3.17/24 brd 10.200.3.255 scope global eth0", "10.200.3."),),
        ("    inet 127.0.0.1/8 scope host lo\n",),
    ),
    Form("dashed-ipv4", "identifier", (("host ip-10-200-3-41 joined", "10-200-3-41"),), ("ip-address-pool\n",)),
    Form(
        "ipv4",
        "identifier",
        (
            ("route to 52.14.88.201 via 10.200.3.1", "52.14.88.201"),
            ("IP 10.200.3.17.52414 > 10.200.3.18.443: Flags [S]", "10.200.3.18"),
            ("-A ANTREA-POSTROUTING -s 10.244.7.0/24 nw_dst=10.42.1.0/255.255.255.0", "10.244.7.0"),
        ),
        ("version v1.2.3.4 oid 1.2.3.4.5.6.7\n", "127.0.0.1 255.255.255.0 0.0.0.0\n"),
    ),
    Form("decimal-ipv4", "identifier", (("peer ip=3232235778", "3232235778"),), ("ip=12345\n",)),
    Form(
        "mac",
        "identifier",
        (
            ("link/ether de:ad:be:ef:12:34 brd ff:ff:ff:ff:ff:ff", "de:ad:be:ef:12:34"),
            ("MacAddress 6A-3C-91-0E-55-7B", "6A-3C-91-0E-55-7B"),
        ),
        ("ff:ff:ff:ff:ff:ff 01:00:5e:00:00:fb aa:bb:cc:dd:ee:ff 00:00:00:00:00:00\n",),
    ),
    Form("mac-cisco", "identifier", (("switch port mac 6a3c.910e.557c", "6a3c.910e.557c"),), ("1.2.3\n",)),
    Form("mac-enx", "identifier", (("dev enx6a3c910e5581 up", "6a3c910e5581"),), ("dev enp0s1 up\n",)),
    Form(
        "mac-bare",
        "identifier",
        (
            ('uplinkMAC="6a3c910e557d"', "6a3c910e557d"),
            ("hwaddr 001122334455", "001122334455"),
        ),
        ("id abcdef1234567890abcdef 123456789012 4a53e8bd-1111-2222-3333-444455556666\n",),
    ),
    Form(
        "name-in-context",
        "identifier",
        (('"OVS bridge created" nodeName="bridge"', 'nodeName="bridge"'),),
        ('"OVS bridge created" bridge="br-ext"\n',),
    ),
    Form(
        "name",
        "identifier",
        (
            ("failed to get Node with name node2 from K8s", "node2"),
            ("url=/api/v1/pods?fieldSelector=spec.nodeName%3Dnode2&limit=500", "node2"),
            ("agent_prod-db-node7.tar.gz", "prod-db-node7"),
        ),
        ("node22 xnode2 node2x\n",),
    ),
    Form(
        "word-name",
        "identifier",
        (
            ('ns="payments" path="%2Fhome%2Falice%2F.kube"', "payments"),
            ("path=%2Fhome%2Falice%2F.kube", "alice"),
        ),
        ("payments-api mypayments alicebob\n",),
    ),
    Form("pod-interface", "identifier", (('in_port="web-fron-87fe23"', "web-fron"),), ("web-fron-xyz\n",)),
)
