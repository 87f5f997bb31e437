"""The socket sampler's parsing of /proc/net tables and its loopback verdicts."""

import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

import apiserver_sockets  # noqa: E402

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:404B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1
   1: 0100007F:404B 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 1002 1
   2: 0100007F:C350 0100007F:3053 01 00000000:00000000 00:00000000 00000000     0        0 1003 1
   3: 0A00000A:C351 0771CBCB:01BB 02 00000000:00000000 00:00000000 00000000     0        0 1004 1
"""
TCP6 = """  sl  local_address                         remote_address                        st tx_queue
   0: 00000000000000000000000001000000:404B 0000000000000000FFFF00000100007F:D2F1 01 0:0 0:0 0 0 0 2001 1
   1: 00000000000000000000000001000000:C352 B80D0120000000000000000001000000:01BB 01 0:0 0:0 0 0 0 2002 1
"""


def test_addresses_decode_as_the_kernel_prints_them():
    assert apiserver_sockets.decode_address("0100007F:404B") == ("127.0.0.1", 16459)
    assert apiserver_sockets.decode_address("0771CBCB:01BB") == ("203.203.113.7", 443)
    v6 = apiserver_sockets.decode_address("00000000000000000000000001000000:0050")
    assert v6 == ("::1", 80)
    mapped = apiserver_sockets.decode_address("0000000000000000FFFF00000100007F:0050")
    assert socket.inet_pton(socket.AF_INET6, mapped[0]) == socket.inet_pton(socket.AF_INET6, "::ffff:127.0.0.1")


def test_tables_map_inodes_to_sockets():
    table = apiserver_sockets.parse_proc_net(TCP, "tcp")
    assert table[1001]["state"] == "LISTEN"
    assert table[1004] == {"proto": "tcp", "local": ("10.0.0.10", 50001), "remote": ("203.203.113.7", 443),
                           "state": "SYN_SENT"}
    assert apiserver_sockets.parse_proc_net(TCP6, "tcp6")[2002]["remote"] == ("2001:db8::1", 443)


def test_remotes_keep_outgoing_ports_fold_accepted_connections_and_flag_non_loopback():
    socks = list(apiserver_sockets.parse_proc_net(TCP, "tcp").values()) + \
        list(apiserver_sockets.parse_proc_net(TCP6, "tcp6").values())
    found = apiserver_sockets.remotes(socks, listening_ports={16459})
    by = {(r["direction"], r["address"], r["port"]): r["loopback"] for r in found}
    assert by == {
        ("in", "127.0.0.1", None): True,            # a client of the API server
        ("out", "127.0.0.1", 12371): True,          # etcd or the egress proxy
        ("out", "203.203.113.7", 443): False,       # a dial beyond loopback, even while SYN_SENT
        ("in", "::ffff:127.0.0.1", None): True,     # IPv4-mapped loopback
        ("out", "2001:db8::1", 443): False,
    }


def test_merge_counts_samples_and_reports_only_new_addresses():
    seen = {}
    one = [{"proto": "tcp", "address": "127.0.0.1", "port": 12379, "direction": "out", "loopback": True}]
    assert apiserver_sockets.merge(seen, one, "t1") is True
    assert apiserver_sockets.merge(seen, one, "t2") is False
    record = seen["tcp out 127.0.0.1:12379"]
    assert (record["first_seen"], record["last_seen"], record["samples"]) == ("t1", "t2", 2)


def test_pid_file_must_name_the_running_binary(tmp_path):
    pidfile = tmp_path / "kube-apiserver.pid"
    pidfile.write_text(f"{__import__('os').getpid()}\n/nonexistent/kube-apiserver\n")
    assert apiserver_sockets.read_pid(pidfile) is None
    exe = __import__("os").readlink("/proc/self/exe")
    pidfile.write_text(f"{__import__('os').getpid()}\n{exe}\nhash\nmarker\n")
    assert apiserver_sockets.read_pid(pidfile) == __import__("os").getpid()
