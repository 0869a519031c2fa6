"""/etc/resolv.conf as pasted: name servers, search domains, the writer's comments."""

from diagnose.bundle import classify
from diagnose.parse import resolvconf


def test_resolv_conf_parser_and_sniffer():
    conf = resolvconf.parse("# x\nnameserver 127.0.0.53\noptions edns0\nsearch a b\n")
    assert conf.nameservers == ["127.0.0.53"] and conf.only_stub and conf.search == ["a", "b"]
    assert classify.by_content("nameserver 10.0.0.2\nsearch svc.local\n") == "resolv-conf"
    assert classify.by_content("domain: example\nkind: Foo\n") != "resolv-conf"
