"""A stand-in for Route 53's name servers, for scripts/demo's audit step: a loopback UDP/TCP DNS
server that answers authoritatively (SOA, NS) for the zones a lookup function says exist (the demo
asks moto), and REFUSED for any other name, as Route 53's servers do for a zone they do not host.
Just enough DNS for `subdomain-delegation audit`; nothing here leaves the machine.
"""

import socket
import socketserver
import struct
import threading

SOA, NS = 6, 2


def encode_name(name):
    labels = [label for label in name.rstrip(".").split(".") if label]
    return b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\0"


def parse_question(packet):
    """(id, flags, qname, qtype, end of the question) of a query."""
    qid, flags = struct.unpack(">HH", packet[:4])
    labels, i = [], 12
    while packet[i]:
        labels.append(packet[i + 1:i + 1 + packet[i]].decode("ascii", "replace").lower())
        i += 1 + packet[i]
    qtype = struct.unpack(">H", packet[i + 1:i + 3])[0]
    return qid, flags, ".".join(labels), qtype, i + 5


def answer(packet, lookup):
    """The reply to one query: `lookup(name)` gives the zone's name servers, or None."""
    qid, flags, qname, qtype, end = parse_question(packet)
    question = packet[12:end]
    name_servers = lookup(qname)
    if name_servers is None:
        # REFUSED, not authoritative, the question echoed.
        return struct.pack(">HHHHHH", qid, 0x8000 | (flags & 0x0100) | 5, 1, 0, 0, 0) + question
    records = []
    owner = b"\xc0\x0c"  # a pointer to the question's name
    if qtype == SOA:
        rdata = (encode_name(name_servers[0]) + encode_name("hostmaster.example.com")
                 + struct.pack(">IIIII", 1, 7200, 900, 1209600, 86400))
        records.append(owner + struct.pack(">HHIH", SOA, 1, 900, len(rdata)) + rdata)
    elif qtype == NS:
        for ns in name_servers:
            rdata = encode_name(ns)
            records.append(owner + struct.pack(">HHIH", NS, 1, 172800, len(rdata)) + rdata)
    header = struct.pack(">HHHHHH", qid, 0x8400 | (flags & 0x0100), 1, len(records), 0, 0)
    return header + question + b"".join(records)


class NameServers:
    """UDP and TCP on one loopback port, in threads, until close()."""

    def __init__(self, lookup):
        outer = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                sock.sendto(answer(data, outer.lookup), self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self):
                length = struct.unpack(">H", self.request.recv(2))[0]
                reply = answer(self.request.recv(length), outer.lookup)
                self.request.sendall(struct.pack(">H", len(reply)) + reply)

        self.lookup = lookup
        while True:
            self.udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Udp)
            port = self.udp.server_address[1]
            try:
                self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), Tcp)
                break
            except OSError:
                self.udp.server_close()
        self.port = port
        for server in (self.udp, self.tcp):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self):
        for server in (self.udp, self.tcp):
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    # A self-check: one served zone, one refused name.
    servers = NameServers(lambda name: ["ns-1.awsdns-01.com"] if name == "dev.example.com" else None)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        for name, rcode in (("dev.example.com", 0), ("gone.example.com", 5)):
            s.sendto(struct.pack(">HHHHHH", 7, 0, 1, 0, 0, 0) + encode_name(name) + struct.pack(">HH", SOA, 1),
                     ("127.0.0.1", servers.port))
            reply = s.recv(512)
            assert reply[3] & 0xF == rcode, (name, reply)
    servers.close()
    print("demo_dns: ok")
