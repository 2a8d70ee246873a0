# Tiny TCP proxy: logs every MQTT frame in both directions as JSON lines (one per frame).
# Usage: proxy.py <listen port> <broker port> <out.jsonl>; a label sent to <listen port>+1
# names the frames that follow.
import socket, threading, json, sys
LISTEN, UPSTREAM, OUT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
conn_no = [0]
label = ["none"]

def frames(buf):
    out = []
    while True:
        if len(buf) < 2: return out, buf
        mult, val, i = 1, 0, 1
        while True:
            if i >= len(buf): return out, buf
            b = buf[i]; val += (b & 0x7F) * mult; mult *= 128; i += 1
            if not b & 0x80: break
        if len(buf) < i + val: return out, buf
        out.append(buf[:i + val]); buf = buf[i + val:]

def pump(src, dst, direction, cid):
    buf = b""
    try:
        while True:
            d = src.recv(65536)
            if not d: break
            dst.sendall(d)
            buf += d
            fs, buf = frames(buf)
            with lock, open(OUT, "a") as f:
                for fr in fs:
                    f.write(json.dumps({"label": label[0], "conn": cid, "dir": direction, "hex": fr.hex()}) + "\n")
    except OSError:
        pass
    finally:
        try: dst.shutdown(socket.SHUT_WR)
        except OSError: pass

def ctl():
    # label server on LISTEN+1: send a label line before each scenario
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", LISTEN + 1)); s.listen()
    while True:
        c, _ = s.accept(); label[0] = c.recv(200).decode().strip(); c.sendall(b"ok"); c.close()

threading.Thread(target=ctl, daemon=True).start()
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", LISTEN)); ls.listen()
while True:
    c, _ = ls.accept()
    u = socket.create_connection(("127.0.0.1", UPSTREAM))
    conn_no[0] += 1
    threading.Thread(target=pump, args=(c, u, "c2s", conn_no[0]), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, "s2c", conn_no[0]), daemon=True).start()
